// `kubectl get fp -o wide` and `kubectl get fc -o wide` on the real API server: the columns an admin
// triages with, filled from the status the operator computes (operator/desired/desired.ts).
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { stringify } from "yaml";
import { createCertificateAuthority } from "../lib/certs/issue.ts";
import { desired } from "../operator/desired/desired.ts";
import { EMPTY_REFERENCED } from "../operator/desired/referenced.ts";
import { config, peer, readyCertificate } from "../operator/testing/fixtures.ts";
import { kubectl as runKubectl } from "../e2e/support/kubectl.ts";
import { createTestNamespace, type TestNamespace } from "../e2e/support/namespace.ts";

const kubeconfig = inject("kubeconfig");
const kubectl = (args: readonly string[], stdin?: string) => runKubectl(args, { kubeconfig, binary: inject("kubectl"), ...(stdin === undefined ? {} : { stdin }) });

/** kubectl's table as rows of column → cell, cut at the header's column starts (cells may hold spaces). */
function table(text: string): Record<string, string>[] {
  const [header = "", ...rows] = text.trimEnd().split("\n");
  const starts = [...header.matchAll(/\S+/g)].map((m) => ({ name: m[0], at: m.index }));
  return rows.map((row) => Object.fromEntries(starts.map((c, i) => [c.name, row.slice(c.at, starts[i + 1]?.at ?? row.length).trim()])));
}

let ns: TestNamespace;
let fingerprint = "";

beforeAll(async () => {
  ns = await createTestNamespace(kubeconfig, "printer-columns");
  const ca = await createCertificateAuthority({ commonName: "Partner CA", validityDays: 30 });
  const peers = [peer("partner", { domain: "partner.example.org", caBundle: { pem: ca.certificatePem } }), peer("broken", { domain: "broken.example.org", caBundle: { pem: "not a certificate" } })];
  const fc = config();
  const state = desired({ config: fc, peers, referenced: EMPTY_REFERENCED, certificate: readyCertificate, rollout: undefined, now: new Date(), expiryWarningDays: 7 });
  const objects = [fc, ...peers].map(({ status: _status, metadata, ...rest }) => ({ ...rest, metadata: { name: metadata.name, namespace: ns.name } }));
  const applied = await kubectl(["apply", "-f", "-"], objects.map((o) => stringify(o)).join("---\n"));
  expect(applied.stderr).toBe("");
  // The status subresource, written as the operator writes it.
  for (const [name, status] of state.peerStatuses) {
    const patched = await kubectl(["patch", "fp", name, "-n", ns.name, "--subresource=status", "--type=merge", "-p", JSON.stringify({ status })]);
    expect(patched.stderr).toBe("");
  }
  const configStatus = await kubectl(["patch", "fc", "wire", "-n", ns.name, "--subresource=status", "--type=merge", "-p", JSON.stringify({ status: state.configStatus })]);
  expect(configStatus.stderr).toBe("");
  fingerprint = state.peerStatuses.get("partner")?.caCertificates?.[0]?.sha256Fingerprint ?? "";
});

afterAll(async () => {
  await ns?.delete();
});

describe("kubectl get -o wide", () => {
  it("shows each peer's reason, CA fingerprint prefix and what to do; plain get stays narrow", async () => {
    const wide = await kubectl(["get", "fp", "-n", ns.name, "-o", "wide"]);
    expect(wide.stderr).toBe("");
    const rows = table(wide.stdout);
    expect(Object.keys(rows[0] ?? {})).toEqual(["NAME", "DOMAIN", "SEARCH", "READY", "CA-EXPIRES", "BRIG", "AGE", "REASON", "CA", "BRIG-REASON", "MESSAGE"]);
    const byName = new Map(rows.map((r) => [r["NAME"], r]));
    expect(byName.get("partner")).toMatchObject({ READY: "True", REASON: "Accepted", CA: fingerprint.slice(0, 11), MESSAGE: "partner.example.org is on the allow list" });
    expect(fingerprint.slice(0, 11)).toMatch(/^[0-9A-F]{2}(:[0-9A-F]{2}){3}$/);
    expect(byName.get("broken")).toMatchObject({ READY: "False", REASON: "InvalidPEM", CA: "" });
    expect(byName.get("broken")?.["MESSAGE"]).toMatch(/provide PEM-encoded CA certificates$/);

    const narrow = await kubectl(["get", "fp", "-n", ns.name]);
    expect(Object.keys(table(narrow.stdout)[0] ?? {})).toEqual(["NAME", "DOMAIN", "SEARCH", "READY", "CA-EXPIRES", "BRIG", "AGE"]);
  });

  it("shows why a FederationConfig is (not) ready and how many peers were rejected", async () => {
    const wide = await kubectl(["get", "fc", "-n", ns.name, "-o", "wide"]);
    expect(wide.stderr).toBe("");
    const [row] = table(wide.stdout);
    expect(row).toMatchObject({ NAME: "wire", PEERS: "1", REJECTED: "1" });
    expect(Object.keys(row ?? {})).toEqual(["NAME", "BACKEND", "INFRA", "STRATEGY", "READY", "PEERS", "AGE", "REASON", "REJECTED", "CERT-EXPIRES", "BRIG"]);
    expect(row?.["REASON"]).not.toBe("");
  });
});
