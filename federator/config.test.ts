import { beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { exampleFederatorConfig } from "../lib/api/examples.ts";
import type { IssuedCertificate } from "../lib/certs/issue.ts";
import type { CertificateAuthority } from "../lib/certs/issue.ts";
import { buildSnapshot, sourcesDigest, tlsFiles, watchedDirectories, type Sources } from "./config.ts";
import { federatorCertificate, testCa } from "./testing/pki.ts";

let ca: CertificateAuthority;
let leaf: IssuedCertificate;
let sources: Sources;
beforeAll(async () => {
  ca = await testCa();
  leaf = await federatorCertificate(ca, "federator.infra.example.com");
  sources = { configYaml: stringify(exampleFederatorConfig), certificatePem: leaf.chainPem, privateKeyPem: leaf.privateKeyPem, caBundlePem: ca.certificatePem };
});

describe("buildSnapshot", () => {
  it("accepts the example configuration with a matching key pair", () => {
    const result = buildSnapshot(sources);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.snapshot.config.remotes.map((r) => r.domain)).toEqual(["partner.example.org"]);
    expect(result.snapshot.tls.trustedCaPems).toHaveLength(1);
  });

  it.each([
    ["YAML that does not parse", { configYaml: "a: [" }, /not YAML/],
    ["an unknown field", { configYaml: stringify({ ...exampleFederatorConfig, surprise: 1 }) }, /surprise/],
    ["an invalid remote domain", { configYaml: stringify({ ...exampleFederatorConfig, remotes: [{ domain: "UPPER_case" }] }) }, /remotes\[0\]\.domain/],
    ["an empty certificate", { certificatePem: "" }, /own certificate/],
    ["an unparsable key", { privateKeyPem: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n" }, /private key cannot be parsed/],
    ["a CA bundle with garbage", { caBundlePem: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n" }, /CA bundle/],
  ])("rejects %s, naming the problem", (_what, change: Partial<Sources>, reason) => {
    const result = buildSnapshot({ ...sources, ...change });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  it("rejects a key that belongs to another certificate, without quoting key material", async () => {
    const other = await federatorCertificate(ca, "other.example");
    const result = buildSnapshot({ ...sources, privateKeyPem: other.privateKeyPem });
    expect(result).toEqual({ ok: false, reason: "own certificate: the private key does not belong to the certificate" });
  });

  it("accepts an empty CA bundle (no peers yet) and adds system roots only when asked", () => {
    const empty = buildSnapshot({ ...sources, caBundlePem: "" });
    expect(empty.ok && empty.snapshot.tls.trustedCaPems).toEqual([]);
    const system = buildSnapshot({ ...sources, configYaml: stringify({ ...exampleFederatorConfig, tls: { ...exampleFederatorConfig.tls, useSystemCAStore: true } }) });
    expect(system.ok && system.snapshot.tls.trustedCaPems.length).toBeGreaterThan(10);
  });

  it("changes the TLS fingerprint exactly when TLS inputs change", async () => {
    const first = buildSnapshot(sources);
    const sameTls = buildSnapshot({ ...sources, configYaml: stringify({ ...exampleFederatorConfig, strategy: "AllowAll" }) });
    const otherCa = buildSnapshot({ ...sources, caBundlePem: ca.certificatePem + (await testCa("second")).certificatePem });
    expect(first.ok && sameTls.ok && first.snapshot.tls.fingerprint === sameTls.snapshot.tls.fingerprint).toBe(true);
    expect(first.ok && otherCa.ok && first.snapshot.tls.fingerprint !== otherCa.snapshot.tls.fingerprint).toBe(true);
    expect(sourcesDigest(sources)).not.toBe(sourcesDigest({ ...sources, configYaml: sources.configYaml + "\n" }));
  });
});

describe("file locations", () => {
  const config = { tls: { certFile: "/etc/federator/tls/tls.crt", keyFile: "/etc/federator/tls/tls.key", caBundleFile: "/etc/federator/ca/ca.crt", useSystemCAStore: false } };

  it("lets --tls-dir and --ca-dir override the paths of the file", () => {
    expect(tlsFiles(config, { configFile: "/c/federator.yaml", tlsDir: "/t", caDir: "/ca" })).toEqual({ certFile: "/t/tls.crt", keyFile: "/t/tls.key", caBundleFile: "/ca/ca.crt" });
    expect(tlsFiles(config, { configFile: "/c/federator.yaml" }).certFile).toBe("/etc/federator/tls/tls.crt");
  });

  it("watches the directories of all inputs once each", () => {
    expect(watchedDirectories(config, { configFile: "/c/federator.yaml" })).toEqual(["/c", "/etc/federator/tls", "/etc/federator/ca"]);
  });
});
