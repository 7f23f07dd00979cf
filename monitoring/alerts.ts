// PrometheusRule alerts for the operator and the federator. Each alert links its runbook section in
// the README (#runbook-<alert name, lower case>); `promtool check rules` checks them in the tests.

export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: { readonly severity: "warning" | "critical" };
  readonly annotations: { readonly summary: string; readonly description: string; readonly runbook_url: string };
}

export const RUNBOOK_BASE = "https://github.com/wire-federation/operator/blob/main/README.md";
const runbook = (alert: string) => `${RUNBOOK_BASE}#runbook-${alert.toLowerCase()}`;

function rule(alert: string, severity: AlertRule["labels"]["severity"], expr: string, forDuration: string, summary: string, description: string): AlertRule {
  return { alert, expr, for: forDuration, labels: { severity }, annotations: { summary, description, runbook_url: runbook(alert) } };
}

const DAY = 86_400;

export const ALERTS: readonly AlertRule[] = [
  rule(
    "FederationCertificateExpiring",
    "warning",
    `federation_operator_certificate_expiry_timestamp_seconds - time() < 14 * ${DAY}`,
    "1h",
    "This backend's federation certificate expires within 14 days",
    "The certificate of FederationConfig {{ $labels.namespace }}/{{ $labels.config }} expires in {{ $value | humanizeDuration }}; remote backends refuse it once it has expired.",
  ),
  rule(
    "FederationPeerCAExpiring",
    "warning",
    `federation_operator_peer_ca_expiry_timestamp_seconds - time() < 14 * ${DAY}`,
    "1h",
    "A remote backend's CA expires within 14 days",
    "The CA of FederationPeer {{ $labels.namespace }}/{{ $labels.peer }} expires in {{ $value | humanizeDuration }}; after that its requests are refused.",
  ),
  rule(
    "FederationPeerRejected",
    "warning",
    `federation_operator_peers{state="Rejected"} > 0`,
    "10m",
    "A FederationPeer is rejected",
    "{{ $value }} FederationPeer(s) of {{ $labels.namespace }}/{{ $labels.config }} are not on the allow list because of an error in them.",
  ),
  rule(
    "FederatorReloadsFailing",
    "critical",
    `increase(federator_config_reloads_total{result="failure"}[10m]) > 0`,
    "5m",
    "The federator refuses its new configuration",
    "Federator {{ $labels.pod }} failed to reload its {{ $labels.source }} configuration and keeps serving the last good one.",
  ),
  rule(
    "FederatorConfigStale",
    "critical",
    `federator_config_age_seconds > 900 and on (pod) increase(federator_config_reloads_total{result="failure"}[15m]) > 0`,
    "5m",
    "The federator has run on an old configuration for 15 minutes while newer ones fail",
    "Federator {{ $labels.pod }} has used a configuration loaded {{ $value | humanizeDuration }} ago; the allow list, CA bundle or certificate it enforces may be out of date.",
  ),
  rule(
    "FederatorRemoteErrors",
    "warning",
    `sum by (namespace, target_domain) (rate(federator_outgoing_requests_total{status=~"5.."}[5m])) / sum by (namespace, target_domain) (rate(federator_outgoing_requests_total[5m])) > 0.1`,
    "10m",
    "More than 10% of requests to a remote backend fail",
    "{{ $value | humanizePercentage }} of requests to {{ $labels.target_domain }} failed in the last 5 minutes.",
  ),
  rule(
    "FederationBrigSyncFailing",
    "warning",
    `federation_operator_brig_synced == 0`,
    "15m",
    "brig's federation remotes do not follow the FederationPeers",
    "The operator cannot bring brig's remotes of {{ $labels.namespace }}/{{ $labels.config }} in line with the FederationPeers.",
  ),
];

/** The `spec` of a monitoring.coreos.com/v1 PrometheusRule (and, as is, a promtool rule file). */
export function ruleGroups(): { groups: { name: string; rules: AlertRule[] }[] } {
  return { groups: [{ name: "wire-federation", rules: [...ALERTS] }] };
}
