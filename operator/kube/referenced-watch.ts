// Watches exactly the Secrets and ConfigMaps that FederationConfigs and FederationPeers name,
// one informer per object with a metadata.name field selector: the operator never receives the
// data of a Secret nobody referenced.
import type { Logger } from "../../lib/log.ts";
import type { KubeObject } from "../desired/objects.ts";
import { Informer } from "./informer.ts";
import { RESOURCES } from "./resources.ts";
import type { RestClient } from "./rest.ts";

export type ReferencedKind = "Secret" | "ConfigMap";
/** A reconcile waiting longer than this fails and is retried with backoff. */
const SYNC_TIMEOUT_MS = 30_000;
const keyOf = (kind: ReferencedKind, namespace: string, name: string) => `${kind}/${namespace}/${name}`;

export class ReferencedWatch {
  readonly #client: RestClient;
  readonly #log: Logger;
  readonly #onChange: (namespace: string) => void;
  readonly #informers = new Map<string, Informer>();

  constructor(client: RestClient, log: Logger, onChange: (namespace: string) => void) {
    this.#client = client;
    this.#log = log;
    this.#onChange = onChange;
  }

  /** Starts watching what is newly referenced in `namespace`, stops what no longer is, and waits until all are synced. */
  async track(namespace: string, wanted: ReadonlySet<string>): Promise<void> {
    for (const [key, informer] of this.#informers) {
      if (key.split("/")[1] === namespace && !wanted.has(key)) {
        informer.stop();
        this.#informers.delete(key);
      }
    }
    for (const key of wanted) {
      if (this.#informers.has(key)) continue;
      const [kind, , name] = key.split("/") as [ReferencedKind, string, string];
      const informer = new Informer(this.#client, {
        resource: RESOURCES[kind],
        namespace,
        fieldSelector: `metadata.name=${name}`,
        onChange: () => this.#onChange(namespace),
        log: this.#log,
      });
      this.#informers.set(key, informer);
      informer.start();
    }
    const synced = Promise.all([...wanted].map((key) => this.#informers.get(key)?.waitForSync()));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`referenced Secrets/ConfigMaps in ${namespace} not readable within ${SYNC_TIMEOUT_MS / 1000}s`)), SYNC_TIMEOUT_MS);
    });
    try {
      await Promise.race([synced, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  get(kind: ReferencedKind, namespace: string, name: string): KubeObject | undefined {
    return this.#informers.get(keyOf(kind, namespace, name))?.get(name);
  }

  stop(): void {
    for (const informer of this.#informers.values()) informer.stop();
    this.#informers.clear();
  }
}

export const referenceKey = keyOf;
