// A remote that refuses a stream without processing it (RST_STREAM REFUSED_STREAM, or GOAWAY with a
// lower last-stream-id, as nginx's old worker sends while it reloads for a renewed certificate) must
// not fail the caller's request. wire-server's federation client sends its JSON without Content-Length
// (libs/wire-api-federation/src/Wire/API/Federation/Client.hs builds the body as a streamed
// builder), so the replay cannot depend on a declared length.
import { createSecureServer, constants as h2, type Http2SecureServer } from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rpc } from "./testing/backends.ts";
import { federatorCertificate } from "./testing/pki.ts";
import { startWorld, type World } from "./testing/world.ts";

let world: World;
let server: Http2SecureServer;
let mode: "rst" | "goaway" = "rst";
let refuseNext = false;
const received: string[] = [];

beforeAll(async () => {
  world = await startWorld();
  const certificate = await federatorCertificate(world.ca, "federator.b.example");
  server = createSecureServer({ cert: certificate.chainPem, key: certificate.privateKeyPem, allowHTTP1: false });
  server.on("stream", (stream) => {
    stream.on("error", () => undefined); // the refused streams close with an error on this side too
    if (refuseNext) {
      refuseNext = false;
      if (mode === "rst") stream.close(h2.NGHTTP2_REFUSED_STREAM);
      else stream.session?.goaway(h2.NGHTTP2_NO_ERROR, (stream.id ?? 1) - 2);
      return;
    }
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => {
      received.push(Buffer.concat(chunks).toString("utf8"));
      stream.respond({ ":status": 200, "content-type": "application/json" });
      stream.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.3", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  await world.publishAt("b", address.port);
});

afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  await world?.close();
});

describe("a stream the remote refused without processing it", () => {
  for (const how of ["rst", "goaway"] as const) {
    it(`is sent again on a fresh session, with its whole body and no Content-Length (${how})`, async () => {
      const body = JSON.stringify({ qualified_ids: Array.from({ length: 200 }, (_, i) => ({ id: `user-${i}`, domain: "a.example" })) });
      expect((await rpc(world.a, "b.example", "brig", "get-users-by-ids", "{}")).status).toBe(200); // a session is open
      mode = how;
      refuseNext = true;
      received.length = 0;
      const response = await rpc(world.a, "b.example", "brig", "get-users-by-ids", body);
      expect(response.status).toBe(200);
      expect(response.body.toString("utf8")).toBe(body);
      expect(received).toEqual([body]);
      expect(refuseNext).toBe(false);
    });
  }

  it("streams a body longer than the replay buffer once, whole, still without Content-Length", async () => {
    const body = JSON.stringify({ blob: "x".repeat(3 * 1024 * 1024) });
    received.length = 0;
    const response = await rpc(world.a, "b.example", "cargohold", "put-asset", body);
    expect(response.status).toBe(200);
    expect(received).toEqual([body]);
  });
});
