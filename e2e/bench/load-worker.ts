// One load measurement in a process of its own, so the load generator does not share an event loop
// with the fakes and harness of the bench: reads a LoadSpec as JSON on stdin, runs autocannon
// (closed loop, fixed connections) for a warm-up and then for the measurement, and prints a
// LoadResult as JSON on stdout. Latencies are kept raw (ms, sub-millisecond precision) because
// autocannon's own histogram rounds to whole milliseconds.
import autocannon from "autocannon";
import { text } from "node:stream/consumers";
import type { LoadResult, LoadSpec } from "./load.ts";

function options(spec: LoadSpec, durationSeconds: number): autocannon.Options {
  return {
    url: spec.url,
    method: "POST",
    headers: { "content-type": "application/json", ...spec.headers },
    body: spec.body,
    connections: spec.connections,
    pipelining: 1,
    duration: durationSeconds,
    timeout: 10,
    ...(spec.tls ? { servername: spec.tls.servername, tlsOptions: { cert: spec.tls.cert, key: spec.tls.key } } : {}),
  };
}

function run(spec: LoadSpec, durationSeconds: number, latencies: number[] | undefined): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(options(spec, durationSeconds), (error, result) => (error ? reject(error) : resolve(result)));
    // autocannon emits (client, statusCode, resBytes, responseTime); its typings leave out the client.
    instance.on("response", (...args: unknown[]) => {
      const [status, responseTime] = [args[1], args[3]];
      if (latencies !== undefined && typeof status === "number" && status >= 200 && status < 300 && typeof responseTime === "number") latencies.push(responseTime);
    });
  });
}

async function main(): Promise<void> {
  const spec = JSON.parse(await text(process.stdin)) as LoadSpec;
  if (spec.warmupSeconds > 0) await run(spec, spec.warmupSeconds, undefined);
  const latencies: number[] = [];
  const started = performance.now();
  const result = await run(spec, spec.durationSeconds, latencies);
  const elapsedMs = performance.now() - started;
  const output: LoadResult = {
    requests: result.requests.total,
    ok: result["2xx"],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    elapsedMs,
    requestsPerSecond: (result["2xx"] * 1000) / elapsedMs,
    latenciesMs: latencies,
  };
  process.stdout.write(JSON.stringify(output));
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
