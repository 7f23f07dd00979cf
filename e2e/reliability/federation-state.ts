// What a user checks after applying peers: which remotes the federator ConfigMap lists and which
// FederationPeers say Accepted=True, read from the API server with an admin client.
import { parse } from "yaml";
import { FederatorConfig } from "../../lib/api/federator-config.ts";
import type { KubeObject } from "../../lib/kube/objects.ts";
import { RESOURCES, resourcePath } from "../../operator/kube/resources.ts";
import { KubeApiError, type RestClient } from "../../lib/kube/rest.ts";

interface Condition {
  readonly type: string;
  readonly status: string;
}

/** The remote domains in `<config>-federator`'s federator.yaml; undefined while there is none. */
export async function federatorRemotes(client: RestClient, namespace: string, config = "wire"): Promise<string[] | undefined> {
  try {
    const cm = (await client.request("GET", resourcePath(RESOURCES.ConfigMap, namespace, `${config}-federator`))).body as KubeObject;
    const text = ((cm["data"] ?? {}) as Record<string, string>)["federator.yaml"];
    return text === undefined ? undefined : FederatorConfig.parse(parse(text)).remotes.map((r) => r.domain);
  } catch (error) {
    if (error instanceof KubeApiError && error.status === 404) return undefined;
    throw error;
  }
}

export interface PeerStates {
  /** Domains of the FederationPeers whose Accepted condition is True. */
  readonly accepted: string[];
  /** Domains of every other FederationPeer. */
  readonly notAccepted: string[];
}

export async function peerStates(client: RestClient, namespace: string): Promise<PeerStates> {
  const list = (await client.request("GET", resourcePath(RESOURCES.FederationPeer, namespace))).body as { items: KubeObject[] };
  const accepted: string[] = [];
  const notAccepted: string[] = [];
  for (const peer of list.items) {
    const domain = String((peer["spec"] as { domain?: unknown } | undefined)?.domain);
    const conditions = (peer["status"] as { conditions?: Condition[] } | undefined)?.conditions ?? [];
    (conditions.some((c) => c.type === "Accepted" && c.status === "True") ? accepted : notAccepted).push(domain);
  }
  return { accepted, notAccepted };
}

/** The expected domains `present` lacks, in the order given. */
export function missing(expected: readonly string[], present: readonly string[] | undefined): string[] {
  const have = new Set(present ?? []);
  return expected.filter((domain) => !have.has(domain));
}

/** Every Secret value in the namespace whose key names a private key (`tls.key`, `ca.key`, ...), as stored (base64). */
export async function privateKeyValues(client: RestClient, namespace: string): Promise<{ secret: string; key: string; base64: string }[]> {
  const list = (await client.request("GET", resourcePath(RESOURCES.Secret, namespace))).body as { items: KubeObject[] };
  return list.items.flatMap((secret) =>
    Object.entries((secret["data"] ?? {}) as Record<string, string>)
      .filter(([key]) => /(^|[.-])key$/.test(key))
      .map(([key, base64]) => ({ secret: secret.metadata.name, key, base64 })),
  );
}
