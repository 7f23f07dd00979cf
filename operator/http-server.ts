// /healthz (the process is alive), /readyz (caches synced), /metrics (Prometheus).
import http from "node:http";
import type { Registry } from "prom-client";

export interface ProbeState {
  ready(): boolean;
}

export function startHttpServer(host: string, port: number, registry: Registry, probes: ProbeState): Promise<http.Server> {
  const server = http.createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    if (request.method !== "GET") return void response.writeHead(405).end();
    if (path === "/healthz") return void response.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
    if (path === "/readyz") {
      const ready = probes.ready();
      return void response.writeHead(ready ? 200 : 503, { "content-type": "text/plain" }).end(ready ? "ok\n" : "caches not synced\n");
    }
    if (path === "/metrics") {
      registry.metrics().then(
        (text) => response.writeHead(200, { "content-type": registry.contentType }).end(text),
        () => response.writeHead(500).end(),
      );
      return;
    }
    response.writeHead(404).end();
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}
