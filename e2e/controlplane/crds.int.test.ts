// The CRDs on the real API server: what `kubectl` users see, and what the server itself refuses.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { stringify } from "yaml";
import { exampleFederationConfig, exampleFederationPeer, exampleRestrictedPeer } from "../../lib/api/examples.ts";
import { kubectl as runKubectl } from "../support/kubectl.ts";
import { useTestNamespace } from "../support/namespace.ts";
import { waitFor } from "../support/wait-for.ts";

const kubeconfig = inject("kubeconfig");
const kubectl = (args: readonly string[], stdin?: string) =>
  runKubectl(args, { kubeconfig, binary: inject("kubectl"), ...(stdin === undefined ? {} : { stdin }) });

type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; spec: Record<string, unknown> };

function inNamespace<T extends Manifest>(manifest: T, namespace: string, spec: Record<string, unknown> = {}): Manifest {
  return { ...manifest, metadata: { ...manifest.metadata, namespace }, spec: { ...manifest.spec, ...spec } };
}

const yamlOf = (...manifests: Manifest[]) => manifests.map((m) => stringify(m)).join("---\n");

describe("FederationConfig and FederationPeer CRDs", () => {
  const ns = useTestNamespace(kubeconfig, "crds");
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "crds-int-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("accepts the design's example objects with kubectl apply -f", async () => {
    const file = join(dir, "examples.yaml");
    await writeFile(
      file,
      yamlOf(
        inNamespace(exampleFederationConfig, ns.name),
        inNamespace(exampleFederationPeer, ns.name),
        inNamespace(exampleRestrictedPeer, ns.name),
      ),
    );
    const applied = await kubectl(["apply", "--validate=strict", "-f", file]);
    expect(applied.stderr).toBe("");
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain("federationconfig.federation.wire.com/wire created");
    expect(applied.stdout).toContain("federationpeer.federation.wire.com/partner created");

    const stored = await kubectl(["get", "fp", "partner", "-n", ns.name, "-o", "jsonpath={.spec.domain} {.spec.searchPolicy} {.spec.suspend}"]);
    expect(stored.stdout).toBe("partner.example.org full_search false"); // suspend: defaulted by the schema
  });

  it("shows the printer columns in kubectl get fp", async () => {
    await kubectl(["apply", "-f", "-"], yamlOf(inNamespace(exampleFederationPeer, ns.name)));
    const { code, stdout } = await kubectl(["get", "fp", "-n", ns.name]);
    expect(code).toBe(0);
    const [header = "", row = ""] = stdout.trim().split("\n");
    expect(header.split(/\s+/)).toEqual(["NAME", "DOMAIN", "SEARCH", "READY", "CA-EXPIRES", "BRIG", "AGE"]);
    expect(row.split(/\s+/).slice(0, 3)).toEqual(["partner", "partner.example.org", "full_search"]);
  });

  it("documents fields for kubectl explain", async () => {
    // The API server publishes a new CRD's OpenAPI a moment after it is Established.
    const explained = await waitFor(
      async () => {
        const result = await kubectl(["explain", "federationpeer.spec.domain"]);
        return result.code === 0 ? result.stdout : undefined;
      },
      { description: "kubectl explain federationpeer.spec.domain to succeed", timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(explained).toMatch(/FIELD:\s+domain <string>/);
    expect(explained).toContain("The remote backend domain (e.g. partner.example.org)");
  });

  const peer = (spec: Record<string, unknown>, namespace: string) => yamlOf(inNamespace(exampleFederationPeer, namespace, spec));
  const config = (spec: Record<string, unknown>, namespace: string) => yamlOf(inNamespace(exampleFederationConfig, namespace, spec));

  it.each([
    ["an upper-case domain", (n: string) => peer({ domain: "Partner.Example.org" }, n), /spec\.domain: Invalid value: "Partner\.Example\.org"/],
    ["an unknown strategy", (n: string) => config({ strategy: "AllowSome" }, n), /spec\.strategy: Unsupported value: "AllowSome"/],
    [
      "two certificate modes",
      (n: string) => config({ certificate: { selfSigned: {}, secretRef: { name: "mine" } } }, n),
      /spec\.certificate: Invalid value: exactly one of secretRef, certManager, selfSigned must be set/,
    ],
    [
      "RestrictByTeam without teams",
      (n: string) => peer({ restriction: { type: "RestrictByTeam" } }, n),
      /spec\.restriction\.teams: Invalid value: teams is required when type is RestrictByTeam/,
    ],
    ["an unknown field", (n: string) => peer({ bogus: true }, n), /unknown field "spec\.bogus"/],
  ])("refuses %s, naming the field", async (_, manifest, message) => {
    const { code, stderr } = await kubectl(["apply", "--validate=strict", "-f", "-"], manifest(ns.name));
    expect(code).not.toBe(0);
    expect(stderr).toMatch(message);
    const left = await kubectl(["get", "fp,fc", "-n", ns.name, "-o", "name"]);
    expect(left.stdout).toBe("");
  });

  it("refuses an update that changes spec.domain", async () => {
    const created = await kubectl(["apply", "-f", "-"], peer({}, ns.name));
    expect(created.code).toBe(0);
    const { code, stderr } = await kubectl(["apply", "-f", "-"], peer({ domain: "other.example.org" }, ns.name));
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/spec\.domain: Invalid value: "other\.example\.org": domain is immutable/);
    const stored = await kubectl(["get", "fp", "partner", "-n", ns.name, "-o", "jsonpath={.spec.domain}"]);
    expect(stored.stdout).toBe("partner.example.org");
  });
});
