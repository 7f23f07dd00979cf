// etcd compaction through its JSON gateway: after it, watches and lists from an older
// resourceVersion get `410 Gone`, which is how tests prove a client relists.
interface EtcdHeader {
  readonly header?: { readonly revision?: string };
}

async function post(etcdUrl: string, path: string, body: object): Promise<unknown> {
  const response = await fetch(new URL(path, etcdUrl), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`etcd ${path} answered HTTP ${response.status}: ${text}`);
  return JSON.parse(text) as unknown;
}

/** The current etcd revision (what the API server reports as resourceVersion). */
export async function etcdRevision(etcdUrl: string): Promise<number> {
  const answer = (await post(etcdUrl, "/v3/kv/range", { key: Buffer.from("/").toString("base64") })) as EtcdHeader;
  const revision = Number(answer.header?.revision);
  if (!Number.isInteger(revision) || revision <= 0) throw new Error(`etcd reported no revision: ${JSON.stringify(answer)}`);
  return revision;
}

/** Compacts away every revision before the current one; returns that revision. */
export async function compactEtcd(etcdUrl: string): Promise<number> {
  const revision = await etcdRevision(etcdUrl);
  await post(etcdUrl, "/v3/kv/compaction", { revision: String(revision), physical: true });
  return revision;
}
