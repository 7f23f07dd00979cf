// `npm run cluster`: a local control plane with the CRDs installed, until SIGINT or SIGTERM.
// stdout carries exactly one line, KUBECONFIG=<path>, so scripts can `eval` or grep it; logs go to stderr.
import { pino } from "pino";
import { createLogger } from "../../lib/log.ts";
import { startControlPlane } from "./control-plane.ts";

const log = createLogger({ name: "controlplane", destination: pino.destination(2) });

const started = Date.now();
const controlPlane = await startControlPlane({ name: "cluster" }).catch((error: unknown) => {
  log.error({ err: error }, "control plane did not start");
  process.exit(1);
});
log.info({ server: controlPlane.server, dir: controlPlane.dir, auditLog: controlPlane.auditLogPath, startMs: Date.now() - started }, "control plane ready; Ctrl-C stops it");
process.stdout.write(`KUBECONFIG=${controlPlane.kubeconfigPath}\n`);

let stopping = false;
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, "stopping the control plane");
  await controlPlane.stop();
  log.info("stopped");
  process.exit(0);
}
process.on("SIGINT", (signal) => void shutdown(signal));
process.on("SIGTERM", (signal) => void shutdown(signal));
process.on("SIGHUP", (signal) => void shutdown(signal));
// Whoever started us (npm, a demo script) may die without passing its signal on; being
// re-parented means nobody is left to stop the control plane but us.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) void shutdown("SIGHUP");
}, 1_000);
