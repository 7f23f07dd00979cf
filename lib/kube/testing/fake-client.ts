// An in-memory Kubernetes API behind the RestClient interface, for unit tests of the runtime's
// users (controller, leader election) with fake timers. It keeps the API server's rules that these
// callers depend on: resourceVersions, generation bumps on spec changes only, 404/409 answers,
// optimistic concurrency on PUT, label and name selection, watches that see every later change.
// Integration tests run the same code against the real kube-apiserver.
import { KubeApiError, type KubeResponse, type RequestOptions, type RestClient, type WatchEvent } from "../rest.ts";
import type { KubeObject } from "../objects.ts";

interface Watcher {
  readonly collection: string;
  readonly matches: (object: KubeObject) => boolean;
  readonly onEvent: (event: WatchEvent) => void;
}

/** `/api/v1/namespaces/ns/secrets/name/status` → collection, name, subresource. */
function split(path: string): { collection: string; name?: string; subresource?: string } {
  const parts = path.split("?")[0]!.split("/").filter(Boolean);
  const at = parts.indexOf("namespaces");
  const tail = parts.slice(at + 3);
  const collection = `/${parts.slice(0, at + 3).join("/")}`;
  return { collection, ...(tail[0] === undefined ? {} : { name: decodeURIComponent(tail[0]) }), ...(tail[1] === undefined ? {} : { subresource: tail[1] }) };
}

function selector(query: RequestOptions["query"]): (object: KubeObject) => boolean {
  const labels = String(query?.["labelSelector"] ?? "").split(",").filter(Boolean).map((term) => term.split("="));
  const fields = String(query?.["fieldSelector"] ?? "").split(",").filter(Boolean).map((term) => term.split("="));
  return (object) =>
    labels.every(([key, value]) => object.metadata.labels?.[key ?? ""] === value) && fields.every(([key, value]) => key !== "metadata.name" || object.metadata.name === value);
}

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
const withoutMeta = (object: KubeObject) => {
  const { metadata: _m, status: _s, ...rest } = object;
  return JSON.stringify(rest);
};

export interface FakeClient extends RestClient {
  /** Objects of a collection path (as resourcePath builds it), by name. */
  objects(collection: string): KubeObject[];
  get(collection: string, name: string): KubeObject | undefined;
  /** Every request made, as "METHOD path". */
  readonly requests: string[];
  /** Answers requests that `match` with `error` until the returned function is called. */
  fail(match: (method: string, path: string) => boolean, error: KubeApiError): () => void;
}

export function createFakeClient(): FakeClient {
  const store = new Map<string, Map<string, KubeObject>>();
  const watchers = new Set<Watcher>();
  const failures = new Set<{ match: (method: string, path: string) => boolean; error: KubeApiError }>();
  const requests: string[] = [];
  const writes = { count: 0 };
  let version = 0;
  let uid = 0;

  const collectionOf = (path: string) => {
    let found = store.get(path);
    if (found === undefined) store.set(path, (found = new Map()));
    return found;
  };
  const notify = (collection: string, type: string, object: KubeObject) => {
    for (const watcher of watchers) if (watcher.collection === collection && watcher.matches(object)) watcher.onEvent({ type, object: clone(object) as unknown as Record<string, unknown> });
  };
  const store1 = (collection: string, object: KubeObject, type: "ADDED" | "MODIFIED") => {
    object.metadata["resourceVersion"] = String(++version);
    collectionOf(collection).set(object.metadata.name, object);
    writes.count++;
    notify(collection, type, object);
    return { status: type === "ADDED" ? 201 : 200, body: clone(object) };
  };
  const notFound = (name: string) => new KubeApiError(404, "NotFound", `${name} not found`);

  function write(method: string, path: string, body: KubeObject, query: RequestOptions["query"]): KubeResponse {
    const { collection, name, subresource } = split(path);
    const items = collectionOf(collection);
    const existing = name === undefined ? undefined : items.get(name);
    if (method === "POST") {
      if (items.has(body.metadata.name)) throw new KubeApiError(409, "AlreadyExists", `${body.metadata.name} already exists`);
      return store1(collection, { ...clone(body), metadata: { ...clone(body.metadata), uid: `uid-${++uid}`, generation: 1, creationTimestamp: new Date().toISOString() } }, "ADDED");
    }
    if (method === "PATCH") {
      // Server-side apply, as far as these callers see it: the applied object replaces ours.
      const manager = String(query?.["fieldManager"] ?? "");
      const next: KubeObject = { ...clone(body), metadata: { ...(existing?.metadata ?? { uid: `uid-${++uid}`, generation: 0 }), ...clone(body.metadata), managedFields: [{ manager, operation: "Apply" }] } };
      if (existing === undefined || withoutMeta(existing) !== withoutMeta(next)) next.metadata["generation"] = Number(existing?.metadata["generation"] ?? 0) + 1;
      if (existing?.["status"] !== undefined) next["status"] = existing["status"];
      return store1(collection, next, existing === undefined ? "ADDED" : "MODIFIED");
    }
    if (existing === undefined) throw notFound(name ?? "");
    if (body.metadata["resourceVersion"] !== undefined && body.metadata["resourceVersion"] !== existing.metadata["resourceVersion"]) {
      throw new KubeApiError(409, "Conflict", `the object has been modified; please apply your changes to the latest version`);
    }
    const next: KubeObject = subresource === "status" ? { ...clone(existing), status: clone(body["status"]) } : { ...clone(body), metadata: { ...clone(existing.metadata), ...clone(body.metadata) } };
    if (subresource !== "status" && withoutMeta(existing) !== withoutMeta(next)) next.metadata["generation"] = Number(existing.metadata["generation"] ?? 0) + 1;
    return store1(collection, next, "MODIFIED");
  }

  return {
    writes,
    requests,
    connections: () => ({ requests: 0, watches: watchers.size }),
    close: () => undefined,
    objects: (collection) => [...collectionOf(collection).values()].map(clone),
    get: (collection, name) => {
      const found = collectionOf(collection).get(name);
      return found === undefined ? undefined : clone(found);
    },
    fail(match, error) {
      const entry = { match, error };
      failures.add(entry);
      return () => failures.delete(entry);
    },
    async request(method, path, options = {}) {
      requests.push(`${method} ${path}`);
      for (const failure of failures) if (failure.match(method, path)) throw failure.error;
      const { collection, name } = split(path);
      if (method === "GET") {
        if (name !== undefined) {
          const found = collectionOf(collection).get(name);
          if (found === undefined) throw notFound(name);
          return { status: 200, body: clone(found) };
        }
        const items = [...collectionOf(collection).values()].filter(selector(options.query)).map(clone);
        return { status: 200, body: { metadata: { resourceVersion: String(version) }, items } };
      }
      if (method === "DELETE") {
        const items = collectionOf(collection);
        const found = name === undefined ? undefined : items.get(name);
        if (name === undefined) {
          for (const object of [...items.values()]) (items.delete(object.metadata.name), notify(collection, "DELETED", object));
          return { status: 200, body: {} };
        }
        if (found === undefined) throw notFound(name);
        items.delete(name);
        writes.count++;
        notify(collection, "DELETED", found);
        return { status: 200, body: clone(found) };
      }
      return write(method, path, options.body as KubeObject, options.query);
    },
    watch(path, options, onEvent, signal) {
      const watcher: Watcher = { collection: split(path).collection, matches: selector(options.query), onEvent };
      watchers.add(watcher);
      return new Promise<void>((resolve) => {
        const end = () => (watchers.delete(watcher), resolve());
        if (signal.aborted) end();
        else signal.addEventListener("abort", end, { once: true });
      });
    },
  };
}
