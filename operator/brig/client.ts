// A thin client for brig's internal federation remotes API (brig serves /i/* on its one port,
// the URL the federator forwards to: spec.federator.services.brig). Errors keep brig's Wai error
// JSON ({code, label, message}: wire-server libs/wai-utilities, as services/brig/src/Brig/API/Internal.hs throws them).
import { brigRemoteTeam, brigRemotes, REMOTES_PATH, teamsPath, type BrigRemotes } from "./brig-api.ts";
import type { BrigCall } from "./plan.ts";

export type BrigFailure = "Unreachable" | "Refused";

export class BrigError extends Error {
  readonly failure: BrigFailure;
  readonly status: number | undefined;
  readonly label: string | undefined;
  readonly brigMessage: string;

  constructor(failure: BrigFailure, status: number | undefined, label: string | undefined, brigMessage: string) {
    super(status === undefined ? brigMessage : `${status}${label ? ` ${label}` : ""}: ${brigMessage}`);
    this.failure = failure;
    this.status = status;
    this.label = label;
    this.brigMessage = brigMessage;
  }
}

export interface BrigClient {
  readonly url: string;
  getRemotes(): Promise<BrigRemotes>;
  getTeams(domain: string): Promise<string[]>;
  send(call: BrigCall): Promise<void>;
}

export interface BrigClientOptions {
  readonly timeoutMs?: number;
}

const causeOf = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) return (cause as NodeJS.ErrnoException).code ?? cause.message;
  return error.name === "TimeoutError" ? "no answer in time" : error.message;
};

export function createBrigClient(url: string, options: BrigClientOptions = {}): BrigClient {
  const base = url.replace(/\/+$/, "");
  const timeoutMs = options.timeoutMs ?? 10_000;
  async function request(method: string, path: string, body?: unknown): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new BrigError("Unreachable", undefined, undefined, `brig at ${base} did not answer ${method} ${path} (${causeOf(error)})`);
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw new BrigError("Unreachable", response.status, undefined, `brig at ${base} broke off its answer to ${method} ${path} (${causeOf(error)})`);
    }
    const json = (() => {
      try {
        return text === "" ? undefined : (JSON.parse(text) as unknown);
      } catch {
        return undefined;
      }
    })();
    if (response.ok) return json;
    const wai = json as { label?: unknown; message?: unknown } | undefined;
    const label = typeof wai?.label === "string" ? wai.label : undefined;
    const message = typeof wai?.message === "string" ? wai.message : text.slice(0, 500) || response.statusText;
    // wai's generic `server-error` (an exception, a proxy's 5xx rewritten by the service) passes like an outage;
    // brig's own 5xx answers (533 federation errors) carry their label and are a refusal.
    const failure: BrigFailure = response.status >= 500 && (label === undefined || label === "server-error") ? "Unreachable" : "Refused";
    throw new BrigError(failure, response.status, label, message);
  }
  return {
    url: base,
    async getRemotes() {
      const parsed = brigRemotes.safeParse(await request("GET", REMOTES_PATH));
      if (!parsed.success) throw new BrigError("Refused", 200, undefined, `brig at ${base} answered GET ${REMOTES_PATH} with an unexpected body: ${parsed.error.message}`);
      return parsed.data;
    },
    async getTeams(domain) {
      const parsed = brigRemoteTeam.array().safeParse(await request("GET", teamsPath(domain)));
      if (!parsed.success) throw new BrigError("Refused", 200, undefined, `brig at ${base} answered GET ${teamsPath(domain)} with an unexpected body`);
      return parsed.data.map((t) => t.team_id);
    },
    async send(call) {
      await request(call.method, call.path, call.body);
    },
  };
}
