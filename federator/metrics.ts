// The federator's Prometheus metrics, in a Registry of its own (two federators in one test process
// must not share counters). Domain labels only ever carry domains that passed parsing; requests
// refused before that are counted under "-" so an attacker cannot mint label values.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export interface FederatorMetrics {
  readonly registry: Registry;
  readonly outgoing: Counter<"target_domain" | "status">;
  readonly incoming: Counter<"origin_domain" | "status">;
  /** Discovery, connection and the remote's answer up to its response headers, by target domain. */
  readonly outgoingSeconds: Histogram<"target_domain">;
  /** wire-server's own names (Federator.Run mkFederatorMetrics), for Wire's dashboards. */
  readonly wireOutgoing: Counter<"target_domain">;
  readonly wireIncoming: Counter<"origin_domain">;
  readonly discoveryFailures: Counter<"domain" | "reason">;
  readonly tlsErrors: Counter<"direction" | "domain">;
  readonly tlsConnections: Counter<"target">;
  readonly reloads: Counter<"result" | "source">;
  readonly configAge: Gauge;
  readonly kubeWatchRequests: Gauge;
}

export const UNKNOWN_DOMAIN = "-";
/** The one label value (and in-flight count) of all origins not listed as remotes (AllowAll). */
export const UNLISTED_DOMAIN = "unlisted";

export function createMetrics(loadedAt: () => Date, options: { defaultMetrics?: boolean; kubeWatchRequests?: () => number } = {}): FederatorMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? false) collectDefaultMetrics({ register: registry, prefix: "federator_" });
  const registers = [registry];
  return {
    registry,
    outgoing: new Counter({
      name: "federator_outgoing_requests_total",
      help: "Egress requests to remote federators, by target backend domain and HTTP status returned to the caller.",
      labelNames: ["target_domain", "status"],
      registers,
    }),
    incoming: new Counter({
      name: "federator_incoming_requests_total",
      help: "Ingress requests from remote federators, by origin backend domain and HTTP status returned.",
      labelNames: ["origin_domain", "status"],
      registers,
    }),
    // Counted as wire-server counts them: once per request to a domain the allow list admits.
    outgoingSeconds: new Histogram({
      name: "federator_outgoing_request_duration_seconds",
      help: "Egress requests to remote federators until the remote's response headers (or the failure), by target backend domain.",
      labelNames: ["target_domain"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    wireOutgoing: new Counter({ name: "com_wire_federator_outgoing_requests", help: "Number of outgoing requests", labelNames: ["target_domain"], registers }),
    wireIncoming: new Counter({ name: "com_wire_federator_incoming_requests", help: "Number of incoming requests", labelNames: ["origin_domain"], registers }),
    discoveryFailures: new Counter({
      name: "federator_discovery_failures_total",
      help: "Failed SRV or address lookups, by domain and reason (invalid-domain: no record; discovery-failure: DNS error).",
      labelNames: ["domain", "reason"],
      registers,
    }),
    tlsErrors: new Counter({
      name: "federator_tls_errors_total",
      help: "TLS failures: egress handshakes to remote federators and, in Passthrough mode, ingress client handshakes.",
      labelNames: ["direction", "domain"],
      registers,
    }),
    tlsConnections: new Counter({
      name: "federator_tls_connections_opened_total",
      help: "Egress TLS connections opened (each carries a pooled HTTP/2 session), by target host:port.",
      labelNames: ["target"],
      registers,
    }),
    reloads: new Counter({
      name: "federator_config_reloads_total",
      help: "Configuration reloads by result (success, failure) and source (files, watch).",
      labelNames: ["result", "source"],
      registers,
    }),
    configAge: new Gauge({
      name: "federator_config_age_seconds",
      help: "Seconds since the configuration in use was loaded.",
      registers,
      collect() {
        this.set((Date.now() - loadedAt().getTime()) / 1000);
      },
    }),
    kubeWatchRequests: new Gauge({
      name: "federator_kube_watch_requests",
      help: "Watch requests made to the Kubernetes API in Watch mode since start (one per object, and one more each time the API server ends a watch).",
      registers,
      collect() {
        this.set(options.kubeWatchRequests?.() ?? 0);
      },
    }),
  };
}
