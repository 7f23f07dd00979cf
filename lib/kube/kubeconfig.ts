// Where the API server is and how to authenticate to it: a kubeconfig file's current context, or
// the pod's service account. Only what a controller needs (server, CA, client certificate, bearer
// token, impersonation); @kubernetes/client-node's KubeConfig did the same for +80 MiB RSS.
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { parse } from "yaml";

export interface KubeConnection {
  readonly server: URL;
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly insecureSkipTlsVerify: boolean;
  readonly tlsServerName?: string;
  /** The bearer token, read again on each call where it comes from a file (projected tokens rotate). */
  readonly token?: () => string;
  readonly impersonate?: { readonly user: string; readonly groups: readonly string[] };
}

export class KubeConfigError extends Error {
  override readonly name = "KubeConfigError";
}

const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

interface KubeconfigFile {
  "current-context"?: string;
  contexts?: { name?: string; context?: { cluster?: string; user?: string } }[];
  clusters?: { name?: string; cluster?: Record<string, unknown> }[];
  users?: { name?: string; user?: Record<string, unknown> }[];
}

const str = (record: Record<string, unknown> | undefined, key: string): string | undefined => {
  const value = record?.[key];
  return typeof value === "string" && value !== "" ? value : undefined;
};

/** A kubeconfig's `*-data` (base64) or file path (relative to the kubeconfig's folder). */
function material(record: Record<string, unknown> | undefined, field: string, base: string): Buffer | undefined {
  const data = str(record, `${field}-data`);
  if (data !== undefined) return Buffer.from(data, "base64");
  const file = str(record, field);
  return file === undefined ? undefined : readFileSync(isAbsolute(file) ? file : join(base, file));
}

export function loadKubeConfigFile(path: string): KubeConnection {
  const file = (parse(readFileSync(path, "utf8")) ?? {}) as KubeconfigFile;
  const contextName = file["current-context"];
  const context = file.contexts?.find((c) => c.name === contextName)?.context ?? (file.contexts?.length === 1 ? file.contexts[0]?.context : undefined);
  if (context === undefined) throw new KubeConfigError(`${path}: no current context`);
  const cluster = file.clusters?.find((c) => c.name === context.cluster)?.cluster;
  if (cluster === undefined) throw new KubeConfigError(`${path}: context names cluster "${context.cluster ?? ""}", which the file does not define`);
  const user = file.users?.find((u) => u.name === context.user)?.user ?? {};
  for (const unsupported of ["exec", "auth-provider"]) {
    if (user[unsupported] !== undefined) throw new KubeConfigError(`${path}: user "${context.user ?? ""}" authenticates with ${unsupported}, which this client does not support; use a client certificate or a token`);
  }
  const server = str(cluster, "server");
  if (server === undefined) throw new KubeConfigError(`${path}: cluster "${context.cluster ?? ""}" has no server`);
  const base = dirname(path);
  const token = str(user, "token");
  const tokenFile = str(user, "tokenFile");
  const as = str(user, "as");
  const groups = Array.isArray(user["as-groups"]) ? user["as-groups"].filter((g): g is string => typeof g === "string") : [];
  const ca = material(cluster, "certificate-authority", base);
  const cert = material(user, "client-certificate", base);
  const key = material(user, "client-key", base);
  const tlsServerName = str(cluster, "tls-server-name");
  return {
    server: new URL(server),
    insecureSkipTlsVerify: cluster["insecure-skip-tls-verify"] === true,
    ...(ca === undefined ? {} : { ca }),
    ...(cert === undefined ? {} : { cert }),
    ...(key === undefined ? {} : { key }),
    ...(tlsServerName === undefined ? {} : { tlsServerName }),
    ...(token !== undefined ? { token: () => token } : tokenFile !== undefined ? { token: () => readFileSync(isAbsolute(tokenFile) ? tokenFile : join(base, tokenFile), "utf8").trim() } : {}),
    ...(as === undefined ? {} : { impersonate: { user: as, groups } }),
  };
}

/** The pod's service account, as client-go's rest.InClusterConfig reads it. */
export function loadInClusterConfig(env: NodeJS.ProcessEnv = process.env, dir = SERVICE_ACCOUNT_DIR): KubeConnection {
  const host = env["KUBERNETES_SERVICE_HOST"];
  const port = env["KUBERNETES_SERVICE_PORT"];
  if (host === undefined || host === "" || port === undefined || port === "") {
    throw new KubeConfigError("not running in a cluster (KUBERNETES_SERVICE_HOST/PORT unset): pass --kubeconfig or set KUBECONFIG");
  }
  const tokenPath = join(dir, "token");
  readFileSync(tokenPath); // fail now, not at the first request, when the token is not mounted
  return {
    server: new URL(`https://${host.includes(":") ? `[${host}]` : host}:${port}`),
    ca: readFileSync(join(dir, "ca.crt")),
    insecureSkipTlsVerify: false,
    token: () => readFileSync(tokenPath, "utf8").trim(),
  };
}

/** A kubeconfig file when a path is given, else the pod's service account. */
export function loadKubeConfig(path: string | undefined): KubeConnection {
  return path === undefined ? loadInClusterConfig() : loadKubeConfigFile(path);
}
