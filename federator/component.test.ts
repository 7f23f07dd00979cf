import { describe, expect, it } from "vitest";
import { componentTarget } from "./component.ts";

describe("componentTarget", () => {
  it.each([
    ["http://brig:8080", { https: false, hostname: "brig", port: 8080, pathPrefix: "/federation/" }],
    ["http://brig:8080/", { https: false, hostname: "brig", port: 8080, pathPrefix: "/federation/" }],
    ["https://brig.wire.svc/api//", { https: true, hostname: "brig.wire.svc", port: 443, pathPrefix: "/api/federation/" }],
    ["http://[::1]/", { https: false, hostname: "::1", port: 80, pathPrefix: "/federation/" }],
  ])("%s → %j", (base, expected) => {
    expect(componentTarget(base)).toEqual(expected);
  });
});
