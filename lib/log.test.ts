import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, REDACTED } from "./log.ts";

const KEY = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5sQ\n-----END EC PRIVATE KEY-----";

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { log: createLogger({ name: "test", destination }), text: () => lines.join("") };
}

describe("logger", () => {
  it("never writes a private key, wherever it appears", () => {
    const { log, text } = capture();
    log.info({ peer: "p", detail: `bad file: ${KEY}` }, `could not load ${KEY}`);
    log.error({ err: new Error(`parse failed near ${KEY}`) }, "reload failed");
    expect(text()).not.toContain("MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5sQ");
    expect(text()).toContain(REDACTED);
    expect(text()).toContain('"peer":"p"');
  });

  it("redacts Secret data and stringData objects", () => {
    const { log, text } = capture();
    log.info({ secret: { metadata: { name: "wire-tls" }, data: { "tls.key": "c2VjcmV0LWJ5dGVz" } } }, "applied");
    expect(text()).not.toContain("c2VjcmV0LWJ5dGVz");
    expect(text()).toContain("wire-tls");
  });

  it("writes one JSON object a line with stable keys", () => {
    const { log, text } = capture();
    log.warn({ domain: "b.example", reason: "not-allowed" }, "denied");
    const line = JSON.parse(text().trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ level: "warn", component: "test", domain: "b.example", reason: "not-allowed", msg: "denied" });
  });
});
