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

  describe("listen.ingressHop", () => {
    const withHop = () => stringify({ ...exampleFederatorConfig, listen: { ...exampleFederatorConfig.listen, ingressHop: {} } });
    let hop: NonNullable<Sources["hop"]>;
    beforeAll(async () => {
      const hopCa = await testCa("hop");
      const server = await federatorCertificate(hopCa, "federator.wire.svc");
      hop = { certificatePem: server.chainPem, privateKeyPem: server.privateKeyPem, caPem: hopCa.certificatePem };
    });

    it("is refused without its certificate, key and CA, so the port never falls back to plain HTTP", () => {
      expect(buildSnapshot({ ...sources, configYaml: withHop() })).toEqual({ ok: false, reason: "listen.ingressHop is set, but its certificate, key and CA were not given" });
    });

    it.each([
      ["a key of another certificate", (h: NonNullable<Sources["hop"]>) => ({ ...h, privateKeyPem: leaf.privateKeyPem }), "ingress hop certificate: the private key does not belong to the certificate"],
      ["a CA that is a leaf", (h: NonNullable<Sources["hop"]>) => ({ ...h, caPem: leaf.chainPem }), "ingress hop CA: must hold CA certificates only"],
    ])("is refused with %s, naming the problem", (_what, change, reason) => {
      expect(buildSnapshot({ ...sources, configYaml: withHop(), hop: change(hop) })).toEqual({ ok: false, reason });
    });

    it("is part of the TLS fingerprint, so a renewed hop certificate reaches the listener", async () => {
      const first = buildSnapshot({ ...sources, configYaml: withHop(), hop });
      const renewed = await federatorCertificate(await testCa("hop2"), "federator.wire.svc");
      const second = buildSnapshot({ ...sources, configYaml: withHop(), hop: { ...hop, certificatePem: renewed.chainPem, privateKeyPem: renewed.privateKeyPem } });
      expect(first.ok && second.ok && first.snapshot.tls.fingerprint !== second.snapshot.tls.fingerprint).toBe(true);
    });
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
    expect(watchedDirectories({ ...config, listen: { ingressHop: null } }, { configFile: "/c/federator.yaml" })).toEqual(["/c", "/etc/federator/tls", "/etc/federator/ca"]);
  });

  it("watches the ingress hop's directory when the external port serves the hop's TLS", () => {
    const hop = { certFile: "/etc/federator/hop/tls.crt", keyFile: "/etc/federator/hop/tls.key", caFile: "/etc/federator/hop/ca.crt" };
    expect(watchedDirectories({ ...config, listen: { ingressHop: hop } }, { configFile: "/c/federator.yaml" })).toContain("/etc/federator/hop");
  });
});
