// A work queue keyed by FederationConfig (controller-runtime's design): a key is queued at most
// once however many events name it, is never processed by two workers at once, is retried with
// per-key exponential backoff on failure, and starts again no sooner than `minIntervalMs` or twice
// its last duration after its last start, so a burst of peer changes to a large config becomes a
// handful of reconciles while a small config still reacts within tens of milliseconds.
export interface QueueOptions {
  readonly concurrency: number;
  /** Delay before a newly dirty key runs, to gather the rest of a burst. */
  readonly coalesceMs: number;
  /** Least time between two starts of the same key (grows to twice the key's last reconcile time). */
  readonly minIntervalMs: number;
  readonly baseBackoffMs: number;
  readonly maxBackoffMs: number;
}

export const DEFAULT_QUEUE_OPTIONS: QueueOptions = { concurrency: 4, coalesceMs: 20, minIntervalMs: 250, baseBackoffMs: 200, maxBackoffMs: 300_000 };

/** However slow a config's reconcile, a change waits at most this long for the next one to start. */
const MAX_SPACING_MS = 1000;

export type ReconcileResult = { readonly requeueAfterMs?: number };
export type Reconciler = (key: string) => Promise<ReconcileResult>;

export interface QueueObserver {
  onResult?(key: string, outcome: "ok" | "error", durationMs: number, error?: unknown): void;
  onDepth?(depth: number): void;
}

export class WorkQueue {
  readonly #options: QueueOptions;
  readonly #reconcile: Reconciler;
  readonly #observer: QueueObserver;
  /** Keys waiting to run, with the earliest time each may start. */
  readonly #waiting = new Map<string, number>();
  readonly #processing = new Set<string>();
  /** Keys that changed while being processed: they run again when done. */
  readonly #dirtyWhileProcessing = new Set<string>();
  readonly #failures = new Map<string, number>();
  readonly #lastStart = new Map<string, number>();
  readonly #lastDuration = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  readonly #idleWaiters: (() => void)[] = [];
  readonly #drainWaiters: (() => void)[] = [];

  constructor(reconcile: Reconciler, options: Partial<QueueOptions> = {}, observer: QueueObserver = {}) {
    this.#reconcile = reconcile;
    this.#options = { ...DEFAULT_QUEUE_OPTIONS, ...options };
    this.#observer = observer;
  }

  /** True while `key` runs and has changed again since it started: its result is already stale. */
  superseded(key: string): boolean {
    return this.#dirtyWhileProcessing.has(key);
  }

  get depth(): number {
    return this.#waiting.size;
  }

  add(key: string): void {
    this.#schedule(key, Date.now() + this.#options.coalesceMs);
  }

  addAfter(key: string, delayMs: number): void {
    this.#schedule(key, Date.now() + delayMs);
  }

  /** Resolves when nothing runs and nothing is due within a second (periodic requeues do not count). */
  idle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #isIdle(): boolean {
    const soon = Date.now() + 1000;
    return this.#processing.size === 0 && [...this.#waiting.values()].every((at) => at > soon);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  /** Resolves once no reconcile is running (after stop(), none starts again). */
  async drain(): Promise<void> {
    while (this.#processing.size > 0) await new Promise<void>((resolve) => this.#drainWaiters.push(resolve));
  }

  #schedule(key: string, at: number): void {
    if (this.#stopped) return;
    if (this.#processing.has(key)) {
      this.#dirtyWhileProcessing.add(key);
      return;
    }
    const spacing = Math.min(MAX_SPACING_MS, Math.max(this.#options.minIntervalMs, 2 * (this.#lastDuration.get(key) ?? 0)));
    const earliest = Math.max(at, (this.#lastStart.get(key) ?? 0) + spacing);
    const current = this.#waiting.get(key);
    if (current === undefined || earliest < current) this.#waiting.set(key, earliest);
    this.#observer.onDepth?.(this.#waiting.size);
    this.#pump();
  }

  #pump(): void {
    clearTimeout(this.#timer);
    if (this.#stopped) return;
    const now = Date.now();
    let next = Infinity;
    for (const [key, at] of [...this.#waiting].sort((a, b) => a[1] - b[1])) {
      if (this.#processing.size >= this.#options.concurrency) break;
      if (at > now) {
        next = Math.min(next, at);
        continue;
      }
      this.#waiting.delete(key);
      void this.#process(key);
    }
    if (next !== Infinity) this.#timer = setTimeout(() => this.#pump(), next - now);
    this.#observer.onDepth?.(this.#waiting.size);
    this.#notifyIdle();
  }

  async #process(key: string): Promise<void> {
    this.#processing.add(key);
    const started = Date.now();
    this.#lastStart.set(key, started);
    let retryAt: number | undefined;
    try {
      const result = await this.#reconcile(key);
      this.#failures.delete(key);
      this.#observer.onResult?.(key, "ok", Date.now() - started);
      if (result.requeueAfterMs !== undefined) retryAt = Date.now() + result.requeueAfterMs;
    } catch (error) {
      const failures = (this.#failures.get(key) ?? 0) + 1;
      this.#failures.set(key, failures);
      this.#observer.onResult?.(key, "error", Date.now() - started, error);
      retryAt = Date.now() + Math.min(this.#options.maxBackoffMs, this.#options.baseBackoffMs * 2 ** (failures - 1));
    } finally {
      this.#processing.delete(key);
      this.#lastDuration.set(key, Date.now() - started);
      for (const resolve of this.#drainWaiters.splice(0)) resolve();
    }
    if (this.#dirtyWhileProcessing.delete(key)) this.#schedule(key, Date.now());
    else if (retryAt !== undefined) this.#schedule(key, retryAt);
    this.#pump();
  }

  #notifyIdle(): void {
    if (!this.#isIdle()) return;
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }
}
