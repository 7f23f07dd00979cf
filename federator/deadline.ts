// A total deadline per exchange, on both servers. Idle timeouts alone let a client that trickles
// one byte at a time hold a request (and its connection to brig or to the remote) forever.
import type { AnyRequest, AnyResponse } from "./responses.ts";

/**
 * After `ms`, calls `expire` (which answers with an error if nothing was sent yet), then tears the
 * request down once that answer is out: the body source closes unfinished, so the upstream
 * request aborts too (body.ts). Cleared when the response closes.
 */
export function deadline(request: AnyRequest, response: AnyResponse, ms: number, expire: () => void): void {
  const timer = setTimeout(() => {
    expire();
    if (response.writableFinished) request.destroy();
    else response.once("finish", () => request.destroy());
  }, ms);
  response.once("close", () => clearTimeout(timer));
}

/** Runs `done` once the exchange is over, also when it already was (the client went away meanwhile). */
export function whenClosed(request: AnyRequest, response: AnyResponse, done: () => void): void {
  const over = "stream" in request ? request.stream.closed || request.stream.destroyed : request.socket.destroyed;
  if (over) done();
  else response.once("close", done);
}
