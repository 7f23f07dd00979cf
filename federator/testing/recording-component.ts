// A component (brig) that records how each request body ended: complete (the HTTP/1.1 message
// ended, so a real brig would act on it) or aborted. The fakes of e2e/support record only complete
// requests; an attack on truncation needs to see the other outcome too, to know it happened.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface BodyOutcome {
  readonly complete: boolean;
  readonly body: string;
}

export interface RecordingComponent {
  readonly url: string;
  readonly outcomes: BodyOutcome[];
  /** Body bytes received so far by requests still open. */
  receiving(): number;
  /** Requests whose body has not ended yet. */
  openRequests(): number;
  close(): Promise<void>;
}

export async function startRecordingComponent(host: string): Promise<RecordingComponent> {
  const outcomes: BodyOutcome[] = [];
  let open = 0;
  let openRequests = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let done = false;
    openRequests++;
    req.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      open += chunk.length;
    });
    const finish = (complete: boolean) => {
      if (done) return;
      done = true;
      openRequests--;
      open -= Buffer.concat(chunks).length;
      outcomes.push({ complete, body: Buffer.concat(chunks).toString("utf8") });
    };
    req.on("end", () => {
      finish(true);
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
    req.on("error", () => finish(false));
    req.on("close", () => finish(req.complete));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    outcomes,
    receiving: () => open,
    openRequests: () => openRequests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
