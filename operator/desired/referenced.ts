// The Secrets and ConfigMaps that FederationConfigs and FederationPeers point at, as plain data.

export interface KeyRef {
  readonly name: string;
  readonly key: string;
}

/** Decoded data of referenced objects by name; a missing name means the object does not exist. */
export interface ReferencedData {
  readonly secrets: ReadonlyMap<string, Readonly<Record<string, string>>>;
  readonly configMaps: ReadonlyMap<string, Readonly<Record<string, string>>>;
}

export type Lookup = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly reason: "NotFound" | "KeyMissing"; readonly message: string };

export function lookup(data: ReferencedData, kind: "Secret" | "ConfigMap", ref: KeyRef): Lookup {
  const object = (kind === "Secret" ? data.secrets : data.configMaps).get(ref.name);
  if (object === undefined) return { ok: false, reason: "NotFound", message: `${kind} ${ref.name} not found in this namespace` };
  const value = object[ref.key];
  if (value === undefined) {
    // A Secret's other keys are not ours to reveal to whoever can read this status.
    const keys = kind === "ConfigMap" ? ` (it has: ${Object.keys(object).sort().join(", ") || "none"})` : "";
    return { ok: false, reason: "KeyMissing", message: `${kind} ${ref.name} has no key ${ref.key}${keys}` };
  }
  return { ok: true, value };
}

export const EMPTY_REFERENCED: ReferencedData = { secrets: new Map(), configMaps: new Map() };
