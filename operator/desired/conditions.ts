// Conditions as values: a new set keeps lastTransitionTime when a condition's status is unchanged,
// so recomputing statuses is idempotent and writes nothing when nothing changed.
import type { Condition } from "../../lib/api/fields.ts";

export type ConditionStatus = "True" | "False" | "Unknown";

export interface ConditionInput {
  readonly type: string;
  readonly status: ConditionStatus;
  readonly reason: string;
  readonly message: string;
}

export function mergeConditions(
  previous: readonly Condition[] | undefined,
  next: readonly ConditionInput[],
  generation: number | undefined,
  now: Date,
): Condition[] {
  return next.map((condition) => {
    const before = previous?.find((c) => c.type === condition.type);
    const lastTransitionTime = before && before.status === condition.status ? before.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, "Z");
    return { ...condition, lastTransitionTime, ...(generation === undefined ? {} : { observedGeneration: generation }) };
  });
}

/** Conditions whose status changed (or appeared) between two sets, for Events. */
export function transitions(previous: readonly Condition[] | undefined, next: readonly Condition[]): Condition[] {
  return next.filter((c) => previous?.find((p) => p.type === c.type)?.status !== c.status);
}
