// Reads one object; "not found" is an answer (undefined), not an error.
import type { KubeObject } from "./objects.ts";
import { resourcePath, type Resource } from "./resources.ts";
import { KubeApiError, type RestClient } from "./rest.ts";

export async function getObject(client: RestClient, resource: Resource, namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
  try {
    return (await client.request("GET", resourcePath(resource, namespace, name))).body as KubeObject;
  } catch (error) {
    if (error instanceof KubeApiError && error.status === 404) return undefined;
    throw error;
  }
}
