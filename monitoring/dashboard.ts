// The Grafana dashboard for the operator and the federators: peers by state, reconciles, queue,
// reloads, config age, requests by remote and outcome, latency, TLS connections. Built as data so
// that a test can check every metric it queries against the live /metrics.

export interface Target {
  readonly expr: string;
  readonly legendFormat: string;
  readonly refId: string;
}

export interface Panel {
  readonly id: number;
  readonly type: "timeseries" | "stat";
  readonly title: string;
  readonly description: string;
  readonly datasource: { readonly type: "prometheus"; readonly uid: "${datasource}" };
  readonly gridPos: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
  readonly fieldConfig: { readonly defaults: { readonly unit: string }; readonly overrides: readonly never[] };
  readonly targets: readonly Target[];
}

type PanelSpec = [title: string, description: string, unit: string, targets: [expr: string, legend: string][]];

const PANELS: readonly PanelSpec[] = [
  ["FederationPeers by state", "Accepted, Suspended and Rejected peers of each FederationConfig.", "short", [['sum by (namespace, config, state) (federation_operator_peers{namespace=~"$namespace"})', "{{namespace}}/{{config}} {{state}}"]]],
  ["Reconciles", "Reconciles per second by result; errors are retried with backoff.", "ops", [["sum by (result) (rate(federation_operator_reconciles_total[5m]))", "{{result}}"]]],
  ["Reconcile duration (p50, p99)", "How long one FederationConfig's reconcile takes.", "s", [
    ["histogram_quantile(0.5, sum by (le) (rate(federation_operator_reconcile_duration_seconds_bucket[5m])))", "p50"],
    ["histogram_quantile(0.99, sum by (le) (rate(federation_operator_reconcile_duration_seconds_bucket[5m])))", "p99"],
  ]],
  ["Queue depth", "FederationConfig keys waiting to be reconciled.", "short", [["max(federation_operator_queue_depth)", "queued"]]],
  ["Certificate and CA expiry", "Time left before this backend's certificate and each peer's first trusted CA expire.", "s", [
    ['federation_operator_certificate_expiry_timestamp_seconds{namespace=~"$namespace"} - time()', "own {{namespace}}/{{config}}"],
    ['federation_operator_peer_ca_expiry_timestamp_seconds{namespace=~"$namespace"} - time()', "CA of {{peer}}"],
  ]],
  ["brig in sync", "1 while brig's federation remotes agree with the FederationPeers (spec.brig.sync).", "short", [['federation_operator_brig_synced{namespace=~"$namespace"}', "{{namespace}}/{{config}}"]]],
  ["Federator reloads", "Configuration reloads per second by result and source; a failure keeps the last good configuration.", "ops", [['sum by (result, source) (rate(federator_config_reloads_total{namespace=~"$namespace"}[5m]))', "{{source}} {{result}}"]]],
  ["Federator config age", "Seconds since each federator loaded the configuration in use.", "s", [['max by (pod) (federator_config_age_seconds{namespace=~"$namespace"})', "{{pod}}"]]],
  ["Outgoing requests by remote and status", "Egress requests to remote backends per second.", "reqps", [['sum by (target_domain, status) (rate(federator_outgoing_requests_total{namespace=~"$namespace"}[5m]))', "{{target_domain}} {{status}}"]]],
  ["Incoming requests by remote and status", "Ingress requests from remote backends per second.", "reqps", [['sum by (origin_domain, status) (rate(federator_incoming_requests_total{namespace=~"$namespace"}[5m]))', "{{origin_domain}} {{status}}"]]],
  ["Outgoing latency (p99) by remote", "Time to a remote's response headers, discovery and connection included.", "s", [['histogram_quantile(0.99, sum by (le, target_domain) (rate(federator_outgoing_request_duration_seconds_bucket{namespace=~"$namespace"}[5m])))', "{{target_domain}}"]]],
  ["TLS connections and errors", "Egress TLS connections opened per second, and TLS failures by direction.", "ops", [
    ['sum by (target) (rate(federator_tls_connections_opened_total{namespace=~"$namespace"}[5m]))', "opened {{target}}"],
    ['sum by (direction, domain) (rate(federator_tls_errors_total{namespace=~"$namespace"}[5m]))', "errors {{direction}} {{domain}}"],
  ]],
  ["Discovery failures", "Failed SRV lookups of remote domains per second.", "ops", [['sum by (domain, reason) (rate(federator_discovery_failures_total{namespace=~"$namespace"}[5m]))', "{{domain}} {{reason}}"]]],
];

function panel([title, description, unit, targets]: PanelSpec, index: number): Panel {
  return {
    id: index + 1,
    type: "timeseries",
    title,
    description,
    datasource: { type: "prometheus", uid: "${datasource}" },
    gridPos: { x: (index % 2) * 12, y: Math.floor(index / 2) * 8, w: 12, h: 8 },
    fieldConfig: { defaults: { unit }, overrides: [] },
    targets: targets.map(([expr, legendFormat], i) => ({ expr, legendFormat, refId: String.fromCharCode(65 + i) })),
  };
}

export const DASHBOARD_UID = "wire-federation";

/** The dashboard JSON model (import it in Grafana, or let the Grafana sidecar pick up its ConfigMap). */
export function dashboard() {
  return {
    uid: DASHBOARD_UID,
    title: "Wire federation",
    description: "The wire-federation-operator and the federators it runs.",
    tags: ["wire", "federation"],
    schemaVersion: 39,
    version: 1,
    editable: true,
    time: { from: "now-6h", to: "now" },
    refresh: "30s",
    templating: {
      list: [
        { name: "datasource", type: "datasource", query: "prometheus", label: "Data source" },
        {
          name: "namespace",
          type: "query",
          label: "Namespace",
          datasource: { type: "prometheus", uid: "${datasource}" },
          query: "label_values(federation_operator_peers, namespace)",
          includeAll: true,
          multi: true,
          current: { text: "All", value: "$__all" },
          allValue: ".*",
        },
      ],
    },
    panels: PANELS.map(panel),
  };
}

/** Every PromQL expression the dashboard runs (panels and variables). */
export function dashboardExpressions(): string[] {
  const model = dashboard();
  return [...model.panels.flatMap((p) => p.targets.map((t) => t.expr)), ...model.templating.list.flatMap((v) => (v.type === "query" ? [v.query.replace(/^label_values\((\w+),.*$/, "$1")] : []))];
}
