// Installs the repository's generated CRDs (crds/*.yaml) and waits until the API server serves them.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import { waitFor } from "../support/wait-for.ts";
import type { AdminClient } from "./admin-client.ts";

const CRD_DIR = join(import.meta.dirname, "..", "..", "crds");

interface CrdDocument {
  readonly metadata: { readonly name: string };
}

async function readCrds(): Promise<CrdDocument[]> {
  const names = (await readdir(CRD_DIR)).filter((f) => f.endsWith(".yaml")).sort();
  return Promise.all(names.map(async (file) => parse(await readFile(join(CRD_DIR, file), "utf8")) as CrdDocument));
}

interface Condition {
  readonly type?: string;
  readonly status?: string;
}

export async function installCrds(client: AdminClient, timeoutMs: number): Promise<void> {
  const crds = await readCrds();
  const base = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
  for (const crd of crds) {
    const { status, text } = await client.request("POST", `${base}?fieldValidation=Strict`, crd);
    if (status !== 201) throw new Error(`the API server refused CRD ${crd.metadata.name} (HTTP ${status}): ${text}`);
  }
  await Promise.all(
    crds.map((crd) =>
      waitFor(
        async () => {
          const { status, text } = await client.request("GET", `${base}/${crd.metadata.name}`);
          if (status !== 200) return false;
          const conditions = ((JSON.parse(text) as { status?: { conditions?: Condition[] } }).status?.conditions ?? []);
          return conditions.some((c) => c.type === "Established" && c.status === "True");
        },
        { description: `CRD ${crd.metadata.name} to be Established`, timeoutMs },
      ),
    ),
  );
}
