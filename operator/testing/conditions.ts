// Waiting for a status condition of a live object, for integration tests.
import { waitFor } from "../../e2e/support/wait-for.ts";
import type { KubeObject } from "../../lib/kube/objects.ts";

export interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message: string;
}

export function conditionOf(object: KubeObject | undefined, type: string): Condition | undefined {
  return (object?.["status"] as { conditions?: Condition[] } | undefined)?.conditions?.find((c) => c.type === type);
}

/** The condition `type` of what `get` returns, once its reason is `reason`. */
export function conditionWithReason(get: () => Promise<KubeObject | undefined>, type: string, reason: string, timeoutMs = 60_000): Promise<Condition> {
  return waitFor(async () => {
    const condition = conditionOf(await get(), type);
    return condition?.reason === reason ? condition : undefined;
  }, { description: `${type}=${reason}`, timeoutMs });
}
