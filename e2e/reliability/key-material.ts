// Finds private key material in log output: PEM private key markers, a Secret's stored (base64)
// value, or any line of the base64 body inside its PEM (a key logged in pieces still leaks).
export interface SecretKey {
  /** Where the value comes from, for the report, e.g. "wire-tls/tls.key". */
  readonly source: string;
  /** The value as the API stores it: base64 of the PEM. */
  readonly base64: string;
}

/** Body lines of a PEM at least this long are searched on their own; shorter ones could match by chance. */
const MIN_FRAGMENT = 40;

function pemBodyLines(pem: string): string[] {
  return pem
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => !line.startsWith("-----") && line.length >= MIN_FRAGMENT);
}

/** What of the given key material occurs in `text`, one finding per kind and source; empty when clean. */
export function findKeyMaterial(text: string, keys: readonly SecretKey[]): string[] {
  const findings: string[] = [];
  if (/PRIVATE KEY/.test(text)) findings.push("a PEM 'PRIVATE KEY' marker");
  for (const key of keys) {
    if (key.base64 !== "" && text.includes(key.base64)) findings.push(`the base64 value of ${key.source}`);
    const pem = Buffer.from(key.base64, "base64").toString("utf8");
    if (pemBodyLines(pem).some((line) => text.includes(line))) findings.push(`a line of the PEM body of ${key.source}`);
  }
  return findings;
}
