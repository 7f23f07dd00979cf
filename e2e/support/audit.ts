// Counting the API writes a component made, from the API server's audit log (JSON lines, one event
// per request at Metadata level; the harness logs only create/update/patch/delete/deletecollection).
//
//   await auditBarrier(inject("kubeconfig"), inject("auditLog"));
//   expect(await countWrites(inject("auditLog"), { namespace, userAgent: /^wire-federation-operator/, since })).toBe(0);
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import https from "node:https";
import { KubeConfig } from "@kubernetes/client-node";
import { waitFor } from "./wait-for.ts";

export interface AuditEvent {
  readonly auditID: string;
  readonly stage: string;
  readonly verb: string;
  readonly requestURI: string;
  readonly user: { readonly username: string; readonly groups?: readonly string[] };
  readonly userAgent?: string;
  readonly objectRef?: {
    readonly resource?: string;
    readonly namespace?: string;
    readonly name?: string;
    readonly apiGroup?: string;
    readonly subresource?: string;
  };
  readonly responseStatus?: { readonly code?: number };
  /** RFC 3339 with microseconds. */
  readonly requestReceivedTimestamp: string;
}

export const WRITE_VERBS = ["create", "update", "patch", "delete", "deletecollection"] as const;

export interface WriteFilter {
  readonly namespace?: string;
  /** Plural resource name, e.g. "configmaps", "federationpeers". */
  readonly resource?: string;
  /** e.g. "status"; "" matches only writes to the main resource. */
  readonly subresource?: string;
  readonly name?: string;
  /** Only requests the API server received at or after this instant. */
  readonly since?: Date;
  /** A string matches as a prefix of the User-Agent header; a RegExp is tested against it. */
  readonly userAgent?: string | RegExp;
  readonly username?: string;
  readonly verbs?: readonly string[];
}

/** Every audit event in the file, oldest first (a line being written right now is skipped). */
export async function readAuditEvents(auditLogPath: string): Promise<AuditEvent[]> {
  const text = await readFile(auditLogPath, "utf8");
  const events: AuditEvent[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      events.push(JSON.parse(line) as AuditEvent);
    } catch {
      // Only the last line can be incomplete while the API server appends it.
    }
  }
  return events;
}

function matchesUserAgent(userAgent: string | undefined, wanted: string | RegExp): boolean {
  if (userAgent === undefined) return false;
  return typeof wanted === "string" ? userAgent.startsWith(wanted) : wanted.test(userAgent);
}

/** The write events that match every given criterion. */
export function matchWrites(events: readonly AuditEvent[], filter: WriteFilter = {}): AuditEvent[] {
  const verbs: readonly string[] = filter.verbs ?? WRITE_VERBS;
  const since = filter.since?.getTime();
  return events.filter((event) => {
    const ref = event.objectRef ?? {};
    if (!verbs.includes(event.verb)) return false;
    if (filter.namespace !== undefined && ref.namespace !== filter.namespace) return false;
    if (filter.resource !== undefined && ref.resource !== filter.resource) return false;
    if (filter.subresource !== undefined && (ref.subresource ?? "") !== filter.subresource) return false;
    if (filter.name !== undefined && ref.name !== filter.name) return false;
    if (filter.username !== undefined && event.user.username !== filter.username) return false;
    if (filter.userAgent !== undefined && !matchesUserAgent(event.userAgent, filter.userAgent)) return false;
    if (since !== undefined && Date.parse(event.requestReceivedTimestamp) < since) return false;
    return true;
  });
}

/** How many write requests in the audit log match `filter` (failed writes included). */
export async function countWrites(auditLogPath: string, filter: WriteFilter = {}): Promise<number> {
  return matchWrites(await readAuditEvents(auditLogPath), filter).length;
}

/**
 * Makes a harmless write of our own (a SelfSubjectReview, which stores nothing) and waits until
 * it shows up in the audit log, so writes whose responses came back before this call are in the
 * file when it returns.
 */
export async function auditBarrier(kubeconfigPath: string, auditLogPath: string, timeoutMs = 10_000): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error(`${kubeconfigPath} has no current cluster`);
  const options: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(options);
  const marker = `wire-federation-audit-barrier/${randomUUID()}`;
  const status = await new Promise<number>((resolve, reject) => {
    const request = https.request(
      new URL("/apis/authentication.k8s.io/v1/selfsubjectreviews", server),
      { ...options, method: "POST", headers: { "content-type": "application/json", "user-agent": marker } },
      (response) => {
        response.resume().on("end", () => resolve(response.statusCode ?? 0));
      },
    );
    request.on("error", reject);
    request.end(JSON.stringify({ apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" }));
  });
  if (status !== 201) throw new Error(`audit barrier: SelfSubjectReview answered HTTP ${status}`);
  await waitFor(async () => (await countWrites(auditLogPath, { userAgent: marker })) > 0, {
    description: `the audit barrier ${marker} to reach ${auditLogPath}`,
    timeoutMs,
    intervalMs: 20,
  });
}
