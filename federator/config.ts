// Turns the federator's inputs (federator.yaml, own certificate and key, CA bundle) into one
// immutable, validated snapshot. Every check happens here, before a snapshot can be applied, so a
// bad reload is rejected as a whole and the last good snapshot stays.
import { createHash, createPrivateKey, X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { rootCertificates } from "node:tls";
import { parse as parseYaml } from "yaml";
import { FederatorConfig } from "../lib/api/federator-config.ts";
import { describeProblems, parseWith } from "../lib/api/validation.ts";
import { compactFingerprint, parseCertificateBundle, type ParsedCertificate } from "../lib/certs/pem.ts";

/** The raw inputs, from files (Files mode) or from a ConfigMap and Secrets (Watch mode). */
export interface Sources {
  readonly configYaml: string;
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  readonly caBundlePem: string;
  /** listen.ingressHop: the external port's certificate and key, and the CA of the controller's client certificate. */
  readonly hop?: HopSources | undefined;
}

export interface HopSources {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  readonly caPem: string;
}

export interface TlsMaterial {
  /** Our certificate followed by its intermediates, as presented to peers. */
  readonly certificateChainPem: string;
  readonly privateKeyPem: string;
  /** The trust anchors peers are verified against (CA bundle, plus system roots if enabled). */
  readonly trustedCaPems: readonly string[];
  /** The CA bundle's certificates by SHA-256 fingerprint, to bind a remote to its own CAs. */
  readonly bundleCAs: ReadonlyMap<string, X509Certificate>;
  /** The CAs of no peer by subject, the only ones that vouch for origins without a caBundle. */
  readonly unboundCAs: ReadonlyMap<string, readonly X509Certificate[]>;
  /** Every CA of the bundle is one of no peer. */
  readonly onlyUnboundCAs: boolean;
  /** Changes exactly when any of the above changes; pooled sessions are keyed by it. */
  readonly fingerprint: string;
  readonly certificateNotAfter: Date;
  /** listen.ingressHop's material, validated; undefined when the external port is plain HTTP. */
  readonly hop?: HopSources | undefined;
}

export interface Snapshot {
  readonly config: FederatorConfig;
  readonly tls: TlsMaterial;
  readonly loadedAt: Date;
}

export type SnapshotResult = { readonly ok: true; readonly snapshot: Snapshot } | { readonly ok: false; readonly reason: string };

/** Where Files mode reads its inputs; `--tls-dir`/`--ca-dir` override the paths in the file. */
export interface FileLocations {
  readonly configFile: string;
  readonly tlsDir?: string | undefined;
  readonly caDir?: string | undefined;
  /** `--hop-dir`: tls.crt, tls.key and ca.crt of listen.ingressHop. */
  readonly hopDir?: string | undefined;
}

function fail(reason: string): SnapshotResult {
  return { ok: false, reason };
}

function parseConfig(yamlText: string): { ok: true; config: FederatorConfig } | { ok: false; reason: string } {
  let document: unknown;
  try {
    document = parseYaml(yamlText);
  } catch (error) {
    return { ok: false, reason: `federator.yaml is not YAML: ${error instanceof Error ? error.message : String(error)}` };
  }
  const parsed = parseWith(FederatorConfig, document);
  if (!parsed.ok) return { ok: false, reason: `federator.yaml is invalid: ${describeProblems(parsed.problems)}` };
  return { ok: true, config: parsed.value };
}

function sha256(...parts: readonly string[]): string {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part).update("\0");
  return hash.digest("hex");
}

let systemRoots: readonly X509Certificate[] | undefined;

/** Node's bundled roots (what `useSystemCAStore` adds), parsed once per process. */
function systemRootCAs(): readonly X509Certificate[] {
  systemRoots ??= rootCertificates.map((pem) => new X509Certificate(pem));
  return systemRoots;
}

function bySubject(cas: Iterable<X509Certificate>): Map<string, X509Certificate[]> {
  const index = new Map<string, X509Certificate[]>();
  for (const ca of cas) index.set(ca.subject, [...(index.get(ca.subject) ?? []), ca]);
  return index;
}

/** A certificate chain and its key, or what is wrong with them, named after `what`. */
function keyPair(what: string, certificatePem: string, privateKeyPem: string): { ok: true; chain: readonly ParsedCertificate[] } | { ok: false; reason: string } {
  const chain = parseCertificateBundle(certificatePem);
  if (!chain.ok) return { ok: false, reason: `${what}: ${chain.problem.message}` };
  const leaf = chain.certificates[0];
  if (leaf === undefined) return { ok: false, reason: `${what}: no certificate` };
  try {
    if (!leaf.x509.checkPrivateKey(createPrivateKey(privateKeyPem))) return { ok: false, reason: `${what}: the private key does not belong to the certificate` };
  } catch {
    // The message could quote key bytes; say only what is wrong.
    return { ok: false, reason: `${what}: the private key cannot be parsed` };
  }
  return { ok: true, chain: chain.certificates };
}

/** listen.ingressHop set: its certificate, key and CA must be there and fit together. */
function hopMaterial(sources: Sources, config: Pick<FederatorConfig, "listen">): { ok: true; hop: HopSources | undefined } | { ok: false; reason: string } {
  if (config.listen.ingressHop === null) return { ok: true, hop: undefined };
  if (sources.hop === undefined) return { ok: false, reason: "listen.ingressHop is set, but its certificate, key and CA were not given" };
  const pair = keyPair("ingress hop certificate", sources.hop.certificatePem, sources.hop.privateKeyPem);
  if (!pair.ok) return pair;
  const ca = parseCertificateBundle(sources.hop.caPem);
  if (!ca.ok) return { ok: false, reason: `ingress hop CA: ${ca.problem.message}` };
  if (ca.certificates.length === 0 || !ca.certificates.every((c) => c.isCA)) return { ok: false, reason: "ingress hop CA: must hold CA certificates only" };
  return { ok: true, hop: sources.hop };
}

function tlsMaterial(sources: Sources, config: Pick<FederatorConfig, "caFingerprints" | "extraCAFingerprints" | "tls" | "listen">): { ok: true; tls: TlsMaterial } | { ok: false; reason: string } {
  const own = keyPair("own certificate", sources.certificatePem, sources.privateKeyPem);
  if (!own.ok) return own;
  const chain = own.chain;
  const leaf = chain[0]!;
  const hop = hopMaterial(sources, config);
  if (!hop.ok) return hop;
  // An empty bundle is a valid state (no peers yet): nothing verifies until peers arrive.
  let caPems: string[] = [];
  const bundleCAs = new Map<string, X509Certificate>();
  if (sources.caBundlePem.trim() !== "") {
    const bundle = parseCertificateBundle(sources.caBundlePem);
    if (!bundle.ok) return { ok: false, reason: `CA bundle: ${bundle.problem.message}` };
    caPems = bundle.certificates.map((c) => c.pem);
    for (const c of bundle.certificates) bundleCAs.set(compactFingerprint(c.x509), c.x509);
  }
  const { useSystemCAStore } = config.tls;
  const trustedCaPems = useSystemCAStore ? [...caPems, ...rootCertificates] : caPems;
  const peerCAs = new Set(config.caFingerprints);
  const listedExtra = config.extraCAFingerprints === undefined ? undefined : new Set(config.extraCAFingerprints);
  const extraCAs = [...bundleCAs].filter(([fingerprint]) => !peerCAs.has(fingerprint) && (listedExtra?.has(fingerprint) ?? true)).map(([, ca]) => ca);
  const unboundCAs = bySubject(useSystemCAStore ? [...extraCAs, ...systemRootCAs()] : extraCAs);
  const certificateChainPem = chain.map((c) => c.pem).join("");
  const hopParts = hop.hop === undefined ? [] : [hop.hop.certificatePem, hop.hop.privateKeyPem, hop.hop.caPem];
  return {
    ok: true,
    tls: {
      certificateChainPem,
      privateKeyPem: sources.privateKeyPem,
      trustedCaPems,
      bundleCAs,
      unboundCAs,
      onlyUnboundCAs: extraCAs.length === bundleCAs.size,
      fingerprint: sha256(certificateChainPem, sources.privateKeyPem, ...trustedCaPems, ...hopParts),
      certificateNotAfter: leaf.notAfter,
      hop: hop.hop,
    },
  };
}

export function buildSnapshot(sources: Sources, now: Date = new Date()): SnapshotResult {
  const config = parseConfig(sources.configYaml);
  if (!config.ok) return fail(config.reason);
  const tls = tlsMaterial(sources, config.config);
  if (!tls.ok) return fail(tls.reason);
  return { ok: true, snapshot: { config: config.config, tls: tls.tls, loadedAt: now } };
}

/** The files a config refers to, after `--tls-dir`/`--ca-dir` overrides. */
export function tlsFiles(config: Pick<FederatorConfig, "tls">, locations: FileLocations): { certFile: string; keyFile: string; caBundleFile: string } {
  return {
    certFile: locations.tlsDir !== undefined ? join(locations.tlsDir, "tls.crt") : config.tls.certFile,
    keyFile: locations.tlsDir !== undefined ? join(locations.tlsDir, "tls.key") : config.tls.keyFile,
    caBundleFile: locations.caDir !== undefined ? join(locations.caDir, "ca.crt") : config.tls.caBundleFile,
  };
}

/** listen.ingressHop's files after the `--hop-dir` override; undefined without a hop. */
export function hopFiles(config: { readonly listen: Pick<FederatorConfig["listen"], "ingressHop"> }, locations: FileLocations): { certFile: string; keyFile: string; caFile: string } | undefined {
  const hop = config.listen.ingressHop;
  if (hop === null) return undefined;
  const dir = locations.hopDir;
  return dir === undefined ? hop : { certFile: join(dir, "tls.crt"), keyFile: join(dir, "tls.key"), caFile: join(dir, "ca.crt") };
}

/** The directories Files mode watches: where the config, certificate, key and bundle live. */
export function watchedDirectories(config: (Pick<FederatorConfig, "tls"> & { readonly listen: Pick<FederatorConfig["listen"], "ingressHop"> }) | undefined, locations: FileLocations): readonly string[] {
  const dirs = new Set([dirname(locations.configFile)]);
  if (locations.tlsDir !== undefined) dirs.add(locations.tlsDir);
  if (locations.caDir !== undefined) dirs.add(locations.caDir);
  if (config !== undefined) {
    const files = tlsFiles(config, locations);
    for (const file of [files.certFile, files.keyFile, files.caBundleFile]) dirs.add(dirname(file));
  }
  const hop = config === undefined ? undefined : hopFiles(config, locations);
  if (hop !== undefined) for (const file of [hop.certFile, hop.keyFile, hop.caFile]) dirs.add(dirname(file));
  return [...dirs];
}

export type ReadResult = { readonly ok: true; readonly sources: Sources } | { readonly ok: false; readonly reason: string };

/** Reads the inputs of Files mode; the config is read first because it names the other files. */
export async function readSources(locations: FileLocations): Promise<ReadResult> {
  const read = async (what: string, file: string): Promise<{ ok: true; text: string } | { ok: false; reason: string }> => {
    try {
      return { ok: true, text: await readFile(file, "utf8") };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "error";
      return { ok: false, reason: `${what} ${file} cannot be read (${code})` };
    }
  };
  const configYaml = await read("config file", locations.configFile);
  if (!configYaml.ok) return configYaml;
  const config = parseConfig(configYaml.text);
  if (!config.ok) return config;
  const files = tlsFiles(config.config, locations);
  const [cert, key, ca] = await Promise.all([read("certificate", files.certFile), read("private key", files.keyFile), read("CA bundle", files.caBundleFile)]);
  if (!cert.ok) return cert;
  if (!key.ok) return key;
  if (!ca.ok) return ca;
  const sources: Sources = { configYaml: configYaml.text, certificatePem: cert.text, privateKeyPem: key.text, caBundlePem: ca.text };
  const hop = hopFiles(config.config, locations);
  if (hop === undefined) return { ok: true, sources };
  const [hopCert, hopKey, hopCa] = await Promise.all([read("ingress hop certificate", hop.certFile), read("ingress hop key", hop.keyFile), read("ingress hop CA", hop.caFile)]);
  if (!hopCert.ok) return hopCert;
  if (!hopKey.ok) return hopKey;
  if (!hopCa.ok) return hopCa;
  return { ok: true, sources: { ...sources, hop: { certificatePem: hopCert.text, privateKeyPem: hopKey.text, caPem: hopCa.text } } };
}

/** A digest of the inputs: a reload whose inputs did not change is skipped. */
export function sourcesDigest(sources: Sources): string {
  const hop = sources.hop === undefined ? [] : [sources.hop.certificatePem, sources.hop.privateKeyPem, sources.hop.caPem];
  return sha256(sources.configYaml, sources.certificatePem, sources.privateKeyPem, sources.caBundlePem, ...hop);
}
