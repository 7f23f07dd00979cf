// The Federation Ingress per provider: what the operator creates, which header the federator is
// told to read, and the fail-closed Gateway API check.
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { FederatorConfig } from "../../lib/api/federator-config.ts";
import { FederationConfig } from "../../lib/api/v1alpha1.ts";
import type { KubeObject } from "../../lib/kube/objects.ts";
import { config, readyCertificate } from "../testing/fixtures.ts";
import { desired, type DesiredInput } from "./desired.ts";
import { FRONTEND_VALIDATION_FEATURE, HOP_FEATURES } from "./ingress-gateway.ts";
import { EMPTY_REFERENCED } from "./referenced.ts";

const input = (over: Partial<DesiredInput>): DesiredInput => ({
  config: config(),
  peers: [],
  referenced: EMPTY_REFERENCED,
  certificate: readyCertificate,
  rollout: { replicas: 1, availableReplicas: 1 },
  now: new Date(),
  expiryWarningDays: 30,
  ...over,
});
const find = (objects: readonly KubeObject[], kind: string, name = "wire-federator") => objects.find((o) => o.kind === kind && o.metadata.name === name);
const federatorListen = (objects: readonly KubeObject[]) =>
  FederatorConfig.parse(parse((find(objects, "ConfigMap")?.["data"] as Record<string, string>)["federator.yaml"]!)).listen;
const ingressReady = (state: ReturnType<typeof desired>) => state.configStatus.conditions?.find((c) => c.type === "IngressReady");

describe("IngressNginx (the default)", () => {
  it("has the federator read only ingress-nginx's own ssl-client-cert header, with no snippet on the Ingress", () => {
    const state = desired(input({}));
    expect(federatorListen(state.objects)).toMatchObject({ externalTLS: false, clientCertificateHeader: "ssl-client-cert" });
    const annotations = find(state.objects, "Ingress")?.metadata.annotations ?? {};
    expect(Object.keys(annotations).filter((k) => /snippet/.test(k))).toEqual([]);
    expect(annotations["nginx.ingress.kubernetes.io/auth-tls-pass-certificate-to-upstream"]).toBe("true");
  });

  it("lets the proxy body limit follow the federator's", () => {
    const state = desired(input({ config: config({ federator: { maxBodyBytes: 5 * 1024 * 1024 } }) }));
    expect(find(state.objects, "Ingress")?.metadata.annotations?.["nginx.ingress.kubernetes.io/proxy-body-size"]).toBe(String(5 * 1024 * 1024));
  });

  it("uses wire-server's snippet and X-SSL-Certificate only when asked for the chart layout", () => {
    const state = desired(input({ config: config({ ingress: { wireChartSnippet: true } }) }));
    expect(find(state.objects, "Ingress")?.metadata.annotations?.["nginx.ingress.kubernetes.io/configuration-snippet"]).toBe("proxy_set_header X-SSL-Certificate $ssl_client_escaped_cert;");
    expect(federatorListen(state.objects).clientCertificateHeader).toBe("X-SSL-Certificate");
  });

  it("keeps mode working: mode Passthrough is provider Passthrough", () => {
    const state = desired(input({ config: config({ ingress: { mode: "Passthrough" } }) }));
    expect(find(state.objects, "Ingress")).toBeUndefined();
    expect(federatorListen(state.objects).externalTLS).toBe(true);
  });
});

describe("extra Ingress annotations", () => {
  const parseWith = (annotations: Record<string, string>) =>
    FederationConfig.safeParse({ ...config(), spec: { ...config().spec, ingress: { ...config().spec.ingress, annotations } } });

  it.each([
    ["nginx.ingress.kubernetes.io/configuration-snippet", /snippet/],
    ["nginx.ingress.kubernetes.io/server-snippet", /snippet/],
    ["nginx.ingress.kubernetes.io/auth-tls-secret", /not an annotation the operator lets through/],
    ["nginx.ingress.kubernetes.io/proxy-ssl-secret", /not an annotation the operator lets through/],
    ["nginx.ingress.kubernetes.io/auth-url", /not an annotation the operator lets through/],
    ["example.com/team", /not an annotation the operator lets through/],
  ])("refuses %s, naming the field", (key, reason) => {
    const result = parseWith({ [key]: "x" });
    expect(result.success).toBe(false);
    const issue = result.error?.issues[0];
    expect(issue?.path).toEqual(["spec", "ingress", "annotations", key]);
    expect(issue?.message).toMatch(reason);
  });

  it("accepts the documented set", () => {
    expect(parseWith({ "nginx.ingress.kubernetes.io/proxy-read-timeout": "120", "external-dns.alpha.kubernetes.io/hostname": "federator.a.example" }).success).toBe(true);
  });
});

describe("Traefik (native)", () => {
  it("creates a RequireAndVerifyClientCert TLSOption on the CA bundle and a passTLSClientCert Middleware, and the federator reads X-Forwarded-Tls-Client-Cert", () => {
    const state = desired(input({ config: config({ ingress: { provider: "Traefik", className: "traefik" } }) }));
    expect(find(state.objects, "TLSOption", "wire-federator-mtls")?.["spec"]).toMatchObject({ clientAuth: { secretNames: ["wire-ca-bundle"], clientAuthType: "RequireAndVerifyClientCert" } });
    expect(find(state.objects, "Middleware", "wire-federator-client-cert")?.["spec"]).toEqual({ passTLSClientCert: { pem: true } });
    expect(find(state.objects, "Ingress")?.metadata.annotations).toMatchObject({
      "traefik.ingress.kubernetes.io/router.tls": "true",
      "traefik.ingress.kubernetes.io/router.tls.options": "wire-wire-federator-mtls@kubernetescrd",
      "traefik.ingress.kubernetes.io/router.middlewares": "wire-wire-federator-client-cert@kubernetescrd",
    });
    expect(federatorListen(state.objects).clientCertificateHeader).toBe("X-Forwarded-Tls-Client-Cert");
  });

  it("dials the federator over HTTPS through a ServersTransport with the hop's client certificate, verifying it against the hop CA", () => {
    const state = desired(input({ config: config({ ingress: { provider: "Traefik", className: "traefik" } }) }));
    expect(find(state.objects, "ServersTransport", "wire-federator-hop")?.["spec"]).toEqual({ serverName: "federator.wire.svc", rootCAs: [{ secret: "wire-ingress-hop" }], certificatesSecrets: ["wire-ingress-hop"] });
    expect(find(state.objects, "Service", "federator")?.metadata.annotations).toEqual({
      "traefik.ingress.kubernetes.io/service.serversscheme": "https",
      "traefik.ingress.kubernetes.io/service.serverstransport": "wire-wire-federator-hop@kubernetescrd",
    });
    expect(federatorListen(state.objects).ingressHop).toEqual({ certFile: "/etc/federator/hop/tls.crt", keyFile: "/etc/federator/hop/tls.key", caFile: "/etc/federator/hop/ca.crt" });
  });
});

describe("GatewayAPI", () => {
  const gatewayConfig = config({ ingress: { provider: "GatewayAPI", className: "traefik" } });
  const gatewayClass = (features: string[]): KubeObject => ({
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "GatewayClass",
    metadata: { name: "traefik" },
    status: { supportedFeatures: features.map((name) => ({ name })) },
  });

  it("programs no Gateway or route when the GatewayClass lacks frontend client-certificate validation, and says why", () => {
    // Traefik v3.7's Gateway provider: Gateway and HTTPRoute support, no frontend validation.
    const state = desired(input({ config: gatewayConfig, gatewayClass: gatewayClass(["Gateway", "HTTPRoute", "BackendTLSPolicy"]) }));
    expect(state.objects.filter((o) => ["Gateway", "HTTPRoute", "TLSRoute", "Ingress"].includes(o.kind))).toEqual([]);
    expect(ingressReady(state)).toMatchObject({ status: "False", reason: "ClientCertificateValidationUnsupported", message: expect.stringContaining(FRONTEND_VALIDATION_FEATURE) });
    expect(ingressReady(state)?.message).toMatch(/IngressNginx.*Traefik.*Passthrough/);
    expect(state.configStatus.conditions?.find((c) => c.type === "Ready")).toMatchObject({ status: "False" });
  });

  it("programs nothing when the GatewayClass does not exist", () => {
    const state = desired(input({ config: gatewayConfig }));
    expect(state.objects.some((o) => o.kind === "Gateway")).toBe(false);
    expect(ingressReady(state)).toMatchObject({ status: "False", reason: "GatewayClassNotFound" });
  });

  it("programs nothing when the class validates remotes but cannot authenticate itself to the federator, and names what is missing", () => {
    const state = desired(input({ config: gatewayConfig, gatewayClass: gatewayClass([FRONTEND_VALIDATION_FEATURE, "Gateway", "HTTPRoute", "BackendTLSPolicy"]) }));
    expect(state.objects.filter((o) => ["Gateway", "HTTPRoute", "BackendTLSPolicy"].includes(o.kind))).toEqual([]);
    expect(ingressReady(state)).toMatchObject({ status: "False", reason: "IngressHopUnsupported", message: expect.stringMatching(/does not list GatewayBackendClientCertificate .*forges the certificate header/) });
  });

  it("programs a validating listener, the hop's client certificate and BackendTLSPolicy, and an HTTPRoute when the features are supported", () => {
    const state = desired(input({ config: gatewayConfig, gatewayClass: gatewayClass([FRONTEND_VALIDATION_FEATURE, ...HOP_FEATURES, "Gateway", "HTTPRoute"]) }));
    expect(find(state.objects, "Gateway")?.["spec"]).toMatchObject({
      gatewayClassName: "traefik",
      tls: {
        frontend: { default: { validation: { caCertificateRefs: [{ kind: "ConfigMap", name: "wire-ca-bundle" }] } } },
        backend: { clientCertificateRef: { kind: "Secret", name: "wire-ingress-hop" } },
      },
    });
    expect(find(state.objects, "BackendTLSPolicy")?.["spec"]).toEqual({
      targetRefs: [{ group: "", kind: "Service", name: "federator", sectionName: "federator-ext" }],
      validation: { caCertificateRefs: [{ group: "", kind: "ConfigMap", name: "wire-ingress-hop-ca" }], hostname: "federator.wire.svc" },
    });
    expect(find(state.objects, "HTTPRoute")?.["spec"]).toMatchObject({ hostnames: ["federator.a.example"] });
    expect(ingressReady(state)).toMatchObject({ status: "True", reason: "GatewayProgrammed" });
  });
});
