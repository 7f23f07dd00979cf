// Did someone else change a field we set? Server-side apply records, per field manager, which
// fields it last set (metadata.managedFields). When another manager owns a field of our applied
// configuration, somebody edited our output (kubectl edit, patch, annotate…) and we must apply
// again; fields only others set (a controller's annotation, status) are theirs to keep. Unlike
// memory of our own writes, this survives operator restarts, so a restart writes nothing either.
import type { KubeObject } from "./objects.ts";

interface ManagedFieldsEntry {
  manager?: string;
  subresource?: string;
  fieldsV1?: Record<string, unknown>;
}

/** Field paths of an object: maps are descended into, scalars and lists end a path. */
export function appliedPaths(value: unknown, prefix = ""): string[] {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return prefix === "" ? [] : [prefix];
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return prefix === "" ? [] : [prefix];
  return entries.flatMap(([key, child]) => appliedPaths(child, prefix === "" ? key : `${prefix}\u0000${key}`));
}

/** Field paths in a managedFields `fieldsV1` set, cut at the first list element (`k:`, `v:`, `i:`). */
export function ownedPaths(fields: Record<string, unknown>, prefix = ""): string[] {
  const paths: string[] = [];
  for (const [key, child] of Object.entries(fields)) {
    if (key === ".") continue;
    if (!key.startsWith("f:")) {
      if (prefix !== "") paths.push(prefix);
      continue;
    }
    const path = prefix === "" ? key.slice(2) : `${prefix}\u0000${key.slice(2)}`;
    const nested = child !== null && typeof child === "object" ? Object.keys(child as object).filter((k) => k !== ".") : [];
    if (nested.length === 0) paths.push(path);
    else paths.push(...ownedPaths(child as Record<string, unknown>, path));
  }
  return paths;
}

/** True when a manager other than `manager` owns a field (or part of a list) that `desired` sets. */
export function editedByOthers(live: KubeObject, desired: KubeObject, manager: string): boolean {
  const ours = new Set(appliedPaths({ metadata: { labels: desired.metadata.labels, annotations: desired.metadata.annotations }, ...withoutMeta(desired) }));
  const entries = (live.metadata["managedFields"] ?? []) as ManagedFieldsEntry[];
  for (const entry of entries) {
    if (entry.manager === manager || (entry.subresource ?? "") !== "" || entry.fieldsV1 === undefined) continue;
    for (const path of ownedPaths(entry.fieldsV1)) {
      if (ours.has(path)) return true;
      for (const mine of ours) if (path.startsWith(`${mine}\u0000`)) return true;
    }
  }
  return false;
}

function withoutMeta(object: KubeObject): Record<string, unknown> {
  const { apiVersion: _a, kind: _k, metadata: _m, ...rest } = object;
  return rest;
}
