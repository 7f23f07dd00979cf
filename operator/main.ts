// The operator process: `node operator/main.ts [--kubeconfig PATH] [--namespaces a,b] ...`.
import { hostname } from "node:os";
import { parseArgs } from "node:util";
import { createLogger } from "../lib/log.ts";
import { createCertificateManager } from "./certificates/own-certificate.ts";
import { Controller } from "./controller.ts";
import { DEFAULT_FEDERATOR_IMAGE, type OperatorPolicy } from "./desired/admission.ts";
import { startHttpServer } from "./http-server.ts";
import { createRestClient, loadKubeConfig } from "../lib/kube/rest.ts";
import { LeaderElector } from "../lib/kube/leader-election.ts";
import { createOperatorMetrics } from "./metrics.ts";

const USAGE = `usage: node operator/main.ts [options]
  --kubeconfig PATH                 kubeconfig (default: in-cluster service account)
  --namespaces a,b                  namespaces to watch (default: $POD_NAMESPACE)
  --leader-election-namespace NS    namespace of the Lease (default: $POD_NAMESPACE or the first watched namespace)
  --leader-elect=false              run without leader election (one replica only)
  --lease-seconds N                 lease duration (default 15)
  --listen HOST:PORT                /healthz, /readyz, /metrics (default 0.0.0.0:8080)
  --identity NAME                   leader election identity (default: $POD_NAME or the host name)
  --ca-expiry-warning-days N        a peer's CA expiring within N days sets ExpiringSoon and a Warning Event (default 30)
  --federator-image IMAGE           the image every federator runs (default ${DEFAULT_FEDERATOR_IMAGE})
  --allowed-federator-images A,B    further images a FederationConfig's spec.federator.image may pick (default: none)
  --service-targets namespace|any   spec.federator.services.* must be Services of the config's namespace (default),
                                    or any http(s) URL (tests, demos: the operator then calls whatever brig URL a config names)`;

function options() {
  const { values } = parseArgs({
    options: {
      kubeconfig: { type: "string" },
      namespaces: { type: "string" },
      "leader-election-namespace": { type: "string" },
      "leader-elect": { type: "string", default: "true" },
      "lease-seconds": { type: "string", default: "15" },
      listen: { type: "string", default: "0.0.0.0:8080" },
      identity: { type: "string" },
      "ca-expiry-warning-days": { type: "string", default: "30" },
      "federator-image": { type: "string", default: DEFAULT_FEDERATOR_IMAGE },
      "allowed-federator-images": { type: "string", default: "" },
      "service-targets": { type: "string", default: "namespace" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const namespaces = (values.namespaces ?? process.env["POD_NAMESPACE"] ?? "").split(",").map((n) => n.trim()).filter(Boolean);
  if (namespaces.length === 0) throw new Error(`no namespace to watch: pass --namespaces or set POD_NAMESPACE\n${USAGE}`);
  const expiryWarningDays = Number(values["ca-expiry-warning-days"]);
  if (!Number.isFinite(expiryWarningDays) || expiryWarningDays < 0) throw new Error(`--ca-expiry-warning-days must be a number of days >= 0 (got ${values["ca-expiry-warning-days"]})\n${USAGE}`);
  const serviceTargets = values["service-targets"];
  if (serviceTargets !== "namespace" && serviceTargets !== "any") throw new Error(`--service-targets must be namespace or any (got ${serviceTargets})\n${USAGE}`);
  const policy: OperatorPolicy = {
    federatorImage: values["federator-image"],
    allowedFederatorImages: values["allowed-federator-images"].split(",").map((i) => i.trim()).filter(Boolean),
    serviceTargets: serviceTargets === "any" ? "Any" : "Namespace",
  };
  const [host = "0.0.0.0", port = "8080"] = values.listen.split(/:(?=[0-9]+$)/);
  return {
    kubeconfig: values.kubeconfig ?? process.env["KUBECONFIG"],
    namespaces,
    leaseNamespace: values["leader-election-namespace"] ?? process.env["POD_NAMESPACE"] ?? namespaces[0]!,
    leaderElect: values["leader-elect"] !== "false",
    leaseMs: Number(values["lease-seconds"]) * 1000,
    host,
    port: Number(port),
    identity: values.identity ?? process.env["POD_NAME"] ?? `${hostname()}-${process.pid}`,
    expiryWarningDays,
    policy,
  };
}

async function main(): Promise<void> {
  const log = createLogger({ name: "operator" });
  const o = options();
  const connection = loadKubeConfig(o.kubeconfig);
  const client = await createRestClient(connection);
  // The Lease has a connection of its own: a renewal must never wait behind a reconcile's requests.
  const leaseClient = await createRestClient(connection);
  const metrics = createOperatorMetrics(() => client.connections());
  const controller = new Controller({ client, namespaces: o.namespaces, log, metrics, certificates: createCertificateManager(), expiryWarningDays: o.expiryWarningDays, policy: o.policy });
  let synced = false;
  const server = await startHttpServer(o.host, o.port, metrics.registry, { ready: () => synced || !elector?.leading });
  const bound = server.address();
  const port = bound !== null && typeof bound === "object" ? bound.port : o.port;
  log.info({ listen: `${o.host}:${port}`, namespaces: o.namespaces, identity: o.identity }, "operator starting");

  const startController = () => {
    metrics.leader.set(1);
    controller.start().then(
      () => (synced = true),
      (error: unknown) => {
        log.error({ err: error }, "controller failed to start");
        process.exit(1);
      },
    );
  };
  const elector = o.leaderElect
    ? new LeaderElector({ client: leaseClient, namespace: o.leaseNamespace, name: "wire-federation-operator", identity: o.identity, leaseMs: o.leaseMs, renewMs: Math.max(500, o.leaseMs / 3), log })
    : undefined;
  if (elector) elector.run(startController, () => process.exit(1));
  else startController();

  const shutdown = async (signal: string) => {
    log.info({ signal }, "shutting down");
    // Finish the reconciles under way before the standby may start its own.
    await controller.stop();
    await elector?.release();
    server.close();
    process.exit(0);
  };
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
