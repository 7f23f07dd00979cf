import { describe, expect, it } from "vitest";
import { metricNames } from "./metric-names.ts";

describe("metricNames", () => {
  it.each([
    ['federation_operator_peers{state="Rejected"} > 0', ["federation_operator_peers"]],
    ["sum by (namespace, target_domain) (rate(federator_outgoing_requests_total{status=~\"5..\"}[5m])) / sum by (target_domain) (rate(federator_outgoing_requests_total[5m]))", ["federator_outgoing_requests_total"]],
    ["histogram_quantile(0.99, sum by (le) (rate(federator_outgoing_request_duration_seconds_bucket[5m])))", ["federator_outgoing_request_duration_seconds"]],
    ["federator_config_age_seconds > 900 and on (pod) increase(federator_config_reloads_total[15m]) > 0", ["federator_config_age_seconds", "federator_config_reloads_total"]],
    ["federation_operator_certificate_expiry_timestamp_seconds - time() < 14 * 86400", ["federation_operator_certificate_expiry_timestamp_seconds"]],
  ])("finds the metrics of %s", (expr, names) => {
    expect(metricNames(expr)).toEqual(names);
  });
});
