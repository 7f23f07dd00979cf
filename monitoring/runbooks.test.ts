// Every alert's runbook_url points at a section of the README that exists (GitHub's heading anchors).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ALERTS, RUNBOOK_BASE } from "./alerts.ts";

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
export function headingAnchor(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
}

const readme = readFileSync(join(import.meta.dirname, "..", "README.md"), "utf8");
const anchors = new Set([...readme.matchAll(/^#{1,6} (.+)$/gm)].map((m) => headingAnchor(m[1]!)));

describe("runbooks", () => {
  it("computes GitHub's anchors", () => {
    expect(headingAnchor("Runbook: FederationPeerRejected")).toBe("runbook-federationpeerrejected");
    expect(headingAnchor("Monitoring: dashboard and alerts")).toBe("monitoring-dashboard-and-alerts");
  });

  it.each(ALERTS.map((a) => [a.alert, a.annotations.runbook_url]))("%s links a README section that exists", (_alert, url) => {
    expect(url.startsWith(`${RUNBOOK_BASE}#`)).toBe(true);
    expect(anchors).toContain(url.slice(RUNBOOK_BASE.length + 1));
  });
});
