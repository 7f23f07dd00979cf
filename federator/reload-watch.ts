// Watch mode: read the federator ConfigMap and the two Secrets through the Kubernetes API and
// follow them with one informer each, restricted to the object's name (RBAC: get/list/watch on
// those names only), so a change reaches the federator in well under a second, without waiting for
// the kubelet. The informers are the operator's (lib/kube): a watch lasts until the API server ends
// it, and resumes from the last version seen.
import { Informer } from "../lib/kube/informer.ts";
import type { KubeObject } from "../lib/kube/objects.ts";
import { BUILTIN_RESOURCES } from "../lib/kube/resources.ts";
import { createRestClient, loadKubeConfig, type RestClient } from "../lib/kube/rest.ts";
import { decodedSecretData } from "../lib/kube/secret-data.ts";
import type { Logger } from "../lib/log.ts";
import type { HopSources, ReadResult, Sources } from "./config.ts";
import type { Federator } from "./federator.ts";

export interface KubeObjects {
  readonly namespace: string;
  readonly configMap: string;
  readonly tlsSecret: string;
  readonly caSecret: string;
  /** listen.ingressHop: Secret with the hop's tls.crt, tls.key and ca.crt. */
  readonly hopSecret?: string | undefined;
}

export interface KubeWatchOptions extends KubeObjects {
  /** Path of a kubeconfig; undefined means in-cluster. */
  readonly kubeconfig?: string | undefined;
}

export const CONFIG_KEY = "federator.yaml";
export const CERT_KEY = "tls.crt";
export const KEY_KEY = "tls.key";
export const CA_KEY = "ca.crt";

/** The first read waits this long for the three objects before the federator gives up starting. */
const SYNC_TIMEOUT_MS = 30_000;

interface Parts {
  configYaml?: string | undefined;
  certificatePem?: string | undefined;
  privateKeyPem?: string | undefined;
  caBundlePem?: string | undefined;
  hop?: Partial<HopSources> | undefined;
}

/** The sources once every part is present, else which key of which object is missing. */
export function assemble(parts: Parts, objects: KubeObjects): ReadResult {
  const missing = [
    parts.configYaml === undefined ? `ConfigMap ${objects.configMap} key ${CONFIG_KEY}` : undefined,
    parts.certificatePem === undefined ? `Secret ${objects.tlsSecret} key ${CERT_KEY}` : undefined,
    parts.privateKeyPem === undefined ? `Secret ${objects.tlsSecret} key ${KEY_KEY}` : undefined,
    parts.caBundlePem === undefined ? `Secret ${objects.caSecret} key ${CA_KEY}` : undefined,
    ...hopMissing(parts.hop, objects.hopSecret),
  ].filter((m): m is string => m !== undefined);
  if (missing.length > 0) return { ok: false, reason: `missing ${missing.join(", ")} in namespace ${objects.namespace}` };
  return { ok: true, sources: parts as Sources };
}

function hopMissing(hop: Partial<HopSources> | undefined, secret: string | undefined): (string | undefined)[] {
  if (secret === undefined) return [];
  return [
    hop?.certificatePem === undefined ? `Secret ${secret} key ${CERT_KEY}` : undefined,
    hop?.privateKeyPem === undefined ? `Secret ${secret} key ${KEY_KEY}` : undefined,
    hop?.caPem === undefined ? `Secret ${secret} key ${CA_KEY}` : undefined,
  ];
}

function partsOf(configMap: KubeObject | undefined, tls: KubeObject | undefined, ca: KubeObject | undefined, hop: KubeObject | undefined): Parts {
  const tlsData = decodedSecretData(tls);
  const hopData = decodedSecretData(hop);
  return {
    configYaml: (configMap?.["data"] as Record<string, string> | undefined)?.[CONFIG_KEY],
    certificatePem: tlsData?.[CERT_KEY],
    privateKeyPem: tlsData?.[KEY_KEY],
    caBundlePem: decodedSecretData(ca)?.[CA_KEY],
    hop: hopData === undefined ? undefined : { certificatePem: hopData[CERT_KEY], privateKeyPem: hopData[KEY_KEY], caPem: hopData[CA_KEY] },
  };
}

export interface KubeSources {
  /** What the three objects hold now. */
  current(): ReadResult;
  /** Calls `listener` (debounced) after each change of any of the objects. */
  onChange(listener: () => void): void;
  /** Watch requests made so far (each ends only when the API server ends it, or fails). */
  watchRequests(): number;
  close(): void;
}

/** Starts following the three objects and resolves once all have been listed (or the deadline passed). */
export async function followKubeSources(options: { objects: KubeObjects; client: RestClient; log: Logger; debounceMs?: number }): Promise<KubeSources> {
  const { objects, client, log } = options;
  let listener: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const changed = () => {
    clearTimeout(timer);
    // A certificate and its key change in one Secret event; the short delay joins events of several objects.
    timer = setTimeout(() => listener?.(), options.debounceMs ?? 20);
  };
  const informer = (kind: "ConfigMap" | "Secret", name: string) =>
    new Informer(client, {
      resource: BUILTIN_RESOURCES[kind],
      namespace: objects.namespace,
      name,
      onChange: (_name, object) => {
        if (object === undefined) log.warn({ object: `${kind}/${name}` }, "watched object deleted; keeping the last good configuration");
        else changed();
      },
      log,
    });
  const configMap = informer("ConfigMap", objects.configMap);
  const tls = informer("Secret", objects.tlsSecret);
  const ca = informer("Secret", objects.caSecret);
  const hop = objects.hopSecret === undefined ? undefined : informer("Secret", objects.hopSecret);
  const all = [configMap, tls, ca, ...(hop === undefined ? [] : [hop])];
  for (const i of all) i.start();
  let deadline: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(all.map((i) => i.waitForSync())), new Promise((resolve) => (deadline = setTimeout(resolve, SYNC_TIMEOUT_MS)))]);
  clearTimeout(deadline);
  const unsynced = all.filter((i) => !i.synced).length;
  if (unsynced > 0) log.warn({ namespace: objects.namespace, unsynced }, "cannot list the federator's objects yet; retrying with backoff");
  let last = partsOf(undefined, undefined, undefined, undefined);
  return {
    current() {
      // A deleted object keeps its last parts: the federator keeps the last good configuration.
      const now = partsOf(configMap.get(objects.configMap), tls.get(objects.tlsSecret), ca.get(objects.caSecret), objects.hopSecret === undefined ? undefined : hop?.get(objects.hopSecret));
      last = {
        configYaml: now.configYaml ?? last.configYaml,
        certificatePem: now.certificatePem ?? last.certificatePem,
        privateKeyPem: now.privateKeyPem ?? last.privateKeyPem,
        caBundlePem: now.caBundlePem ?? last.caBundlePem,
        hop: now.hop ?? last.hop,
      };
      return assemble(last, objects);
    },
    onChange(next) {
      listener = next;
    },
    watchRequests: () => all.reduce((sum, i) => sum + i.watches, 0),
    close() {
      clearTimeout(timer);
      for (const i of all) i.stop();
      client.close();
    },
  };
}

/** Connects with a kubeconfig (or in-cluster) and follows the objects. */
export async function connectKubeSources(options: KubeWatchOptions, log: Logger): Promise<KubeSources> {
  const client = await createRestClient(loadKubeConfig(options.kubeconfig), "wire-federator");
  return followKubeSources({ objects: options, client, log });
}

/** Feeds every change of the objects to the federator: a reload, or a refusal naming what is missing. */
export function reloadOnChange(sources: KubeSources, federator: Pick<Federator, "reload" | "reject">): void {
  sources.onChange(() => {
    const assembled = sources.current();
    if (!assembled.ok) federator.reject(assembled.reason, "watch");
    else federator.reload(assembled.sources, "watch");
  });
}
