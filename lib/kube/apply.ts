// Generic server-side apply: one field manager, and no request at all when the live object
// already carries the hash of what we would send. Knows nothing about federation: the field
// manager, the hash annotation and the kinds' REST mapping are its caller's.
import { createHash } from "node:crypto";
import type { KubeObject } from "./objects.ts";
import { editedByOthers } from "./drift.ts";
import { resourcePath, type ResourceOf } from "./resources.ts";
import type { RestClient } from "./rest.ts";

export interface Applier {
  apply(desired: KubeObject, live: KubeObject | undefined): Promise<ApplyOutcome>;
  delete(object: Pick<KubeObject, "kind" | "metadata">): Promise<void>;
  applyStatus(object: KubeObject, status: unknown): Promise<ApplyOutcome>;
}

export interface ApplierOptions {
  readonly client: RestClient;
  readonly fieldManager: string;
  /** The annotation carrying the hash of what was applied. */
  readonly hashAnnotation: string;
  readonly resourceOf: ResourceOf;
}

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

export function withAppliedHash(object: KubeObject, annotation: string): KubeObject {
  const hash = appliedHash(object);
  return { ...object, metadata: { ...object.metadata, annotations: { ...object.metadata.annotations, [annotation]: hash } } };
}

export type ApplyOutcome = "unchanged" | "applied";

export function createApplier(o: ApplierOptions): Applier {
  const pathOf = (object: Pick<KubeObject, "kind" | "metadata">, subresource?: string) =>
    resourcePath(o.resourceOf(object.kind), object.metadata.namespace ?? "default", object.metadata.name, subresource);
  return {
    /**
     * Applies `desired` unless `live` (from the informer cache) carries its hash and nobody else has
     * since taken over a field of it (see drift.ts): equal outputs cost no request at all.
     */
    async apply(desired, live) {
      const stamped = withAppliedHash(desired, o.hashAnnotation);
      const hash = stamped.metadata.annotations?.[o.hashAnnotation];
      if (live !== undefined && live.metadata.annotations?.[o.hashAnnotation] === hash && !editedByOthers(live, desired, o.fieldManager)) return "unchanged";
      await o.client.request("PATCH", pathOf(desired), {
        body: stamped,
        contentType: "application/apply-patch+yaml",
        query: { fieldManager: o.fieldManager, force: true, fieldValidation: "Strict" },
      });
      return "applied";
    },
    async delete(object) {
      try {
        await o.client.request("DELETE", pathOf(object), { body: { propagationPolicy: "Background" } });
      } catch (error) {
        if ((error as { status?: number }).status !== 404) throw error;
      }
    },
    /** Replaces the status subresource unless it already equals `status`. */
    async applyStatus(object, status) {
      if (stableJson(object["status"] ?? null) === stableJson(JSON.parse(JSON.stringify(status)) as unknown)) return "unchanged";
      // PUT replaces the whole status (fields we no longer report disappear) and carries the
      // resourceVersion we computed from, so a concurrent change fails with 409 and is retried.
      await o.client.request("PUT", pathOf(object, "status"), { body: { ...object, status } });
      return "applied";
    },
  };
}
