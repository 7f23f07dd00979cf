// List + watch one resource in one namespace into a local cache, with resourceVersion
// bookkeeping: resume the watch from the last version seen, relist on 410 Gone, and back off
// on errors. Handlers get keys only (level-triggered): they read current state from the cache.
// The cache keeps what its owner reads: `metadataOnly` lists and watches PartialObjectMetadata
// (no data of Secrets nobody referenced), and `transform` trims each object before it is stored.
import type { Logger } from "../log.ts";
import type { KubeObject } from "./objects.ts";
import { resourcePath, type Resource } from "./resources.ts";
import { KubeApiError, type RestClient, type WatchEvent } from "./rest.ts";

export interface InformerOptions<T extends KubeObject = KubeObject> {
  readonly resource: Resource;
  /** undefined: a cluster-scoped resource. */
  readonly namespace: string | undefined;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /**
   * One object by name: read with `get` and watched with a metadata.name field selector, so RBAC
   * can grant get/watch on that name alone (no list).
   */
  readonly name?: string;
  /** Only metadata (the API server's PartialObjectMetadata), for objects whose content is read on demand. */
  readonly metadataOnly?: boolean;
  /** Applied to every object before it is cached, e.g. withoutManagedFields. */
  readonly transform?: (object: KubeObject) => T;
  /** Called with the object's name after every change the cache saw (including deletion), and what the cache held before. */
  readonly onChange: (name: string, object: T | undefined, previous: T | undefined) => void;
  readonly log: Logger;
}

interface ListBody {
  metadata: { resourceVersion: string; continue?: string };
  // null in an empty PartialObjectMetadataList
  items: KubeObject[] | null;
}

const METADATA_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";
const METADATA_WATCH = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json";

/** managedFields are most of a small object's size; only the apply layer's drift check reads them, on outputs. */
export function withoutManagedFields(object: KubeObject): KubeObject {
  if (object.metadata["managedFields"] === undefined) return object;
  const { managedFields: _dropped, ...metadata } = object.metadata;
  return { ...object, metadata };
}

const backoff = (attempt: number) => Math.min(30_000, 250 * 2 ** attempt) * (0.75 + Math.random() * 0.5);

/**
 * `T` is the shape its user reads (e.g. a FederationPeer with its spec and status typed): the
 * informer is the one place where what the API server sent is taken to be of that shape.
 */
export class Informer<T extends KubeObject = KubeObject> {
  readonly #client: RestClient;
  readonly #options: InformerOptions<T>;
  readonly #cache = new Map<string, T>();
  readonly #abort = new AbortController();
  #resourceVersion = "";
  #synced = false;
  readonly #syncWaiters: (() => void)[] = [];
  /** How many times the informer had to list from scratch (the first list included). */
  relists = 0;
  /** How many watch requests it made (a watch ended by the server, or failed, is followed by another). */
  watches = 0;

  constructor(client: RestClient, options: InformerOptions<T>) {
    this.#client = client;
    this.#options = options;
  }

  get synced(): boolean {
    return this.#synced;
  }

  get(name: string): T | undefined {
    return this.#cache.get(name);
  }

  list(): T[] {
    return [...this.#cache.values()];
  }

  waitForSync(): Promise<void> {
    return this.#synced ? Promise.resolve() : new Promise((resolve) => this.#syncWaiters.push(resolve));
  }

  start(): void {
    void this.#run();
  }

  stop(): void {
    this.#abort.abort();
    // Nobody may wait forever on an informer that will never sync.
    for (const resolve of this.#syncWaiters.splice(0)) resolve();
  }

  async #run(): Promise<void> {
    let attempt = 0;
    let needList = true;
    while (!this.#abort.signal.aborted) {
      try {
        if (needList) await this.#list();
        needList = false;
        attempt = 0;
        await this.#watch();
      } catch (error) {
        if (this.#abort.signal.aborted) return;
        if (error instanceof KubeApiError && error.status === 410) {
          this.#options.log.info({ resource: this.#options.resource.plural, namespace: this.#options.namespace }, "watch expired (410 Gone); relisting");
          needList = true;
          continue;
        }
        const delay = backoff(attempt++);
        this.#options.log.warn({ resource: this.#options.resource.plural, namespace: this.#options.namespace, err: error, retryInMs: Math.round(delay) }, "list/watch failed");
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.#abort.signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
        });
      }
    }
  }

  #query() {
    const byName = this.#options.name === undefined ? undefined : `metadata.name=${this.#options.name}`;
    return { labelSelector: this.#options.labelSelector, fieldSelector: this.#options.fieldSelector ?? byName };
  }

  /** The named object, or nothing; a watch from no version then starts with what exists. */
  async #getNamed(name: string, seen: Map<string, T>): Promise<string> {
    try {
      const { body } = await this.#client.request("GET", resourcePath(this.#options.resource, this.#options.namespace, name), { signal: this.#abort.signal });
      const object = body as KubeObject;
      seen.set(name, this.#stored(object));
      return String(object.metadata["resourceVersion"] ?? "");
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) return "";
      throw error;
    }
  }

  async #list(): Promise<void> {
    const path = resourcePath(this.#options.resource, this.#options.namespace);
    const seen = new Map<string, T>();
    let token: string | undefined;
    let resourceVersion = "";
    if (this.#options.name !== undefined) resourceVersion = await this.#getNamed(this.#options.name, seen);
    else do {
      const response = await this.#client.request("GET", path, {
        query: { ...this.#query(), limit: 500, continue: token },
        signal: this.#abort.signal,
        ...(this.#options.metadataOnly ? { accept: METADATA_LIST } : {}),
      });
      const body = response.body as ListBody;
      for (const item of body.items ?? []) seen.set(item.metadata.name, this.#stored(item));
      token = body.metadata.continue || undefined;
      resourceVersion = body.metadata.resourceVersion;
    } while (token !== undefined);
    this.relists++;
    this.#resourceVersion = resourceVersion;
    const gone = [...this.#cache].filter(([name]) => !seen.has(name));
    const changed = [...seen].flatMap(([name, object]) => {
      const previous = this.#cache.get(name);
      return previous?.metadata["resourceVersion"] === object.metadata["resourceVersion"] ? [] : [{ name, object, previous }];
    });
    for (const [name] of gone) this.#cache.delete(name);
    for (const [name, object] of seen) this.#cache.set(name, object);
    this.#markSynced();
    for (const [name, previous] of gone) this.#options.onChange(name, undefined, previous);
    for (const { name, object, previous } of changed) this.#options.onChange(name, object, previous);
  }

  async #watch(): Promise<void> {
    const path = resourcePath(this.#options.resource, this.#options.namespace);
    // A random server-side timeout spreads the re-watches of many informers over time.
    const timeoutSeconds = 240 + Math.floor(Math.random() * 120);
    const query = { ...this.#query(), resourceVersion: this.#resourceVersion, allowWatchBookmarks: true, timeoutSeconds };
    const stream = new AbortController();
    const stopStream = () => stream.abort();
    this.#abort.signal.addEventListener("abort", stopStream, { once: true });
    let failure: KubeApiError | undefined;
    this.watches++;
    try {
      await this.#client.watch(
        path,
        { query, ...(this.#options.metadataOnly ? { accept: METADATA_WATCH } : {}) },
        (event) => {
          if (failure !== undefined) return;
          if (event.type !== "ERROR") return this.#apply(event);
          const status = event.object as { code?: number; reason?: string; message?: string };
          failure = new KubeApiError(status.code ?? 500, status.reason ?? "Unknown", status.message ?? "watch error");
          stream.abort();
        },
        stream.signal,
      );
    } finally {
      this.#abort.signal.removeEventListener("abort", stopStream);
    }
    if (failure !== undefined) throw failure;
  }

  #apply(event: WatchEvent): void {
    const object = event.object as unknown as KubeObject;
    const version = object.metadata["resourceVersion"];
    if (typeof version === "string") this.#resourceVersion = version;
    if (event.type === "BOOKMARK") return;
    const name = object.metadata.name;
    const previous = this.#cache.get(name);
    if (event.type === "DELETED") {
      this.#cache.delete(name);
      this.#options.onChange(name, undefined, previous);
    } else {
      const stored = this.#stored(object);
      this.#cache.set(name, stored);
      this.#options.onChange(name, stored, previous);
    }
  }

  #stored(object: KubeObject): T {
    return this.#options.transform === undefined ? (object as T) : this.#options.transform(object);
  }

  #markSynced(): void {
    if (this.#synced) return;
    this.#synced = true;
    for (const resolve of this.#syncWaiters.splice(0)) resolve();
  }
}
