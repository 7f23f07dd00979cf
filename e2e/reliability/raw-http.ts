// HTTP/1.1 spoken by hand over TCP, for requests a well-behaved client library refuses to send
// (CR or LF inside a header value, folded headers) and for slowloris-style clients.
import { connect, type Socket } from "node:net";

export interface RawResponse {
  /** Status code of the response, 0 when the server closed the connection without one. */
  readonly status: number;
  readonly text: string;
}

/** Writes `request` as is and reads until the server closes the connection (send `Connection: close`). */
export function rawRequest(host: string, port: number, request: string, timeoutMs = 10_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    let text = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no end of the response within ${timeoutMs} ms; got so far: ${JSON.stringify(text.slice(0, 200))}`));
    }, timeoutMs);
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => (text += chunk));
    socket.on("error", () => undefined); // a reset after the response still ends in "close"
    socket.on("close", () => {
      clearTimeout(timer);
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1];
      resolve({ status: status === undefined ? 0 : Number(status), text });
    });
    socket.write(request, "latin1");
  });
}

export interface SlowClient {
  /** Bytes of the request head sent so far. */
  sent(): number;
  closedByServer(): boolean;
  close(): void;
}

/**
 * Opens a connection and sends a request head one byte every `intervalMs`, never finishing it:
 * a slowloris client, holding a connection (and whatever the server keeps per connection) open.
 */
export function slowClient(host: string, port: number, intervalMs: number): SlowClient {
  const head = "POST /federation/brig/get-user HTTP/1.1\r\nHost: federator\r\nX-Slow: ";
  const socket: Socket = connect(port, host);
  let sent = 0;
  let closedByServer = false;
  let closing = false;
  socket.on("error", () => undefined);
  socket.on("close", () => (closedByServer = !closing));
  const timer = setInterval(() => {
    if (socket.destroyed) return clearInterval(timer);
    socket.write(sent < head.length ? head[sent] ?? "" : "a");
    sent++;
  }, intervalMs);
  return {
    sent: () => sent,
    closedByServer: () => closedByServer,
    close() {
      closing = true;
      clearInterval(timer);
      socket.destroy();
    },
  };
}
