// Converts zod's OpenAPI 3.0 output into a Kubernetes structural schema:
// every node typed, no additionalProperties beside properties, no keywords the API server rejects.
type Schema = Record<string, unknown>;

/** Keywords a CRD's openAPIV3Schema accepts (JSONSchemaProps) that zod may emit. */
const KEPT = new Set([
  "type", "description", "default", "enum", "pattern", "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
  "minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties", "uniqueItems", "required", "nullable",
  "properties", "additionalProperties", "items",
  "x-kubernetes-validations", "x-kubernetes-list-type", "x-kubernetes-list-map-keys", "x-kubernetes-preserve-unknown-fields",
  "x-kubernetes-int-or-string", "x-kubernetes-map-type",
]);

/** Formats the API server knows; others would be ignored with a warning, so they are dropped. */
const KNOWN_FORMATS = new Set(["uuid", "date-time", "date", "byte", "int32", "int64", "hostname", "uri", "email"]);

export class NotStructuralError extends Error {}

export function toStructural(node: unknown, path = "<root>"): Schema {
  if (typeof node !== "object" || node === null || Array.isArray(node)) throw new NotStructuralError(`${path}: not a schema object`);
  const input = node as Schema;
  const out: Schema = {};
  for (const key of Object.keys(input).sort()) {
    if (!KEPT.has(key)) {
      if (key === "$schema" || key === "propertyNames" || key === "id" || key === "title") continue;
      throw new NotStructuralError(`${path}: keyword ${key} has no structural equivalent`);
    }
    const value = input[key];
    if (key === "format" && !KNOWN_FORMATS.has(String(value))) continue;
    if (key === "properties") {
      const props = value as Record<string, unknown>;
      out[key] = Object.fromEntries(Object.keys(props).sort().map((name) => [name, toStructural(props[name], `${path}.${name}`)]));
    } else if (key === "items") {
      out[key] = toStructural(value, `${path}[]`);
    } else if (key === "additionalProperties") {
      if (typeof value === "object" && value !== null) out[key] = toStructural(value, `${path}{}`);
      // `false` is the API server's default (unknown fields are pruned or refused), and forbidden beside properties.
    } else {
      out[key] = value;
    }
  }
  if (out["properties"] !== undefined && out["additionalProperties"] !== undefined) {
    throw new NotStructuralError(`${path}: properties and additionalProperties together`);
  }
  if (typeof out["type"] !== "string" && out["x-kubernetes-int-or-string"] !== true && out["x-kubernetes-preserve-unknown-fields"] !== true) {
    throw new NotStructuralError(`${path}: no type`);
  }
  return out;
}
