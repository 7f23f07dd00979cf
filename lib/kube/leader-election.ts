// Lease-based leader election (coordination.k8s.io/v1), as client-go does it: the holder renews
// the Lease every `renewMs`; others take it over once it has not been renewed for `leaseMs`.
// Writes carry the resourceVersion they read, so two candidates can never both win.
import type { Logger } from "../log.ts";
import { BUILTIN_RESOURCES, resourcePath } from "./resources.ts";
import { KubeApiError, type RestClient } from "./rest.ts";

export interface LeaderElectionOptions {
  readonly client: RestClient;
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly leaseMs: number;
  readonly renewMs: number;
  readonly log: Logger;
}

interface Lease {
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number };
}

/** How soon a leader retries a renewal that failed. */
const RETRY_MS = 1_000;

const microTime = (date: Date) => date.toISOString().replace("Z", "000Z");

export class LeaderElector {
  readonly #o: LeaderElectionOptions;
  #leading = false;
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;
  /** Ends leadership at the renew deadline even while a lease request hangs. */
  #watchdog: NodeJS.Timeout | undefined;
  /** When our last successful acquire or renew started (our clock). */
  #renewedAt = 0;
  /** When we last saw the lease change while someone else held it (our clock, not theirs). */
  #observed: { renewTime: string | undefined; at: number } = { renewTime: undefined, at: 0 };

  constructor(options: LeaderElectionOptions) {
    this.#o = options;
  }

  get leading(): boolean {
    return this.#leading;
  }

  /**
   * Campaigns until elected, then calls `onStarted`; calls `onStopped` if leadership is lost
   * (the process should then exit, as controller-runtime does, so it never acts as a stale leader).
   */
  run(onStarted: () => void, onStopped: () => void): void {
    const lose = () => {
      if (!this.#leading) return;
      this.#leading = false;
      clearTimeout(this.#watchdog);
      this.#o.log.warn({ identity: this.#o.identity }, "lost leadership");
      onStopped();
    };
    const tick = async () => {
      if (this.#stopped) return;
      const attemptStarted = Date.now();
      const outcome = await this.#tryAcquireOrRenew().then(
        (won) => (won ? "won" : "lost"),
        (error: unknown) => {
          this.#o.log.warn({ err: error }, "leader election: lease update failed");
          return "failed" as const;
        },
      );
      if (this.#stopped) return;
      if (outcome === "won") {
        // Counted from the start of the request, as client-go does: the lease may have been
        // written at any moment of it.
        this.#renewedAt = attemptStarted;
        clearTimeout(this.#watchdog);
        this.#watchdog = setTimeout(lose, Math.max(0, attemptStarted + this.#renewDeadlineMs() - Date.now()));
      }
      if (outcome === "won" && !this.#leading) {
        this.#leading = true;
        this.#o.log.info({ identity: this.#o.identity, lease: this.#o.name }, "became leader");
        onStarted();
      } else if (this.#leading && (outcome === "lost" || Date.now() - this.#renewedAt >= this.#renewDeadlineMs())) {
        // A failed update (API server unreachable) is retried until the renew deadline, as in
        // client-go; it ends before the lease does, so no other candidate can lead meanwhile.
        lose();
        return;
      }
      const retrying = this.#leading && outcome === "failed";
      this.#timer = setTimeout(() => void tick(), retrying ? Math.min(this.#o.renewMs, RETRY_MS) : this.#o.renewMs);
    };
    void tick();
  }

  #renewDeadlineMs(): number {
    return (this.#o.leaseMs * 2) / 3;
  }

  /** Gives the lease up so a standby can take over at once (graceful shutdown). */
  async release(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#watchdog);
    if (!this.#leading) return;
    this.#leading = false;
    const lease = await this.#get();
    if (lease?.spec.holderIdentity !== this.#o.identity) return;
    lease.spec = { ...lease.spec, holderIdentity: "", leaseDurationSeconds: 1, renewTime: microTime(new Date()) };
    await this.#o.client.request("PUT", this.#path(this.#o.name), { body: lease }).catch(() => undefined);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#watchdog);
  }

  #path(name?: string) {
    return resourcePath(BUILTIN_RESOURCES.Lease, this.#o.namespace, name);
  }

  async #get(): Promise<Lease | undefined> {
    try {
      return (await this.#o.client.request("GET", this.#path(this.#o.name))).body as Lease;
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date();
    const spec = { holderIdentity: this.#o.identity, leaseDurationSeconds: Math.ceil(this.#o.leaseMs / 1000), renewTime: microTime(now) };
    const lease = await this.#get();
    if (lease === undefined) {
      const body = { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: this.#o.name, namespace: this.#o.namespace }, spec: { ...spec, acquireTime: microTime(now), leaseTransitions: 0 } };
      return this.#write("POST", this.#path(), body);
    }
    const holder = lease.spec.holderIdentity ?? "";
    if (holder !== this.#o.identity && holder !== "") {
      if (lease.spec.renewTime !== this.#observed.renewTime) this.#observed = { renewTime: lease.spec.renewTime, at: Date.now() };
      const durationMs = (lease.spec.leaseDurationSeconds ?? 15) * 1000;
      if (Date.now() - this.#observed.at < durationMs) return false;
    }
    const taking = holder !== this.#o.identity;
    lease.spec = {
      ...lease.spec,
      ...spec,
      ...(taking ? { acquireTime: microTime(now), leaseTransitions: (lease.spec.leaseTransitions ?? 0) + 1 } : {}),
    };
    return this.#write("PUT", this.#path(this.#o.name), lease);
  }

  async #write(method: "POST" | "PUT", path: string, body: unknown): Promise<boolean> {
    try {
      await this.#o.client.request(method, path, { body });
      return true;
    } catch (error) {
      if (error instanceof KubeApiError && (error.status === 409 || error.status === 422)) return false;
      throw error;
    }
  }
}
