import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { FederationConfig } from "../../lib/api/v1alpha1.ts";
import type { KubeObject } from "../../lib/kube/objects.ts";
import { ingressHop, type IngressHopMaterial } from "./ingress-hop.ts";

const now = new Date("2026-06-01T00:00:00Z");
const config = (spec: object = {}) =>
  FederationConfig.parse({
    apiVersion: "federation.wire.com/v1alpha1",
    kind: "FederationConfig",
    metadata: { name: "wire", namespace: "wire", uid: "u1" },
    spec: { backendDomain: "a.example", infraDomain: "federator.a.example", certificate: { selfSigned: {} }, ...spec },
  });

type Secrets = Awaited<ReturnType<typeof ingressHop>>["secrets"];
/** The Secrets as the informer would show them next time. */
const asOwned = (secrets: Secrets) => (name: string): KubeObject | undefined => {
  const found = secrets.find((s) => s.name === name);
  if (found === undefined) return undefined;
  return { apiVersion: "v1", kind: "Secret", metadata: { name }, data: Object.fromEntries(Object.entries(found.data).map(([k, v]) => [k, Buffer.from(v).toString("base64")])) };
};
const leafOf = (secrets: Secrets, name: string) => new X509Certificate(secrets.find((s) => s.name === name)!.data["tls.crt"]!);

describe("the ingress hop's certificates", () => {
  it("are three Secrets: the CA, the federator's certificate for its Service and the controller's client certificate", async () => {
    const { secrets, requeueAfterMs } = await ingressHop({ config: config(), owned: () => undefined, now }, new Map());
    expect(secrets.map((s) => s.name)).toEqual(["wire-ingress-hop-ca", "wire-federator-hop", "wire-ingress-hop"]);
    const ca = new X509Certificate(secrets[0]!.data["tls.crt"]!);
    const server = leafOf(secrets, "wire-federator-hop");
    const client = leafOf(secrets, "wire-ingress-hop");
    expect(server.subjectAltName).toBe("DNS:federator.wire.svc, DNS:federator.wire.svc.cluster.local");
    expect(server.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]);
    expect(client.keyUsage).toEqual(["1.3.6.1.5.5.7.3.2"]);
    expect(server.verify(ca.publicKey) && client.verify(ca.publicKey)).toBe(true);
    // The controller and the federator each get the CA to verify the other; the CA's key stays with the operator.
    expect(secrets.filter((s) => s.data["ca.crt"] === secrets[0]!.data["tls.crt"]).map((s) => s.name)).toEqual(["wire-federator-hop", "wire-ingress-hop"]);
    expect(requeueAfterMs).toBeGreaterThan(29 * 86_400_000);
  });

  it("keeps what it issued across reconciles, and reissues the federator's certificate when the Service is renamed", async () => {
    const first = await ingressHop({ config: config(), owned: () => undefined, now }, new Map());
    // A new operator process (nothing remembered) reads the Secrets back.
    const again = await ingressHop({ config: config(), owned: asOwned(first.secrets), now }, new Map());
    expect(again.secrets).toEqual(first.secrets);
    const renamed = await ingressHop({ config: config({ federator: { serviceName: "federator-two" } }), owned: asOwned(first.secrets), now }, new Map());
    expect(leafOf(renamed.secrets, "wire-federator-hop").subjectAltName).toContain("DNS:federator-two.wire.svc");
    expect(renamed.secrets.find((s) => s.name === "wire-ingress-hop")).toEqual(first.secrets.find((s) => s.name === "wire-ingress-hop"));
  });

  it("renews a leaf at two thirds of its life, under the same CA", async () => {
    const issued = new Map<string, IngressHopMaterial>();
    const first = await ingressHop({ config: config(), owned: () => undefined, now }, issued);
    const later = new Date(now.getTime() + 250 * 86_400_000);
    const renewed = await ingressHop({ config: config(), owned: asOwned(first.secrets), now: later }, issued);
    expect(renewed.secrets[0]).toEqual(first.secrets[0]);
    expect(leafOf(renewed.secrets, "wire-ingress-hop").validFrom).not.toBe(leafOf(first.secrets, "wire-ingress-hop").validFrom);
  });

  it("is not needed where the federator terminates mutual TLS itself (Passthrough)", async () => {
    expect(await ingressHop({ config: config({ ingress: { provider: "Passthrough" } }), owned: () => undefined, now }, new Map())).toEqual({ secrets: [] });
  });
});
