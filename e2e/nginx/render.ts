// Renders an nginx configuration from a networking.k8s.io/v1 Ingress the way ingress-nginx
// interprets the annotations the operator sets, so the e2e tests exercise the Federation Ingress
// the operator actually produced, on Debian's nginx. Followed: kubernetes/ingress-nginx
// rootfs/etc/nginx/template/nginx.tmpl (controller-v1.15.0: the server's ssl_client_certificate /
// ssl_verify_client / ssl_verify_depth from CertificateAuth, the location's client_max_body_size
// from proxy-body-size, `ssl-client-cert $ssl_client_escaped_cert` when PassCertToUpstream,
// X-Forwarded-For $remote_addr, proxy_ssl_* from proxy-ssl-secret, upstream keepalive) and its
// defaults (internal/ingress/controller/config/config.go: allow-snippet-annotations false,
// proxy-body-size 1m, upstream-keepalive-connections 320; annotations/authtls: verify depth 1).
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
  /**
   * ingress-nginx's `allow-snippet-annotations` (false since v1.9): without it, `*-snippet`
   * annotations are not applied (with the admission webhook the Ingress is refused instead).
   */
  readonly allowSnippets?: boolean;
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
  const upstreams: string[] = [];
  const rule = spec.rules?.[0];
  for (const [index, path] of (rule?.http?.paths ?? []).entries()) {
    const backend = path.backend?.service;
    if (backend === undefined) continue;
    const upstreamName = `upstream_${index}`;
    upstreams.push(upstreamBlock(upstreamName, input.upstream(backend.name, backend.port.name ?? backend.port.number ?? 80)));
    const lines = [...proxyLines(annotations, upstreamName, verify !== undefined && verify !== "off"), ...proxySslLines(input, annotations, namespace, files)];
    const snippet = annotations[`${NGINX}configuration-snippet`];
    if (snippet !== undefined && input.allowSnippets === true) lines.push(snippet.trim());
    const modifier = path.pathType === "Exact" ? "= " : "";
    locations.push(`    location ${modifier}${path.path ?? "/"} {\n${lines.map((l) => `      ${l}`).join("\n")}\n    }`);
  }

  const host = rule?.host ?? "_";
  const server = [
    ...upstreams,
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

/** The template's upstream keepalive defaults: 320 connections, 10000 requests, 60 s. */
function upstreamBlock(name: string, target: string): string {
  return `  upstream ${name} {\n    server ${target};\n    keepalive 320;\n    keepalive_requests 10000;\n    keepalive_timeout 60s;\n  }`;
}

/** The location's proxy directives; the ssl-client-* headers exist only where a CA verifies clients. */
function proxyLines(annotations: Readonly<Record<string, string>>, upstreamName: string, verifiesClients: boolean): string[] {
  const scheme = (annotations[`${NGINX}backend-protocol`] ?? "HTTP").toUpperCase() === "HTTPS" ? "https" : "http";
  const lines = [
    `proxy_pass ${scheme}://${upstreamName};`,
    `client_max_body_size ${annotations[`${NGINX}proxy-body-size`] ?? "1m"};`,
    "proxy_set_header Host $host;",
  ];
  if (verifiesClients) {
    // proxy_set_header replaces whatever the client sent under these names.
    if (annotations[`${NGINX}auth-tls-pass-certificate-to-upstream`] === "true") lines.push("proxy_set_header ssl-client-cert $ssl_client_escaped_cert;");
    lines.push("proxy_set_header ssl-client-verify $ssl_client_verify;", "proxy_set_header ssl-client-subject-dn $ssl_client_s_dn;", "proxy_set_header ssl-client-issuer-dn $ssl_client_i_dn;");
  }
  return [
    ...lines,
    "proxy_set_header X-Real-IP $remote_addr;",
    "proxy_set_header X-Forwarded-For $remote_addr;",
    "proxy_set_header X-Forwarded-Proto https;",
    'proxy_set_header Proxy "";',
    "proxy_http_version 1.1;",
    'proxy_set_header Connection "";',
    "proxy_request_buffering off;",
    "proxy_buffering off;",
  ];
}

/**
 * backend-protocol HTTPS with proxy-ssl-secret: nginx presents the Secret's tls.crt/tls.key to the
 * upstream and, with proxy-ssl-verify on, checks the upstream against its ca.crt (defaults: verify
 * off, depth 1, no SNI).
 */
function proxySslLines(input: RenderInput, annotations: Readonly<Record<string, string>>, namespace: string, files: Map<string, string>): string[] {
  const reference = annotations[`${NGINX}proxy-ssl-secret`];
  if ((annotations[`${NGINX}backend-protocol`] ?? "HTTP").toUpperCase() !== "HTTPS" || reference === undefined) return [];
  const data = input.secret(reference.includes("/") ? reference : `${namespace}/${reference}`);
  if (data?.["tls.crt"] === undefined || data["tls.key"] === undefined) throw new RenderError(`Secret ${reference} lacks tls.crt or tls.key`);
  const stem = `${input.dir}/${reference.replace("/", "_")}.proxy-ssl`;
  files.set(`${stem}.pem`, `${data["tls.crt"].trim()}\n${data["tls.key"].trim()}\n`);
  const lines = [`proxy_ssl_certificate ${stem}.pem;`, `proxy_ssl_certificate_key ${stem}.pem;`];
  if (data["ca.crt"] !== undefined) {
    files.set(`${stem}.ca.crt`, data["ca.crt"]);
    lines.push(`proxy_ssl_trusted_certificate ${stem}.ca.crt;`);
  }
  lines.push(`proxy_ssl_verify ${annotations[`${NGINX}proxy-ssl-verify`] ?? "off"};`, `proxy_ssl_verify_depth ${annotations[`${NGINX}proxy-ssl-verify-depth`] ?? "1"};`);
  const name = annotations[`${NGINX}proxy-ssl-name`];
  if (name !== undefined) lines.push(`proxy_ssl_name ${name};`, `proxy_ssl_server_name ${annotations[`${NGINX}proxy-ssl-server-name`] ?? "off"};`);
  return lines;
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
