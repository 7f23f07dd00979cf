// Turns zod results into errors a person can act on: every problem names its field path.
import type { z } from "zod";

export interface FieldProblem {
  /** Dotted path of the field, e.g. `spec.restriction.teams` or `spec.remotes[0].domain`. */
  readonly path: string;
  readonly message: string;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problems: readonly FieldProblem[] };

export function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => {
    if (typeof key === "number") return `${acc}[${key}]`;
    return acc === "" ? String(key) : `${acc}.${String(key)}`;
  }, "");
}

function problemsOf(error: z.ZodError, prefix: readonly PropertyKey[]): FieldProblem[] {
  return error.issues.map((issue) => {
    const path = [...prefix, ...issue.path];
    if (issue.code === "unrecognized_keys") {
      return { path: fieldPath(path), message: `unknown field(s) ${issue.keys.map((k) => fieldPath([...path, k])).join(", ")}` };
    }
    return { path: fieldPath(path), message: issue.message };
  });
}

/** Parses `input` with `schema`; on failure every problem carries the field path, under `prefix`. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, prefix: readonly PropertyKey[] = []): Parsed<z.output<S>> {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, problems: problemsOf(result.error, prefix) };
}

export function describeProblems(problems: readonly FieldProblem[]): string {
  return problems.map((p) => (p.path === "" ? p.message : `${p.path}: ${p.message}`)).join("; ");
}

/** An error thrown where invalid input cannot be handled as a value (synth, CLI start-up). */
export class ValidationError extends Error {
  readonly what: string;
  readonly problems: readonly FieldProblem[];
  constructor(what: string, problems: readonly FieldProblem[]) {
    super(`invalid ${what}: ${describeProblems(problems)}`);
    this.name = "ValidationError";
    this.what = what;
    this.problems = problems;
  }
}

export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what: string, prefix: readonly PropertyKey[] = []): z.output<S> {
  const parsed = parseWith(schema, input, prefix);
  if (!parsed.ok) throw new ValidationError(what, parsed.problems);
  return parsed.value;
}
