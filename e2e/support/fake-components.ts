// Fake brig, galley and cargohold for tests: HTTP/1.1 servers that record every request (method,
// path, headers, body) and answer what the test configures (default: 200 with a JSON echo).
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export type ComponentName = "brig" | "galley" | "cargohold";

export interface RecordedRequest {
  readonly component: ComponentName;
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface FakeResponse {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
}

export type Responder = (request: RecordedRequest) => FakeResponse | Promise<FakeResponse>;
/** Serves some requests itself (e.g. brig's internal API), unrecorded; undefined passes the request on. */
export type Interceptor = (request: RecordedRequest) => FakeResponse | undefined | Promise<FakeResponse | undefined>;

export interface FakeComponent {
  readonly name: ComponentName;
  readonly url: string;
  readonly requests: RecordedRequest[];
  respondWith(responder: Responder): void;
  /** Resolves once `count` requests arrived, or rejects at the deadline. */
  waitForRequests(count: number, timeoutMs?: number): Promise<readonly RecordedRequest[]>;
  /** Stops listening and drops every connection (the component is down) until up(). */
  down(): Promise<void>;
  /** Listens again on the same address. */
  up(): Promise<void>;
  close(): Promise<void>;
}

export interface FakeComponents {
  readonly brig: FakeComponent;
  readonly galley: FakeComponent;
  readonly cargohold: FakeComponent;
  /** The `services` block of a federator.yaml pointing at these fakes. */
  readonly services: Record<ComponentName, string>;
  close(): Promise<void>;
}

export const echo: Responder = (request) => ({
  status: 200,
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ component: request.component, path: request.path, body: request.body.toString("utf8") }),
});

export async function startFakeComponent(name: ComponentName, host = "127.0.0.1", intercept?: Interceptor): Promise<FakeComponent> {
  const requests: RecordedRequest[] = [];
  const waiters = new Set<() => void>();
  const sockets = new Set<Socket>();
  let responder: Responder = echo;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const recorded: RecordedRequest = { component: name, method: req.method ?? "", path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks) };
      const answer = async () => {
        const intercepted = await intercept?.(recorded);
        if (intercepted !== undefined) return intercepted;
        requests.push(recorded);
        for (const wake of waiters) wake();
        return responder(recorded);
      };
      answer().then(
        (answer) => {
          res.writeHead(answer.status, answer.headers ?? {});
          res.end(answer.body ?? "");
        },
        (error: unknown) => {
          res.writeHead(500, { "content-type": "text/plain" });
          res.end(String(error));
        },
      );
    });
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  const stopListening = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
  return {
    name,
    url: `http://${host}:${port}`,
    requests,
    respondWith(next) {
      responder = next;
    },
    waitForRequests(count, timeoutMs = 5000) {
      if (requests.length >= count) return Promise.resolve(requests);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`fake ${name} received ${requests.length} of ${count} requests within ${timeoutMs} ms`));
        }, timeoutMs);
        const check = () => {
          if (requests.length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(requests);
        };
        waiters.add(check);
      });
    },
    down: stopListening,
    up() {
      return new Promise<void>((resolve, reject) => {
        if (server.listening) return resolve();
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          resolve();
        });
      });
    },
    close: stopListening,
  };
}

/** `brigApi`: what serves brig's internal API (e2e/support/fake-brig.ts). */
export async function startFakeComponents(host = "127.0.0.1", brigApi?: Interceptor): Promise<FakeComponents> {
  const [brig, galley, cargohold] = await Promise.all([startFakeComponent("brig", host, brigApi), startFakeComponent("galley", host), startFakeComponent("cargohold", host)]);
  return {
    brig,
    galley,
    cargohold,
    services: { brig: brig.url, galley: galley.url, cargohold: cargohold.url },
    async close() {
      await Promise.all([brig.close(), galley.close(), cargohold.close()]);
    },
  };
}
