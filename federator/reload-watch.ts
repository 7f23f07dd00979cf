// Watch mode: read the federator ConfigMap and the two Secrets through the Kubernetes API and
// follow them with watches restricted to each object's name (RBAC: get/watch on those names only),
// so a change reaches the federator in well under a second, without waiting for the kubelet.
import { CoreV1Api, KubeConfig, Watch, type V1ConfigMap, type V1Secret } from "@kubernetes/client-node";
import type { Logger } from "../lib/log.ts";
import type { ReadResult, Sources } from "./config.ts";
import type { Federator } from "./federator.ts";

export interface KubeObjects {
  readonly namespace: string;
  readonly configMap: string;
  readonly tlsSecret: string;
  readonly caSecret: string;
}

export interface KubeWatchOptions extends KubeObjects {
  /** Path of a kubeconfig; undefined means in-cluster. */
  readonly kubeconfig?: string | undefined;
}

export const CONFIG_KEY = "federator.yaml";
export const CERT_KEY = "tls.crt";
export const KEY_KEY = "tls.key";
export const CA_KEY = "ca.crt";

export function loadKubeConfig(path: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (path === undefined) kc.loadFromCluster();
  else kc.loadFromFile(path);
  return kc;
}

interface Parts {
  configYaml?: string | undefined;
  certificatePem?: string | undefined;
  privateKeyPem?: string | undefined;
  caBundlePem?: string | undefined;
}

function secretValue(secret: V1Secret, key: string): string | undefined {
  const encoded = secret.data?.[key];
  if (encoded !== undefined) return Buffer.from(encoded, "base64").toString("utf8");
  return secret.stringData?.[key];
}

function configMapParts(configMap: V1ConfigMap): Parts {
  return { configYaml: configMap.data?.[CONFIG_KEY] };
}

function tlsParts(secret: V1Secret): Parts {
  return { certificatePem: secretValue(secret, CERT_KEY), privateKeyPem: secretValue(secret, KEY_KEY) };
}

function caParts(secret: V1Secret): Parts {
  return { caBundlePem: secretValue(secret, CA_KEY) };
}

/** The sources once every part is present, else which key of which object is missing. */
export function assemble(parts: Parts, objects: KubeObjects): ReadResult {
  const missing = [
    parts.configYaml === undefined ? `ConfigMap ${objects.configMap} key ${CONFIG_KEY}` : undefined,
    parts.certificatePem === undefined ? `Secret ${objects.tlsSecret} key ${CERT_KEY}` : undefined,
    parts.privateKeyPem === undefined ? `Secret ${objects.tlsSecret} key ${KEY_KEY}` : undefined,
    parts.caBundlePem === undefined ? `Secret ${objects.caSecret} key ${CA_KEY}` : undefined,
  ].filter((m): m is string => m !== undefined);
  if (missing.length > 0) return { ok: false, reason: `missing ${missing.join(", ")} in namespace ${objects.namespace}` };
  return { ok: true, sources: parts as Sources };
}

function describeError(error: unknown): string {
  const code = (error as { code?: number }).code;
  const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
  return code !== undefined ? `HTTP ${code}: ${message}` : (message ?? "error");
}

/** One-off read of the three objects (start-up in Watch mode). */
export async function readKubeSources(kc: KubeConfig, objects: KubeObjects): Promise<ReadResult> {
  const api = kc.makeApiClient(CoreV1Api);
  try {
    const [configMap, tls, ca] = await Promise.all([
      api.readNamespacedConfigMap({ name: objects.configMap, namespace: objects.namespace }),
      api.readNamespacedSecret({ name: objects.tlsSecret, namespace: objects.namespace }),
      api.readNamespacedSecret({ name: objects.caSecret, namespace: objects.namespace }),
    ]);
    return assemble({ ...configMapParts(configMap), ...tlsParts(tls), ...caParts(ca) }, objects);
  } catch (error) {
    return { ok: false, reason: `cannot read the federator's objects: ${describeError(error)}` };
  }
}

export interface KubeWatcher {
  close(): void;
}

interface WatchedObject<T> {
  readonly kind: "configmaps" | "secrets";
  readonly name: string;
  readonly read: () => Promise<T>;
  readonly parts: (object: T) => Parts;
}

export function watchKube(options: { kc: KubeConfig; objects: KubeObjects; federator: Pick<Federator, "reload" | "reject">; log: Logger; debounceMs?: number; initial: Sources }): KubeWatcher {
  const { kc, objects, federator, log } = options;
  const api = kc.makeApiClient(CoreV1Api);
  const watch = new Watch(kc);
  let parts: Parts = { ...options.initial };
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  const controllers = new Set<AbortController>();

  function apply(): void {
    clearTimeout(timer);
    // A certificate and its key change in one Secret event; the short delay joins events of several objects.
    timer = setTimeout(() => {
      const assembled = assemble(parts, objects);
      if (!assembled.ok) federator.reject(assembled.reason, "watch");
      else federator.reload(assembled.sources, "watch");
    }, options.debounceMs ?? 20);
  }

  function follow<T extends V1ConfigMap | V1Secret>(object: WatchedObject<T>): void {
    const path = `/api/v1/namespaces/${objects.namespace}/${object.kind}`;
    const restart = (delayMs: number) => {
      if (!closed) setTimeout(() => void start(), delayMs).unref();
    };
    const start = async (): Promise<void> => {
      let resourceVersion: string | undefined;
      try {
        const current = await object.read();
        resourceVersion = current.metadata?.resourceVersion;
        parts = { ...parts, ...object.parts(current) };
        apply();
      } catch (error) {
        log.warn({ object: `${object.kind}/${object.name}`, message: describeError(error) }, "cannot read watched object; retrying");
        return restart(1000);
      }
      if (closed) return;
      try {
        const controller = await watch.watch(
          path,
          { fieldSelector: `metadata.name=${object.name}`, resourceVersion, allowWatchBookmarks: true },
          (phase: string, changed: T) => {
            if (phase === "ADDED" || phase === "MODIFIED") {
              parts = { ...parts, ...object.parts(changed) };
              apply();
            } else if (phase === "DELETED") {
              log.warn({ object: `${object.kind}/${object.name}` }, "watched object deleted; keeping the last good configuration");
            }
          },
          (error: unknown) => {
            controllers.delete(controller);
            if (closed) return;
            if (error !== null && error !== undefined) log.warn({ object: `${object.kind}/${object.name}`, message: describeError(error) }, "watch ended; restarting");
            restart(error === null || error === undefined ? 0 : 500);
          },
        );
        if (closed) controller.abort();
        else controllers.add(controller);
      } catch (error) {
        log.warn({ object: `${object.kind}/${object.name}`, message: describeError(error) }, "cannot watch object; retrying");
        restart(1000);
      }
    };
    void start();
  }

  follow<V1ConfigMap>({ kind: "configmaps", name: objects.configMap, read: () => api.readNamespacedConfigMap({ name: objects.configMap, namespace: objects.namespace }), parts: configMapParts });
  follow<V1Secret>({ kind: "secrets", name: objects.tlsSecret, read: () => api.readNamespacedSecret({ name: objects.tlsSecret, namespace: objects.namespace }), parts: tlsParts });
  follow<V1Secret>({ kind: "secrets", name: objects.caSecret, read: () => api.readNamespacedSecret({ name: objects.caSecret, namespace: objects.namespace }), parts: caParts });

  return {
    close() {
      closed = true;
      clearTimeout(timer);
      for (const controller of controllers) controller.abort();
      controllers.clear();
    },
  };
}
