// Limits both HTTP/1.1 listeners share. A client that trickles its headers (slowloris) is cut off
// after HEADERS_TIMEOUT_MS, checked every second, instead of Node's 60 s checked every 30 s.
import type { ServerOptions } from "node:http";

export const HEADERS_TIMEOUT_MS = 10_000;

export const SERVER_OPTIONS: ServerOptions = {
  keepAliveTimeout: 65_000,
  headersTimeout: HEADERS_TIMEOUT_MS,
  connectionsCheckingInterval: 1_000,
};
