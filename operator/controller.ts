// informers → work queue → reconcile(config key) → desired objects → server-side apply → status.
// reconcile reads only the informer caches, is safe to run any time, any number of times, and
// writes nothing when nothing changed.
import { FederationConfig, FederationPeer, type FederationConfigStatus, type FederationPeerStatus } from "../lib/api/v1alpha1.ts";
import { describeProblems, parseWith } from "../lib/api/validation.ts";
import type { Logger } from "../lib/log.ts";
import { assignPeer } from "./assignment.ts";
import type { CertManagerView } from "./certificates/cert-manager.ts";
import { CertManagerWatch } from "./certificates/cert-manager-watch.ts";
import type { CertificateManager } from "./certificates/own-certificate.ts";
import { mergeConditions, transitions, type ConditionInput } from "./desired/conditions.ts";
import { desired, type DesiredState, type FederatorRollout } from "./desired/desired.ts";
import { CONFIG_LABEL, FIELD_MANAGER, MANAGED_BY_LABEL } from "./desired/names.ts";
import { objectKey, type KubeObject } from "./desired/objects.ts";
import { serviceNameHolder, type ServiceClaim } from "./desired/service-name.ts";
import { ownCertificateSecretName } from "./desired/workload.ts";
import type { ReferencedData } from "./desired/referenced.ts";
import { applyObject, applyStatus, deleteObject } from "./kube/apply.ts";
import { createEventRecorder, type EventRecorder } from "./kube/events.ts";
import { Informer } from "./kube/informer.ts";
import { decodedSecretData } from "./kube/secret-data.ts";
import { referenceKey, ReferencedWatch, type ReferencedKind } from "./kube/referenced-watch.ts";
import { RESOURCES, type KindName } from "./kube/resources.ts";
import { KubeApiError, type RestClient } from "./kube/rest.ts";
import type { OperatorMetrics } from "./metrics.ts";
import { WorkQueue, type QueueOptions, type ReconcileResult } from "./queue.ts";

/** Kinds the operator creates; watched by label so changes (and deletions) of outputs are repaired. */
/** A FederationConfig's claim on its Service name, read from the (possibly unparsed) object and the live Services. */
function serviceClaim(object: KubeObject | FederationConfig, set: NamespaceInformers): ServiceClaim {
  const spec = (object as { spec?: { federator?: { serviceName?: unknown } } }).spec;
  const wanted = spec?.federator?.serviceName;
  const serviceName = typeof wanted === "string" ? wanted : "federator";
  const live = set.owned.get("Service")?.get(serviceName);
  return {
    config: object.metadata.name,
    serviceName,
    createdAt: typeof object.metadata.creationTimestamp === "string" ? object.metadata.creationTimestamp : undefined,
    holdsService: live?.metadata.ownerReferences?.some((o) => o.kind === "FederationConfig" && o.name === object.metadata.name) ?? false,
  };
}

export const OWNED_KINDS: readonly KindName[] = ["Secret", "ConfigMap", "Service", "ServiceAccount", "Deployment", "Ingress", "NetworkPolicy", "Role", "RoleBinding"];

export interface ControllerOptions {
  readonly client: RestClient;
  readonly namespaces: readonly string[];
  readonly log: Logger;
  readonly metrics: OperatorMetrics;
  readonly certificates: CertificateManager;
  readonly expiryWarningDays?: number;
  readonly queue?: Partial<QueueOptions>;
  /** Periodic full resync of every config (level-triggered safety net). */
  readonly resyncMs?: number;
  readonly now?: () => Date;
}

interface NamespaceInformers {
  readonly configs: Informer;
  readonly peers: Informer;
  readonly owned: ReadonlyMap<KindName, Informer>;
}

const ORPHANS = ""; // the config name of the key that reports on peers no config takes
/** Concurrent status writes per reconcile. */
const STATUS_WRITERS = 8;

export class Controller {
  readonly #o: ControllerOptions;
  readonly #queue: WorkQueue;
  readonly #namespaces = new Map<string, NamespaceInformers>();
  readonly #referenced: ReferencedWatch;
  readonly #certManager: CertManagerWatch;
  readonly #events: EventRecorder;
  #resync: NodeJS.Timeout | undefined;

  constructor(options: ControllerOptions) {
    this.#o = options;
    this.#events = createEventRecorder(options.client, FIELD_MANAGER, options.log);
    this.#referenced = new ReferencedWatch(options.client, options.log, (namespace) => this.#enqueueNamespace(namespace));
    this.#certManager = new CertManagerWatch(options.client, options.log, `${MANAGED_BY_LABEL}=${FIELD_MANAGER}`, (namespace, object) => {
      const config = object?.metadata.labels?.[CONFIG_LABEL];
      if (config !== undefined) this.#queue.add(`${namespace}/${config}`);
      else this.#enqueueNamespace(namespace);
    });
    this.#queue = new WorkQueue((key) => this.#reconcileKey(key), options.queue, {
      onDepth: (depth) => options.metrics.queueDepth.set(depth),
      onResult: (key, outcome, ms, error) => {
        options.metrics.reconciles.inc({ result: outcome });
        options.metrics.reconcileSeconds.observe(ms / 1000);
        if (outcome === "error") options.log.warn({ config: key, err: error }, "reconcile failed; retrying with backoff");
      },
    });
  }

  /** Starts the informers, waits until their caches are filled, and queues every config. */
  async start(): Promise<void> {
    const label = `${MANAGED_BY_LABEL}=${FIELD_MANAGER}`;
    for (const namespace of this.#o.namespaces) {
      const informer = (kind: KindName, onChange: (name: string, object: KubeObject | undefined) => void, labelSelector?: string) =>
        new Informer(this.#o.client, { resource: RESOURCES[kind], namespace, onChange, log: this.#o.log, ...(labelSelector ? { labelSelector } : {}) });
      const owned = new Map(
        OWNED_KINDS.map((kind) => [
          kind,
          informer(kind, (_name, object) => {
            const config = object?.metadata.labels?.[CONFIG_LABEL];
            if (config !== undefined) this.#queue.add(`${namespace}/${config}`);
            else this.#enqueueNamespace(namespace);
          }, label),
        ]),
      );
      const set: NamespaceInformers = {
        // Every config of the namespace: one's Service name may free or take another's (service-name.ts).
        configs: informer("FederationConfig", () => this.#enqueueNamespace(namespace)),
        peers: informer("FederationPeer", () => this.#enqueueNamespace(namespace)),
        owned,
      };
      this.#namespaces.set(namespace, set);
    }
    const all = [...this.#namespaces.values()].flatMap((s) => [s.configs, s.peers, ...s.owned.values()]);
    for (const informer of all) informer.start();
    await Promise.all(all.map((i) => i.waitForSync()));
    for (const namespace of this.#namespaces.keys()) this.#enqueueNamespace(namespace);
    const resyncMs = this.#o.resyncMs ?? 10 * 60_000;
    this.#resync = setInterval(() => this.resyncAll(), resyncMs);
    this.#o.log.info({ namespaces: this.#o.namespaces }, "controller started");
  }

  /** Queues every config of every namespace (a no-op resync writes nothing). */
  resyncAll(): void {
    for (const namespace of this.#namespaces.keys()) this.#enqueueNamespace(namespace);
  }

  idle(): Promise<void> {
    return this.#queue.idle();
  }

  /** Stops watching and starting reconciles, and waits for the running ones to finish. */
  async stop(): Promise<void> {
    clearInterval(this.#resync);
    this.#queue.stop();
    await this.#queue.drain();
    this.#referenced.stop();
    this.#certManager.stop();
    for (const set of this.#namespaces.values()) for (const i of [set.configs, set.peers, ...set.owned.values()]) i.stop();
  }

  #enqueueNamespace(namespace: string): void {
    const set = this.#namespaces.get(namespace);
    if (set === undefined) return;
    for (const config of set.configs.list()) this.#queue.add(`${namespace}/${config.metadata.name}`);
    this.#queue.add(`${namespace}/${ORPHANS}`);
  }

  async #reconcileKey(key: string): Promise<ReconcileResult> {
    const [namespace = "", name = ""] = key.split("/");
    const set = this.#namespaces.get(namespace);
    if (set === undefined) return {};
    // The config informer's first list queues keys before the other caches are filled; deciding on
    // a half-empty cache would, e.g., mint a new selfSigned CA although its Secret exists.
    await Promise.all([set.configs, set.peers, ...set.owned.values()].map((i) => i.waitForSync()));
    if (name === ORPHANS) return this.#reconcileOrphans(set);
    const live = set.configs.get(name);
    if (live === undefined) return {}; // deleted: the garbage collector removes its outputs
    return this.#reconcileConfig(set, live, () => this.#queue.superseded(key));
  }

  #now(): Date {
    return this.#o.now?.() ?? new Date();
  }

  /** Peers that no config takes: tell their owners why. */
  async #reconcileOrphans(set: NamespaceInformers): Promise<ReconcileResult> {
    const configs = set.configs.list().map((c) => c.metadata.name);
    for (const peer of set.peers.list()) {
      const spec = (peer["spec"] ?? {}) as { federationConfig?: string };
      const assignment = assignPeer({ name: peer.metadata.name, federationConfig: spec.federationConfig }, configs);
      if (assignment.config !== undefined) continue;
      await this.#writePeerStatus(peer, { conditions: this.#conditions(peer, [assignment.reason]), message: assignment.reason.message });
    }
    return {};
  }

  #conditions(object: KubeObject, next: readonly ConditionInput[]) {
    const previous = (object["status"] as { conditions?: FederationPeerStatus["conditions"] } | undefined)?.conditions;
    return mergeConditions(previous, next, object.metadata["generation"] as number | undefined, this.#now());
  }

  /** `superseded()` tells that another reconcile of this key is already queued (a burst is under way). */
  async #reconcileConfig(set: NamespaceInformers, live: KubeObject, superseded: () => boolean): Promise<ReconcileResult> {
    const parsed = parseWith(FederationConfig, live);
    if (!parsed.ok) {
      const message = `${describeProblems(parsed.problems)}; fix the FederationConfig`;
      await this.#writeConfigStatus(live, { conditions: this.#conditions(live, [{ type: "Ready", status: "False", reason: "InvalidSpec", message }]) });
      return {};
    }
    const config = parsed.value;
    const namespace = config.metadata.namespace ?? "default";
    const configNames = set.configs.list().map((c) => c.metadata.name);
    const peers: FederationPeer[] = [];
    for (const object of set.peers.list()) {
      const spec = (object["spec"] ?? {}) as { federationConfig?: string };
      if (assignPeer({ name: object.metadata.name, federationConfig: spec.federationConfig }, configNames).config !== config.metadata.name) continue;
      const peer = parseWith(FederationPeer, object);
      if (peer.ok) peers.push(peer.value);
      else {
        const message = `${describeProblems(peer.problems)}; fix the FederationPeer`;
        await this.#writePeerStatus(object, { conditions: this.#conditions(object, [{ type: "Accepted", status: "False", reason: "InvalidSpec", message }]), message });
      }
    }

    const referenced = await this.#gatherReferenced(namespace, config, peers);
    const owned = (kind: KindName, name: string) => set.owned.get(kind)?.get(name);
    const now = this.#now();
    const certificate = await this.#o.certificates.ensure({
      config,
      owned: (name) => owned("Secret", name),
      referenced: (kind, name) => this.#referenced.get(kind, namespace, name),
      now,
      ...(config.spec.certificate.certManager ? { certManager: await this.#certManagerView(namespace) } : {}),
    });
    const deployment = owned("Deployment", `${config.metadata.name}-federator`);
    const state = desired({
      config,
      peers,
      referenced,
      certificate,
      rollout: rolloutOf(deployment),
      now,
      expiryWarningDays: this.#o.expiryWarningDays ?? 30,
      serviceNameHeldBy: serviceNameHolder(serviceClaim(config, set), set.configs.list().map((c) => serviceClaim(c, set))),
    });

    const ingressProblem = await this.#applyAll(set, config, state);
    await this.#pruneOutputs(set, config, state);
    // During a burst the outputs matter first; statuses are written by the reconcile that sees it end.
    if (superseded()) return {};
    await this.#writeStatuses(set, live, config, state, ingressProblem);
    this.#recordPeerMetrics(namespace, config.metadata.name, state);
    return { requeueAfterMs: Math.min(certificate.requeueAfterMs ?? Infinity, 60 * 60_000) };
  }

  /** Certificates are watched only where a config asks for cert-manager, and only if it is installed. */
  async #certManagerView(namespace: string): Promise<CertManagerView> {
    const installed = await this.#certManager.installed();
    if (installed) await this.#certManager.track(namespace);
    return { installed, certificate: (name) => this.#certManager.get(namespace, name) };
  }

  #live(set: NamespaceInformers, namespace: string, kind: string, name: string): KubeObject | undefined {
    if (kind === "Certificate") return this.#certManager.get(namespace, name);
    return set.owned.get(kind as KindName)?.get(name);
  }

  async #gatherReferenced(namespace: string, config: FederationConfig, peers: readonly FederationPeer[]): Promise<ReferencedData> {
    const refs: [ReferencedKind, string][] = [];
    for (const peer of peers) {
      if (peer.spec.caBundle?.secretRef) refs.push(["Secret", peer.spec.caBundle.secretRef.name]);
      if (peer.spec.caBundle?.configMapRef) refs.push(["ConfigMap", peer.spec.caBundle.configMapRef.name]);
    }
    const extra = config.spec.trust.extraCABundle;
    if (extra?.secretRef) refs.push(["Secret", extra.secretRef.name]);
    if (extra?.configMapRef) refs.push(["ConfigMap", extra.configMapRef.name]);
    for (const ref of this.#o.certificates.references(config)) refs.push(ref);
    // Several configs in one namespace share the tracker: keep what any of them references.
    const wanted = new Set(refs.map(([kind, name]) => referenceKey(kind, namespace, name)));
    for (const other of this.#namespaces.get(namespace)?.configs.list() ?? []) {
      if (other.metadata.name === config.metadata.name) continue;
      for (const key of this.#lastReferences.get(`${namespace}/${other.metadata.name}`) ?? []) wanted.add(key);
    }
    this.#lastReferences.set(`${namespace}/${config.metadata.name}`, new Set(refs.map(([kind, name]) => referenceKey(kind, namespace, name))));
    await this.#referenced.track(namespace, wanted);
    const secrets = new Map<string, Record<string, string>>();
    const configMaps = new Map<string, Record<string, string>>();
    for (const [kind, name] of refs) {
      const object = this.#referenced.get(kind, namespace, name);
      if (object === undefined) continue;
      if (kind === "Secret") secrets.set(name, decodedSecretData(object) ?? {});
      else configMaps.set(name, (object["data"] ?? {}) as Record<string, string>);
    }
    return { secrets, configMaps };
  }

  readonly #lastReferences = new Map<string, Set<string>>();

  /** Applies every desired object; returns the Ingress apply failure, if any, for the status. */
  async #applyAll(set: NamespaceInformers, config: FederationConfig, state: DesiredState): Promise<string | undefined> {
    let ingressProblem: string | undefined;
    const results = await Promise.allSettled(
      state.objects.map(async (object) => {
        const outcome = await applyObject(this.#o.client, object, this.#live(set, object.metadata.namespace ?? "", object.kind, object.metadata.name));
        if (outcome === "applied") {
          this.#o.metrics.writes.inc({ kind: object.kind, operation: "apply" });
          this.#o.log.info({ config: config.metadata.name, object: objectKey(object) }, "applied");
        }
      }),
    );
    for (const [index, result] of results.entries()) {
      if (result.status === "fulfilled") continue;
      const object = state.objects[index]!;
      const message = result.reason instanceof Error ? result.reason.message : String(result.reason);
      if (object.kind === "Ingress" && result.reason instanceof KubeApiError && result.reason.status < 500) {
        ingressProblem = /snippet/i.test(message)
          ? `the ingress controller refuses the configuration-snippet annotation that passes the client certificate (X-SSL-Certificate); allow snippet annotations in ingress-nginx (allow-snippet-annotations: "true", annotations-risk-level: Critical) or use spec.ingress.mode: Passthrough. API server said: ${message}`
          : `Ingress could not be applied: ${message}`;
        continue;
      }
      throw new Error(`applying ${objectKey(object)} failed: ${message}`);
    }
    return ingressProblem;
  }

  async #pruneOutputs(set: NamespaceInformers, fc: FederationConfig, state: DesiredState): Promise<void> {
    const config = fc.metadata.name;
    const wanted = new Set(state.objects.map(objectKey));
    // cert-manager takes over the certificate Secret a selfSigned config leaves behind: deleting it
    // would take TLS away from the Ingress until cert-manager has issued again.
    if (fc.spec.certificate.certManager !== undefined) wanted.add(`Secret/${ownCertificateSecretName(fc)}`);
    const namespace = state.objects[0]?.metadata.namespace ?? "";
    // A config that left certManager mode must not leave cert-manager writing its Secret.
    const certificates: [KindName, { list(): KubeObject[] }] = ["Certificate", { list: () => this.#certManager.list(namespace) }];
    for (const [kind, informer] of [...set.owned, certificates]) {
      for (const object of informer.list()) {
        if (object.metadata.labels?.[CONFIG_LABEL] !== config || wanted.has(objectKey({ kind, metadata: object.metadata }))) continue;
        await deleteObject(this.#o.client, { kind, metadata: object.metadata });
        this.#o.metrics.writes.inc({ kind, operation: "delete" });
        this.#o.log.info({ config, object: `${kind}/${object.metadata.name}` }, "deleted output no longer wanted");
      }
    }
  }

  async #writeStatuses(set: NamespaceInformers, live: KubeObject, config: FederationConfig, state: DesiredState, ingressProblem: string | undefined): Promise<void> {
    // Peers' statuses are independent: write them a few at a time, not one round trip after another.
    const pending = state.verdicts.flatMap((verdict) => {
      const object = set.peers.get(verdict.peer.metadata.name);
      const status = state.peerStatuses.get(verdict.peer.metadata.name);
      return object === undefined || status === undefined ? [] : [{ object, status }];
    });
    const failures: unknown[] = [];
    const worker = async () => {
      for (let next = pending.shift(); next !== undefined; next = pending.shift()) {
        await this.#writePeerStatus(next.object, next.status).catch((error: unknown) => failures.push(error));
      }
    };
    await Promise.all(Array.from({ length: STATUS_WRITERS }, worker));
    if (failures.length > 0) throw failures[0];
    let status: FederationConfigStatus = state.configStatus;
    if (ingressProblem !== undefined) {
      const reason = /snippet/i.test(ingressProblem) ? "SnippetAnnotationsDisabled" : "IngressRejected";
      const conditions = (status.conditions ?? []).map((c) =>
        c.type === "IngressReady" || c.type === "Ready" ? { ...c, status: "False" as const, reason, message: ingressProblem } : c,
      );
      status = { ...status, conditions: mergeConditions(config.status?.conditions, conditions, config.metadata.generation, this.#now()) };
    }
    await this.#writeConfigStatus(live, status);
  }

  async #writePeerStatus(object: KubeObject, status: FederationPeerStatus): Promise<void> {
    await this.#writeStatus(object, status, status.conditions ?? []);
  }

  async #writeConfigStatus(object: KubeObject, status: FederationConfigStatus): Promise<void> {
    await this.#writeStatus(object, status, status.conditions ?? []);
  }

  async #writeStatus(object: KubeObject, status: object, conditions: NonNullable<FederationPeerStatus["conditions"]>): Promise<void> {
    const previous = (object["status"] as { conditions?: FederationPeerStatus["conditions"] } | undefined)?.conditions;
    if ((await applyStatus(this.#o.client, object, status)) === "unchanged") return;
    this.#o.metrics.writes.inc({ kind: object.kind, operation: "status" });
    for (const change of transitions(previous, conditions)) {
      const warning = change.status === "False" && change.type !== "ExpiringSoon";
      const noteworthy = warning || (change.type === "ExpiringSoon" && change.status === "True") || change.type === "Accepted" || change.type === "Ready";
      if (!noteworthy) continue;
      const type = warning || change.type === "ExpiringSoon" ? "Warning" : "Normal";
      await this.#events.record(object, type, change.reason, `${change.type}=${change.status}: ${change.message}`);
      this.#o.log.info({ kind: object.kind, name: object.metadata.name, condition: change.type, status: change.status, reason: change.reason }, change.message);
    }
  }

  #recordPeerMetrics(namespace: string, config: string, state: DesiredState): void {
    for (const peerState of ["Accepted", "Suspended", "Rejected"] as const) {
      this.#o.metrics.peers.set({ namespace, config, state: peerState }, state.verdicts.filter((v) => v.state === peerState).length);
    }
  }
}

function rolloutOf(deployment: KubeObject | undefined): FederatorRollout | undefined {
  if (deployment === undefined) return undefined;
  const spec = deployment["spec"] as { replicas?: number } | undefined;
  const status = deployment["status"] as { availableReplicas?: number } | undefined;
  return { replicas: spec?.replicas ?? 1, availableReplicas: status?.availableReplicas ?? 0 };
}
