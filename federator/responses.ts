// Writing responses on either server, over HTTP/1.1 or (Passthrough mode) HTTP/2.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import type { Readable } from "node:stream";
import { relayBody } from "./body.ts";
import { errorBody, REASON_PHRASES, statusOf, type FederatorError } from "./errors.ts";

export type AnyRequest = IncomingMessage | Http2ServerRequest;
export type AnyResponse = ServerResponse | Http2ServerResponse;

function writeHead(request: AnyRequest, response: AnyResponse, status: number, headers: Record<string, string | string[] | number>): void {
  const reason = REASON_PHRASES[status];
  // HTTP/2 has no reason phrase; Node warns when given one.
  if (reason !== undefined && request.httpVersionMajor === 1) (response as ServerResponse).writeHead(status, reason, headers);
  else (response as ServerResponse).writeHead(status, headers);
}

export function sendError(request: AnyRequest, response: AnyResponse, error: FederatorError): void {
  const body = JSON.stringify(errorBody(error));
  writeHead(request, response, statusOf(error), { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  response.end(body);
}

export function sendText(request: AnyRequest, response: AnyResponse, status: number, contentType: string, body: string): void {
  writeHead(request, response, status, { "content-type": contentType, "content-length": Buffer.byteLength(body) });
  response.end(body);
}

/** Streams `body` to the client; a broken stream on either side ends the exchange without a second reply. */
export async function sendStream(request: AnyRequest, response: AnyResponse, status: number, headers: Record<string, string | string[]>, body: Readable): Promise<void> {
  writeHead(request, response, status, headers);
  await relayBody(body, response as ServerResponse);
}
