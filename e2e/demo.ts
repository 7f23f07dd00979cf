// `npm run demo`: two Wire backends federating on this machine, each with its own control plane
// and operator, then one request crossing from a.example's brig to b.example's brig, and a denial.
//   npm run demo              run, show, tear down
//   npm run demo -- --keep    leave everything running (kubeconfigs printed) until Ctrl-C
import { parseArgs } from "node:util";
import { resolveAssets } from "./controlplane/assets.ts";
import type { Backend } from "./federation/backend.ts";
import { peer, startEnvironment, type Environment } from "./federation/environment.ts";
import { ensureMachineReady } from "./prereqs/control-plane.ts";
import { waitFor } from "./support/wait-for.ts";
import { WireClient } from "./support/wire-client.ts";

const { values } = parseArgs({ options: { keep: { type: "boolean", default: false }, mode: { type: "string", default: "Watch" } } });
const reload = values.mode === "Files" ? "Files" : "Watch";
const tty = process.stdout.isTTY;
const started = performance.now();
const bold = (s: string) => (tty ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string) => (tty ? `\x1b[2m${s}\x1b[0m` : s);
const clock = () => dim(`[${((performance.now() - started) / 1000).toFixed(1).padStart(5)}s]`);
const step = (message: string) => console.log(`${clock()} ${message}`);
const heading = (message: string) => console.log(`\n${bold(message)}`);

/** A spinner on a TTY for steps that take a while; a plain line elsewhere. */
async function slow<T>(message: string, work: Promise<T>): Promise<T> {
  if (!tty) {
    step(`${message} …`);
    return work;
  }
  const frames = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";
  let i = 0;
  const timer = setInterval(() => process.stdout.write(`\r${clock()} ${frames[i++ % frames.length]} ${message} …`), 100);
  try {
    const result = await work;
    process.stdout.write(`\r${clock()} ✓ ${message}   \n`);
    return result;
  } finally {
    clearInterval(timer);
  }
}

/** a.example's brig, calling its federator as wire-server's federation client does (HTTP/2 prior knowledge). */
let brigClient: WireClient | undefined;

async function send(from: Backend, to: Backend, rpc: string, body: object) {
  brigClient ??= new WireClient({ federator: from.federatorUrl, originDomain: from.domain });
  const result = await brigClient.call(to.domain, "brig", rpc, { body, requestId: "demo-1" });
  const url = `${from.federatorUrl}/rpc/${to.domain}/brig/${rpc}`;
  return { url, status: result.response.status, text: result.response.body.toString("utf8") };
}

async function show(backend: Backend) {
  const result = await backend.kubectl(["get", "fc,fp", "-n", "wire"]);
  console.log(dim(`$ KUBECONFIG=${backend.controlPlane.kubeconfigPath} kubectl get fc,fp -n wire   # ${backend.domain}`));
  console.log(result.stdout.trimEnd());
}

async function main(): Promise<void> {
  heading(`Wire federation operator demo (${reload} mode)`);
  // Seconds, not minutes: nginx, dnsmasq, openssl, Go, loopback addresses and disk before the build.
  await ensureMachineReady("npm run demo", true, step);
  await slow("locating kube-apiserver, etcd and kubectl (built from source on first use, ~6 min)", resolveAssets());
  let env: Environment | undefined;
  const stop = async () => {
    if (env === undefined) return;
    const running = env;
    env = undefined;
    await slow("tearing everything down", running.stop());
  };
  process.once("SIGINT", () => void stop().then(() => process.exit(130)));
  process.once("SIGTERM", () => void stop().then(() => process.exit(143)));
  try {
    env = await slow("starting two backends (control plane, operator, federator, nginx, fake brig/galley/cargohold each)", startEnvironment({ reload, progress: (m) => !tty && step(m) }));
    const { a, b } = env;
    heading("What runs");
    for (const x of [a, b]) {
      console.log(`  ${bold(x.domain)}: kube-apiserver ${x.controlPlane.server}, federator ${x.federatorUrl} (internal) and ${x.address}:${x.ports.external} (external), nginx https://${x.infraDomain}:${x.ports.ingress} on ${x.address}, brig ${x.components.brig.url}`);
    }
    console.log(`  DNS: dnsmasq on ${env.dns.address} serving _wire-server-federator._tcp.a.example and .b.example`);

    heading("A request from a.example's brig to b.example's brig");
    const ok = await waitFor(async () => {
      const r = await send(a, b, "get-user-by-handle", { handle: "alice" });
      return r.status === 200 ? r : undefined;
    }, { description: "a.example → b.example", timeoutMs: 30_000, intervalMs: 200 });
    const seen = b.components.brig.requests.at(-1);
    console.log(`  route:    brig(a) → POST ${ok.url}  (HTTP/2 prior knowledge, Wire-Origin-Request-Id: demo-1, no Content-Type, after api-version)`);
    console.log(`            → federator(a): allow list, SRV _wire-server-federator._tcp.b.example → federator.b.example:${b.ports.ingress}`);
    console.log(`            → HTTP/2 + mutual TLS → nginx(b) verifies a's certificate against b's CA bundle`);
    console.log(`            → federator(b): allow list, SRV of a.example, certificate name federator.a.example`);
    console.log(`            → brig(b) POST ${seen?.path}  (Wire-Origin-Domain: ${String(seen?.headers["wire-origin-domain"])}, Content-Type: ${String(seen?.headers["content-type"])}, Request-Id: ${String(seen?.headers["request-id"])})`);
    console.log(`  response: ${ok.status} ${ok.text}`);

    heading("Custom resources on both backends");
    for (const [local, remote] of [[a, b], [b, a]] as const) {
      await waitFor(async () => {
        const peer = await local.get("FederationPeer", remote.name);
        return ((peer?.["status"] as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).some((c) => c.type === "Accepted" && c.status === "True");
      }, { description: `${local.domain} reports ${remote.domain} as accepted`, timeoutMs: 20_000 });
    }
    await show(a);
    console.log();
    await show(b);

    heading("brig's federation remotes, kept equal to the FederationPeers by each operator");
    for (const [local, remote] of [[a, b], [b, a]] as const) {
      const url = `${local.components.brig.url}/i/federation/remotes`;
      const body = await waitFor(async () => {
        const text = await (await fetch(url)).text();
        return text.includes(`"${remote.domain}"`) ? text : undefined;
      }, { description: `${local.domain}'s brig lists ${remote.domain}`, timeoutMs: 20_000 });
      console.log(dim(`$ curl -s ${url}   # ${local.domain}'s brig`));
      console.log(`  ${body}`);
    }

    heading("Suspending a.example on b.example");
    console.log(dim(`$ kubectl patch fp a -n wire --type merge -p '{"spec":{"suspend":true}}'   # on b.example`));
    const patched = await b.kubectl(["patch", "fp", "a", "-n", "wire", "--type", "merge", "-p", '{"spec":{"suspend":true}}']);
    console.log(patched.stdout.trim());
    const t0 = performance.now();
    const denied = await waitFor(async () => {
      const r = await send(a, b, "get-user-by-handle", { handle: "alice" });
      return r.status !== 200 ? r : undefined;
    }, { description: "b.example refuses a.example", timeoutMs: 30_000, intervalMs: 20 });
    console.log(`  after ${(performance.now() - t0).toFixed(0)} ms: ${denied.status} ${denied.text}`);
    const harmless = await waitFor(async () => {
      const entry = b.brigApi.remotes().remotes.find((r) => r.domain === a.domain);
      return entry?.search_policy === "no_search" ? entry : undefined;
    }, { description: "b.example's brig makes a.example harmless", timeoutMs: 20_000 });
    console.log(`  b.example's brig keeps a.example (brig cannot delete a remote), made harmless: ${JSON.stringify(harmless)}`);
    await peer(b, a);
    console.log(dim("  (a.example's peer on b.example resumed)"));

    if (values.keep) {
      heading("Left running (Ctrl-C to stop)");
      for (const x of [a, b]) console.log(`  ${x.domain}: KUBECONFIG=${x.controlPlane.kubeconfigPath}`);
      console.log(`  try: curl -s --http2-prior-knowledge -X POST ${a.federatorUrl}/rpc/b.example/brig/get-user -H 'Wire-Origin-Request-Id: try-1' -d '{}'`);
      await new Promise(() => undefined);
    }
  } finally {
    brigClient?.close();
    if (!values.keep) await stop();
  }
  heading("Done.");
}

main().catch((error: unknown) => {
  console.error(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
