// Whether the API server serves a resource (API discovery), remembered for a while: optional APIs
// (cert-manager, Gateway API) may be installed or removed while the operator runs, and a cluster
// without one gets a status, not a stream of failing watches.
import type { Logger } from "../log.ts";
import type { Resource } from "./resources.ts";
import { KubeApiError, type RestClient } from "./rest.ts";

/** A missing API is asked about again after this long (it may be installed meanwhile). */
const ABSENT_RECHECK_MS = 5_000;
/** A present API is asked about again after this long (it may be uninstalled). */
const PRESENT_RECHECK_MS = 60_000;

export class ApiPresence {
  readonly #client: RestClient;
  readonly #resource: Resource;
  readonly #log: Logger;
  readonly #messages: { readonly found: string; readonly absent: string };
  #known: { value: boolean; at: number } | undefined;

  /** `messages`: logged once per change, `absent` as a warning saying what a missing API means. */
  constructor(client: RestClient, resource: Resource, log: Logger, messages: { readonly found: string; readonly absent: string }) {
    this.#client = client;
    this.#resource = resource;
    this.#log = log;
    this.#messages = messages;
  }

  async served(): Promise<boolean> {
    const known = this.#known;
    if (known !== undefined && Date.now() - known.at < (known.value ? PRESENT_RECHECK_MS : ABSENT_RECHECK_MS)) return known.value;
    let value: boolean;
    try {
      const { body } = await this.#client.request("GET", `/apis/${this.#resource.apiVersion}`);
      value = ((body as { resources?: { name: string }[] } | undefined)?.resources ?? []).some((r) => r.name === this.#resource.plural);
    } catch (error) {
      if (!(error instanceof KubeApiError && error.status === 404)) throw error;
      value = false;
    }
    if (value !== known?.value) {
      const api = this.#resource.apiVersion;
      if (value) this.#log.info({ api }, this.#messages.found);
      else this.#log.warn({ api }, this.#messages.absent);
    }
    this.#known = { value, at: Date.now() };
    return value;
  }
}
