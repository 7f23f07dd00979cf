// Bounds on what one HTTP/2 client may make either server hold (the Passthrough TLS server and the
// internal h2c server). Node's defaults advertise unlimited concurrent streams and header lists, so
// a few connections holding thousands of streams each could exhaust the heap. A client that opens
// and resets streams in a loop (rapid reset, CVE-2023-44487) never holds a stream open but costs a
// request each time: nghttp2 counts resets in a token bucket and ends the session with GOAWAY once
// it is empty. Its default burst is 1000; ours is lower. Such streams never reach JavaScript (a
// stream reset in the same read as its HEADERS is dropped before Node emits it), so the bucket
// in nghttp2 is the only place this can be counted.
import type { FederatorConfig } from "../lib/api/federator-config.ts";

/** Resets a session may send at once, and per second after that, before nghttp2 sends GOAWAY. */
export const STREAM_RESET_BURST = 100;
export const STREAM_RESET_RATE = 33;

export type Http2Limits = FederatorConfig["limits"];

/** Options for http2.createServer / createSecureServer (`streamReset*` are Node's, not yet in its types). */
export function http2ServerOptions(limits: Http2Limits) {
  return {
    maxSessionMemory: limits.maxSessionMemoryMegabytes,
    maxHeaderListPairs: 128,
    settings: { maxConcurrentStreams: limits.maxConcurrentStreams, maxHeaderListSize: limits.maxHeaderListBytes },
    streamResetBurst: STREAM_RESET_BURST,
    streamResetRate: STREAM_RESET_RATE,
  };
}
