// `npm run import` against the fake brig (e2e/support/fake-brig.ts, from wire-server's brig) and a
// wire-server values file (charts/wire-server/values.yaml layout).
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { parse, parseAllDocuments, stringify } from "yaml";
import { FederationPeer } from "../../lib/api/v1alpha1.ts";
import { startFakeBrig, type FakeBrig } from "../../e2e/support/fake-brig.ts";
import { seedTwentyRemotes } from "../testing/brig-remotes.ts";
import { importManifests, readHelmValues } from "./import.ts";

const REPO = join(import.meta.dirname, "..", "..");
let brig: FakeBrig | undefined;
let dir: string | undefined;
afterEach(async () => {
  await brig?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  brig = undefined;
  dir = undefined;
});

describe("import", () => {
  it("writes a FederationPeer per brig remote, with brig's settings, and a FederationConfig skeleton", async () => {
    brig = await startFakeBrig({ strategy: "allowDynamic", configFileRemotes: [{ domain: "file1.example", search_policy: "full_search" }, { domain: "file2.example", search_policy: "no_search" }] });
    await seedTwentyRemotes(brig);
    const result = importManifests({ namespace: "wire", configName: "wire", brig: brig.remotes() });
    expect(result.peers).toHaveLength(20);
    const peers = result.peers.map((p) => FederationPeer.parse(p));
    expect(peers.find((p) => p.spec.domain === "r1.example")?.spec).toMatchObject({ searchPolicy: "exact_handle_search", restriction: { type: "RestrictByTeam", teams: ["8d5c5c2a-6f3e-4b2c-9a57-0d6a1c1e2f30"] } });
    expect(peers.find((p) => p.spec.domain === "r3.example")?.spec.restriction).toEqual({ type: "RestrictByTeam", teams: [] });
    expect(peers.find((p) => p.spec.domain === "file1.example")?.spec).toMatchObject({ searchPolicy: "full_search", restriction: { type: "AllowAll" } });
    expect(result.config).toMatchObject({ kind: "FederationConfig", spec: { strategy: "AllowList", brig: { sync: true } } });
  });

  it("reads the deprecated helm values: brig's config file remotes and strategy, the federator's allowedDomains", () => {
    const values = readHelmValues({
      brig: { config: { optSettings: { setFederationDomain: "wire.example", setFederationStrategy: "allowAll", setFederationDomainConfigs: [{ domain: "Red.example.com", search_policy: "full_search" }] } } },
      federator: { config: { optSettings: { federationStrategy: { allowedDomains: ["red.example.com", "blue.example.com"] } } } },
    });
    const result = importManifests({ namespace: "wire", configName: "wire", values });
    expect(result.peers.map((p) => FederationPeer.parse(p).spec)).toMatchObject([
      { domain: "blue.example.com", searchPolicy: "no_search", restriction: { type: "AllowAll" } },
      { domain: "red.example.com", searchPolicy: "full_search", restriction: { type: "AllowAll" } },
    ]);
    expect(result.config).toMatchObject({ spec: { backendDomain: "wire.example", strategy: "AllowAll" } });
  });

  it("runs as npm run import: to stdout, or one file per object into --out", async () => {
    brig = await startFakeBrig({ strategy: "allowDynamic" });
    await seedTwentyRemotes(brig);
    dir = mkdtempSync(join(tmpdir(), "import-"));
    writeFileSync(join(dir, "values.yaml"), stringify({ brig: { config: { optSettings: { setFederationDomain: "wire.example" } } } }));
    const run = promisify(execFile);
    const stdout = (await run(process.execPath, ["operator/brig/import-cli.ts", "--brig", brig.url, "--namespace", "wire", "--values", join(dir, "values.yaml")], { cwd: REPO })).stdout;
    const docs = parseAllDocuments(stdout).map((d) => d.toJSON() as { kind: string });
    expect(docs.filter((d) => d.kind === "FederationPeer")).toHaveLength(18);
    await run(process.execPath, ["operator/brig/import-cli.ts", "--brig", brig.url, "--out", join(dir, "out")], { cwd: REPO });
    const files = readdirSync(join(dir, "out"));
    expect(files).toHaveLength(19);
    expect(parse(readFileSync(join(dir, "out", "federationpeer-r0.example.yaml"), "utf8"))).toMatchObject({ spec: { domain: "r0.example", searchPolicy: "no_search" } });
  });
});
