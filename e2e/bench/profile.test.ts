import { describe, expect, it } from "vitest";
import { hotFunctions, type CpuProfile } from "./profile.ts";

const frame = (functionName: string, url: string, lineNumber: number) => ({ functionName, url, lineNumber });

describe("hotFunctions", () => {
  it("ranks functions by self samples, merging the same function reached through different callers", () => {
    const profile: CpuProfile = {
      startTime: 0,
      endTime: 1,
      nodes: [
        { id: 1, callFrame: frame("(root)", "", -1), hitCount: 0 },
        { id: 2, callFrame: frame("verify", "node:internal/crypto/x509", 10), hitCount: 30 },
        { id: 3, callFrame: frame("ingress", "file:///repo/dist/js/federator/external-server.js", 99), hitCount: 10 },
        { id: 4, callFrame: frame("verify", "node:internal/crypto/x509", 10), hitCount: 20 },
        { id: 5, callFrame: frame("", "file:///repo/node_modules/pino/lib/proto.js", 0), hitCount: 40 },
      ],
    };
    expect(hotFunctions(profile, 2)).toEqual([
      { name: "verify node:internal/crypto/x509:11", selfShare: 0.5 },
      { name: "(anonymous) pino/lib/proto.js:1", selfShare: 0.4 },
    ]);
    expect(hotFunctions(profile, 3)[2]).toEqual({ name: "ingress federator/external-server.js:100", selfShare: 0.1 });
  });
});
