// One pino JSON logger for the operator and the federator: one event a line, stable keys,
// and never Secret data or private key material, whatever a caller passes in.
import { pino, type Logger, type DestinationStream } from "pino";

const PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g;
export const REDACTED = "[redacted]";

/** Fields whose values are Secret payloads wherever they appear. */
const REDACT_PATHS = [
  "data",
  "stringData",
  "*.data",
  "*.stringData",
  "*.*.data",
  "*.*.stringData",
  "key",
  "*.key",
  "privateKey",
  "*.privateKey",
  "tls.key",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "token",
  "*.token",
];

/** Replaces PEM private keys inside any string, e.g. in an error message quoting a file. */
export function scrubPrivateKeys<T>(value: T, depth = 0): T {
  if (typeof value === "string") return value.replace(PRIVATE_KEY, REDACTED) as T;
  if (depth > 6 || value === null || typeof value !== "object") return value;
  if (value instanceof Error) {
    const scrubbed = new Error(scrubPrivateKeys(value.message));
    scrubbed.name = value.name;
    if (value.stack) scrubbed.stack = scrubPrivateKeys(value.stack);
    return scrubbed as T;
  }
  if (Array.isArray(value)) return value.map((v) => scrubPrivateKeys(v, depth + 1)) as T;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubPrivateKeys(v, depth + 1)])) as T;
}

export interface LogOptions {
  name: string;
  level?: string;
  destination?: DestinationStream;
}

export function createLogger({ name, level = process.env["LOG_LEVEL"] ?? "info", destination }: LogOptions): Logger {
  return pino(
    {
      name,
      level,
      base: { component: name },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => scrubPrivateKeys(object),
      },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => scrubPrivateKeys(a)) as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
}

export type { Logger };
