// HTTP/1.1 and HTTP/2 with prior knowledge (RFC 9113 §3.3) on one cleartext port, as Warp serves
// wire-server's internal port: brig, galley and cargohold speak h2c prior knowledge to it
// (wire-api-federation's Wire.API.Federation.Client, `withHTTP2Request … (False, host, port)`),
// older callers and probes HTTP/1.1. Node's cleartext http2 server cannot fall back to HTTP/1.1,
// so each connection's first bytes decide: the HTTP/2 preface goes to an http2 server, anything
// else to the HTTP/1.1 server's own connection handling (keep-alive, header timeouts, limits).
import type { Server } from "node:http";
import { createServer as createHttp2Server, type Http2Server, type ServerOptions as Http2ServerOptions, type Http2ServerRequest, type Http2ServerResponse, type ServerHttp2Session } from "node:http2";
import type { Socket } from "node:net";
import { HEADERS_TIMEOUT_MS } from "./server-options.ts";

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/** True: the HTTP/2 preface; false: something else; undefined: too few bytes yet to tell. */
export function startsWithHttp2Preface(bytes: Buffer): boolean | undefined {
  const n = Math.min(bytes.length, PREFACE.length);
  if (!bytes.subarray(0, n).equals(PREFACE.subarray(0, n))) return false;
  return n === PREFACE.length ? true : undefined;
}

/**
 * Makes `http1` (not yet listening) also serve HTTP/2 prior knowledge with `handler`. Its
 * `session` event reports the HTTP/2 sessions so a caller can close them (GOAWAY) on shutdown.
 */
export function addHttp2PriorKnowledge(http1: Server, handler: (request: Http2ServerRequest, response: Http2ServerResponse) => void, options: Http2ServerOptions = {}): Http2Server {
  const http2 = createHttp2Server(options, handler);
  http2.on("session", (session: ServerHttp2Session) => http1.emit("session", session));
  const http1Handlers = http1.listeners("connection") as ((socket: Socket) => void)[];
  http1.removeAllListeners("connection");
  http1.on("connection", (socket: Socket) => {
    let seen: Buffer = Buffer.alloc(0);
    // A client that sends nothing is cut off like one that trickles its headers.
    socket.setTimeout(HEADERS_TIMEOUT_MS, () => socket.destroy());
    const onData = (chunk: Buffer): void => {
      seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
      const isHttp2 = startsWithHttp2Preface(seen);
      if (isHttp2 === undefined) return;
      socket.off("data", onData);
      socket.setTimeout(0);
      socket.pause();
      socket.unshift(seen);
      // The http2 session reads what was unshifted itself; HTTP/1.1's parser needs the stream flowing.
      if (isHttp2) http2.emit("connection", socket);
      else {
        for (const handle of http1Handlers) handle.call(http1, socket);
        socket.resume();
      }
    };
    socket.on("data", onData);
  });
  return http2;
}
