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
}

/** Open connections to the API server, by pool (requests, watches), as the REST client counts them. */
export type ConnectionCounts = () => { readonly requests: number; readonly watches: number };

export function createOperatorMetrics(connections: ConnectionCounts = () => ({ requests: 0, watches: 0 })): OperatorMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
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
