// provider GatewayAPI against a real Traefik v3.7 Gateway provider: Traefik accepts a Gateway with
// spec.tls.frontend.default.validation and reports it Programmed while verifying no client
// certificate at all, and it cannot present a client certificate to backends. It says so itself, in
// the GatewayClass status it writes (supportedFeatures lacks GatewayFrontendClientCertificateValidation
// and GatewayBackendClientCertificate). The operator reads that status and programs no Gateway,
// HTTPRoute or BackendTLSPolicy, with a condition naming the missing features and the alternatives.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { getObject } from "../../lib/kube/get-object.ts";
import type { KubeObject } from "../../lib/kube/objects.ts";
import { createRestClient, loadKubeConfig, type RestClient } from "../../lib/kube/rest.ts";
import { FRONTEND_VALIDATION_FEATURE, supportedFeatures } from "../../operator/desired/ingress-gateway.ts";
import { RESOURCES, resourcePath, type KindName } from "../../operator/kube/resources.ts";
import { configManifest } from "../../operator/testing/fixtures.ts";
import { startOperator, type OperatorUnderTest } from "../../operator/testing/operator-under-test.ts";
import { conditionWithReason } from "../../operator/testing/conditions.ts";
import { freePorts } from "../controlplane/ports.ts";
import { kubectl } from "../support/kubectl.ts";
import { waitFor } from "../support/wait-for.ts";
import { startTraefik, type TraefikProcess } from "./traefik.ts";

const kubeconfig = inject("kubeconfig");
const binary = inject("kubectl");
const ns = `traefik-gw-${randomBytes(4).toString("hex")}`;
const className = `traefik-${randomBytes(4).toString("hex")}`;
let admin: RestClient;
let traefik: TraefikProcess;
let operator: OperatorUnderTest | undefined;

beforeAll(async () => {
  const crds = spawnSync("bash", [join(import.meta.dirname, "..", "gateway-api", "crds.sh")], { encoding: "utf8" });
  expect(crds.status, crds.stderr).toBe(0);
  const applied = await kubectl(["apply", "--server-side", "--force-conflicts", "-f", crds.stdout.trim()], { kubeconfig, binary });
  expect(applied.code, applied.stderr).toBe(0);
  await kubectl(["wait", "--for=condition=Established", "crd/gatewayclasses.gateway.networking.k8s.io", "crd/gateways.gateway.networking.k8s.io", "--timeout=60s"], { kubeconfig, binary });
  admin = await createRestClient(loadKubeConfig(kubeconfig), "test-admin");
  await admin.request("POST", "/api/v1/namespaces", { body: { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } } });
  await admin.request("POST", resourcePath(RESOURCES.GatewayClass, undefined), {
    body: { apiVersion: "gateway.networking.k8s.io/v1", kind: "GatewayClass", metadata: { name: className }, spec: { controllerName: "traefik.io/gateway-controller" } },
  });
  const [port] = (await freePorts(1)) as [number];
  traefik = startTraefik({ kubeconfig, listen: `127.0.0.1:${port}`, args: ["--providers.kubernetesgateway=true", `--providers.kubernetesgateway.namespaces=${ns}`] });
  operator = await startOperator(kubeconfig, [ns]);
});
afterAll(async () => {
  await operator?.stop();
  await traefik?.stop();
  await admin?.request("DELETE", resourcePath(RESOURCES.GatewayClass, undefined, className)).catch(() => undefined);
  await admin?.request("DELETE", `/api/v1/namespaces/${ns}`).catch(() => undefined);
});

const get = (kind: KindName, name: string): Promise<KubeObject | undefined> => getObject(admin, RESOURCES[kind], ns, name);

describe("provider GatewayAPI on Traefik v3.7's Gateway provider", () => {
  it("reads the features Traefik reports for its GatewayClass, and programs nothing Traefik would not enforce", async () => {
    const reported = await waitFor(
      async () => {
        const features = supportedFeatures(await getObject(admin, RESOURCES.GatewayClass, undefined, className));
        return features.has("HTTPRoute") ? features : undefined;
      },
      { description: "Traefik writes the GatewayClass's supportedFeatures", timeoutMs: 60_000, intervalMs: 200 },
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}; Traefik said:\n${traefik.output().split("\n").filter((l) => /ERR|WRN|error/i.test(l)).slice(-15).join("\n")}`);
    });
    // What Traefik v3.7.13 says of itself (pkg/provider/kubernetes/gateway/features.go).
    expect(reported.has("BackendTLSPolicy")).toBe(true);
    expect(reported.has(FRONTEND_VALIDATION_FEATURE)).toBe(false);
    expect(reported.has("GatewayBackendClientCertificate")).toBe(false);

    await admin.request("POST", resourcePath(RESOURCES.FederationConfig, ns), { body: configManifest({ ingress: { provider: "GatewayAPI", className } }) });
    const refused = await conditionWithReason(() => get("FederationConfig", "wire"), "IngressReady", "ClientCertificateValidationUnsupported");
    expect(refused.status).toBe("False");
    expect(refused.message).toContain(`does not list ${FRONTEND_VALIDATION_FEATURE}, GatewayBackendClientCertificate in status.supportedFeatures`);
    expect(refused.message).toMatch(/IngressNginx .*Traefik.*Passthrough/);
    for (const kind of ["Gateway", "HTTPRoute", "BackendTLSPolicy"] as const) expect(await get(kind, "wire-federator")).toBeUndefined();
  });
});
