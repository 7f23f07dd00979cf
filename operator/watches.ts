// Every reason a reconcile runs, in one table (controller-runtime's For / Owns / Watches): each
// watched kind, how its watch is narrowed, what its cache keeps, and which FederationConfig keys a
// change of one of its objects queues. The controller builds one informer per row and namespace.
// Referenced Secrets and ConfigMaps are the one more reason: kube/referenced-objects.ts queues the
// namespace when an object some config references changes.
import { stableJson } from "../lib/kube/apply.ts";
import { withoutManagedFields } from "../lib/kube/informer.ts";
import type { KubeObject } from "../lib/kube/objects.ts";
import { CONFIG_LABEL, FIELD_MANAGER, MANAGED_BY_LABEL } from "./desired/names.ts";
import type { KindName } from "./kube/resources.ts";

/** The key of the reconcile that reports on peers no config takes. */
export const ORPHANS = "";

export interface Change {
  readonly namespace: string;
  readonly name: string;
  /** undefined: deleted. */
  readonly object: KubeObject | undefined;
  /** What the cache held before; undefined: new to the cache. */
  readonly previous: KubeObject | undefined;
}

export interface WatchRule {
  readonly kind: KindName;
  readonly labelSelector?: string;
  /** Trims objects before they are cached: only what reconcile reads is kept. */
  readonly transform?: (object: KubeObject) => KubeObject;
  /** Config names (in the change's namespace) whose reconcile the change queues; `configs` lists them all. */
  readonly keys: (change: Change, configs: () => readonly string[]) => readonly string[];
}

/** Kinds the operator creates; watched by label so changes (and deletions) of outputs are repaired. */
export const OWNED_KINDS: readonly KindName[] = ["Secret", "ConfigMap", "Service", "ServiceAccount", "Deployment", "Ingress", "NetworkPolicy", "Role", "RoleBinding"];

const generation = (object: KubeObject) => object.metadata["generation"];
const marks = (object: KubeObject) => stableJson([object.metadata.labels ?? {}, object.metadata.annotations ?? {}]);

/**
 * Only a new object, a deletion, a change of spec (a new generation) or of labels and annotations
 * (`kubectl annotate` asks for a reconcile) can change what an input means; our own status writes,
 * which change none of them, must not queue the reconcile that made them.
 */
export function specChanged(change: Change): boolean {
  const { object, previous } = change;
  return object === undefined || previous === undefined || generation(object) !== generation(previous) || marks(object) !== marks(previous);
}

/** Inputs keep no managedFields (more than half of a small object) and no kubectl copy of the whole object. */
export function trimInput(object: KubeObject): KubeObject {
  const trimmed = withoutManagedFields(object);
  const annotations = trimmed.metadata.annotations;
  if (annotations?.["kubectl.kubernetes.io/last-applied-configuration"] === undefined) return trimmed;
  const { "kubectl.kubernetes.io/last-applied-configuration": _dropped, ...rest } = annotations;
  return { ...trimmed, metadata: { ...trimmed.metadata, annotations: rest } };
}

/**
 * Peers sharing one CA (a public CA, a partner's several backends) would otherwise hold one copy of
 * its PEM each. Bounded: when full it starts over, which costs sharing, never correctness.
 */
const sharedText = new Map<string, string>();
const SHARED_TEXT_LIMIT = 10_000;

function intern(text: string): string {
  const known = sharedText.get(text);
  if (known !== undefined) return known;
  if (sharedText.size >= SHARED_TEXT_LIMIT) sharedText.clear();
  sharedText.set(text, text);
  return text;
}

export function trimPeer(object: KubeObject): KubeObject {
  const trimmed = trimInput(object);
  const spec = trimmed["spec"] as { caBundle?: { pem?: unknown } } | undefined;
  const pem = spec?.caBundle?.pem;
  if (typeof pem !== "string") return trimmed;
  return { ...trimmed, spec: { ...spec, caBundle: { ...spec?.caBundle, pem: intern(pem) } } };
}

const ownerOrAll = (change: Change, configs: () => readonly string[]): readonly string[] => {
  const owner = (change.object ?? change.previous)?.metadata.labels?.[CONFIG_LABEL];
  return owner !== undefined ? [owner] : [...configs(), ORPHANS];
};

export const WATCHES: readonly WatchRule[] = [
  // For: every config of the namespace (one's Service name may free or take another's, desired/service-name.ts),
  // and the orphan report (a new or deleted config changes which peers it takes).
  { kind: "FederationConfig", transform: trimInput, keys: (change, configs) => (specChanged(change) ? [...new Set([change.name, ...configs()]), ORPHANS] : []) },
  // Watches: a peer may belong to any config of its namespace (spec.federationConfig, or the only one).
  { kind: "FederationPeer", transform: trimPeer, keys: (change, configs) => (specChanged(change) ? [...configs(), ORPHANS] : []) },
  // Owns: the outputs, by the config label they carry. Their status (a Deployment's availability) counts too.
  ...OWNED_KINDS.map((kind): WatchRule => ({ kind, labelSelector: `${MANAGED_BY_LABEL}=${FIELD_MANAGER}`, keys: ownerOrAll })),
];
