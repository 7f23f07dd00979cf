// informers → work queue → reconcile(config key) → desired objects → server-side apply → status.
// reconcile reads only the informer caches, is safe to run any time, any number of times, and
// writes nothing when nothing changed.
import { FederationConfig, FederationPeer, ingressProvider, type FederationConfigStatus, type FederationPeerStatus } from "../lib/api/v1alpha1.ts";
import { describeProblems, parseWith } from "../lib/api/validation.ts";
import { createApplier, type Applier } from "../lib/kube/apply.ts";
import { createEventRecorder, type EventRecorder } from "../lib/kube/events.ts";
import { Informer } from "../lib/kube/informer.ts";
import { getObject } from "../lib/kube/get-object.ts";
import { objectKey, type KubeObject } from "../lib/kube/objects.ts";
import { WorkQueue, type QueueOptions, type ReconcileResult } from "../lib/kube/queue.ts";
import { KubeApiError, type RestClient } from "../lib/kube/rest.ts";
import { decodedSecretData } from "../lib/kube/secret-data.ts";
import type { Logger } from "../lib/log.ts";
import { assignPeer } from "./assignment.ts";
import { withBrigStatuses } from "./brig/statuses.ts";
import { BrigBackoff, peersForBrig, syncBrig } from "./brig/sync.ts";
import type { CertManagerView } from "./certificates/cert-manager.ts";
import { CertManagerWatch } from "./certificates/cert-manager-watch.ts";
import type { CertificateManager, EnsuredCertificate } from "./certificates/own-certificate.ts";
import { mergeConditions, transitions, type ConditionInput } from "./desired/conditions.ts";
import { desired, type DesiredState, type FederatorRollout } from "./desired/desired.ts";
import { APPLIED_HASH_ANNOTATION, CONFIG_LABEL, FIELD_MANAGER, MANAGED_BY_LABEL } from "./desired/names.ts";
import { admitSpec, DEFAULT_POLICY, type OperatorPolicy, type Refusal } from "./desired/admission.ts";
import { heldOutputs, ownedBy } from "./desired/ownership.ts";
import { serviceNameHolder, type ServiceClaim } from "./desired/service-name.ts";
import type { ReferencedData } from "./desired/referenced.ts";
import { ownCertificateSecretName } from "./desired/workload.ts";
import type { CachedConfig, CachedDeployment, CachedPeer } from "./kube/cached.ts";
import { ReferencedObjects, type Reference } from "./kube/referenced-objects.ts";
import { GatewayClasses } from "./kube/gateway-classes.ts";
import { RESOURCES, resourceOf, type KindName } from "./kube/resources.ts";
import type { ConfigObservation, OperatorMetrics } from "./metrics.ts";
import { ORPHANS, OWNED_KINDS, WATCHES, type WatchRule } from "./watches.ts";

/** A FederationConfig's claim on its Service name, read from the (possibly unparsed) object and the live Services. */
function serviceClaim(object: CachedConfig | FederationConfig, cache: NamespaceCache): ServiceClaim {
  const wanted = object.spec?.federator?.serviceName;
  const serviceName = typeof wanted === "string" ? wanted : "federator";
  const live = cache.informers.get("Service")?.get(serviceName);
  return {
    config: object.metadata.name,
    serviceName,
    createdAt: typeof object.metadata.creationTimestamp === "string" ? object.metadata.creationTimestamp : undefined,
    holdsService: live?.metadata.ownerReferences?.some((o) => o.kind === "FederationConfig" && o.name === object.metadata.name) ?? false,
  };
}

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
  /** What FederationConfigs may choose (operator flags); default: DEFAULT_POLICY. */
  readonly policy?: OperatorPolicy;
}

/** One namespace's caches: an informer per row of WATCHES (the inputs' typed), and the referenced objects. */
interface NamespaceCache {
  readonly namespace: string;
  readonly informers: ReadonlyMap<KindName, Informer>;
  readonly configs: Informer<CachedConfig>;
  readonly peers: Informer<CachedPeer>;
  readonly referenced: ReferencedObjects;
}

const informerOf = (cache: NamespaceCache, kind: KindName): Informer => {
  const informer = cache.informers.get(kind);
  if (informer === undefined) throw new Error(`no informer for ${kind}`);
  return informer;
};
const allInformers = (cache: NamespaceCache): Informer[] => [...cache.informers.values(), ...cache.referenced.informers];

/** During a burst of changes, the least time between two rounds of output writes of one config. */
const BURST_WRITE_INTERVAL_MS = 1500;
/** Lets the event loop poll sockets once: two check phases, with a poll phase between them. */
const ioTurn = () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));
/** Concurrent status writes per reconcile. */
const STATUS_WRITERS = 8;

/** What observe() read for one config: everything desired() needs, plus peers that cannot be parsed. */
type Observation =
  | { readonly ok: false; readonly message: string }
  | {
      readonly ok: true;
      /** As admitted (admission.ts): what the operator acts on. */
      readonly config: FederationConfig;
      readonly refusals: readonly Refusal[];
      readonly peers: readonly FederationPeer[];
      readonly invalidPeers: readonly { readonly object: KubeObject; readonly message: string }[];
      readonly referenced: ReferencedData;
      readonly certificate: EnsuredCertificate;
      readonly rollout: FederatorRollout | undefined;
      readonly now: Date;
      /** The config that keeps the federator Service name this one asks for (service-name.ts). */
      readonly serviceNameHeldBy: string | undefined;
      /** Provider GatewayAPI: the GatewayClass spec.ingress.className names, if it exists. */
      readonly gatewayClass: KubeObject | undefined;
    };

/** An object with an output's name exists and is not this FederationConfig's: it is left as it is. */
export class OutputNotOurs extends Error {
  constructor(object: KubeObject, config: string) {
    super(
      `${objectKey(object)} already exists and is not FederationConfig ${config}'s (it has no ownerReference to it): the operator neither changes nor deletes it, and leaves alone what would use it; delete or rename it (or rename the FederationConfig), and the operator creates its own within a minute`,
    );
    this.name = "OutputNotOurs";
  }
}

/** How often refused outputs are looked at again: their owners' changes queue no reconcile. */
const FOREIGN_RECHECK_MS = 60_000;

/** An output the API server refused, as act() found it. */
export interface ApplyFailure {
  readonly object: KubeObject;
  readonly error: unknown;
}

/** How a refused output shows in the FederationConfig's status. */
export function describeApplyFailure(failure: ApplyFailure): { readonly reason: string; readonly message: string } {
  const { object, error } = failure;
  if (error instanceof OutputNotOurs) return { reason: "OutputNotOurs", message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  const refused = error instanceof KubeApiError && error.status < 500;
  if (object.kind === "Ingress" && refused) return { reason: "IngressRejected", message: `Ingress could not be applied: ${message}` };
  return { reason: "OutputNotApplied", message: `${objectKey(object)} could not be applied (retrying): ${message}` };
}

export class Controller {
  readonly #o: ControllerOptions;
  readonly #queue: WorkQueue;
  readonly #namespaces = new Map<string, NamespaceCache>();
  readonly #certManager: CertManagerWatch;
  readonly #gatewayClasses: GatewayClasses;
  readonly #events: EventRecorder;
  readonly #apply: Applier;
  readonly #brigBackoff = new BrigBackoff();
  /** When each config's outputs last changed through us (performance.now()). */
  readonly #wroteAt = new Map<string, number>();
  /** Outputs each config was last refused, so that each refusal is one Event. */
  readonly #refused = new Map<string, ReadonlySet<string>>();
  #resync: NodeJS.Timeout | undefined;

  constructor(options: ControllerOptions) {
    this.#o = options;
    this.#events = createEventRecorder(options.client, FIELD_MANAGER, options.log);
    this.#apply = createApplier({ client: options.client, fieldManager: FIELD_MANAGER, hashAnnotation: APPLIED_HASH_ANNOTATION, resourceOf });
    this.#certManager = new CertManagerWatch(options.client, options.log, `${MANAGED_BY_LABEL}=${FIELD_MANAGER}`, (namespace, object) => {
      const config = object?.metadata.labels?.[CONFIG_LABEL];
      if (config !== undefined) this.#queue.add(`${namespace}/${config}`);
      else this.#enqueueNamespace(namespace);
    });
    this.#gatewayClasses = new GatewayClasses(options.client, options.log, () => this.resyncAll());
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
    for (const namespace of this.#o.namespaces) {
      const configs = () => this.#namespaces.get(namespace)?.informers.get("FederationConfig")?.list().map((c) => c.metadata.name) ?? [];
      const informer = (rule: WatchRule) =>
        new Informer(this.#o.client, {
          resource: RESOURCES[rule.kind],
          namespace,
          log: this.#o.log,
          ...(rule.labelSelector === undefined ? {} : { labelSelector: rule.labelSelector }),
          ...(rule.transform === undefined ? {} : { transform: rule.transform }),
          onChange: (name, object, previous) => {
            for (const config of rule.keys({ namespace, name, object, previous }, configs)) this.#queue.add(`${namespace}/${config}`);
          },
        });
      const informers = new Map(WATCHES.map((rule) => [rule.kind, informer(rule)]));
      this.#namespaces.set(namespace, {
        namespace,
        informers,
        // The two inputs as reconcile reads them (operator/kube/cached.ts); their rows trim them to that.
        configs: informers.get("FederationConfig") as Informer<CachedConfig>,
        peers: informers.get("FederationPeer") as Informer<CachedPeer>,
        referenced: new ReferencedObjects(this.#o.client, namespace, this.#o.log, () => this.#enqueueNamespace(namespace)),
      });
    }
    const all = [...this.#namespaces.values()].flatMap(allInformers);
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
    this.#certManager.stop();
    this.#gatewayClasses.stop();
    for (const cache of this.#namespaces.values()) for (const i of allInformers(cache)) i.stop();
  }

  #enqueueNamespace(namespace: string): void {
    const cache = this.#namespaces.get(namespace);
    if (cache === undefined) return;
    for (const config of cache.configs.list()) this.#queue.add(`${namespace}/${config.metadata.name}`);
    this.#queue.add(`${namespace}/${ORPHANS}`);
  }

  async #reconcileKey(key: string): Promise<ReconcileResult> {
    const [namespace = "", name = ""] = key.split("/");
    const cache = this.#namespaces.get(namespace);
    if (cache === undefined) return {};
    // The config informer's first list queues keys before the other caches are filled; deciding on
    // a half-empty cache would, e.g., mint a new selfSigned CA although its Secret exists.
    await Promise.all(allInformers(cache).map((i) => i.waitForSync()));
    if (name === ORPHANS) return this.#reconcileOrphans(cache);
    const live = cache.configs.get(name);
    if (live === undefined) {
      cache.referenced.forget(name);
      this.#wroteAt.delete(key);
      return {}; // deleted: the garbage collector removes its outputs
    }
    return this.#reconcileConfig(cache, live, () => this.#queue.superseded(key));
  }

  #now(): Date {
    return this.#o.now?.() ?? new Date();
  }

  /** Peers that no config takes: tell their owners why. */
  async #reconcileOrphans(cache: NamespaceCache): Promise<ReconcileResult> {
    const configs = cache.configs.list().map((c) => c.metadata.name);
    for (const peer of cache.peers.list()) {
      const assignment = assignPeer({ name: peer.metadata.name, federationConfig: peer.spec?.federationConfig }, configs);
      if (assignment.config !== undefined) continue;
      await this.#writePeerStatus(peer, { conditions: this.#conditions(peer, [assignment.reason]), message: assignment.reason.message });
    }
    return {};
  }

  #conditions(object: CachedPeer | CachedConfig, next: readonly ConditionInput[]) {
    const generation = object.metadata["generation"];
    return mergeConditions(object.status?.conditions, next, typeof generation === "number" ? generation : undefined, this.#now());
  }

  /**
   * observe → desired() → act → report. `superseded()` tells that another reconcile of this key is
   * already queued (a burst is under way): the outputs matter first, and statuses are left to the
   * reconcile that sees the burst end.
   */
  async #reconcileConfig(cache: NamespaceCache, live: KubeObject, superseded: () => boolean): Promise<ReconcileResult> {
    const observed = await this.#observe(cache, live);
    if (!observed.ok) {
      await this.#writeConfigStatus(live, { conditions: this.#conditions(live, [{ type: "Ready", status: "False", reason: "InvalidSpec", message: observed.message }]) });
      return {};
    }
    const { config, certificate } = observed;
    const state = desired({ ...observed, expiryWarningDays: this.#o.expiryWarningDays ?? 30 });
    // observe and desired() ran without yielding; watch events that arrived meanwhile are read now.
    await ioTurn();
    // While a burst goes on (more changes already queued), a config's outputs are written at most
    // every BURST_WRITE_INTERVAL_MS: the reconcile queued next sees more of the burst. The last
    // reconcile of a burst is never superseded, so it always writes.
    const key = `${cache.namespace}/${config.metadata.name}`;
    if (superseded() && performance.now() - (this.#wroteAt.get(key) ?? -Infinity) < BURST_WRITE_INTERVAL_MS) return {};
    const foreign = await this.#foreign(cache, config, state.objects);
    const held = new Set([...state.held, ...heldOutputs(state.objects, foreign)]);
    const failures = [...(await this.#act(cache, config, state, held)), ...state.objects.filter((o) => foreign.has(objectKey(o))).map((object) => ({ object, error: new OutputNotOurs(object, config.metadata.name) }))];
    await this.#recordRefusals(live, key, foreign);
    if (superseded()) return {};
    const brig = await this.#syncBrig(cache, live, config, state);
    await this.#report(cache, live, observed, brig.state, failures);
    // Outputs the API server refused for a reason that may pass (not the Ingress's content) are retried with backoff.
    const retry = failures.map(describeApplyFailure).find((d) => d.reason === "OutputNotApplied");
    if (retry !== undefined) throw new Error(retry.message);
    const recheck = foreign.size > 0 ? FOREIGN_RECHECK_MS : Infinity;
    return { requeueAfterMs: Math.min(certificate.requeueAfterMs ?? Infinity, brig.retryAfterMs ?? Infinity, recheck, 60 * 60_000) };
  }

  /**
   * Outputs whose name is taken by an object that is not this config's. The caches hold only
   * objects with our label, so a name they lack is looked up: server-side apply would take over
   * whatever has it.
   */
  async #foreign(cache: NamespaceCache, config: FederationConfig, objects: readonly KubeObject[]): Promise<Set<string>> {
    const owner = { name: config.metadata.name, uid: config.metadata.uid };
    const found = await Promise.all(
      objects.map(async (object) => {
        const live = this.#live(cache, object.kind, object.metadata.name) ?? (await getObject(this.#o.client, resourceOf(object.kind), cache.namespace, object.metadata.name));
        return live === undefined || ownedBy({ kind: object.kind, metadata: live.metadata }, owner) ? [] : [objectKey(object)];
      }),
    );
    return new Set(found.flat());
  }

  /** One Warning Event per output when it is first refused (the condition stays while it is). */
  async #recordRefusals(live: KubeObject, key: string, foreign: ReadonlySet<string>): Promise<void> {
    const before = this.#refused.get(key) ?? new Set<string>();
    for (const output of foreign) {
      if (before.has(output)) continue;
      const [kind = "", name = ""] = output.split("/");
      await this.#events.record(live, "Warning", "OutputNotOurs", new OutputNotOurs({ apiVersion: "v1", kind, metadata: { name } }, live.metadata.name).message);
    }
    if (foreign.size === 0) this.#refused.delete(key);
    else this.#refused.set(key, new Set(foreign));
  }

  /** Reads everything one config's reconcile decides on, from the caches (and referenced objects' data). */
  async #observe(cache: NamespaceCache, live: KubeObject): Promise<Observation> {
    const parsed = parseWith(FederationConfig, live);
    if (!parsed.ok) return { ok: false, message: `${describeProblems(parsed.problems)}; fix the FederationConfig` };
    const { config, refusals } = admitSpec(parsed.value, this.#o.policy ?? DEFAULT_POLICY);
    const configNames = cache.configs.list().map((c) => c.metadata.name);
    const peers: FederationPeer[] = [];
    const invalidPeers: { object: KubeObject; message: string }[] = [];
    for (const object of cache.peers.list()) {
      if (assignPeer({ name: object.metadata.name, federationConfig: object.spec?.federationConfig }, configNames).config !== config.metadata.name) continue;
      const peer = parseWith(FederationPeer, object);
      if (peer.ok) peers.push(peer.value);
      else invalidPeers.push({ object, message: `${describeProblems(peer.problems)}; fix the FederationPeer` });
    }
    const referenced = await this.#readReferenced(cache, config, peers);
    const now = this.#now();
    const owned = (kind: KindName, name: string) => cache.informers.get(kind)?.get(name);
    const certificate = await this.#o.certificates.ensure({
      config,
      owned: (name) => owned("Secret", name),
      referenced: (kind, name) => cache.referenced.get(kind, name),
      now,
      ...(config.spec.certificate.certManager ? { certManager: await this.#certManagerView(cache.namespace) } : {}),
    });
    const rollout = rolloutOf(owned("Deployment", `${config.metadata.name}-federator`));
    const claims = cache.configs.list().map((c) => serviceClaim(c, cache));
    const serviceNameHeldBy = serviceNameHolder(serviceClaim(config, cache), claims);
    const gatewayClass = ingressProvider(config.spec.ingress) === "GatewayAPI" ? await this.#gatewayClasses.get(config.spec.ingress.className) : undefined;
    return { ok: true, config, refusals, peers, invalidPeers, referenced, certificate, rollout, now, serviceNameHeldBy, gatewayClass };
  }

  /** After the outputs: brig's remotes follow the peers; brig's trouble only becomes status and a retry. */
  async #syncBrig(cache: NamespaceCache, live: KubeObject, config: FederationConfig, state: DesiredState): Promise<{ state: DesiredState; retryAfterMs?: number }> {
    if (!config.spec.brig.sync) return { state };
    const key = `${cache.namespace}/${config.metadata.name}`;
    const result = await syncBrig(config, peersForBrig(state.verdicts));
    if (result.writes > 0) this.#o.log.info({ config: config.metadata.name, writes: result.writes }, "brig updated");
    for (const event of result.events) {
      const object = event.peer === undefined ? live : cache.peers.get(event.peer);
      if (object !== undefined) await this.#events.record(object, event.type, event.reason, event.message);
    }
    const retryAfterMs = this.#brigBackoff.next(key, result.retry);
    return { state: withBrigStatuses(state, config, result, this.#now()), ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  }

  /** Certificates are watched only where a config asks for cert-manager, and only if it is installed. */
  async #certManagerView(namespace: string): Promise<CertManagerView> {
    const installed = await this.#certManager.installed();
    if (installed) await this.#certManager.track(namespace);
    return { installed, certificate: (name) => this.#certManager.get(namespace, name) };
  }

  #live(cache: NamespaceCache, kind: string, name: string): KubeObject | undefined {
    if (kind === "Certificate") return this.#certManager.get(cache.namespace, name);
    return cache.informers.get(kind as KindName)?.get(name);
  }

  async #readReferenced(cache: NamespaceCache, config: FederationConfig, peers: readonly FederationPeer[]): Promise<ReferencedData> {
    const refs: Reference[] = [];
    for (const peer of peers) {
      if (peer.spec.caBundle?.secretRef) refs.push(["Secret", peer.spec.caBundle.secretRef.name]);
      if (peer.spec.caBundle?.configMapRef) refs.push(["ConfigMap", peer.spec.caBundle.configMapRef.name]);
    }
    const extra = config.spec.trust.extraCABundle;
    if (extra?.secretRef) refs.push(["Secret", extra.secretRef.name]);
    if (extra?.configMapRef) refs.push(["ConfigMap", extra.configMapRef.name]);
    refs.push(...this.#o.certificates.references(config));
    await cache.referenced.read(config.metadata.name, refs);
    const secrets = new Map<string, Record<string, string>>();
    const configMaps = new Map<string, Record<string, string>>();
    for (const [kind, name] of refs) {
      const object = cache.referenced.get(kind, name);
      if (object === undefined) continue;
      if (kind === "Secret") secrets.set(name, decodedSecretData(object) ?? {});
      else configMaps.set(name, (object["data"] ?? {}) as Record<string, string>);
    }
    return { secrets, configMaps };
  }

  /** Applies every desired object and prunes outputs no longer wanted; returns what the API server refused. */
  async #act(cache: NamespaceCache, config: FederationConfig, state: DesiredState, held: ReadonlySet<string>): Promise<ApplyFailure[]> {
    const written = state.objects.filter((o) => !held.has(objectKey(o)));
    const results = await Promise.allSettled(
      written.map(async (object) => {
        if ((await this.#apply.apply(object, this.#live(cache, object.kind, object.metadata.name))) === "applied") {
          this.#wroteAt.set(`${cache.namespace}/${config.metadata.name}`, performance.now());
          this.#o.metrics.writes.inc({ kind: object.kind, operation: "apply" });
          this.#o.log.info({ config: config.metadata.name, object: objectKey(object) }, "applied");
        }
      }),
    );
    const failures = results.flatMap((result, index) => (result.status === "rejected" ? [{ object: written[index]!, error: result.reason as unknown }] : []));
    await this.#pruneOutputs(cache, config, state);
    return failures;
  }

  /** Deletes this config's outputs that are no longer wanted; held ones are wanted (left as they are). */
  async #pruneOutputs(cache: NamespaceCache, fc: FederationConfig, state: DesiredState): Promise<void> {
    const config = fc.metadata.name;
    const owner = { name: config, uid: fc.metadata.uid };
    const wanted = new Set(state.objects.map(objectKey));
    // cert-manager takes over the certificate Secret a selfSigned config leaves behind: deleting it
    // would take TLS away from the Ingress until cert-manager has issued again.
    if (fc.spec.certificate.certManager !== undefined) wanted.add(`Secret/${ownCertificateSecretName(fc)}`);
    // A config that left certManager mode must not leave cert-manager writing its Secret.
    const certificates: [KindName, { list(): KubeObject[] }] = ["Certificate", { list: () => this.#certManager.list(cache.namespace) }];
    const owned = OWNED_KINDS.map((kind): [KindName, { list(): KubeObject[] }] => [kind, informerOf(cache, kind)]);
    for (const [kind, informer] of [...owned, certificates]) {
      for (const object of informer.list()) {
        if (object.metadata.labels?.[CONFIG_LABEL] !== config || wanted.has(objectKey({ kind, metadata: object.metadata }))) continue;
        // A label anyone can set; only what this config owns is its to delete.
        if (!ownedBy({ kind, metadata: object.metadata }, owner)) continue;
        await this.#apply.delete({ kind, metadata: object.metadata });
        this.#o.metrics.writes.inc({ kind, operation: "delete" });
        this.#o.log.info({ config, object: `${kind}/${object.metadata.name}` }, "deleted output no longer wanted");
      }
    }
  }

  /** Writes every status: peers that cannot be parsed, the config's peers, and the config with what act() found. */
  async #report(cache: NamespaceCache, live: KubeObject, observed: Extract<Observation, { ok: true }>, state: DesiredState, failures: readonly ApplyFailure[]): Promise<void> {
    const peers = cache.peers;
    // Peers' statuses are independent: write them a few at a time, not one round trip after another.
    const pending: { object: KubeObject; status: FederationPeerStatus }[] = [
      ...observed.invalidPeers.map(({ object, message }) => ({
        object,
        status: { conditions: this.#conditions(object, [{ type: "Accepted", status: "False", reason: "InvalidSpec", message }]), message },
      })),
      ...state.verdicts.flatMap((verdict) => {
        const object = peers.get(verdict.peer.metadata.name);
        const status = state.peerStatuses.get(verdict.peer.metadata.name);
        return object === undefined || status === undefined ? [] : [{ object, status }];
      }),
    ];
    const problems: unknown[] = [];
    const worker = async () => {
      for (let next = pending.shift(); next !== undefined; next = pending.shift()) {
        await this.#writePeerStatus(next.object, next.status).catch((error: unknown) => problems.push(error));
      }
    };
    await Promise.all(Array.from({ length: STATUS_WRITERS }, worker));
    await this.#writeConfigStatus(live, withApplyFailures(state.configStatus, observed.config, failures, this.#now()));
    this.#recordPeerMetrics(cache.namespace, observed.config.metadata.name, state);
    if (problems.length > 0) throw problems[0];
  }

  async #writePeerStatus(object: CachedPeer, status: FederationPeerStatus): Promise<void> {
    await this.#writeStatus(object, status, status.conditions ?? []);
  }

  async #writeConfigStatus(object: CachedConfig, status: FederationConfigStatus): Promise<void> {
    await this.#writeStatus(object, status, status.conditions ?? []);
  }

  async #writeStatus(object: CachedPeer | CachedConfig, status: object, conditions: NonNullable<FederationPeerStatus["conditions"]>): Promise<void> {
    const previous = object.status?.conditions;
    if ((await this.#apply.applyStatus(object, status)) === "unchanged") return;
    this.#o.metrics.writes.inc({ kind: object.kind, operation: "status" });
    for (const change of transitions(previous, conditions)) {
      const warning = change.status === "False" && change.type !== "ExpiringSoon";
      const noteworthy = warning || (change.type === "ExpiringSoon" && change.status === "True") || change.type === "Accepted" || change.type === "Ready" || change.type === "BrigSynced";
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
    this.#o.metrics.recordConfig(namespace, config, configObservation(state));
  }
}

/** The expiries and brig state the alerts watch (see monitoring/), from one reconcile's result. */
function configObservation(state: DesiredState): ConfigObservation {
  const notAfter = state.configStatus.certificateNotAfter;
  const brig = state.configStatus.conditions?.find((c) => c.type === "BrigSynced");
  const peerCAExpiry = new Map(
    state.verdicts.flatMap((v) => {
      const first = Math.min(...v.trusted.map((c) => c.notAfter.getTime()));
      return Number.isFinite(first) ? [[v.peer.metadata.name, new Date(first)] as const] : [];
    }),
  );
  return { peerCAExpiry, ...(notAfter === undefined ? {} : { certificateNotAfter: new Date(notAfter) }), ...(brig === undefined ? {} : { brigSynced: brig.status === "True" }) };
}

/** The config's status with each refused output in Ready (and IngressReady, for the Ingress). */
function withApplyFailures(status: FederationConfigStatus, config: FederationConfig, failures: readonly ApplyFailure[], now: Date): FederationConfigStatus {
  if (failures.length === 0) return status;
  const described = failures.map((f) => ({ ...describeApplyFailure(f), kind: f.object.kind }));
  const ingress = described.find((d) => d.kind === "Ingress");
  const service = described.find((d, i) => d.kind === "Service" && failures[i]!.object.metadata.name === config.spec.federator.serviceName);
  const first = described[0]!;
  const conditions = (status.conditions ?? []).map((c) => {
    if (c.type === "IngressReady" && ingress !== undefined) return { ...c, status: "False" as const, reason: ingress.reason, message: ingress.message };
    if (c.type === "ServiceReady" && service !== undefined) return { ...c, status: "False" as const, reason: service.reason, message: service.message };
    if (c.type === "Ready") return { ...c, status: "False" as const, reason: (ingress ?? first).reason, message: described.map((d) => d.message).join("; ") };
    return c;
  });
  return { ...status, conditions: mergeConditions(config.status?.conditions, conditions, config.metadata.generation, now) };
}

function rolloutOf(deployment: CachedDeployment | undefined): FederatorRollout | undefined {
  if (deployment === undefined) return undefined;
  return { replicas: deployment.spec?.replicas ?? 1, availableReplicas: deployment.status?.availableReplicas ?? 0 };
}
