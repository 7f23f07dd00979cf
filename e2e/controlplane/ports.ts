// Free loopback ports, and starting a process on them again when another process took one first.
import { createServer } from "node:net";
import type { ManagedProcess } from "./processes.ts";
import { waitUntilReady } from "./readiness.ts";

const PORT_ATTEMPTS = 3;

/** Reserves `count` distinct free ports on a loopback address (released again right away). */
export async function freePorts(count: number, host = "127.0.0.1"): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => {
      const server = createServer();
      return new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, host, () => resolve(server));
      });
    }),
  );
  const ports = servers.map((s) => {
    const address = s.address();
    if (address === null || typeof address === "string") throw new Error("listening socket without a port");
    return address.port;
  });
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

function addressInUse(child: ManagedProcess): boolean {
  return /address already in use/i.test(child.logTail(20));
}

/** Starts a process on fresh ports, retrying when another process grabbed a port first. */
export async function startOnFreePorts(
  count: number,
  start: (ports: number[]) => Promise<ManagedProcess>,
): Promise<{ child: ManagedProcess; ports: number[] }> {
  for (let attempt = 1; ; attempt++) {
    const ports = await freePorts(count);
    const child = await start(ports).catch((error: unknown) => {
      if (attempt >= PORT_ATTEMPTS || !(error instanceof PortTakenError)) throw error;
      return undefined;
    });
    if (child) return { child, ports };
  }
}

class PortTakenError extends Error {
  override name = "PortTakenError";
}

interface Readiness {
  readonly child: ManagedProcess;
  readonly description: string;
  readonly ready: () => Promise<boolean>;
  readonly timeoutMs: number;
}

export async function readyOrPortTaken({ child, description, ready, timeoutMs }: Readiness): Promise<ManagedProcess> {
  try {
    await waitUntilReady(child, ready, description, timeoutMs);
    return child;
  } catch (error) {
    await child.stop(2_000);
    if (addressInUse(child)) throw new PortTakenError(error instanceof Error ? error.message : String(error));
    throw error;
  }
}
