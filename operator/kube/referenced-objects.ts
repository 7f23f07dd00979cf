// The Secrets and ConfigMaps that FederationConfigs and FederationPeers name. One metadata-only
// informer per kind and namespace tells which exist and at which version, however many are
// referenced (one watch each per namespace, not one per object); the data of a referenced object
// is read by name when its version is new to us, and only referenced objects' data is kept. So the
// operator never holds the content of a Secret nobody referenced.
import type { Logger } from "../../lib/log.ts";
import { getObject } from "../../lib/kube/get-object.ts";
import { Informer, withoutManagedFields } from "../../lib/kube/informer.ts";
import type { KubeObject } from "../../lib/kube/objects.ts";
import type { RestClient } from "../../lib/kube/rest.ts";
import { RESOURCES } from "./resources.ts";

export type ReferencedKind = "Secret" | "ConfigMap";
export type Reference = readonly [ReferencedKind, string];

/** Parallel reads of referenced objects whose version changed. */
const READERS = 8;

const keyOf = (kind: ReferencedKind, name: string) => `${kind}/${name}`;

interface Cached {
  readonly resourceVersion: string;
  readonly object: KubeObject;
}

export class ReferencedObjects {
  readonly #client: RestClient;
  readonly #namespace: string;
  readonly #metadata: Readonly<Record<ReferencedKind, Informer>>;
  /** `Kind/name` → what each config of the namespace references; a change to one of them queues the namespace. */
  readonly #references = new Map<string, ReadonlySet<string>>();
  readonly #data = new Map<string, Cached>();

  constructor(client: RestClient, namespace: string, log: Logger, onChange: () => void) {
    this.#client = client;
    this.#namespace = namespace;
    const informer = (kind: ReferencedKind) =>
      new Informer(client, {
        resource: RESOURCES[kind],
        namespace,
        metadataOnly: true,
        transform: withoutManagedFields,
        onChange: (name) => {
          if (this.#referenced(keyOf(kind, name))) onChange();
        },
        log,
      });
    this.#metadata = { Secret: informer("Secret"), ConfigMap: informer("ConfigMap") };
  }

  get informers(): readonly Informer[] {
    return Object.values(this.#metadata);
  }

  /**
   * Records what `config` references and reads what is new or changed; afterwards `get` answers
   * for each of `references` from memory.
   */
  async read(config: string, references: readonly Reference[]): Promise<void> {
    this.#references.set(config, new Set(references.map(([kind, name]) => keyOf(kind, name))));
    const stale = references.filter(([kind, name]) => {
      const version = this.#metadata[kind].get(name)?.metadata["resourceVersion"];
      return version !== undefined && this.#data.get(keyOf(kind, name))?.resourceVersion !== version;
    });
    const pending = [...new Map(stale.map((ref) => [keyOf(...ref), ref])).values()];
    const reader = async () => {
      for (let next = pending.shift(); next !== undefined; next = pending.shift()) {
        const [kind, name] = next;
        const object = await getObject(this.#client, RESOURCES[kind], this.#namespace, name);
        if (object === undefined) this.#data.delete(keyOf(kind, name));
        else this.#data.set(keyOf(kind, name), { resourceVersion: String(object.metadata["resourceVersion"]), object: withoutManagedFields(object) });
      }
    };
    await Promise.all(Array.from({ length: READERS }, reader));
    this.#prune();
  }

  /** Forgets what a deleted config referenced. */
  forget(config: string): void {
    if (this.#references.delete(config)) this.#prune();
  }

  /** The referenced object as last read; undefined when it does not exist. */
  get(kind: ReferencedKind, name: string): KubeObject | undefined {
    if (this.#metadata[kind].get(name) === undefined) return undefined;
    return this.#data.get(keyOf(kind, name))?.object;
  }

  #referenced(key: string): boolean {
    for (const keys of this.#references.values()) if (keys.has(key)) return true;
    return false;
  }

  /** Data of objects nobody references any more, or that no longer exist, is dropped. */
  #prune(): void {
    for (const key of this.#data.keys()) {
      const [kind, name] = key.split("/") as [ReferencedKind, string];
      if (!this.#referenced(key) || this.#metadata[kind].get(name) === undefined) this.#data.delete(key);
    }
  }
}
