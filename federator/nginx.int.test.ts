// Nginx mode end to end: A's federator → Debian's nginx (mutual TLS against the CA bundle, the
// verified client certificate passed on as ingress-nginx's ssl-client-cert header by
// auth-tls-pass-certificate-to-upstream, no snippet) → N's federator on plain HTTP → N's brig.
// The Ingress is written by hand here; the e2e tests use the one the operator renders.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNginx, type NginxProcess } from "../e2e/nginx/nginx.ts";
import type { KubeObject } from "../lib/kube/objects.ts";
import { http1, ingressCall, json, rpc, type Backend } from "./testing/backends.ts";
import { federatorCertificate } from "./testing/pki.ts";
import { baseConfig, closedPort, startWorld, type World } from "./testing/world.ts";

const NGINX = "nginx.ingress.kubernetes.io/";
let world: World;
let a: Backend;
let n: Backend;
let nginx: NginxProcess;
let nginxPort: number;

function federationIngress(): KubeObject {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: {
      name: "n-federator",
      namespace: "wire",
      annotations: {
        [`${NGINX}auth-tls-verify-client`]: "on",
        [`${NGINX}auth-tls-secret`]: "wire/n-ca-bundle",
        [`${NGINX}auth-tls-verify-depth`]: "2",
        [`${NGINX}auth-tls-pass-certificate-to-upstream`]: "true",
        [`${NGINX}backend-protocol`]: "HTTP",
      },
    },
    spec: {
      tls: [{ hosts: ["federator.n.example"], secretName: "n-tls" }],
      rules: [{ host: "federator.n.example", http: { paths: [{ path: "/federation", pathType: "Prefix", backend: { service: { name: "n-federator", port: { name: "external" } } } }] } }],
    },
  };
}

beforeAll(async () => {
  world = await startWorld({ aRemotes: ["b.example", "n.example"] });
  a = world.a;
  n = await world.addBackend("n", "127.0.0.5", { config: { ...baseConfig("n", world.dns.address, ["a.example"]), listen: { externalTLS: false } } });
  const serving = await federatorCertificate(world.ca, "federator.n.example");
  const port = await closedPort(n.ip);
  nginxPort = port;
  const secrets: Record<string, Record<string, string>> = {
    "wire/n-tls": { "tls.crt": serving.chainPem, "tls.key": serving.privateKeyPem },
    "wire/n-ca-bundle": { "ca.crt": world.ca.certificatePem },
  };
  nginx = await startNginx({ ingress: federationIngress(), secret: (name) => secrets[name], upstream: () => `${n.ip}:${n.externalPort}`, listen: `${n.ip}:${port}` });
  await world.publishAt("n", port);
});
afterAll(async () => {
  await nginx?.stop();
  await world?.close();
});

describe("behind a real nginx (Nginx mode)", () => {
  it("delivers A's call through nginx to N's brig, authenticated by the certificate nginx passes on", async () => {
    const answer = randomBytes(4096);
    n.components.brig.respondWith(() => ({ status: 200, headers: { "content-type": "application/octet-stream" }, body: answer }));
    const response = await rpc(a, "n.example", "brig", "get-user", '{"id":7}', { "request-id": "nginx-1" });
    expect(response.status).toBe(200);
    expect(response.body.equals(answer)).toBe(true);
    const received = n.components.brig.requests.at(-1);
    expect(received?.path).toBe("/federation/get-user");
    expect(received?.headers["wire-origin-domain"]).toBe("a.example");
    expect(received?.headers["request-id"]).toBe("nginx-1");
    expect(received?.headers["wire-origin-ip"]).toMatch(/^127\.0\.0\.\d+$/);
    expect(received?.body.toString()).toBe('{"id":7}');
  });

  it("authenticates the certificate of the TLS session, not an X-SSL-Certificate the client sends", async () => {
    const evil = await federatorCertificate(world.ca, "federator.evil.example");
    const genuine = await federatorCertificate(world.ca, "federator.a.example");
    const response = await ingressCall(n, {
      port: nginxPort,
      certificate: evil,
      trust: [world.ca],
      path: "/federation/brig/get-user",
      headers: { "wire-origin-domain": "a.example", "x-ssl-certificate": encodeURIComponent(genuine.certificatePem) },
    });
    expect(response.status).toBe(403);
    expect(json(response)["label"]).toBe("authentication-failure");
  });

  it("reports N's refusal through A as federation-remote-error with N's error inside", async () => {
    await n.writeConfig({ ...baseConfig("n", world.dns.address, []), listen: { externalTLS: false } });
    const response = await rpc(a, "n.example", "brig", "get-user");
    await n.writeConfig({ ...baseConfig("n", world.dns.address, ["a.example"]), listen: { externalTLS: false } });
    expect(response.status).toBe(533);
    expect(json(response)["inner"]).toEqual({ code: 400, label: "federation-denied", message: "origin domain [a.example] not in the federation allow list" });
  });

  it("N does not serve /i/status through nginx or on its external port", async () => {
    const direct = await http1(`http://${n.ip}:${n.externalPort}/i/status`, { method: "GET" });
    expect(direct.status).toBe(404);
  });
});
