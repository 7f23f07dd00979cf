// Runs the operator's controller in-process against a real API server, for integration tests:
// same code path as `operator/main.ts` minus leader election and the HTTP server.
import { Writable } from "node:stream";
import { createLogger } from "../../lib/log.ts";
import { createCertificateManager } from "../certificates/own-certificate.ts";
import { Controller } from "../controller.ts";
import type { OperatorPolicy } from "../desired/admission.ts";
import { createRestClient, loadKubeConfig, type RestClient } from "../../lib/kube/rest.ts";
import { createOperatorMetrics } from "../metrics.ts";

export interface OperatorUnderTest {
  readonly controller: Controller;
  readonly client: RestClient;
  /** Everything the operator logged, as JSON lines. */
  readonly logs: string[];
  stop(): Promise<void>;
}

export async function startOperator(kubeconfig: string, namespaces: readonly string[], policy?: OperatorPolicy): Promise<OperatorUnderTest> {
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const log = createLogger({ name: "operator", level: "debug", destination });
  const client = await createRestClient(loadKubeConfig(kubeconfig), "wire-federation-operator-test");
  const controller = new Controller({
    client,
    namespaces,
    log,
    metrics: createOperatorMetrics(),
    certificates: createCertificateManager(),
    ...(policy === undefined ? {} : { policy }),
    queue: { coalesceMs: 20, minIntervalMs: 100, baseBackoffMs: 100, maxBackoffMs: 2000 },
  });
  await controller.start();
  return { controller, client, logs, stop: async () => (await controller.stop(), client.close()) };
}
