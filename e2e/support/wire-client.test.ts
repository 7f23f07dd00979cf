import { describe, expect, it } from "vitest";
import { failureError, negotiateVersion } from "./wire-client.ts";

// libs/wire-api-federation/src/Wire/API/Federation/Client.hs: versionNegotiation and mkFailureResponse.
describe("the fake wire-server client reads answers as Client.hs does", () => {
  it("negotiates the highest common version, assuming [0] without supported_versions", () => {
    expect(negotiateVersion({ supported_versions: [0, 1, 2, 3, 7], supported: [0, 1] })).toBe(3);
    expect(negotiateVersion({ supported: [0, 1] })).toBe(0);
    expect(negotiateVersion({ supported_versions: [9] })).toBeUndefined();
  });

  it("reads a 403 of the local federator as a local failure", () => {
    expect(failureError(403, "b.example", "get-user", Buffer.from('{"code":403,"label":"invalid-endpoint","message":"x"}'))).toEqual({
      code: 500,
      label: "federation-local-error",
      message: 'Local federator failure: {"code":403,"label":"invalid-endpoint","message":"x"}',
    });
  });

  it("decodes other errors as Wai errors with the federation data, else unknown-federation-error", () => {
    expect(failureError(533, "b.example", "get-user", Buffer.from('{"code":533,"label":"federation-remote-error","message":"m"}'))).toEqual({
      code: 533,
      label: "federation-remote-error",
      message: "m",
      data: { type: "federation", domain: "b.example", path: "/federation/get-user" },
    });
    expect(failureError(502, "b.example", "get-user", Buffer.from("Bad Gateway"))).toMatchObject({ code: 502, label: "unknown-federation-error", message: "Bad Gateway" });
  });
});
