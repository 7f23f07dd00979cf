import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseCertificateBundle } from "../../lib/certs/pem.ts";
import type { KubeObject } from "../../lib/kube/objects.ts";
import { config } from "../testing/fixtures.ts";
import { parseDuration } from "./duration.ts";
import { createCertificateManager, type EnsuredCertificate } from "./own-certificate.ts";

const asSecret = (name: string, data: Readonly<Record<string, string>>): KubeObject => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name },
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString("base64")])),
});

/** What the cluster holds after applying `result`'s Secrets. */
const cluster = (result: EnsuredCertificate) => new Map(result.secrets.map((s) => [s.name, asSecret(s.name, s.data)]));
const leafOf = (result: EnsuredCertificate) => {
  const parsed = parseCertificateBundle(result.secrets.find((s) => s.name === "wire-tls")!.data["tls.crt"]!);
  if (!parsed.ok) throw new Error(parsed.problem.message);
  return parsed.certificates[0]!;
};

describe("selfSigned certificates", () => {
  const fc = config({ certificate: { selfSigned: { duration: "720h" } } });

  it("issues a leaf for infraDomain with serverAuth and clientAuth that openssl verifies against the published CA", async () => {
    const result = await createCertificateManager().ensure({ config: fc, owned: () => undefined, referenced: () => undefined, now: new Date() });
    expect(result.ready).toMatchObject({ status: "True", reason: "Issued" });
    const dir = mkdtempSync(join(tmpdir(), "selfsigned-"));
    try {
      const tls = result.secrets.find((s) => s.name === "wire-tls")!.data;
      writeFileSync(join(dir, "ca.pem"), result.publishedCA!);
      writeFileSync(join(dir, "leaf.pem"), parseCertificateBundle(tls["tls.crt"]!).ok ? tls["tls.crt"]!.split(/(?<=-----END CERTIFICATE-----\n)/)[0]! : "");
      expect(execFileSync("openssl", ["verify", "-purpose", "sslserver", "-CAfile", join(dir, "ca.pem"), join(dir, "leaf.pem")]).toString()).toMatch(/OK/);
      expect(execFileSync("openssl", ["verify", "-purpose", "sslclient", "-CAfile", join(dir, "ca.pem"), join(dir, "leaf.pem")]).toString()).toMatch(/OK/);
      const text = execFileSync("openssl", ["x509", "-in", join(dir, "leaf.pem"), "-noout", "-text"]).toString();
      expect(text).toMatch(/DNS:federator\.a\.example/);
      expect(text).toMatch(/TLS Web Server Authentication, TLS Web Client Authentication/);
      expect(text).toMatch(/prime256v1|P-256/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps the CA and the leaf while the leaf is young, so nothing is rewritten", async () => {
    const now = new Date();
    const first = await createCertificateManager().ensure({ config: fc, owned: () => undefined, referenced: () => undefined, now });
    const stored = cluster(first);
    // A fresh operator process (no memory) reading what the cluster holds.
    const again = await createCertificateManager().ensure({ config: fc, owned: (n) => stored.get(n), referenced: () => undefined, now: new Date(now.getTime() + 86_400_000) });
    expect(again.secrets).toEqual(first.secrets);
  });

  it("renews the leaf at two thirds of its lifetime, with the same CA", async () => {
    const now = new Date();
    const first = await createCertificateManager().ensure({ config: fc, owned: () => undefined, referenced: () => undefined, now });
    const stored = cluster(first);
    const leaf = leafOf(first);
    const lifetime = leaf.notAfter.getTime() - leaf.notBefore.getTime();
    expect(first.requeueAfterMs).toBeGreaterThan(lifetime * 0.6);
    const later = new Date(leaf.notBefore.getTime() + lifetime * 0.67);
    const renewed = await createCertificateManager().ensure({ config: fc, owned: (n) => stored.get(n), referenced: () => undefined, now: later });
    expect(leafOf(renewed).sha256Fingerprint).not.toBe(leaf.sha256Fingerprint);
    expect(renewed.publishedCA).toBe(first.publishedCA);
  });

  it("renews at once when the configured duration changes", async () => {
    const now = new Date();
    const first = await createCertificateManager().ensure({ config: fc, owned: () => undefined, referenced: () => undefined, now });
    const stored = cluster(first);
    const shorter = config({ certificate: { selfSigned: { duration: "1h" } } });
    const renewed = await createCertificateManager().ensure({ config: shorter, owned: (n) => stored.get(n), referenced: () => undefined, now });
    const leaf = leafOf(renewed);
    expect(leaf.notAfter.getTime() - leaf.notBefore.getTime()).toBe(parseDuration("1h"));
    expect(renewed.publishedCA).toBe(first.publishedCA);
  });
});

describe("selfSigned certificates with a short duration", () => {
  it("issues a 30s leaf that is valid now and renews it before it expires", async () => {
    const now = new Date();
    const result = await createCertificateManager().ensure({ config: config({ certificate: { selfSigned: { duration: "30s" } } }), owned: () => undefined, referenced: () => undefined, now });
    const leaf = leafOf(result);
    expect(leaf.notAfter.getTime() - leaf.notBefore.getTime()).toBe(30_000);
    expect(leaf.notBefore.getTime()).toBeLessThanOrEqual(now.getTime());
    expect(leaf.notAfter.getTime()).toBeGreaterThan(now.getTime() + 25_000);
    expect(result.requeueAfterMs).toBeGreaterThan(10_000);
    expect(now.getTime() + result.requeueAfterMs!).toBeLessThan(leaf.notAfter.getTime());
  });
});

describe("secretRef certificates", () => {
  it("reports a missing Secret with what to do", async () => {
    const fc = config({ certificate: { secretRef: { name: "wire-cert" } } });
    const result = await createCertificateManager().ensure({ config: fc, owned: () => undefined, referenced: () => undefined, now: new Date() });
    expect(result.ready).toMatchObject({ status: "False", reason: "SecretNotFound", message: expect.stringMatching(/Secret wire-cert .*not found/) });
  });
});

describe("parseDuration", () => {
  it.each([["2160h", 2160 * 3_600_000], ["1h30m", 5_400_000], ["90s", 90_000]])("%s", (text, ms) => expect(parseDuration(text)).toBe(ms));
  it("refuses garbage", () => expect(parseDuration("10 days")).toBeUndefined());
});
