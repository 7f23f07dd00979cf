// The synthesized manifests against the real API server of the shared control plane: the install
// and the example backend pass server-side dry-run, and a real install (in fresh namespaces)
// passes the "restricted" Pod Security Standard and grants the operator exactly its RBAC.
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { App, Chart, Yaml } from "cdk8s";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { kubectl } from "../e2e/support/kubectl.ts";
import { createTestNamespace, namespaceName, type TestNamespace } from "../e2e/support/namespace.ts";
import { renderManifests } from "./main.ts";
import { FederationOperator, OPERATOR_NAME } from "./operator-install.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const kubeconfig = inject("kubeconfig");
const binary = inject("kubectl");
const run = (args: readonly string[], stdin?: string) => kubectl(args, { kubeconfig, binary, ...(stdin === undefined ? {} : { stdin }) });

interface Exit {
  readonly code: number | null;
  readonly output: string;
}

/** Runs a command from the repository root; resolves with its exit code and combined output. */
function command(program: string, args: readonly string[], env: Record<string, string> = {}): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

const filesIn = (dir: string) => Object.fromEntries(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f), "utf8")]));

const work = mkdtempSync(join(tmpdir(), "wfo-cdk8s-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("npm run synth and cdk8s synth", () => {
  it("write dist/install.yaml and dist/example-backend.yaml, byte-identical on every run", async () => {
    const outputs = [join(work, "synth-1"), join(work, "synth-2"), join(work, "cdk8s-cli")];
    const runs = await Promise.all([
      command("npm", ["run", "--silent", "synth"], { CDK8S_OUTDIR: outputs[0]! }),
      command("npm", ["run", "--silent", "synth"], { CDK8S_OUTDIR: outputs[1]! }),
      // The repository's cdk8s.yaml decides how the app runs; --no-check-upgrade keeps it offline.
      command("npx", ["--no-install", "cdk8s", "--no-check-upgrade", "synth", "--output", outputs[2]!]),
    ]);
    for (const r of runs) expect(r.code, r.output).toBe(0);
    const expected = Object.fromEntries(renderManifests());
    expect(Object.keys(expected).sort()).toEqual(["example-backend.yaml", "install.yaml"]);
    for (const dir of outputs) expect(filesIn(dir)).toEqual(expected);
  });
});

describe("server-side dry-run on the real API server", () => {
  const created: string[] = [];
  const manifests = renderManifests();

  beforeAll(async () => {
    // A dry-run creates no namespace, so objects inside a new one would be refused: the install's
    // own namespace and the example's must exist. Create the missing ones; remove only those.
    for (const ns of ["wire-federation-system", "wire"]) {
      if ((await run(["get", "namespace", ns])).code === 0) continue;
      const result = await run(["create", "namespace", ns]);
      expect(result.code, result.stderr).toBe(0);
      created.push(ns);
    }
  });
  afterAll(async () => {
    for (const ns of created) await run(["delete", "namespace", ns, "--wait=false"]);
  });

  it.each(["install.yaml", "example-backend.yaml"])("accepts %s with server-side apply", async (file) => {
    const path = join(work, file);
    writeFileSync(path, manifests.get(file)!);
    const result = await run(["apply", "--server-side", "--dry-run=server", "-f", path]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe("");
    const documents = manifests.get(file)!.split(/^---$/m).length;
    expect(result.stdout.trim().split("\n").filter((l) => l.endsWith("(server dry run)"))).toHaveLength(documents);
  });

  it.each(["install.yaml", "example-backend.yaml"])("accepts %s with a plain kubectl apply, as the README installs it", async (file) => {
    const result = await run(["apply", "--dry-run=server", "-f", "-"], manifests.get(file)!);
    expect(result.code, result.stderr).toBe(0);
    // Only the CRDs the test harness created without kubectl may draw a warning; nothing is refused.
    expect(result.stderr.split("\n").filter((l) => l !== "" && !l.includes("last-applied-configuration"))).toEqual([]);
  });

  it("refuses a FederationPeer the constructs would refuse, naming the same field", async () => {
    const bad = manifests.get("example-backend.yaml")!.replace("domain: partner.example.org", "domain: Partner_Example.org");
    const result = await run(["apply", "--server-side", "--dry-run=server", "-f", "-"], bad);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/spec\.domain/);
  });
});

describe("a real install in fresh namespaces", () => {
  const operatorNamespace = namespaceName("wfo-system");
  const watched: TestNamespace[] = [];
  const unwatched = namespaceName("wfo-unwatched");
  const serviceAccount = `system:serviceaccount:${operatorNamespace}:${OPERATOR_NAME}`;
  let applied: Awaited<ReturnType<typeof run>>;

  beforeAll(async () => {
    watched.push(await createTestNamespace(kubeconfig, "wfo-watched"), await createTestNamespace(kubeconfig, "wfo-watched"));
    const chart = new Chart(new App(), "install");
    // The CRDs are the shared control plane's; everything else is applied for real.
    new FederationOperator(chart, "operator", { namespace: operatorNamespace, watchedNamespaces: watched.map((n) => n.name), installCrds: false });
    applied = await run(["apply", "--server-side", "-f", "-"], Yaml.stringify(...chart.toJson()));
  });
  afterAll(async () => {
    await run(["delete", "namespace", operatorNamespace, "--wait=false", "--ignore-not-found"]);
    // Cluster-scoped: the namespace's deletion does not take them.
    await run(["delete", "clusterrolebinding,clusterrole", `${OPERATOR_NAME}:${operatorNamespace}`, "--ignore-not-found"]);
    for (const ns of watched) await ns.delete();
  });

  it("is created without a single Pod Security warning in a namespace that enforces 'restricted'", async () => {
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stderr).toBe("");
    const ns = await run(["get", "namespace", operatorNamespace, "-o", "jsonpath={.metadata.labels.pod-security\\.kubernetes\\.io/enforce}"]);
    expect(ns.stdout).toBe("restricted");
    const deployment = await run(["get", "deployment", OPERATOR_NAME, "-n", operatorNamespace, "-o", "jsonpath={.spec.template.spec.containers[0].securityContext.seccompProfile.type}"]);
    expect(deployment.stdout).toBe("RuntimeDefault");
  });

  const canI = async (verb: string, resource: string, namespace: string | undefined, subresource?: string) => {
    const args = ["auth", "can-i", verb, resource, "--as", serviceAccount, "--as-group", "system:serviceaccounts", "--as-group", `system:serviceaccounts:${operatorNamespace}`];
    const result = await run([...args, ...(namespace ? ["-n", namespace] : []), ...(subresource ? ["--subresource", subresource] : [])]);
    return result.stdout.trim();
  };

  it("lets the operator's service account do its work in the watched namespaces and hold its Lease", async () => {
    const [a, b] = watched.map((n) => n.name);
    const answers = await Promise.all([
      canI("watch", "federationpeers.federation.wire.com", a),
      canI("list", "federationconfigs.federation.wire.com", b),
      canI("patch", "federationpeers.federation.wire.com", b, "status"),
      canI("create", "secrets", a),
      canI("update", "deployments.apps", b),
      canI("create", "ingresses.networking.k8s.io", a),
      canI("create", "events", b),
      canI("update", "leases.coordination.k8s.io", operatorNamespace),
    ]);
    expect(answers).toEqual(Array(answers.length).fill("yes"));
  });

  it("denies the operator's service account everything else", async () => {
    const [a] = watched.map((n) => n.name);
    const answers = await Promise.all([
      canI("get", "secrets", operatorNamespace),
      canI("list", "secrets", unwatched),
      canI("list", "federationpeers.federation.wire.com", unwatched),
      canI("list", "secrets", undefined),
      canI("update", "federationpeers.federation.wire.com", a),
      canI("delete", "federationconfigs.federation.wire.com", a),
      canI("create", "leases.coordination.k8s.io", a),
      canI("list", "pods", a),
      canI("list", "namespaces", undefined),
      canI("create", "clusterrolebindings.rbac.authorization.k8s.io", undefined),
    ]);
    expect(answers).toEqual(Array(answers.length).fill("no"));
  });
});
