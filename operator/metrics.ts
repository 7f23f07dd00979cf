// The operator's Prometheus metrics (served on /metrics).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export interface OperatorMetrics {
  readonly registry: Registry;
  readonly reconciles: Counter<"result">;
  readonly reconcileSeconds: Histogram;
  readonly queueDepth: Gauge;
  readonly peers: Gauge<"namespace" | "config" | "state">;
  readonly writes: Counter<"kind" | "operation">;
  readonly leader: Gauge;
  readonly connections: Gauge<"pool">;
  readonly certificateExpiry: Gauge<"namespace" | "config">;
  readonly peerCAExpiry: Gauge<"namespace" | "config" | "peer">;
  readonly brigSynced: Gauge<"namespace" | "config">;
  /** Sets the expiry and brig gauges of one config; series of peers no longer present are removed. */
  recordConfig(namespace: string, config: string, observation: ConfigObservation): void;
}

/** What one reconcile saw of a config, for the gauges alerts are written on. */
export interface ConfigObservation {
  /** This backend's own certificate's notAfter. */
  readonly certificateNotAfter?: Date;
  /** The earliest notAfter among each peer's trusted CA certificates, by FederationPeer name. */
  readonly peerCAExpiry: ReadonlyMap<string, Date>;
  /** The BrigSynced condition; undefined when spec.brig.sync is off. */
  readonly brigSynced?: boolean;
}

const seconds = (date: Date) => date.getTime() / 1000;

/** Open connections to the API server, by pool (requests, watches), as the REST client counts them. */
export type ConnectionCounts = () => { readonly requests: number; readonly watches: number };

export function createOperatorMetrics(connections: ConnectionCounts = () => ({ requests: 0, watches: 0 })): OperatorMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const certificateExpiry = new Gauge({
    name: "federation_operator_certificate_expiry_timestamp_seconds",
    help: "When this backend's own federation certificate expires (Unix time), by FederationConfig.",
    labelNames: ["namespace", "config"],
    registers,
  });
  const peerCAExpiry = new Gauge({
    name: "federation_operator_peer_ca_expiry_timestamp_seconds",
    help: "When the first of a FederationPeer's trusted CA certificates expires (Unix time).",
    labelNames: ["namespace", "config", "peer"],
    registers,
  });
  const brigSynced = new Gauge({
    name: "federation_operator_brig_synced",
    help: "1 while brig's federation remotes agree with the FederationPeers (spec.brig.sync), 0 while the sync fails.",
    labelNames: ["namespace", "config"],
    registers,
  });
  const peersWithCA = new Map<string, Set<string>>();
  const recordConfig = (namespace: string, config: string, observation: ConfigObservation) => {
    const key = `${namespace}/${config}`;
    for (const peer of peersWithCA.get(key) ?? []) if (!observation.peerCAExpiry.has(peer)) peerCAExpiry.remove({ namespace, config, peer });
    peersWithCA.set(key, new Set(observation.peerCAExpiry.keys()));
    for (const [peer, notAfter] of observation.peerCAExpiry) peerCAExpiry.set({ namespace, config, peer }, seconds(notAfter));
    if (observation.certificateNotAfter) certificateExpiry.set({ namespace, config }, seconds(observation.certificateNotAfter));
    else certificateExpiry.remove({ namespace, config });
    if (observation.brigSynced === undefined) brigSynced.remove({ namespace, config });
    else brigSynced.set({ namespace, config }, observation.brigSynced ? 1 : 0);
  };
  return {
    registry,
    certificateExpiry,
    peerCAExpiry,
    brigSynced,
    recordConfig,
    reconciles: new Counter({ name: "federation_operator_reconciles_total", help: "Reconciles of FederationConfigs by result.", labelNames: ["result"], registers }),
    reconcileSeconds: new Histogram({
      name: "federation_operator_reconcile_duration_seconds",
      help: "Duration of one reconcile.",
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    queueDepth: new Gauge({ name: "federation_operator_queue_depth", help: "FederationConfig keys waiting to be reconciled.", registers }),
    peers: new Gauge({ name: "federation_operator_peers", help: "FederationPeers by state.", labelNames: ["namespace", "config", "state"], registers }),
    writes: new Counter({ name: "federation_operator_writes_total", help: "Writes to the API server by kind and operation.", labelNames: ["kind", "operation"], registers }),
    leader: new Gauge({ name: "federation_operator_leader", help: "1 while this replica holds the leader Lease.", registers }),
    connections: new Gauge({
      name: "federation_operator_apiserver_connections",
      help: "Open connections to the API server by pool: requests (at most 16) and watches (one per watched kind and namespace).",
      labelNames: ["pool"],
      registers,
      collect() {
        const now = connections();
        this.set({ pool: "requests" }, now.requests);
        this.set({ pool: "watches" }, now.watches);
      },
    }),
  };
}
