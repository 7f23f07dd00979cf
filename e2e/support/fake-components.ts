// Fake brig, galley and cargohold for tests: HTTP/1.1 servers that record every request (method,
// path, headers, body) and answer what the test configures (default: 200 with a JSON echo).
// As wire-server's services do: brig answers `POST /federation/api-version` with its VersionInfo
// (libs/wire-api-federation/src/Wire/API/Federation/Version.hs), and a 5xx reaches the federator
// as a Wai error JSON (libs/wai-utilities' rethrow5xx/wrapError: label `server-error`).
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

/** Brig's federation API versions (V0..V3), with the legacy `supported` field Version.hs still writes. */
export const BRIG_VERSION_INFO = JSON.stringify({ supported_versions: [0, 1, 2, 3], supported: [0, 1] });

function isWaiErrorJson(body: string | Buffer | undefined): boolean {
  try {
    const parsed: unknown = JSON.parse(String(body ?? ""));
    return typeof parsed === "object" && parsed !== null && typeof (parsed as { label?: unknown }).label === "string";
  } catch {
    return false;
  }
}

/** What a wire-server service sends for `answer`: a 5xx body becomes Wai's `server-error` unless it already is a Wai error. */
export function asWireServiceAnswer(answer: FakeResponse): FakeResponse {
  if (answer.status < 500 || isWaiErrorJson(answer.body)) return answer;
  const message = Buffer.isBuffer(answer.body) ? answer.body.toString("utf8") : (answer.body ?? "");
  return { status: answer.status, headers: { "content-type": "application/json" }, body: JSON.stringify({ code: answer.status, label: "server-error", message }) };
}

function builtIn(name: ComponentName, request: RecordedRequest): FakeResponse | undefined {
  if (name === "brig" && request.method === "POST" && request.path === "/federation/api-version") {
    return { status: 200, headers: { "content-type": "application/json" }, body: BRIG_VERSION_INFO };
  }
  return undefined;
}

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
        return builtIn(name, recorded) ?? responder(recorded);
      };
      answer().then(
        (answer) => {
          const sent = asWireServiceAnswer(answer);
          res.writeHead(sent.status, sent.headers ?? {});
          res.end(sent.body ?? "");
        },
        () => {
          // wai-utilities' catchErrors: an exception is a 500 `server-error` "Server Error".
          res.writeHead(500, { "content-type": "application/json" });
          res.end(JSON.stringify({ code: 500, label: "server-error", message: "Server Error" }));
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
