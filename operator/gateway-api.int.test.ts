// provider GatewayAPI against the real Gateway API CRDs (v1.6.1, standard channel, from the Go module
// proxy by e2e/gateway-api/crds.sh) on the shared control plane. Before, the operator never read the
// GatewayClass (every GatewayAPI config said GatewayClassNotFound) and had no REST mapping or RBAC
// for Gateway and HTTPRoute. Fail closed: no Gateway unless the class lists frontend client-certificate
// validation in status.supportedFeatures; once it does, the Gateway the real CRD accepts.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { waitFor } from "../e2e/support/wait-for.ts";
import { kubectl } from "../e2e/support/kubectl.ts";
import { getObject } from "../lib/kube/get-object.ts";
import type { KubeObject } from "../lib/kube/objects.ts";
import { createRestClient, loadKubeConfig, type RestClient } from "../lib/kube/rest.ts";
import { FRONTEND_VALIDATION_FEATURE, HOP_FEATURES } from "./desired/ingress-gateway.ts";
import { decodedSecretData } from "../lib/kube/secret-data.ts";
import { RESOURCES, resourcePath, type KindName } from "./kube/resources.ts";
import { configManifest } from "./testing/fixtures.ts";
import { startOperator, type OperatorUnderTest } from "./testing/operator-under-test.ts";
import { conditionOf, conditionWithReason } from "./testing/conditions.ts";

const kubeconfig = inject("kubeconfig");
const binary = inject("kubectl");
let admin: RestClient;
let operator: OperatorUnderTest | undefined;
const ns = `gw-${randomBytes(4).toString("hex")}`;
const className = `wfo-test-${randomBytes(4).toString("hex")}`;

beforeAll(async () => {
  const crds = spawnSync("bash", [join(import.meta.dirname, "..", "e2e", "gateway-api", "crds.sh")], { encoding: "utf8" });
  expect(crds.status, crds.stderr).toBe(0);
  const applied = await kubectl(["apply", "--server-side", "--force-conflicts", "-f", crds.stdout.trim()], { kubeconfig, binary });
  expect(applied.code, applied.stderr).toBe(0);
  await kubectl(["wait", "--for=condition=Established", "crd/gatewayclasses.gateway.networking.k8s.io", "crd/gateways.gateway.networking.k8s.io", "crd/httproutes.gateway.networking.k8s.io", "crd/backendtlspolicies.gateway.networking.k8s.io", "--timeout=60s"], { kubeconfig, binary });
  admin = await createRestClient(loadKubeConfig(kubeconfig), "test-admin");
  await admin.request("POST", "/api/v1/namespaces", { body: { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } } });
  await admin.request("POST", resourcePath(RESOURCES.GatewayClass, undefined), { body: { apiVersion: "gateway.networking.k8s.io/v1", kind: "GatewayClass", metadata: { name: className }, spec: { controllerName: "example.com/no-client-certificates" } } });
  await setFeatures(["Gateway", "HTTPRoute"]);
  operator = await startOperator(kubeconfig, [ns]);
});
afterAll(async () => {
  await operator?.stop();
  await admin?.request("DELETE", resourcePath(RESOURCES.GatewayClass, undefined, className)).catch(() => undefined);
  await admin?.request("DELETE", `/api/v1/namespaces/${ns}`).catch(() => undefined);
});

/** What the class's controller would report (status subresource). */
async function setFeatures(features: readonly string[]): Promise<void> {
  const current = (await getObject(admin, RESOURCES.GatewayClass, undefined, className))!;
  await admin.request("PUT", resourcePath(RESOURCES.GatewayClass, undefined, className, "status"), {
    body: { ...current, status: { conditions: [], supportedFeatures: features.map((name) => ({ name })) } },
  });
}

const get = (kind: KindName, name: string): Promise<KubeObject | undefined> => getObject(admin, RESOURCES[kind], ns, name);
const config = () => get("FederationConfig", "wire");
const ingressReady = async () => conditionOf(await config(), "IngressReady");

describe("spec.ingress.provider GatewayAPI", () => {
  it("programs no Gateway for a class without frontend client-certificate validation, then the Gateway once it has it", async () => {
    await admin.request("POST", resourcePath(RESOURCES.FederationConfig, ns), { body: configManifest({ ingress: { provider: "GatewayAPI", className } }) });
    const refused = await conditionWithReason(config, "IngressReady", "ClientCertificateValidationUnsupported");
    expect(refused.status).toBe("False");
    expect(refused.message).toContain(FRONTEND_VALIDATION_FEATURE);
    expect(await get("Gateway", "wire-federator")).toBeUndefined();
    expect(await get("HTTPRoute", "wire-federator")).toBeUndefined();

    await setFeatures(["Gateway", "HTTPRoute", FRONTEND_VALIDATION_FEATURE]);
    const hopRefused = await conditionWithReason(config, "IngressReady", "IngressHopUnsupported");
    expect(hopRefused.message).toContain("does not list BackendTLSPolicy, GatewayBackendClientCertificate");
    expect(await get("Gateway", "wire-federator")).toBeUndefined();

    await setFeatures(["Gateway", "HTTPRoute", FRONTEND_VALIDATION_FEATURE, ...HOP_FEATURES]);
    const gateway = await waitFor(() => get("Gateway", "wire-federator"), { description: "the Gateway", timeoutMs: 60_000 });
    const spec = gateway["spec"] as { gatewayClassName: string; tls?: { frontend?: { default?: { validation?: { caCertificateRefs?: { kind: string; name: string }[] } } } } };
    expect(spec.gatewayClassName).toBe(className);
    expect(spec.tls?.frontend?.default?.validation?.caCertificateRefs).toEqual([{ group: "", kind: "ConfigMap", name: "wire-ca-bundle" }]);
    expect(spec.tls).toMatchObject({ backend: { clientCertificateRef: { kind: "Secret", name: "wire-ingress-hop" } } });
    expect(await get("HTTPRoute", "wire-federator")).toBeDefined();
    // The real CRD took the BackendTLSPolicy: the Gateway verifies the federator against the hop CA.
    const policy = await waitFor(() => get("BackendTLSPolicy", "wire-federator"), { description: "the BackendTLSPolicy" });
    expect((policy["spec"] as { validation: { hostname: string } }).validation.hostname).toBe(`federator.${ns}.svc`);
    expect(decodedSecretData(await get("Secret", "wire-ingress-hop"))?.["tls.key"]).toMatch(/PRIVATE KEY/);
    expect((await waitFor(async () => ((await ingressReady())?.status === "True" ? ingressReady() : undefined), { description: "IngressReady=True" }))?.reason).toBe("GatewayProgrammed");
  });
});
