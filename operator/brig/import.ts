// Adopting a running Wire backend: brig's remotes (GET /i/federation/remotes) and the deprecated
// helm values become FederationPeer manifests and a FederationConfig skeleton. Pure.
// The helm values, as wire-server reads them: brig.config.optSettings.setFederationStrategy and
// .setFederationDomainConfigs ({domain, search_policy}, restriction allow_all: services/brig/src/Brig/Options.hs,
// charts/wire-server/templates/brig/configmap.yaml), brig.config.optSettings.setFederationDomain, and
// federator.config.optSettings.federationStrategy ({allowAll: true} or {allowedDomains: [...]},
// docs/src/understand/configure-federation.md, "Configure the allow list").
import { API_VERSION, FederationConfig, FederationPeer, type Strategy } from "../../lib/api/v1alpha1.ts";
import { brigSearchPolicy, brigStrategy, fromBrigRestriction, STRATEGY_FROM_BRIG, type BrigRemote, type BrigRemotes } from "./brig-api.ts";

export interface HelmFederationValues {
  readonly backendDomain?: string;
  readonly strategy?: Strategy;
  readonly configFileRemotes: readonly BrigRemote[];
  /** The federator's old allow list, when it had one. */
  readonly allowedDomains: readonly string[];
  readonly federatorAllowAll: boolean;
}

export interface ImportInput {
  readonly namespace: string;
  readonly configName: string;
  /** brig's answer; undefined when only the values file is imported. */
  readonly brig?: BrigRemotes;
  readonly values?: HelmFederationValues;
  /** The URL the federator and the operator reach brig at, when not wire-server's http://brig:8080. */
  readonly brigService?: string;
}

export interface ImportResult {
  readonly config: object;
  readonly peers: readonly object[];
  /** What a person should know: conflicts between the sources, what to fill in. */
  readonly notes: readonly string[];
}

const record = (v: unknown): Record<string, unknown> => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/** The federation settings of a wire-server values file (any of them may be missing). */
export function readHelmValues(values: unknown): HelmFederationValues {
  const brigSettings = record(record(record(record(values)["brig"])["config"])["optSettings"]);
  const federatorStrategy = record(record(record(record(record(values)["federator"])["config"])["optSettings"])["federationStrategy"]);
  const strategy = brigStrategy.safeParse(brigSettings["setFederationStrategy"]);
  const entries = Array.isArray(brigSettings["setFederationDomainConfigs"]) ? (brigSettings["setFederationDomainConfigs"] as unknown[]) : [];
  const configFileRemotes = entries.flatMap((entry): BrigRemote[] => {
    const domain = record(entry)["domain"];
    const policy = brigSearchPolicy.safeParse(record(entry)["search_policy"]);
    return typeof domain === "string" && policy.success ? [{ domain: domain.toLowerCase(), search_policy: policy.data, restriction: { tag: "allow_all", value: null } }] : [];
  });
  const allowed = federatorStrategy["allowedDomains"];
  const domain = brigSettings["setFederationDomain"];
  return {
    ...(typeof domain === "string" ? { backendDomain: domain } : {}),
    ...(strategy.success ? { strategy: STRATEGY_FROM_BRIG[strategy.data] } : {}),
    configFileRemotes,
    allowedDomains: Array.isArray(allowed) ? allowed.filter((d): d is string => typeof d === "string").map((d) => d.toLowerCase()) : [],
    federatorAllowAll: federatorStrategy["allowAll"] === true,
  };
}

function peerManifest(namespace: string, configName: string, remote: BrigRemote): object {
  const manifest = {
    apiVersion: API_VERSION,
    kind: "FederationPeer",
    metadata: { name: remote.domain, namespace },
    spec: { domain: remote.domain, searchPolicy: remote.search_policy, restriction: fromBrigRestriction(remote.restriction), federationConfig: configName },
  };
  FederationPeer.parse(manifest); // a remote our API cannot describe stops the import here, naming it
  return manifest;
}

export function importManifests(input: ImportInput): ImportResult {
  const notes: string[] = [];
  const remotes = new Map<string, BrigRemote>();
  // brig's answer first: it is what brig enforces (its config file's entries included).
  for (const remote of input.brig?.remotes ?? []) remotes.set(remote.domain, remote);
  for (const remote of input.values?.configFileRemotes ?? []) {
    if (!remotes.has(remote.domain)) remotes.set(remote.domain, remote);
  }
  for (const domain of input.values?.allowedDomains ?? []) {
    if (remotes.has(domain)) continue;
    // Without an entry brig's search policy for a remote is no_search (configure-federation.md).
    remotes.set(domain, { domain, search_policy: "no_search", restriction: { tag: "allow_all", value: null } });
    notes.push(`${domain} is only on the federator's old allowedDomains: imported with search_policy no_search`);
  }
  const fromBrig = input.brig === undefined ? undefined : STRATEGY_FROM_BRIG[input.brig.strategy];
  const strategy: Strategy = fromBrig ?? input.values?.strategy ?? (input.values?.federatorAllowAll ? "AllowAll" : "AllowList");
  if (fromBrig !== undefined && input.values?.strategy !== undefined && input.values.strategy !== fromBrig) {
    notes.push(`brig answers strategy ${input.brig?.strategy} but the values file sets ${input.values.strategy}; the FederationConfig takes brig's`);
  }
  const backendDomain = input.values?.backendDomain ?? "example.com";
  if (input.values?.backendDomain === undefined) notes.push("set spec.backendDomain (brig.config.optSettings.setFederationDomain) and spec.infraDomain in the FederationConfig");
  if ((input.values?.configFileRemotes.length ?? 0) > 0) {
    notes.push("brig's config file lists remotes (setFederationDomainConfigs): brig refuses API changes to them until they are removed from it and brig restarts");
  }
  const config = {
    apiVersion: API_VERSION,
    kind: "FederationConfig",
    metadata: { name: input.configName, namespace: input.namespace },
    spec: {
      backendDomain,
      infraDomain: `federator.${backendDomain}`,
      strategy,
      // wire-server charts/federator/templates/secret.yaml: the federator's kubernetes.io/tls Secret.
      certificate: { secretRef: { name: "federator-secret" } },
      ...(input.brigService === undefined ? {} : { federator: { services: { brig: input.brigService } } }),
      brig: { sync: true },
    },
  };
  FederationConfig.parse(config);
  const peers = [...remotes.values()].sort((a, b) => a.domain.localeCompare(b.domain)).map((r) => peerManifest(input.namespace, input.configName, r));
  if (peers.length > 0) notes.push("add each FederationPeer's caBundle (the remote's CA) unless trust.extraCABundle or the system CA store covers it");
  return { config, peers, notes };
}
