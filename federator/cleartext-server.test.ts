import { describe, expect, it } from "vitest";
import { startsWithHttp2Preface } from "./cleartext-server.ts";

// RFC 9113 §3.4: a prior-knowledge client opens with "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".
describe("telling HTTP/2 prior knowledge from HTTP/1.1 by the first bytes", () => {
  it.each([
    ["PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", true],
    ["PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04", true],
    ["PRI * HT", undefined],
    ["P", undefined],
    ["POST /rpc/b.example/brig/get-user HTTP/1.1\r\n", false],
    ["GET /i/status HTTP/1.1\r\n", false],
    ["PRIX", false],
  ])("%j → %s", (bytes, expected) => {
    expect(startsWithHttp2Preface(Buffer.from(bytes, "latin1"))).toBe(expected);
  });
});
