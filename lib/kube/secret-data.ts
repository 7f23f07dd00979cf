// A Secret's `data` as text: the API server base64-encodes every value.
import type { KubeObject } from "./objects.ts";

export function decodedSecretData(secret: KubeObject | undefined): Record<string, string> | undefined {
  if (secret === undefined) return undefined;
  return Object.fromEntries(Object.entries((secret["data"] ?? {}) as Record<string, string>).map(([key, value]) => [key, Buffer.from(value, "base64").toString("utf8")]));
}
