// The harness's own minimal HTTPS client to the API server, authenticated with the admin client
// certificate. It exists so the harness depends on nothing but Node to boot a control plane.
import https from "node:https";

export interface TlsIdentity {
  readonly caPem: string;
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

export interface AdminResponse {
  readonly status: number;
  readonly text: string;
}

export interface AdminClient {
  request(method: string, path: string, body?: unknown, timeoutMs?: number): Promise<AdminResponse>;
}

export function adminClient(server: string, identity: TlsIdentity): AdminClient {
  const agent = new https.Agent({
    ca: identity.caPem,
    cert: identity.certificatePem,
    key: identity.privateKeyPem,
    keepAlive: false,
  });
  return {
    request(method, path, body, timeoutMs = 10_000) {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      return new Promise((resolve, reject) => {
        const request = https.request(
          new URL(path, server),
          {
            method,
            agent,
            timeout: timeoutMs,
            headers: {
              accept: "application/json",
              "user-agent": "wire-federation-test-harness",
              ...(payload === undefined ? {} : { "content-type": "application/json" }),
            },
          },
          (response) => {
            let text = "";
            response.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
            response.on("end", () => resolve({ status: response.statusCode ?? 0, text }));
            response.on("error", reject);
          },
        );
        request.on("timeout", () => request.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
        request.on("error", reject);
        request.end(payload);
      });
    },
  };
}
