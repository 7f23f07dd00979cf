import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { http1, metricValue, rpc } from "./testing/backends.ts";
import { startWorld, type World } from "./testing/world.ts";

let world: World;
beforeAll(async () => {
  world = await startWorld({ poolSize: 2 });
});
afterAll(async () => {
  await world?.close();
});

describe("pooled HTTP/2 sessions", () => {
  it("carries 10k egress requests to one peer over no more TLS connections than the pool size", async () => {
    const { a, b } = world;
    let handshakes = 0;
    b.federator.externalServer.on("secureConnection", () => handshakes++);
    a.federator.pool.drain();
    const total = 10_000;
    const concurrency = 64;
    let next = 0;
    let failures = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total) {
          next++;
          const response = await rpc(a, "b.example", "brig", "get-user", '{"id":1}');
          if (response.status !== 200) failures++;
        }
      }),
    );
    const elapsed = Date.now() - started;
    const metrics = (await http1(`${a.internalUrl}/i/metrics`, { method: "GET" })).body.toString();
    const opened = metricValue(metrics, "federator_tls_connections_opened_total", { target: `federator.b.example:${b.externalPort}` });
    process.stderr.write(`[federator] ${total} egress requests in ${elapsed} ms (${Math.round((total / elapsed) * 1000)} req/s): ${handshakes} TLS connections accepted by B, ${opened} opened by A in total, pool size 2\n`);
    expect(failures).toBe(0);
    expect(b.components.brig.requests.length).toBeGreaterThanOrEqual(total);
    expect(handshakes).toBeGreaterThanOrEqual(1);
    expect(handshakes).toBeLessThanOrEqual(2);
  });
});
