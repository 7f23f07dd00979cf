// Moving request and response bodies between sockets with a size limit. Plain `pipe` with explicit
// error handling rather than stream.pipeline: pipeline allocates an AbortController and an
// AbortError per call, which showed up as a tenth of the federator's CPU time under load.
import { Transform, type Readable, type TransformCallback, type Writable } from "node:stream";

/** Counts body bytes and fails once `limit` is exceeded. */
export class BodyLimit extends Transform {
  readonly limit: number;
  #seen = 0;
  exceeded = false;

  constructor(limit: number) {
    super();
    this.limit = limit;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#seen += chunk.length;
    if (this.#seen > this.limit) {
      this.exceeded = true;
      callback(new Error(`body larger than ${this.limit} bytes`));
      return;
    }
    callback(null, chunk);
  }
}

export interface BodyTransfer {
  /** True once the body ran over the limit (the destination has then been failed). */
  exceeded(): boolean;
}

/**
 * Streams `source` into `destination`. With a declared Content-Length (already checked against the
 * limit) the HTTP parser bounds the body, so no counting is needed; otherwise a BodyLimit counts.
 * Any failure calls `fail`, which must end `destination`.
 */
export function sendBody(source: Readable, destination: Writable, limit: number, declaredLength: number | undefined, fail: (error: Error) => void): BodyTransfer {
  source.once("error", fail);
  if (declaredLength !== undefined) {
    source.pipe(destination);
    return { exceeded: () => false };
  }
  const counter = new BodyLimit(limit);
  counter.once("error", fail);
  source.pipe(counter).pipe(destination);
  return { exceeded: () => counter.exceeded };
}

/** The Content-Length of a request, when it declares a valid one. */
export function declaredLength(headers: { readonly [name: string]: unknown }): number | undefined {
  const value = headers["content-length"];
  if (typeof value !== "string" || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

/** Streams a response body to the client; a broken stream on either side just ends the exchange. */
export function relayBody(source: Readable, destination: Writable & { destroy(error?: Error): unknown }): Promise<void> {
  return new Promise((resolve) => {
    const abort = () => {
      destination.destroy();
      resolve();
    };
    source.once("error", abort);
    destination.once("error", () => {
      source.destroy();
      resolve();
    });
    destination.once("finish", () => resolve());
    destination.once("close", () => {
      // The client went away before the body was through: stop reading from the remote.
      if (!destination.writableFinished) source.destroy();
      resolve();
    });
    source.pipe(destination);
  });
}
