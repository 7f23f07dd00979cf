// RBAC tests act as a less privileged identity through impersonation: a copy of the admin
// kubeconfig whose user carries `as` (honoured by kubectl and @kubernetes/client-node) and
// `as-groups` (kubectl only). A ServiceAccount is the user "system:serviceaccount:<ns>:<name>".
import { readFile, writeFile } from "node:fs/promises";
import { parse, stringify } from "yaml";

export interface Identity {
  readonly user: string;
  readonly groups?: readonly string[];
}

interface KubeconfigDocument {
  users?: { name: string; user: Record<string, unknown> }[];
}

export function serviceAccountUser(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

/** Writes to `targetPath` a kubeconfig that authenticates as admin and acts as `identity`. */
export async function writeImpersonatingKubeconfig(adminKubeconfigPath: string, identity: Identity, targetPath: string): Promise<string> {
  const document = parse(await readFile(adminKubeconfigPath, "utf8")) as KubeconfigDocument;
  for (const entry of document.users ?? []) {
    entry.user["as"] = identity.user;
    if (identity.groups?.length) entry.user["as-groups"] = [...identity.groups];
  }
  await writeFile(targetPath, stringify(document), { mode: 0o600 });
  return targetPath;
}
