// federator.yaml (DESIGN §5.4) for one FederationConfig and its accepted peers.
import { Document, isMap, isSeq } from "yaml";
import { FederatorConfig, FederatorRemote, type FederatorConfigInput } from "../../lib/api/federator-config.ts";
import { stableJson } from "../kube/apply.ts";
import type { FederationConfig, FederationPeer } from "../../lib/api/v1alpha1.ts";

/** Where the federator's volumes are mounted; the config file names them. */
export const MOUNTS = {
  config: "/etc/federator/config",
  tls: "/etc/federator/tls",
  ca: "/etc/federator/ca",
} as const;

/** An accepted peer and the fingerprints of its own CAs (empty: trusted through shared roots only). */
export interface AcceptedPeer {
  readonly peer: FederationPeer;
  readonly caFingerprints: readonly string[];
}

export function federatorConfig(config: FederationConfig, accepted: readonly AcceptedPeer[]): FederatorConfig {
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
    services: spec.federator.services,
    dns: { server: spec.federator.dns.server ?? null },
    listen: {
      internal: `0.0.0.0:${spec.federator.ports.internal}`,
      external: `0.0.0.0:${spec.federator.ports.external}`,
      externalTLS: spec.ingress.mode === "Passthrough",
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

/**
 * The file the federator reads. Each remote is one flow-style line without the fields that equal
 * the schema's defaults: a ConfigMap holds at most 1 MiB, and this keeps 10k peers under it.
 */
export function renderFederatorConfig(value: FederatorConfig): string {
  const remotes = value.remotes.map((remote) => {
    const defaults = FederatorRemote.parse({ domain: remote.domain });
    return Object.fromEntries(Object.entries(remote).filter(([key, v]) => key === "domain" || stableJson(v) !== stableJson(defaults[key as keyof typeof defaults])));
  });
  const document = new Document({ ...value, remotes });
  const list = document.get("remotes", true);
  if (isSeq(list)) for (const item of list.items) if (isMap(item)) item.flow = true;
  return "# Written by the wire-federation operator from a FederationConfig and its FederationPeers.\n" + document.toString({ lineWidth: 0, flowCollectionPadding: false });
}
