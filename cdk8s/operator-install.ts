// The operator's install: CRDs, ServiceAccount, the RBAC of operator/rbac.ts and nothing more,
// a hardened Deployment with leader election, its PodDisruptionBudget and metrics Service.
import { ApiObject, Duration, JsonPatch, Size } from "cdk8s";
import * as kplus from "cdk8s-plus-27";
import { Construct } from "constructs";
import { z } from "zod";
import { crdFor, KINDS } from "../crds/crd.ts";
import { parseOrThrow } from "../lib/api/validation.ts";
import { CLUSTER_RULES, LEADER_ELECTION_RULES, WATCHED_NAMESPACE_RULES } from "../operator/rbac.ts";
import { OperatorRbac, type OperatorRules } from "./operator-rbac.ts";
import { DEFAULT_FEDERATOR_IMAGE } from "../operator/desired/admission.ts";
import { ruleGroups } from "../monitoring/alerts.ts";
import { DASHBOARD_UID, dashboard } from "../monitoring/dashboard.ts";

export const OPERATOR_NAME = "wire-federation-operator";
export const DEFAULT_OPERATOR_IMAGE = "ghcr.io/wire-federation-operator/operator:0.1.0";
export const DEFAULT_OPERATOR_NAMESPACE = "wire-federation-system";
export const DEFAULT_WATCHED_NAMESPACES: readonly string[] = ["wire"];
/** The one port of the operator: /healthz, /readyz and /metrics. */
export const OPERATOR_PORT = 8080;
/** The `node` user of the node:24 images; numeric so that runAsNonRoot can be verified by the kubelet. */
export const OPERATOR_UID = 1000;

/** The operator's one RBAC list, as the install grants it. */
export const OPERATOR_RULES: OperatorRules = { watchedNamespace: WATCHED_NAMESPACE_RULES, leaderElection: LEADER_ELECTION_RULES, cluster: CLUSTER_RULES };

const SELECTOR_LABELS = { "app.kubernetes.io/name": OPERATOR_NAME, "app.kubernetes.io/component": "operator" } as const;
const LABELS = { ...SELECTOR_LABELS, "app.kubernetes.io/part-of": "wire-federation" } as const;

const namespaceName = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, { error: "must be a lower-case RFC 1123 label such as wire (at most 63 characters)" });

const Props = z.strictObject({
  namespace: namespaceName.default(DEFAULT_OPERATOR_NAMESPACE),
  createNamespace: z.boolean().default(true),
  watchedNamespaces: z
    .array(namespaceName)
    .min(1)
    .default([...DEFAULT_WATCHED_NAMESPACES])
    .refine((names) => new Set(names).size === names.length, { error: "must not repeat a namespace" }),
  image: z.string().min(1).default(DEFAULT_OPERATOR_IMAGE),
  /** The image every federator runs (operator flag --federator-image): a FederationConfig cannot choose another. */
  federatorImage: z.string().min(1).default(DEFAULT_FEDERATOR_IMAGE),
  /** Further images a FederationConfig's spec.federator.image may pick (--allowed-federator-images). */
  allowedFederatorImages: z.array(z.string().min(1).regex(/^[^,\s]+$/, { error: "must be an image reference without commas or spaces" })).default([]),
  replicas: z.number().int().min(1).max(10).default(2),
  installCrds: z.boolean().default(true),
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace"]).default("info"),
  resources: z
    .strictObject({
      cpuRequestMillis: z.number().int().min(1).default(100),
      cpuLimitMillis: z.number().int().min(1).default(1000),
      memoryRequestMiB: z.number().int().min(16).default(128),
      memoryLimitMiB: z.number().int().min(16).default(512),
    })
    .prefault({}),
  monitoring: z
    .strictObject({
      /** A PrometheusRule (monitoring.coreos.com/v1, prometheus-operator) with the alerts of monitoring/alerts.ts. */
      alerts: z.boolean().default(false),
      /** A ConfigMap with the Grafana dashboard, labelled grafana_dashboard: "1" for Grafana's sidecar. */
      dashboard: z.boolean().default(false),
    })
    .prefault({}),
});

/** The props as the construct resolves them (defaults filled in); the Helm chart's values are these. */
export const FederationOperatorPropsSchema = Props;

export type FederationOperatorProps = z.input<typeof Props>;
type ResolvedProps = z.output<typeof Props>;

/** Everything the operator needs to run, for `kubectl apply -f dist/install.yaml`. */
export class FederationOperator extends Construct {
  readonly namespace: string;
  readonly watchedNamespaces: readonly string[];
  readonly serviceAccount: kplus.ServiceAccount;
  readonly deployment: kplus.Deployment;
  readonly metricsService: kplus.Service;
  /** The operator's pods, for NetworkPolicies or monitors that select them. */
  readonly pods: kplus.Pods;

  constructor(scope: Construct, id: string, props: FederationOperatorProps = {}) {
    super(scope, id);
    const p = parseOrThrow(Props, props, "FederationOperator props");
    this.namespace = p.namespace;
    this.watchedNamespaces = p.watchedNamespaces;

    if (p.createNamespace) new kplus.Namespace(this, "namespace", { metadata: { name: p.namespace, labels: namespaceLabels() } });
    if (p.installCrds) for (const def of KINDS) crdObject(this, def);
    this.serviceAccount = new kplus.ServiceAccount(this, "service-account", {
      metadata: this.meta(OPERATOR_NAME),
      automountToken: true,
    });
    new OperatorRbac(this, "rbac", {
      name: OPERATOR_NAME,
      namespace: p.namespace,
      watchedNamespaces: p.watchedNamespaces,
      serviceAccount: this.serviceAccount,
      rules: OPERATOR_RULES,
      labels: LABELS,
    });
    this.pods = kplus.Pods.select(this, "operator-pods", { labels: { ...SELECTOR_LABELS } });
    this.deployment = this.operatorDeployment(p);
    this.metricsService = new kplus.Service(this, "metrics-service", {
      metadata: this.meta(`${OPERATOR_NAME}-metrics`),
      type: kplus.ServiceType.CLUSTER_IP,
      selector: this.pods,
      ports: [{ name: "http-metrics", port: OPERATOR_PORT, targetPort: OPERATOR_PORT }],
    });
    this.disruptionBudget();
    if (p.monitoring.alerts) this.alerts();
    if (p.monitoring.dashboard) this.dashboard();
  }

  private alerts(): void {
    new ApiObject(this, "alerts", { apiVersion: "monitoring.coreos.com/v1", kind: "PrometheusRule", metadata: this.meta(OPERATOR_NAME), spec: ruleGroups() });
  }

  private dashboard(): void {
    new kplus.k8s.KubeConfigMap(this, "dashboard", {
      metadata: { ...this.meta(`${OPERATOR_NAME}-dashboard`), labels: { ...LABELS, grafana_dashboard: "1" } },
      data: { [`${DASHBOARD_UID}.json`]: JSON.stringify(dashboard(), null, 2) },
    });
  }

  private meta(name: string, namespace: string = this.namespace) {
    return { name, namespace, labels: { ...LABELS } };
  }

  private operatorDeployment(p: ResolvedProps): kplus.Deployment {
    const deployment = new kplus.Deployment(this, "deployment", {
      metadata: this.meta(OPERATOR_NAME),
      replicas: p.replicas,
      select: false,
      podMetadata: { labels: { ...LABELS } },
      serviceAccount: this.serviceAccount,
      automountServiceAccountToken: true,
      // Enough for a graceful shutdown: finish the reconcile in flight and release the Lease.
      terminationGracePeriod: Duration.seconds(30),
      securityContext: { ensureNonRoot: true, user: OPERATOR_UID, group: OPERATOR_UID, fsGroup: OPERATOR_UID },
    });
    deployment.select(kplus.LabelSelector.of({ labels: { ...SELECTOR_LABELS } }));
    // Prefer one replica per node, so one node failing never takes both the leader and its standby.
    deployment.scheduling.separate(this.pods, { topology: kplus.Topology.HOSTNAME, weight: 100 });
    const tmp = kplus.Volume.fromEmptyDir(this, "tmp", "tmp", { sizeLimit: Size.mebibytes(16) });
    deployment.addContainer(operatorContainer(p, this.namespace, tmp));
    hardenPod(deployment);
    return deployment;
  }

  private disruptionBudget(): void {
    new kplus.k8s.KubePodDisruptionBudget(this, "disruption-budget", {
      metadata: this.meta(OPERATOR_NAME),
      spec: { minAvailable: kplus.k8s.IntOrString.fromNumber(1), selector: { matchLabels: { ...SELECTOR_LABELS } } },
    });
  }
}

function namespaceLabels(): Record<string, string> {
  // The operator's pods satisfy the "restricted" Pod Security Standard; enforce it in its namespace.
  return { ...LABELS, "pod-security.kubernetes.io/enforce": "restricted" };
}

const CrdShape = z.object({ apiVersion: z.string(), kind: z.string(), metadata: z.object({ name: z.string() }), spec: z.record(z.string(), z.unknown()) });

/** The same CRDs `npm run crds` writes to crds/*.yaml, built from the zod schemas. */
function crdObject(scope: Construct, def: (typeof KINDS)[number]): ApiObject {
  const { apiVersion, kind, metadata, spec } = CrdShape.parse(crdFor(def));
  return new ApiObject(scope, `crd-${def.plural}`, { apiVersion, kind, metadata: { ...metadata, labels: { ...LABELS } }, spec });
}

/**
 * The operator image's entrypoint (operator/Dockerfile; a test keeps them equal): the compiled
 * JavaScript, with a young generation small enough that an idle operator stays under 100 MiB.
 */
export const OPERATOR_COMMAND = ["node", "--max-semi-space-size=1", "--optimize-for-size", "operator/main.js"] as const;

function operatorContainer(p: ResolvedProps, namespace: string, tmp: kplus.Volume): kplus.ContainerProps {
  const http = { port: OPERATOR_PORT };
  return {
    name: "operator",
    image: p.image,
    imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
    command: [...OPERATOR_COMMAND],
    args: [
      `--namespaces=${p.watchedNamespaces.join(",")}`,
      `--leader-election-namespace=${namespace}`,
      `--listen=0.0.0.0:${OPERATOR_PORT}`,
      `--federator-image=${p.federatorImage}`,
      ...(p.allowedFederatorImages.length === 0 ? [] : [`--allowed-federator-images=${p.allowedFederatorImages.join(",")}`]),
    ],
    ports: [{ name: "http", number: OPERATOR_PORT, protocol: kplus.Protocol.TCP }],
    envVariables: {
      POD_NAME: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAME),
      POD_NAMESPACE: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAMESPACE),
      LOG_LEVEL: kplus.EnvValue.fromValue(p.logLevel),
    },
    liveness: kplus.Probe.fromHttpGet("/healthz", { ...http, periodSeconds: Duration.seconds(10), failureThreshold: 3 }),
    readiness: kplus.Probe.fromHttpGet("/readyz", { ...http, periodSeconds: Duration.seconds(5), failureThreshold: 3 }),
    resources: {
      cpu: { request: kplus.Cpu.millis(p.resources.cpuRequestMillis), limit: kplus.Cpu.millis(p.resources.cpuLimitMillis) },
      memory: { request: Size.mebibytes(p.resources.memoryRequestMiB), limit: Size.mebibytes(p.resources.memoryLimitMiB) },
    },
    securityContext: {
      ensureNonRoot: true,
      user: OPERATOR_UID,
      group: OPERATOR_UID,
      privileged: false,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    },
    // A writable /tmp for anything that needs scratch space, so the root filesystem can stay read-only.
    volumeMounts: [{ path: "/tmp", volume: tmp }],
  };
}

/**
 * What cdk8s-plus-27 cannot express: the seccomp profile (pod and container) and dropping ALL
 * capabilities (its Capability enum has no ALL), and what it adds that we do not want.
 */
function hardenPod(deployment: kplus.Deployment): void {
  const runtimeDefault = { type: "RuntimeDefault" };
  const api = ApiObject.of(deployment);
  api.addJsonPatch(JsonPatch.add("/spec/template/spec/securityContext/seccompProfile", runtimeDefault));
  // cdk8s-plus labels every pod with its construct path; nothing here selects on it, and it would
  // roll the pods whenever the construct moves in the tree.
  api.addJsonPatch(JsonPatch.remove("/spec/template/metadata/labels/cdk8s.io~1metadata.addr"));
  deployment.containers.forEach((_, i) => {
    api.addJsonPatch(JsonPatch.add(`/spec/template/spec/containers/${i}/securityContext/seccompProfile`, runtimeDefault));
    api.addJsonPatch(JsonPatch.add(`/spec/template/spec/containers/${i}/securityContext/capabilities`, { drop: ["ALL"] }));
  });
}
