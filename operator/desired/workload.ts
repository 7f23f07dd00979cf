// The federator's Deployment, Services and ServiceAccount (plus its Role in Watch mode).
// Hot-reloadable data (allow list, CA bundle, certificate) reaches the pods through volumes or
// the API, never through the pod template: only image, ports, replicas and resources roll pods.
import { createHash } from "node:crypto";
import { ingressProvider, type FederationConfig } from "../../lib/api/v1alpha1.ts";
import { DEFAULT_FEDERATOR_IMAGE } from "./admission.ts";
import { MOUNTS } from "./federator-config.ts";
import { federatorSelector, FEDERATOR_CONFIG_KEY, outputNames, ROLLOUT_HASH_ANNOTATION } from "./names.ts";
import { traefikServiceAnnotations } from "./ingress-traefik.ts";
import type { KubeObject, ObjectMeta } from "../../lib/kube/objects.ts";

/** The image the Deployment runs: admission.ts has put the operator's choice into the spec. */
const imageOf = (config: FederationConfig) => config.spec.federator.image ?? DEFAULT_FEDERATOR_IMAGE;

export function rolloutHash(config: FederationConfig): string {
  const { ports, replicas, resources } = config.spec.federator;
  const image = imageOf(config);
  return createHash("sha256").update(JSON.stringify({ image, ports, replicas, resources: resources ?? null })).digest("hex").slice(0, 16);
}

/**
 * How the federator's container starts node: the image's ENTRYPOINT (federator/Dockerfile, a test
 * keeps them equal) and the e2e's federator processes. The V8 flags are measured in `npm run bench`
 * (README, "Federator resources"): GC helper threads competed with the request path on small nodes.
 */
export const FEDERATOR_NODE_FLAGS = ["--single-threaded-gc", "--max-semi-space-size=4"] as const;
export const FEDERATOR_COMMAND = ["node", ...FEDERATOR_NODE_FLAGS, "federator/main.js"] as const;
/**
 * The federator's environment (also the image's ENV, a test keeps them equal). glibc gives each
 * thread that allocates its own malloc arena (up to 8 per core) and keeps their free memory; two
 * arenas lowered the egress federator's peak RSS under load in `npm run bench` by about 5 % (224 →
 * 211 MiB at 1 KiB) at no throughput cost (README, "Federator resources").
 */
export const FEDERATOR_ENV = { MALLOC_ARENA_MAX: "2" } as const;

export function federatorArgs(config: FederationConfig): string[] {
  const names = outputNames(config.metadata.name);
  const args = [`--config=${MOUNTS.config}/${FEDERATOR_CONFIG_KEY}`];
  if (config.spec.federator.reload === "Watch") {
    args.push(
      `--watch-namespace=${config.metadata.namespace ?? "default"}`,
      `--watch-configmap=${names.federator}`,
      `--watch-tls-secret=${ownCertificateSecretName(config)}`,
      `--watch-ca-secret=${names.caBundle}`,
      ...(hasIngressHop(config) ? [`--watch-hop-secret=${names.hopServer}`] : []),
    );
  }
  return args;
}

/** Behind an ingress controller the external port serves the hop's TLS (certificates/ingress-hop.ts). */
export const hasIngressHop = (config: FederationConfig) => ingressProvider(config.spec.ingress) !== "Passthrough";

export function ownCertificateSecretName(config: FederationConfig): string {
  return config.spec.certificate.secretRef?.name ?? outputNames(config.metadata.name).tls;
}

const hardenedContainer = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ["ALL"] },
};

export function federatorDeployment(config: FederationConfig, meta: (name: string) => ObjectMeta): KubeObject {
  const names = outputNames(config.metadata.name);
  const { federator } = config.spec;
  const labels = federatorSelector(config.metadata.name);
  const probe = (failureThreshold: number) => ({ httpGet: { path: "/i/status", port: "internal" }, periodSeconds: 10, failureThreshold });
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: meta(names.federator),
    spec: {
      replicas: federator.replicas,
      selector: { matchLabels: labels },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels, annotations: { [ROLLOUT_HASH_ANNOTATION]: rolloutHash(config) } },
        spec: {
          serviceAccountName: names.federator,
          automountServiceAccountToken: federator.reload === "Watch",
          securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: "RuntimeDefault" } },
          containers: [
            {
              name: "federator",
              image: imageOf(config),
              command: [...FEDERATOR_COMMAND],
              args: federatorArgs(config),
              env: Object.entries(FEDERATOR_ENV).map(([name, value]) => ({ name, value })),
              ports: [
                { name: "internal", containerPort: federator.ports.internal, protocol: "TCP" },
                { name: "external", containerPort: federator.ports.external, protocol: "TCP" },
              ],
              readinessProbe: probe(3),
              livenessProbe: probe(6),
              ...(federator.resources === undefined ? {} : { resources: federator.resources }),
              securityContext: hardenedContainer,
              volumeMounts: [
                { name: "config", mountPath: MOUNTS.config, readOnly: true },
                { name: "tls", mountPath: MOUNTS.tls, readOnly: true },
                { name: "ca", mountPath: MOUNTS.ca, readOnly: true },
                ...(hasIngressHop(config) ? [{ name: "hop", mountPath: MOUNTS.hop, readOnly: true }] : []),
              ],
            },
          ],
          volumes: [
            { name: "config", configMap: { name: names.federator } },
            { name: "tls", secret: { secretName: ownCertificateSecretName(config) } },
            { name: "ca", secret: { secretName: names.caBundle } },
            ...(hasIngressHop(config) ? [{ name: "hop", secret: { secretName: names.hopServer } }] : []),
          ],
        },
      },
    },
  };
}

/** The name wire-server's chart gives the external port of the federator Service. */
export const FEDERATOR_EXTERNAL_PORT_NAME = "federator-ext";

/** The ClusterIP Service (unless another config of the namespace has its name) and, in Passthrough mode, the LoadBalancer. */
export function federatorServices(config: FederationConfig, meta: (name: string) => ObjectMeta, ownsServiceName = true): KubeObject[] {
  const names = outputNames(config.metadata.name);
  const { ports } = config.spec.federator;
  const selector = federatorSelector(config.metadata.name);
  const external: KubeObject | undefined =
    ingressProvider(config.spec.ingress) !== "Passthrough"
      ? undefined
      : {
          apiVersion: "v1",
          kind: "Service",
          metadata: meta(names.externalService),
          spec: { type: "LoadBalancer", selector, ports: [{ name: "federation", port: 443, targetPort: "external", protocol: "TCP" }] },
        };
  const base = meta(config.spec.federator.serviceName);
  const annotations = ingressProvider(config.spec.ingress) === "Traefik" ? traefikServiceAnnotations(config) : undefined;
  const cluster: KubeObject = {
    apiVersion: "v1",
    kind: "Service",
    metadata: annotations === undefined ? base : { ...base, annotations: { ...base.annotations, ...annotations } },
    spec: {
      type: "ClusterIP",
      selector,
      // Port names as wire-server's charts/federator/templates/service.yaml names them.
      ports: [
        { name: "internal", port: ports.internal, targetPort: "internal", protocol: "TCP" },
        { name: FEDERATOR_EXTERNAL_PORT_NAME, port: ports.external, targetPort: "external", protocol: "TCP" },
      ],
    },
  };
  if (!ownsServiceName) return external === undefined ? [] : [external];
  return external === undefined ? [cluster] : [cluster, external];
}


/** The federator's ServiceAccount; in Watch mode also a Role to read exactly its own objects. */
export function federatorIdentity(config: FederationConfig, meta: (name: string) => ObjectMeta): KubeObject[] {
  const names = outputNames(config.metadata.name);
  const account: KubeObject = { apiVersion: "v1", kind: "ServiceAccount", metadata: meta(names.federator), automountServiceAccountToken: false };
  if (config.spec.federator.reload !== "Watch") return [account];
  const read = ["get", "list", "watch"];
  return [
    account,
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: meta(names.federator),
      rules: [
        { apiGroups: [""], resources: ["configmaps"], resourceNames: [names.federator], verbs: read },
        { apiGroups: [""], resources: ["secrets"], resourceNames: [names.caBundle, ownCertificateSecretName(config), ...(hasIngressHop(config) ? [names.hopServer] : [])].sort(), verbs: read },
      ],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: meta(names.federator),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: names.federator },
      subjects: [{ kind: "ServiceAccount", name: names.federator, namespace: config.metadata.namespace ?? "default" }],
    },
  ];
}
