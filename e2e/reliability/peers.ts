// Manifests for the reliability scenarios, and a user who keeps applying peers in batches and
// retries a batch that failed (the API server was down), as a script or a GitOps tool would.
import { setTimeout as sleep } from "node:timers/promises";
import { stringify } from "yaml";
import type { KubectlResult } from "../support/kubectl.ts";

export const federationConfig = {
  apiVersion: "federation.wire.com/v1alpha1",
  kind: "FederationConfig",
  metadata: { name: "wire" },
  spec: { backendDomain: "a.example", infraDomain: "federator.a.example", certificate: { selfSigned: {} } },
};

export const peerDomain = (i: number) => `p${i}.example`;

export function federationPeer(i: number, caPem: string) {
  return { apiVersion: "federation.wire.com/v1alpha1", kind: "FederationPeer", metadata: { name: `p${i}` }, spec: { domain: peerDomain(i), caBundle: { pem: caPem } } };
}

export const manifests = (objects: readonly object[]) => objects.map((o) => stringify(o)).join("---\n");

/** `count` peers p0..p<count-1> in batches of `size`. */
export function peerBatches(count: number, size: number, caPem: string): object[][] {
  const batches: object[][] = [];
  for (let start = 0; start < count; start += size) {
    batches.push(Array.from({ length: Math.min(size, count - start) }, (_, i) => federationPeer(start + i, caPem)));
  }
  return batches;
}

export interface BatchApplier {
  /** Resolves when every batch is applied; rejects when one still fails at the deadline. */
  readonly done: Promise<void>;
  /** Batches applied so far. */
  applied(): number;
  /** Attempts that failed (and were retried). */
  failures(): readonly string[];
}

/** Applies the batches one after the other, retrying each until it succeeds or `deadlineMs` passes. */
export function applyBatches(apply: (yaml: string) => Promise<KubectlResult>, batches: readonly object[][], deadlineMs: number): BatchApplier {
  let applied = 0;
  const failures: string[] = [];
  const deadline = Date.now() + deadlineMs;
  const run = async () => {
    for (const batch of batches) {
      for (;;) {
        const result = await apply(manifests(batch)).catch((error: unknown) => ({ code: -1, stdout: "", stderr: String(error) }));
        if (result.code === 0) break;
        failures.push(result.stderr.trim());
        if (Date.now() > deadline) throw new Error(`batch ${applied + 1} still fails at the deadline: ${result.stderr}`);
        await sleep(200); // pacing of the retrying user, not synchronization
      }
      applied++;
    }
  };
  const done = run();
  done.catch(() => undefined); // observed by whoever awaits `done`
  return { done, applied: () => applied, failures: () => failures };
}
