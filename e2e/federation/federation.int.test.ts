// Two backends federating through real nginx mutual TLS and both federators, each configured by
// its own operator on its own control plane. Assertions are on what crosses the wire.
import http from "node:http";
import https from "node:https";
import { decodedSecretData } from "../../lib/kube/secret-data.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCertificateAuthority, issueCertificate, type CertificateAuthority } from "../../lib/certs/issue.ts";
import { waitFor } from "../support/wait-for.ts";
import { WireClient } from "../support/wire-client.ts";
import type { Backend } from "./backend.ts";
import { peerFor, startEnvironment, type Environment } from "./environment.ts";

/** Each backend's brig, calling its federator as wire-server's federation client does (one HTTP/2 connection). */
const clients = new WeakMap<Backend, WireClient>();
function wireClient(from: Backend): WireClient {
  let client = clients.get(from);
  if (client === undefined) {
    client = new WireClient({ federator: from.federatorUrl, originDomain: from.domain });
    clients.set(from, client);
  }
  return client;
}

function closeClients(env: Environment | undefined): void {
  for (const backend of [env?.a, env?.b]) if (backend !== undefined) clients.get(backend)?.close();
}

export async function call(from: Backend, to: Backend, rpc = "get-user", body = `{"user":"${from.domain}"}`, requestId?: string): Promise<{ status: number; body: string }> {
  const result = await wireClient(from).call(to.domain, "brig", rpc, { body: JSON.parse(body) as unknown, ...(requestId === undefined ? {} : { requestId }) });
  return { status: result.response.status, body: result.response.body.toString("utf8") };
}

/** A request straight to a backend's nginx, as a remote federator would send it, with any client certificate. */
function viaIngress(to: Backend, client: { cert: string; key: string } | undefined, originDomain: string, serverCA: string, extraHeaders: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      {
        host: to.address,
        port: to.ports.ingress,
        method: "POST",
        path: "/federation/brig/get-user",
        servername: to.infraDomain,
        ca: serverCA,
        headers: { "wire-origin-domain": originDomain, "content-type": "application/json", ...extraHeaders },
        ...(client ?? {}),
      },
      (response) => {
        let body = "";
        response.on("data", (c: Buffer) => (body += c.toString()));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on("error", reject);
    request.end("{}");
  });
}

const suspension = async (env: Environment, suspend: boolean) => {
  const [configMap, peer] = peerFor(env.a, { suspend }) as [{ data: Record<string, string> }, object];
  configMap.data["ca.crt"] = await env.a.publishedCA();
  await env.b.apply(configMap, peer);
};

/**
 * Times a suspension: from the start of `kubectl apply` and from its return (the API server has
 * stored the change) until A's requests to B are refused by B.
 */
async function measureSuspension(env: Environment): Promise<{ fromApplyStart: number; fromStored: number }> {
  await waitFor(async () => (await call(env.a, env.b)).status === 200, { description: "A→B works before suspension", timeoutMs: 20_000 });
  const started = performance.now();
  await suspension(env, true);
  const stored = performance.now();
  const denied = await waitFor(
    async () => {
      const response = await call(env.a, env.b);
      return response.status !== 200 ? response : undefined;
    },
    { description: "B refuses A after A's peer is suspended", timeoutMs: 60_000, intervalMs: 10 },
  );
  const enforced = performance.now();
  expect(denied.status).toBe(533);
  expect(JSON.parse(denied.body)).toMatchObject({ label: "federation-remote-error" });
  // Two-stage enforcement (README): whichever of B's nginx (A's CA left its bundle: a TLS-level 400),
  // B's federator's CA check (its bundle volume swapped before federator.yaml) or its allow list
  // reloads first refuses.
  expect(denied.body).toMatch(/federation-denied|authentication-failure|The SSL certificate error/);
  await suspension(env, false);
  await waitFor(async () => (await call(env.a, env.b)).status === 200, { description: "A→B works again after resuming", timeoutMs: 60_000, intervalMs: 50 });
  return { fromApplyStart: enforced - started, fromStored: enforced - stored };
}

const describeFigure = (mode: string, t: { fromApplyStart: number; fromStored: number }) =>
  `[figure] ${mode}: suspend FederationPeer → first denial by B: ${t.fromStored.toFixed(0)} ms after the API server stored it (${t.fromApplyStart.toFixed(0)} ms including kubectl)`;

describe("two federating backends (Watch mode)", () => {
  let env: Environment;
  beforeAll(async () => {
    env = await startEnvironment({ reload: "Watch" });
  });
  afterAll(async () => {
    closeClients(env);
    await env?.stop();
  });

  it("carries A→B and B→A requests through nginx mutual TLS and both federators", async () => {
    const ab = await waitFor(async () => {
      const response = await call(env.a, env.b, "get-user", '{"qualified_id":{"id":"u1","domain":"b.example"}}');
      return response.status === 200 ? response : undefined;
    }, { description: "A→B succeeds", timeoutMs: 20_000 });
    const seen = env.b.components.brig.requests.at(-1)!;
    expect(seen.path).toBe("/federation/get-user");
    expect(seen.method).toBe("POST");
    expect(seen.headers["wire-origin-domain"]).toBe("a.example");
    expect(seen.body.toString()).toBe('{"qualified_id":{"id":"u1","domain":"b.example"}}');
    expect(JSON.parse(ab.body)).toMatchObject({ component: "brig", path: "/federation/get-user" });

    await waitFor(async () => (await call(env.b, env.a, "search-users")).status === 200, { description: "B→A succeeds", timeoutMs: 20_000 });
    expect(env.a.components.brig.requests.at(-1)!.headers["wire-origin-domain"]).toBe("b.example");
  });

  it("keeps each backend's brig listing the other as its FederationPeer says", async () => {
    for (const [local, remote] of [[env.a, env.b], [env.b, env.a]] as const) {
      await waitFor(() => local.brigApi.remotes().remotes.find((r) => r.domain === remote.domain && r.search_policy === "full_search"), {
        description: `${local.domain}'s brig lists ${remote.domain} as full_search`,
        timeoutMs: 20_000,
      });
    }
  });

  // libs/wire-api-federation/src/Wire/API/Federation/Client.hs (the caller), services/federator/src/
  // Federator/Remote.hs and Service.hs (what reaches the remote brig).
  it("brings a call made the way wire-server's client makes it to B's brig with Content-Type application/json and the caller's request id", async () => {
    await waitFor(async () => (await call(env.a, env.b, "get-user-by-handle", '"alice"', "e2e-rid-42")).status === 200, { description: "A→B succeeds", timeoutMs: 20_000 });
    const seen = env.b.components.brig.requests.at(-1)!;
    expect(seen.path).toBe("/federation/get-user-by-handle");
    expect(seen.headers["content-type"]).toBe("application/json");
    expect(seen.headers["request-id"]).toBe("e2e-rid-42");
    expect(seen.headers["x-wire-api-version"]).toBe("3");
  });

  // charts/wire-server/templates/{brig,galley,cargohold}/configmap.yaml: `federator: {host: federator, port: 8080}`.
  it("serves the federator the way wire-server's charts expect it: Service federator, port 8080 to the federator's internal port", async () => {
    const service = (await env.a.get("Service", "federator"))!;
    expect(service["spec"]).toMatchObject({ ports: [{ name: "internal", port: 8080, targetPort: "internal" }, { name: "federator-ext", port: 8081 }] });
    const deployment = (await env.a.get("Deployment", "wire-federator"))!;
    const container = (deployment["spec"] as { template: { spec: { containers: { ports: { name: string; containerPort: number }[] }[] } } }).template.spec.containers[0]!;
    expect(container.ports).toContainEqual(expect.objectContaining({ name: "internal", containerPort: 8080 }));
    const yaml = ((await env.a.get("ConfigMap", "wire-federator"))!["data"] as Record<string, string>)["federator.yaml"]!;
    expect(yaml).toMatch(/internal: "?0\.0\.0\.0:8080"?/);
  });

  it("enforces a suspension within a second and lifts it again", async () => {
    const timing = await measureSuspension(env);
    console.log(describeFigure("Watch mode", timing));
    expect(timing.fromStored).toBeLessThan(1000);
  });

  it("refuses at nginx a client certificate from an untrusted CA", async () => {
    const stranger = await createCertificateAuthority({ commonName: "Stranger CA", validityDays: 10 });
    const leaf = await issueCertificate({ ca: stranger, dnsNames: ["federator.a.example"], validityDays: 10 });
    const before = env.b.components.brig.requests.length;
    const response = await viaIngress(env.b, { cert: leaf.chainPem, key: leaf.privateKeyPem }, "a.example", await env.b.publishedCA());
    expect(response.status).toBe(400);
    expect(response.body).toMatch(/SSL certificate error|certificate/i);
    expect(env.b.components.brig.requests.length).toBe(before);
  });

  it("refuses at B's federator a trusted certificate for the wrong infra domain (authentication-failure)", async () => {
    // A's CA is trusted by B; a certificate it signs for another name must still be refused.
    const caSecret = await env.a.get("Secret", "wire-selfsigned-ca");
    const data = (caSecret?.["data"] ?? {}) as Record<string, string>;
    const aCA: CertificateAuthority = { certificatePem: Buffer.from(data["tls.crt"]!, "base64").toString(), privateKeyPem: Buffer.from(data["tls.key"]!, "base64").toString() };
    const wrong = await issueCertificate({ ca: aCA, dnsNames: ["federator.elsewhere.example"], validityDays: 10 });
    const before = env.b.components.brig.requests.length;
    const response = await viaIngress(env.b, { cert: wrong.chainPem, key: wrong.privateKeyPem }, "a.example", await env.b.publishedCA());
    expect(response.status).toBe(403);
    expect(JSON.parse(response.body)).toMatchObject({ label: "authentication-failure" });
    expect(env.b.components.brig.requests.length).toBe(before);
  });

  it("refuses a forged certificate header from a client holding another valid certificate", async () => {
    // The attacker's certificate is trusted by B's ingress, but names another host; it sends A's
    // genuine public certificate in every header a federator might read.
    const data = ((await env.a.get("Secret", "wire-selfsigned-ca"))?.["data"] ?? {}) as Record<string, string>;
    const aCA: CertificateAuthority = { certificatePem: Buffer.from(data["tls.crt"]!, "base64").toString(), privateKeyPem: Buffer.from(data["tls.key"]!, "base64").toString() };
    const attacker = await issueCertificate({ ca: aCA, dnsNames: ["federator.attacker.example"], validityDays: 10 });
    const genuine = Buffer.from(((await env.a.get("Secret", "wire-tls"))?.["data"] as Record<string, string>)["tls.crt"]!, "base64").toString();
    const forged = encodeURIComponent(genuine);
    const before = env.b.components.brig.requests.length;
    const response = await viaIngress(env.b, { cert: attacker.chainPem, key: attacker.privateKeyPem }, "a.example", await env.b.publishedCA(), { "ssl-client-cert": forged, "x-ssl-certificate": forged });
    expect(response.status).toBe(403);
    expect(JSON.parse(response.body)).toMatchObject({ label: "authentication-failure" });
    expect(env.b.components.brig.requests.length).toBe(before);
  });

  it("refuses a forged certificate header sent straight to B's federator, past the ingress (a pod of B's cluster)", async () => {
    // No NetworkPolicy is enforced here: only the ingress hop's TLS stands between a pod and the port.
    const genuine = Buffer.from(((await env.a.get("Secret", "wire-tls"))?.["data"] as Record<string, string>)["tls.crt"]!, "base64").toString();
    const headers = { "wire-origin-domain": "a.example", "content-type": "application/json", "ssl-client-cert": encodeURIComponent(genuine) };
    const target = { host: env.b.address, port: env.b.ports.external, method: "POST", path: "/federation/brig/get-user", headers, agent: false } as const;
    const send = (request: http.ClientRequest) =>
      new Promise<number>((resolve, reject) => {
        request.on("response", (response) => (response.resume(), resolve(response.statusCode ?? 0)));
        request.on("error", reject);
        request.end("{}");
      });
    const before = env.b.components.brig.requests.length;
    await expect(send(http.request(target))).rejects.toThrow();
    // Over TLS, with B's own federation certificate (one a pod of B's namespace could mount): still not the controller's.
    const own = decodedSecretData(await env.b.get("Secret", "wire-tls"))!;
    await expect(send(https.request({ ...target, rejectUnauthorized: false, cert: own["tls.crt"], key: own["tls.key"] }))).rejects.toThrow();
    expect(env.b.components.brig.requests.length).toBe(before);
    expect((await call(env.a, env.b)).status).toBe(200);
  });

  it("does not let another peer's CA vouch for a.example (per-peer CA binding)", async () => {
    // c.example is a legitimate peer of B with its own CA; that CA issues a certificate for A's infra domain.
    const cCA = await createCertificateAuthority({ commonName: "C federation CA", validityDays: 10 });
    await env.b.apply({ apiVersion: "federation.wire.com/v1alpha1", kind: "FederationPeer", metadata: { name: "c" }, spec: { domain: "c.example", caBundle: { pem: cCA.certificatePem } } });
    const forged = await issueCertificate({ ca: cCA, dnsNames: [env.a.infraDomain], validityDays: 10 });
    const before = env.b.components.brig.requests.length;
    const response = await waitFor(async () => {
      const r = await viaIngress(env.b, { cert: forged.chainPem, key: forged.privateKeyPem }, "a.example", await env.b.publishedCA());
      return r.status === 400 ? undefined : r; // 400: nginx does not trust C's CA yet
    }, { description: "nginx trusts C's CA", timeoutMs: 20_000 });
    expect(response.status).toBe(403);
    expect(JSON.parse(response.body)).toMatchObject({ label: "authentication-failure", message: expect.stringMatching(/not by a CA of \[a\.example\]/) });
    expect(env.b.components.brig.requests.length).toBe(before);
    expect((await call(env.a, env.b)).status).toBe(200);
  });

  it("keeps A↔B traffic working beside a peer with a broken CA, and reports that peer", async () => {
    await env.a.apply({
      apiVersion: "federation.wire.com/v1alpha1",
      kind: "FederationPeer",
      metadata: { name: "broken" },
      spec: { domain: "c.example", caBundle: { pem: "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n" } },
    });
    const broken = await waitFor(async () => {
      const peer = await env.a.get("FederationPeer", "broken");
      const conditions = ((peer?.["status"] as { conditions?: { type: string; status: string; message: string }[] } | undefined)?.conditions ?? []);
      return conditions.find((c) => c.type === "CAValid" && c.status === "False");
    }, { description: "the broken peer's status", timeoutMs: 20_000 });
    expect(broken.message).toMatch(/cannot be parsed/);
    const table = await env.a.kubectl(["get", "fp", "-n", "wire"]);
    expect(table.stdout).toMatch(/broken\s+c\.example\s+no_search\s+False/);
    expect((await call(env.a, env.b)).status).toBe(200);
    expect((await call(env.b, env.a)).status).toBe(200);
  });

  it("rotates B's own certificate under continuous A→B traffic without a failed request", async () => {
    const before = ((await env.b.get("Secret", "wire-tls"))?.["data"] as Record<string, string>)["tls.crt"];
    let stop = false;
    const failures: string[] = [];
    let sent = 0;
    const traffic = (async () => {
      while (!stop) {
        const response = await call(env.a, env.b).catch((error: unknown) => ({ status: 0, body: String(error) }));
        sent++;
        if (response.status !== 200) failures.push(`${response.status} ${response.body.slice(0, 200)}`);
      }
    })();
    await waitFor(() => sent > 20, { description: "traffic flowing", timeoutMs: 10_000 });
    // A different lifetime makes B's operator renew at once (as it does at 2/3 of the lifetime).
    const config = (await env.b.get("FederationConfig", "wire"))!;
    const spec = config["spec"] as { certificate: unknown };
    await env.b.apply({ apiVersion: "federation.wire.com/v1alpha1", kind: "FederationConfig", metadata: { name: "wire" }, spec: { ...spec, certificate: { selfSigned: { duration: "2159h" } } } });
    await waitFor(async () => ((await env.b.get("Secret", "wire-tls"))?.["data"] as Record<string, string>)["tls.crt"] !== before, { description: "B's certificate renewed", timeoutMs: 20_000 });
    const renewedAt = sent;
    await waitFor(() => sent > renewedAt + 100, { description: "100 more requests after the renewal", timeoutMs: 30_000 });
    stop = true;
    await traffic;
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(120);
  });
});

describe("two federating backends (Files mode)", () => {
  let env: Environment;
  beforeAll(async () => {
    env = await startEnvironment({ reload: "Files" });
  });
  afterAll(async () => {
    closeClients(env);
    await env?.stop();
  });

  it("enforces a suspension through kubelet-style volume swaps", async () => {
    const timing = await measureSuspension(env);
    console.log(describeFigure("Files mode (volumes projected at once; a real kubelet adds its sync period, about a minute)", timing));
    expect(timing.fromStored).toBeLessThan(5000);
  });
});
