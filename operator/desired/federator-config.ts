// federator.yaml (DESIGN §5.4) for one FederationConfig and its accepted peers.
import { FederatorConfig, FederatorRemote, type FederatorConfigInput } from "../../lib/api/federator-config.ts";
import { stableJson } from "../../lib/kube/apply.ts";
import { ingressProvider, type FederationConfig, type FederationPeer } from "../../lib/api/v1alpha1.ts";
import { federatorCertificateHeader } from "./ingress.ts";

/** Where the federator's volumes are mounted; the config file names them. */
export const MOUNTS = {
  config: "/etc/federator/config",
  tls: "/etc/federator/tls",
  ca: "/etc/federator/ca",
  hop: "/etc/federator/hop",
} as const;

/** An accepted peer and the fingerprints of its own CAs (empty: trusted through shared roots only). */
export interface AcceptedPeer {
  readonly peer: FederationPeer;
  readonly caFingerprints: readonly string[];
}

/** `extraCAFingerprints`: trust.extraCABundle's CAs, the bundle's CAs of no peer. */
export function federatorConfig(config: FederationConfig, accepted: readonly AcceptedPeer[], extraCAFingerprints: readonly string[] = []): FederatorConfig {
  const { spec } = config;
  const caFingerprints = [...new Set(accepted.flatMap((a) => a.caFingerprints))].sort();
  const indexOf = new Map(caFingerprints.map((fingerprint, index) => [fingerprint, index]));
  const input: FederatorConfigInput = {
    backendDomain: spec.backendDomain,
    infraDomain: spec.infraDomain,
    strategy: spec.strategy,
    remotes: [...accepted]
      .sort((a, b) => a.peer.spec.domain.localeCompare(b.peer.spec.domain))
      .map(({ peer, caFingerprints }) => ({
        domain: peer.spec.domain,
        infraDomain: peer.spec.infraDomain ?? null,
        searchPolicy: peer.spec.searchPolicy,
        restriction: peer.spec.restriction,
        cas: caFingerprints.map((fingerprint) => indexOf.get(fingerprint) ?? -1).sort((a, b) => a - b),
      })),
    caFingerprints,
    extraCAFingerprints: [...new Set(extraCAFingerprints)].filter((fingerprint) => !indexOf.has(fingerprint)).sort(),
    services: spec.federator.services,
    dns: { server: spec.federator.dns.server ?? null, allowPrivateTargets: spec.federator.dns.allowPrivateTargets },
    listen: {
      internal: `0.0.0.0:${spec.federator.ports.internal}`,
      external: `0.0.0.0:${spec.federator.ports.external}`,
      externalTLS: ingressProvider(spec.ingress) === "Passthrough",
      // Behind a controller, only the controller's certificate may set the certificate header.
      ingressHop: ingressProvider(spec.ingress) === "Passthrough" ? null : { certFile: `${MOUNTS.hop}/tls.crt`, keyFile: `${MOUNTS.hop}/tls.key`, caFile: `${MOUNTS.hop}/ca.crt` },
      clientCertificateHeader: federatorCertificateHeader(config),
    },
    tls: {
      certFile: `${MOUNTS.tls}/tls.crt`,
      keyFile: `${MOUNTS.tls}/tls.key`,
      caBundleFile: `${MOUNTS.ca}/ca.crt`,
      useSystemCAStore: spec.trust.useSystemCAStore,
    },
    limits: {
      connectTimeoutSeconds: spec.federator.timeouts.connectSeconds,
      requestTimeoutSeconds: spec.federator.timeouts.requestSeconds,
      maxBodyBytes: spec.federator.maxBodyBytes,
    },
  };
  // Parsed with the federator's own schema: the operator never writes a file the federator would refuse.
  return FederatorConfig.parse(input);
}

const REMOTE_DEFAULTS = FederatorRemote.parse({ domain: "default.invalid" });

/** A YAML flow value: JSON's strings and numbers (valid YAML), keys bare (they are identifiers). */
function flow(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(flow).join(", ")}]`;
  if (value !== null && typeof value === "object") return `{${Object.entries(value).map(([k, v]) => `${k}: ${flow(v)}`).join(", ")}}`;
  return JSON.stringify(value);
}

/** Block style for mappings, so the file reads like the one in the README; lists of scalars inline. */
function block(value: Readonly<Record<string, unknown>>, indent: string): string {
  return Object.entries(value)
    .map(([key, v]) => {
      if (v !== null && typeof v === "object" && !Array.isArray(v)) return `${indent}${key}:\n${block(v as Record<string, unknown>, `${indent}  `)}`;
      return `${indent}${key}: ${flow(v)}\n`;
    })
    .join("");
}

function compactRemote(remote: FederatorRemote): Record<string, unknown> {
  const compact: Record<string, unknown> = { domain: remote.domain };
  for (const [key, v] of Object.entries(remote)) {
    if (key !== "domain" && stableJson(v) !== stableJson(REMOTE_DEFAULTS[key as keyof FederatorRemote])) compact[key] = v;
  }
  return compact;
}

/**
 * The file the federator reads. Each remote is one flow-style line without the fields that equal
 * the schema's defaults: a ConfigMap holds at most 1 MiB, and this keeps 10k peers under it.
 * Written directly rather than through the yaml package's Document model, which was a sixth of a
 * 10k-peer reconcile's CPU.
 */
export function renderFederatorConfig(value: FederatorConfig): string {
  const lines = Object.entries(value).map(([key, v]) => {
    if (key !== "remotes") return block({ [key]: v }, "");
    return value.remotes.length === 0 ? "remotes: []\n" : `remotes:\n${value.remotes.map((r) => `  - ${flow(compactRemote(r))}\n`).join("")}`;
  });
  return `# Written by the wire-federation operator from a FederationConfig and its FederationPeers.\n${lines.join("")}`;
}
