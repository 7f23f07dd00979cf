// Renders an nginx configuration from a networking.k8s.io/v1 Ingress the way ingress-nginx
// interprets the annotations the operator sets (DESIGN §6), so the e2e tests exercise the
// Federation Ingress the operator actually produced, on Debian's nginx.
import type { KubeObject } from "../../lib/kube/objects.ts";

const NGINX = "nginx.ingress.kubernetes.io/";

export interface RenderInput {
  readonly ingress: KubeObject;
  /** Secret data (decoded) by "namespace/name". */
  readonly secret: (namespacedName: string) => Readonly<Record<string, string>> | undefined;
  /** Where a Service port is reachable, e.g. "127.0.0.3:8081". */
  readonly upstream: (service: string, port: string | number) => string;
  /** Address nginx listens on for HTTPS, e.g. "127.0.0.3:8443". */
  readonly listen: string;
  /** Directory for the files nginx reads (certificates, CA bundle). */
  readonly dir: string;
}

export interface RenderedConfig {
  /** The `http { server {...} }` part, to include in a main nginx.conf. */
  readonly server: string;
  /** Files to write before (re)loading: path → content. */
  readonly files: ReadonlyMap<string, string>;
}

export class RenderError extends Error {
  override name = "RenderError";
}

interface IngressSpec {
  tls?: { hosts?: string[]; secretName?: string }[];
  rules?: { host?: string; http?: { paths?: { path?: string; pathType?: string; backend?: { service?: { name: string; port: { name?: string; number?: number } } } }[] } }[];
}

const quote = (value: string) => `"${value.replace(/["\\]/g, "\\$&")}"`;

export function renderIngress(input: RenderInput): RenderedConfig {
  const { ingress } = input;
  const namespace = ingress.metadata.namespace ?? "default";
  const annotations = ingress.metadata.annotations ?? {};
  const spec = (ingress["spec"] ?? {}) as IngressSpec;
  const files = new Map<string, string>();
  const tls = spec.tls?.[0];
  if (tls?.secretName === undefined) throw new RenderError(`Ingress ${ingress.metadata.name} has no TLS secret`);
  const serving = input.secret(`${namespace}/${tls.secretName}`);
  if (serving?.["tls.crt"] === undefined || serving["tls.key"] === undefined) throw new RenderError(`Secret ${namespace}/${tls.secretName} lacks tls.crt or tls.key`);
  files.set(`${input.dir}/${tls.secretName}.crt`, serving["tls.crt"]);
  files.set(`${input.dir}/${tls.secretName}.key`, serving["tls.key"]);

  const ssl: string[] = [`ssl_certificate ${input.dir}/${tls.secretName}.crt;`, `ssl_certificate_key ${input.dir}/${tls.secretName}.key;`];
  const verify = annotations[`${NGINX}auth-tls-verify-client`];
  const caRef = annotations[`${NGINX}auth-tls-secret`];
  if (verify !== undefined && verify !== "off") {
    if (caRef === undefined) throw new RenderError("auth-tls-verify-client without auth-tls-secret");
    const ca = input.secret(caRef.includes("/") ? caRef : `${namespace}/${caRef}`)?.["ca.crt"];
    if (ca === undefined) throw new RenderError(`Secret ${caRef} has no ca.crt`);
    const caFile = `${input.dir}/${caRef.replace("/", "_")}.ca.crt`;
    files.set(caFile, ca);
    ssl.push(`ssl_client_certificate ${caFile};`, `ssl_verify_client ${verify};`, `ssl_verify_depth ${annotations[`${NGINX}auth-tls-verify-depth`] ?? "1"};`);
  }

  const locations: string[] = [];
  const rule = spec.rules?.[0];
  for (const path of rule?.http?.paths ?? []) {
    const backend = path.backend?.service;
    if (backend === undefined) continue;
    const target = input.upstream(backend.name, backend.port.name ?? backend.port.number ?? 80);
    const scheme = (annotations[`${NGINX}backend-protocol`] ?? "HTTP").toUpperCase() === "HTTPS" ? "https" : "http";
    const lines = [
      `proxy_pass ${scheme}://${target};`,
      "proxy_http_version 1.1;",
      'proxy_set_header Connection "";',
      "proxy_set_header Host $host;",
      "proxy_set_header X-Real-IP $remote_addr;",
      "proxy_set_header X-Forwarded-For $remote_addr;",
      "proxy_set_header X-Forwarded-Proto https;",
      "proxy_request_buffering off;",
      "proxy_buffering off;",
      "client_max_body_size 100m;",
    ];
    // ingress-nginx: the verified certificate goes upstream in the ssl-client-cert header.
    if (annotations[`${NGINX}auth-tls-pass-certificate-to-upstream`] === "true") lines.push("proxy_set_header ssl-client-cert $ssl_client_escaped_cert;");
    const snippet = annotations[`${NGINX}configuration-snippet`];
    if (snippet !== undefined) lines.push(snippet.trim());
    const modifier = path.pathType === "Exact" ? "= " : "";
    locations.push(`    location ${modifier}${path.path ?? "/"} {\n${lines.map((l) => `      ${l}`).join("\n")}\n    }`);
  }

  const host = rule?.host ?? "_";
  const server = [
    "  server {",
    // Debian 12's nginx 1.22 predates the `http2 on;` directive.
    `    listen ${input.listen} ssl http2;`,
    `    server_name ${host};`,
    ...ssl.map((l) => `    ${l}`),
    "    ssl_protocols TLSv1.2 TLSv1.3;",
    ...locations,
    `    location / { return 404 ${quote("not found")}; }`,
    "  }",
  ].join("\n");
  return { server, files };
}

/** A complete nginx.conf around rendered servers, with every path inside `prefix`. */
export function mainConfig(prefix: string, servers: readonly string[], runAsRoot: boolean): string {
  return [
    ...(runAsRoot ? ["user root;"] : []),
    "worker_processes 1;",
    "daemon off;",
    `pid ${prefix}/nginx.pid;`,
    `error_log ${prefix}/error.log info;`,
    "events { worker_connections 1024; }",
    "http {",
    `  access_log ${prefix}/access.log;`,
    `  client_body_temp_path ${prefix}/client_body;`,
    `  proxy_temp_path ${prefix}/proxy;`,
    `  fastcgi_temp_path ${prefix}/fastcgi;`,
    `  uwsgi_temp_path ${prefix}/uwsgi;`,
    `  scgi_temp_path ${prefix}/scgi;`,
    "  keepalive_requests 100000;",
    ...servers,
    "}",
    "",
  ].join("\n");
}
