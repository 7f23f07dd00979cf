import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { countWrites, matchWrites, readAuditEvents, type AuditEvent } from "./audit.ts";

function event(overrides: Partial<AuditEvent> & { resource?: string; namespace?: string; subresource?: string }): AuditEvent {
  const { resource = "configmaps", namespace = "a", subresource, ...rest } = overrides;
  return {
    auditID: "id",
    stage: "ResponseComplete",
    verb: "create",
    requestURI: "/api/v1/namespaces/a/configmaps",
    user: { username: "admin" },
    userAgent: "wire-federation-operator/0.1.0",
    objectRef: { resource, namespace, ...(subresource ? { subresource } : {}) },
    requestReceivedTimestamp: "2026-11-26T05:00:00.000000Z",
    ...rest,
  };
}

describe("matchWrites", () => {
  const events = [
    event({}),
    event({ verb: "patch", resource: "federationpeers", subresource: "status" }),
    event({ verb: "get" }),
    event({ verb: "delete", namespace: "b", userAgent: "kubectl/v1.36.3" }),
    event({ verb: "update", requestReceivedTimestamp: "2026-11-26T05:00:10.500000Z" }),
  ];

  it.each([
    [{}, 4],
    [{ namespace: "a" }, 3],
    [{ resource: "federationpeers" }, 1],
    [{ subresource: "" }, 3],
    [{ subresource: "status" }, 1],
    [{ userAgent: "wire-federation-operator" }, 3],
    [{ userAgent: /^kubectl\// }, 1],
    [{ since: new Date("2026-11-26T05:00:10Z") }, 1],
    [{ verbs: ["delete"] }, 1],
    [{ username: "someone-else" }, 0],
  ])("with filter %o finds %i writes (reads never count)", (filter, expected) => {
    expect(matchWrites(events, filter)).toHaveLength(expected);
  });
});

describe("readAuditEvents", () => {
  it("skips a last line that is still being written", async () => {
    const dir = await mkdtemp(join(tmpdir(), "audit-test-"));
    try {
      const path = join(dir, "audit.log");
      await writeFile(path, `${JSON.stringify(event({}))}\n${JSON.stringify(event({ verb: "patch" }))}\n{"auditID":"par`);
      expect(await readAuditEvents(path)).toHaveLength(2);
      expect(await countWrites(path, { verbs: ["patch"] })).toBe(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
