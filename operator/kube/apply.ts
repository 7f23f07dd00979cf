// Generic server-side apply: one field manager, and no request at all when the live object
// already carries the hash of what we would send. Knows nothing about federation.
import { createHash } from "node:crypto";
import { APPLIED_HASH_ANNOTATION, FIELD_MANAGER } from "../desired/names.ts";
import type { KubeObject } from "../desired/objects.ts";
import { editedByOthers } from "./drift.ts";
import { resourceOf, resourcePath } from "./resources.ts";
import type { RestClient } from "./rest.ts";

/** JSON with object keys sorted, so equal objects hash equally whatever their key order. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

export function appliedHash(object: KubeObject): string {
  return createHash("sha256").update(stableJson(object)).digest("hex").slice(0, 32);
}

export function withAppliedHash(object: KubeObject): KubeObject {
  const hash = appliedHash(object);
  return { ...object, metadata: { ...object.metadata, annotations: { ...object.metadata.annotations, [APPLIED_HASH_ANNOTATION]: hash } } };
}

export type ApplyOutcome = "unchanged" | "applied";

/**
 * Applies `desired` unless `live` (from the informer cache) carries its hash and nobody else has
 * since taken over a field of it (see drift.ts): equal outputs cost no request at all.
 */
export async function applyObject(client: RestClient, desired: KubeObject, live: KubeObject | undefined): Promise<ApplyOutcome> {
  const stamped = withAppliedHash(desired);
  const hash = stamped.metadata.annotations?.[APPLIED_HASH_ANNOTATION];
  if (live !== undefined && live.metadata.annotations?.[APPLIED_HASH_ANNOTATION] === hash && !editedByOthers(live, desired, FIELD_MANAGER)) return "unchanged";
  const path = resourcePath(resourceOf(desired.kind), desired.metadata.namespace ?? "default", desired.metadata.name);
  await client.request("PATCH", path, {
    body: stamped,
    contentType: "application/apply-patch+yaml",
    query: { fieldManager: FIELD_MANAGER, force: true, fieldValidation: "Strict" },
  });
  return "applied";
}

export async function deleteObject(client: RestClient, object: Pick<KubeObject, "kind" | "metadata">): Promise<void> {
  const path = resourcePath(resourceOf(object.kind), object.metadata.namespace ?? "default", object.metadata.name);
  try {
    await client.request("DELETE", path, { body: { propagationPolicy: "Background" } });
  } catch (error) {
    if ((error as { status?: number }).status !== 404) throw error;
  }
}

/** Patches the status subresource unless it already equals `status`. */
export async function applyStatus(client: RestClient, object: KubeObject, status: unknown): Promise<ApplyOutcome> {
  if (stableJson(object["status"] ?? null) === stableJson(JSON.parse(JSON.stringify(status)) as unknown)) return "unchanged";
  const path = resourcePath(resourceOf(object.kind), object.metadata.namespace ?? "default", object.metadata.name, "status");
  // PUT replaces the whole status (fields we no longer report disappear) and carries the
  // resourceVersion we computed from, so a concurrent change fails with 409 and is retried.
  await client.request("PUT", path, { body: { ...object, status } });
  return "applied";
}
