// desired(config, peers, referenced data) → the objects that must exist and every status.
// Pure: same input, same output; the controller does all I/O around it.
import { API_VERSION, type FederationConfig, type FederationConfigStatus, type FederationPeer, type FederationPeerStatus } from "../../lib/api/v1alpha1.ts";
import { compactFingerprint, parseCertificateBundleCached, validityAt, type ParsedCertificate } from "../../lib/certs/pem.ts";
import { admissionCondition, type Refusal } from "./admission.ts";
import { budgetBundle, buildCABundle, BUNDLE_BUDGET, type BundleBudget, type CABundle, type LeftOut } from "./ca-bundle.ts";
import { mergeConditions, type ConditionInput } from "./conditions.ts";
import { federatorConfig, renderFederatorConfig } from "./federator-config.ts";
import { federationIngress } from "./ingress.ts";
import { CA_BUNDLE_KEY, FEDERATOR_CONFIG_KEY, managedLabels, outputNames } from "./names.ts";
import { federatorNetworkPolicy } from "./network-policy.ts";
import { objectKey, type KubeObject, type ObjectMeta } from "../../lib/kube/objects.ts";
import { byAge, evaluatePeers, secretUnusable, type PeerVerdict } from "./peers.ts";
import { lookup, type ReferencedData } from "./referenced.ts";
import { federatorDeployment, federatorIdentity, federatorServices } from "./workload.ts";

/** The own certificate as the certificate step found or made it. */
export interface OwnCertificate {
  readonly ready: ConditionInput;
  readonly notAfter?: Date;
  /** Secrets the certificate mode writes itself (selfSigned: the CA and the leaf), as string data. */
  readonly secrets: readonly { readonly name: string; readonly type: string; readonly data: Readonly<Record<string, string>> }[];
  /** CA certificate(s) to publish for remotes (selfSigned). */
  readonly publishedCA?: string;
  /** Other objects the certificate mode owns (certManager: the cert-manager Certificate); desired() adds owner and labels. */
  readonly objects?: readonly KubeObject[];
}

export interface FederatorRollout {
  readonly replicas: number;
  readonly availableReplicas: number;
}

export interface DesiredInput {
  readonly config: FederationConfig;
  readonly peers: readonly FederationPeer[];
  readonly referenced: ReferencedData;
  readonly certificate: OwnCertificate;
  /** Live status of the federator Deployment; undefined until it exists. */
  readonly rollout: FederatorRollout | undefined;
  readonly now: Date;
  readonly expiryWarningDays: number;
  /** Another FederationConfig of the namespace that holds spec.federator.serviceName (see service-name.ts). */
  readonly serviceNameHeldBy?: string | undefined;
  /** Limits of the CA bundle (ca-bundle.ts); tests make them small. */
  readonly bundleBudget?: BundleBudget;
  /** What admission.ts refused of the spec; `config` is already the admitted one. */
  readonly refusals?: readonly Refusal[];
  /** The GatewayClass spec.ingress.className names (provider GatewayAPI); undefined when absent. */
  readonly gatewayClass?: KubeObject | undefined;
}

export interface DesiredState {
  readonly objects: readonly KubeObject[];
  readonly configStatus: FederationConfigStatus;
  readonly peerStatuses: ReadonlyMap<string, FederationPeerStatus>;
  readonly verdicts: readonly PeerVerdict[];
  readonly caBundle: CABundle;
  /** Outputs (Kind/name) to leave as they are this time: neither written nor pruned. */
  readonly held: ReadonlySet<string>;
}

export const PUBLISHED_CA_SUFFIX = "-ca-public";

function metaFactory(config: FederationConfig) {
  const ownerReferences = [
    { apiVersion: API_VERSION, kind: "FederationConfig", name: config.metadata.name, uid: config.metadata.uid ?? "", controller: true, blockOwnerDeletion: true },
  ];
  return (name: string): ObjectMeta => ({
    name,
    namespace: config.metadata.namespace ?? "default",
    labels: managedLabels(config.metadata.name),
    ownerReferences,
  });
}

const base64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
const secret = (meta: ObjectMeta, type: string, data: Readonly<Record<string, string>>): KubeObject => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: meta,
  type,
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, base64(v)])),
});

type ExtraCAs = { readonly certificates: readonly ParsedCertificate[]; readonly problem?: string };

function extraCAs(config: FederationConfig, referenced: ReferencedData, now: Date): ExtraCAs {
  const extra = config.spec.trust.extraCABundle;
  if (extra === undefined) return { certificates: [] };
  const found = extra.secretRef ? lookup(referenced, "Secret", extra.secretRef) : extra.configMapRef ? lookup(referenced, "ConfigMap", extra.configMapRef) : undefined;
  if (found === undefined) return { certificates: [] };
  // As for peers (peers.ts secretUnusable): the status is no oracle for Secrets its readers cannot read.
  const secretProblem = extra.secretRef ? `trust.extraCABundle: ${secretUnusable(`Secret ${extra.secretRef.name} (key ${extra.secretRef.key})`).message}` : undefined;
  if (!found.ok) return { certificates: [], problem: secretProblem ?? `trust.extraCABundle: ${found.message}` };
  const parsed = parseCertificateBundleCached(found.value);
  if (!parsed.ok) return { certificates: [], problem: secretProblem ?? `trust.extraCABundle: ${parsed.problem.message}` };
  const valid = parsed.certificates.filter((c) => validityAt(c, now) === "Valid");
  return { certificates: valid };
}

/**
 * The federator is left as it is while its FederationConfig asks for an image the operator does
 * not allow, and a secretRef certificate is mounted (and granted to the federator) only once it
 * validated as a key pair for infraDomain: until then its editor could have any Secret of the
 * namespace mounted into the federator's pods.
 */
function heldFederator(input: DesiredInput, objects: readonly KubeObject[]): ReadonlySet<string> {
  const imageRefused = (input.refusals ?? []).some((r) => r.reason === "ImageNotAllowed");
  const unvalidated = input.config.spec.certificate.secretRef !== undefined && input.certificate.ready.status !== "True";
  const kinds = new Set([...(imageRefused || unvalidated ? ["Deployment"] : []), ...(unvalidated ? ["Role", "RoleBinding", "Ingress"] : [])]);
  return new Set(objects.filter((o) => kinds.has(o.kind)).map(objectKey));
}

const EXTRA = "trust.extraCABundle";

/** The verdicts with the peers that do not fit into the CA bundle left out (ca-bundle.ts budgetBundle). */
function withinBudget(config: FederationConfig, verdicts: readonly PeerVerdict[], extra: ExtraCAs, budget: BundleBudget) {
  if (config.spec.strategy === "AllowNone") return { verdicts, extra, leftOut: [] as readonly LeftOut[] };
  const accepted = verdicts.filter((v) => v.state === "Accepted");
  const candidates = [
    { name: EXTRA, certificates: extra.certificates, unlimited: true },
    ...[...accepted].sort((a, b) => byAge(a.peer, b.peer)).map((v) => ({ name: `FederationPeer ${v.peer.metadata.name}`, certificates: v.trusted })),
  ];
  const { leftOut } = budgetBundle(candidates, budget);
  const why = new Map(leftOut.map((l) => [l.name, l]));
  const extraLeftOut = why.get(EXTRA);
  return {
    leftOut,
    extra: extraLeftOut === undefined ? extra : { certificates: [], problem: `${EXTRA}: ${extraLeftOut.message}` },
    verdicts: verdicts.map((v): PeerVerdict => {
      const out = why.get(`FederationPeer ${v.peer.metadata.name}`);
      if (out === undefined) return v;
      return { ...v, state: "Rejected", trusted: [], accepted: { type: "Accepted", status: "False", reason: out.reason, message: `${v.peer.spec.domain} is left out of the CA bundle: ${out.message}` } };
    }),
  };
}

function bundleCondition(leftOut: readonly LeftOut[], bundle: CABundle): ConditionInput {
  if (leftOut.length === 0) return { type: "CABundleReady", status: "True", reason: "AllFit", message: `${bundle.count} CA certificate(s) in the bundle` };
  const names = leftOut.map((l) => `${l.name} (${l.reason})`);
  const shown = names.length > 5 ? `${names.slice(0, 5).join(", ")} and ${names.length - 5} more` : names.join(", ");
  return { type: "CABundleReady", status: "False", reason: "SourcesLeftOut", message: `left out of the CA bundle, see their status: ${shown}` };
}

function rolloutCondition(rollout: FederatorRollout | undefined, name: string): ConditionInput {
  if (rollout === undefined) return { type: "FederatorReady", status: "Unknown", reason: "Pending", message: `Deployment ${name} has no status yet` };
  if (rollout.replicas === 0) return { type: "FederatorReady", status: "True", reason: "ScaledToZero", message: `Deployment ${name} has 0 replicas` };
  if (rollout.availableReplicas >= 1) {
    return { type: "FederatorReady", status: "True", reason: "Available", message: `${rollout.availableReplicas}/${rollout.replicas} federator pods available` };
  }
  return { type: "FederatorReady", status: "False", reason: "Unavailable", message: `0/${rollout.replicas} federator pods available; see kubectl describe deployment ${name}` };
}

function serviceCondition(input: DesiredInput): ConditionInput {
  const { serviceName, ports } = input.config.spec.federator;
  if (input.serviceNameHeldBy !== undefined) {
    return {
      type: "ServiceReady",
      status: "False",
      reason: "ServiceNameConflict",
      message: `Service ${serviceName} belongs to FederationConfig ${input.serviceNameHeldBy} of this namespace; set spec.federator.serviceName to another name and point this backend's brig, galley and cargohold at it`,
    };
  }
  return { type: "ServiceReady", status: "True", reason: "Serving", message: `brig, galley and cargohold reach the federator at ${serviceName}:${ports.internal}` };
}

function configConditions(input: DesiredInput, extra: ExtraCAs, verdicts: readonly PeerVerdict[], ingress: ConditionInput): ConditionInput[] {
  const { config } = input;
  const names = outputNames(config.metadata.name);
  const parts = [admissionCondition(input.refusals ?? []), { ...input.certificate.ready, type: "CertificateReady" }, ingress, rolloutCondition(input.rollout, names.federator), serviceCondition(input)];
  const blocking = parts.find((c) => c.status !== "True");
  const accepted = verdicts.filter((v) => v.state === "Accepted").length;
  const ready: ConditionInput =
    extra.problem !== undefined
      ? { type: "Ready", status: "False", reason: "ExtraCABundleInvalid", message: `${extra.problem}; fix spec.trust.extraCABundle` }
      : blocking !== undefined
        ? { type: "Ready", status: "False", reason: blocking.reason, message: `${blocking.type}: ${blocking.message}` }
        : { type: "Ready", status: "True", reason: "Ready", message: `strategy ${config.spec.strategy}, ${accepted} peer(s) on the allow list` };
  return [ready, ...parts];
}

/** "3F:A2:09:C1" of "3F:A2:09:C1:…": enough to tell a peer's CAs apart when triaging. */
const shortFingerprint = (fingerprint: string) => fingerprint.split(":").slice(0, 4).join(":");

function peerStatus(verdict: PeerVerdict, now: Date): FederationPeerStatus {
  const { peer } = verdict;
  const conditions = mergeConditions(peer.status?.conditions, [verdict.accepted, verdict.caValid, verdict.expiringSoon], peer.metadata.generation, now);
  const earliest = [...verdict.caCertificates].sort((a, b) => a.notAfter.getTime() - b.notAfter.getTime())[0];
  return {
    conditions,
    ...(peer.metadata.generation === undefined ? {} : { observedGeneration: peer.metadata.generation }),
    caCertificates: verdict.caCertificates.map((c) => ({ subject: c.subject, sha256Fingerprint: c.sha256Fingerprint, notAfter: c.notAfter.toISOString() })),
    ...(earliest === undefined ? {} : { caNotAfter: earliest.notAfter.toISOString() }),
    ...(verdict.caCertificates.length === 0 ? {} : { caFingerprint: verdict.caCertificates.map((c) => shortFingerprint(c.sha256Fingerprint)).join(",") }),
    message: verdict.accepted.message,
  };
}

export function desired(input: DesiredInput): DesiredState {
  const { config, now } = input;
  const names = outputNames(config.metadata.name);
  const meta = metaFactory(config);
  const evaluated = evaluatePeers(input.peers, { backendDomain: config.spec.backendDomain, referenced: input.referenced, now, expiryWarningDays: input.expiryWarningDays });
  const budgeted = withinBudget(config, evaluated, extraCAs(config, input.referenced, now), input.bundleBudget ?? BUNDLE_BUDGET);
  const { verdicts, extra } = budgeted;
  const accepted = verdicts.filter((v) => v.state === "Accepted");
  const caBundle = buildCABundle(config.spec.strategy === "AllowNone" ? [] : [...accepted.flatMap((v) => v.trusted), ...extra.certificates]);
  const hopCAPem = input.certificate.secrets.find((s) => s.name === names.hopCA)?.data["tls.crt"] ?? "";
  const ingress = federationIngress(config, meta, { gatewayClass: input.gatewayClass, caBundlePem: caBundle.pem, hopCAPem });
  const federatorYaml = renderFederatorConfig(federatorConfig(config, accepted.map((v) => ({ peer: v.peer, caFingerprints: v.trusted.map((c) => compactFingerprint(c.x509)) })), extra.certificates.map((c) => compactFingerprint(c.x509))));

  const objects: KubeObject[] = [
    secret(meta(names.caBundle), "Opaque", { [CA_BUNDLE_KEY]: caBundle.pem }),
    { apiVersion: "v1", kind: "ConfigMap", metadata: meta(names.federator), data: { [FEDERATOR_CONFIG_KEY]: federatorYaml } },
    ...input.certificate.secrets.map((s) => secret(meta(s.name), s.type, s.data)),
    ...(input.certificate.objects ?? []).map((o) => ({ ...o, metadata: meta(o.metadata.name) })),
    ...(input.certificate.publishedCA === undefined
      ? []
      : [{ apiVersion: "v1", kind: "ConfigMap", metadata: meta(`${config.metadata.name}${PUBLISHED_CA_SUFFIX}`), data: { [CA_BUNDLE_KEY]: input.certificate.publishedCA } }]),
    ...federatorIdentity(config, meta),
    federatorDeployment(config, meta),
    ...federatorServices(config, meta, input.serviceNameHeldBy === undefined),
    // The Ingress routes to the Service by name: without ours it would reach another config's federator.
    ...(input.serviceNameHeldBy === undefined ? ingress.objects : []),
    federatorNetworkPolicy(config, meta),
  ];

  const configStatus: FederationConfigStatus = {
    conditions: mergeConditions(config.status?.conditions, [...configConditions(input, extra, verdicts, ingress.condition), bundleCondition(budgeted.leftOut, caBundle)], config.metadata.generation, now),
    ...(config.metadata.generation === undefined ? {} : { observedGeneration: config.metadata.generation }),
    peers: {
      accepted: accepted.length,
      rejected: verdicts.filter((v) => v.state === "Rejected").length,
      suspended: verdicts.filter((v) => v.state === "Suspended").length,
    },
    caBundleHash: caBundle.sha256,
    ...(input.certificate.notAfter === undefined ? {} : { certificateNotAfter: input.certificate.notAfter.toISOString() }),
  };
  const peerStatuses = new Map(verdicts.map((v) => [v.peer.metadata.name, peerStatus(v, now)]));
  return { objects, configStatus, peerStatuses, verdicts, caBundle, held: heldFederator(input, objects) };
}
