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

/** What a request body's source exposes about how it ended (IncomingMessage, Http2ServerRequest). */
interface BodySource extends Readable {
  readonly aborted?: boolean;
}

/**
 * Whether a source that emitted "end" really got its whole body. Node's HTTP/2 server ends the
 * readable side of a stream the client reset (RST_STREAM mid-body) as if the body were complete,
 * after flagging the request aborted; an HTTP/1.1 request whose connection dropped is aborted too.
 */
export function endedComplete(source: BodySource): boolean {
  return source.aborted !== true;
}

/**
 * Streams `source` into `destination`. With a declared Content-Length (already checked against the
 * limit) the HTTP parser bounds the body, so no counting is needed; otherwise a BodyLimit counts.
 * `destination` is ended only when the source ended complete: a client that aborts mid-body makes
 * `fail` run instead, which must destroy (never end) `destination`, so the component or remote
 * sees an aborted request and never a truncated one as whole.
 */
export function sendBody(source: BodySource, destination: Writable, limit: number, declaredLength: number | undefined, fail: (error: Error) => void): BodyTransfer {
  const aborted = () => fail(new Error("the client aborted the request body"));
  source.once("error", fail);
  source.once("aborted", aborted);
  const counter = declaredLength === undefined ? new BodyLimit(limit) : undefined;
  const sink: Writable = counter ?? destination;
  counter?.once("error", fail);
  if (counter !== undefined) counter.pipe(destination);
  source.once("end", () => (endedComplete(source) ? sink.end() : aborted()));
  source.once("close", () => {
    if (!source.readableEnded) aborted();
  });
  source.pipe(sink, { end: false });
  return { exceeded: () => counter?.exceeded ?? false };
}

export type Collected = { readonly kind: "complete"; readonly body: Buffer } | { readonly kind: "aborted" } | { readonly kind: "longer" };

/**
 * Reads `source` until it ends or has given more than `cap` bytes. A body that ended complete within
 * the cap comes back whole, so it can be sent again; a longer one is put back, paused, at the front of
 * `source` to be streamed once. Events rather than `for await`, which would destroy the source on break.
 */
export function collectUpTo(source: BodySource, cap: number): Promise<Collected> {
  // Aborted while the caller resolved the target: the events have passed already.
  if (source.destroyed || !endedComplete(source)) return Promise.resolve({ kind: "aborted" });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (collected: Collected) => {
      source.off("data", onData).off("end", onEnd).off("error", onAbort).off("aborted", onAbort).off("close", onClose);
      resolve(collected);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size <= cap) return;
      source.pause();
      settle({ kind: "longer" });
      source.unshift(Buffer.concat(chunks));
    };
    const onEnd = () => settle(endedComplete(source) ? { kind: "complete", body: Buffer.concat(chunks) } : { kind: "aborted" });
    const onAbort = () => settle({ kind: "aborted" });
    const onClose = () => {
      if (!source.readableEnded) onAbort();
    };
    source.on("data", onData).once("end", onEnd).once("error", onAbort).once("aborted", onAbort).once("close", onClose);
  });
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
