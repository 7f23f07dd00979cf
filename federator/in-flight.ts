// Requests in flight per origin, so that one origin's slow or trickling requests cannot take every
// connection to brig and starve the others: beyond the limit, a request is refused with 503 at
// once. Unlisted origins (AllowAll) share one count, so minting domains buys nothing.
export class InFlight {
  readonly #counts = new Map<string, number>();

  /** A release function, or undefined when `key` already has `limit` requests in flight. */
  acquire(key: string, limit: number): (() => void) | undefined {
    const count = this.#counts.get(key) ?? 0;
    if (count >= limit) return undefined;
    this.#counts.set(key, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#counts.get(key) ?? 1) - 1;
      if (left === 0) this.#counts.delete(key);
      else this.#counts.set(key, left);
    };
  }

  count(key: string): number {
    return this.#counts.get(key) ?? 0;
  }
}
