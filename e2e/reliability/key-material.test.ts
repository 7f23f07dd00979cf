import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { findKeyMaterial } from "./key-material.ts";

const pem = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const key = { source: "wire-tls/tls.key", base64: Buffer.from(pem).toString("base64") };
const bodyLine = pem.split("\n")[1] ?? "";

describe("findKeyMaterial", () => {
  it("finds nothing in clean logs", () => {
    expect(findKeyMaterial('{"msg":"applied","object":"Secret/wire-tls"}', [key])).toEqual([]);
  });

  it("finds the PEM marker, the stored base64 value and a single line of the PEM body", () => {
    expect(findKeyMaterial(`{"msg":"x","pem":${JSON.stringify(pem)}}`, [key])).toEqual([
      "a PEM 'PRIVATE KEY' marker",
      "a line of the PEM body of wire-tls/tls.key",
    ]);
    expect(findKeyMaterial(`{"data":{"tls.key":"${key.base64}"}}`, [key])).toEqual(["the base64 value of wire-tls/tls.key"]);
    expect(bodyLine.length).toBeGreaterThanOrEqual(40);
    expect(findKeyMaterial(`{"fragment":"${bodyLine}"}`, [key])).toEqual(["a line of the PEM body of wire-tls/tls.key"]);
  });
});
