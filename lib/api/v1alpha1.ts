// The federation.wire.com/v1alpha1 API: the single source of truth for the CRDs, the TypeScript
// types, the cdk8s constructs' validation and the operator's runtime parsing.
import { z } from "zod";
import {
  celCountSet,
  conditions,
  dnsName,
  duration,
  exactlyOne,
  hostPort,
  httpUrl,
  keyRef,
  objectName,
  restriction,
  searchPolicy,
  strategy,
} from "./fields.ts";
import { ALLOWED_INGRESS_ANNOTATIONS, refusedAnnotation } from "./ingress-annotations.ts";

export const GROUP = "federation.wire.com";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;

const CERTIFICATE_MODES = ["secretRef", "certManager", "selfSigned"] as const;
const CA_SOURCES = ["pem", "secretRef", "configMapRef"] as const;
const EXTRA_CA_SOURCES = ["secretRef", "configMapRef"] as const;

const quantity = z
  .string()
  .regex(/^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)(([KMGTPE]i)|[numkMGTPE]|[eE][+-]?[0-9]+)?$/, {
    error: "must be a Kubernetes quantity such as 100m, 128Mi or 2",
  });

const resources = z
  .strictObject({
    requests: z.record(z.string(), quantity).optional().meta({ description: "Minimum resources, e.g. {cpu: 100m, memory: 128Mi}." }),
    limits: z.record(z.string(), quantity).optional().meta({ description: "Maximum resources, e.g. {memory: 256Mi}." }),
  })
  .meta({ description: "Compute resources of each federator container." });

export const INGRESS_PROVIDERS = ["IngressNginx", "Traefik", "GatewayAPI", "Passthrough"] as const;
export type IngressProvider = (typeof INGRESS_PROVIDERS)[number];

const ingress = z
  .strictObject({
    provider: z
      .enum(INGRESS_PROVIDERS)
      .optional()
      .meta({
        description:
          "Which controller terminates remote backends' mutual TLS. IngressNginx (default; also Traefik's ingress-nginx provider): an Ingress with auth-tls annotations, the certificate in ssl-client-cert. Traefik: an Ingress with router annotations, a TLSOption (RequireAndVerifyClientCert) and a passTLSClientCert Middleware, the certificate in X-Forwarded-Tls-Client-Cert. GatewayAPI: a Gateway listener with frontend client-certificate validation and an HTTPRoute, programmed only when the GatewayClass supports GatewayFrontendClientCertificateValidation, BackendTLSPolicy and GatewayBackendClientCertificate (the hop to the federator). Behind every controller the hop to the federator is TLS with an operator-issued client certificate (Secret NAME-ingress-hop). Passthrough: no ingress; the federator terminates mutual TLS itself. Unset: mode decides.",
      }),
    mode: z
      .enum(["Nginx", "Passthrough"])
      .default("Nginx")
      .meta({
        description: "Older form of provider (used when provider is unset): Nginx is IngressNginx, Passthrough is Passthrough.",
      }),
    className: z.string().min(1).max(253).default("nginx").meta({ description: "IngressClass of the Federation Ingress (GatewayAPI: the GatewayClass)." }),
    verifyDepth: z
      .number()
      .int()
      .min(1)
      .max(10)
      .default(2)
      .meta({ description: "How many certificates of a remote's chain nginx verifies: 2 accepts a leaf issued by an intermediate." }),
    wireChartSnippet: z
      .boolean()
      .default(false)
      .meta({
        description:
          "Wire's chart layout: a configuration-snippet sets X-SSL-Certificate and the federator reads that header. Needs ingress-nginx with allow-snippet-annotations and annotations-risk-level Critical; risky: wherever the snippet is not applied, a client's own X-SSL-Certificate reaches the federator. Default false: the controller's own ssl-client-cert header, no snippet.",
      }),
    annotations: z
      .record(z.string(), z.string())
      .optional()
      .superRefine((annotations, ctx) => {
        for (const key of Object.keys(annotations ?? {})) {
          const reason = refusedAnnotation(key);
          if (reason !== undefined) ctx.addIssue({ code: "custom", path: [key], message: reason });
        }
      })
      .meta({ description: `Extra annotations for the Ingress, only from this set: ${ALLOWED_INGRESS_ANNOTATIONS.join(", ")}. They cannot override the mutual TLS annotations.` }),
  })
  .meta({ description: "How remote backends reach this backend's federator." });

/** The provider in force: spec.ingress.provider, else what the older spec.ingress.mode says. */
export function ingressProvider(spec: { readonly provider?: IngressProvider | undefined; readonly mode: "Nginx" | "Passthrough" }): IngressProvider {
  return spec.provider ?? (spec.mode === "Passthrough" ? "Passthrough" : "IngressNginx");
}

const issuerRef = z
  .strictObject({
    name: objectName("Name of the cert-manager Issuer or ClusterIssuer."),
    kind: z.enum(["Issuer", "ClusterIssuer"]).default("Issuer").meta({ description: "Issuer or ClusterIssuer." }),
    group: z.string().default("cert-manager.io").meta({ description: "API group of the issuer." }),
  })
  .meta({ description: "The cert-manager issuer that signs the certificate." });

const certificate = z
  .strictObject({
    secretRef: z
      .strictObject({ name: objectName("Name of a kubernetes.io/tls Secret in this namespace.") })
      .optional()
      .meta({
        description:
          "Use a kubernetes.io/tls Secret that you (or cert-manager) keep: it must hold the full chain, cover infraDomain, and allow both serverAuth and clientAuth.",
      }),
    certManager: z
      .strictObject({
        issuerRef,
        duration: duration("Lifetime of the certificate.").default("2160h"),
        renewBefore: duration("How long before expiry cert-manager renews it.").default("720h"),
      })
      .optional()
      .meta({ description: "The operator owns a cert-manager.io/v1 Certificate for infraDomain and uses the Secret cert-manager writes." }),
    selfSigned: z
      .strictObject({
        duration: duration("Lifetime of each issued certificate; it is renewed at two thirds of it.").default("2160h"),
      })
      .optional()
      .meta({
        description:
          "The operator keeps its own CA and issues and renews the certificate itself; share its CA with your peers. For tests, demos and private federations.",
      }),
  })
  .superRefine(exactlyOne(CERTIFICATE_MODES))
  .meta({
    description: "This backend's own certificate, presented to remotes as server and client. Exactly one of secretRef, certManager, selfSigned.",
    "x-kubernetes-validations": [
      { rule: `${celCountSet(CERTIFICATE_MODES)} == 1`, message: "exactly one of secretRef, certManager, selfSigned must be set" },
    ],
  });

const extraCABundle = z
  .strictObject({
    secretRef: keyRef("Secret", "ca.crt").optional(),
    configMapRef: keyRef("ConfigMap", "ca.crt").optional(),
  })
  .superRefine(exactlyOne(EXTRA_CA_SOURCES))
  .meta({
    description: "Extra trusted CA certificates (PEM) for all peers, from exactly one of secretRef, configMapRef.",
    "x-kubernetes-validations": [
      { rule: `${celCountSet(EXTRA_CA_SOURCES)} == 1`, message: "exactly one of secretRef, configMapRef must be set" },
    ],
  });

const trust = z
  .strictObject({
    useSystemCAStore: z
      .boolean()
      .default(false)
      .meta({ description: "Also trust the operating system's CA store when verifying remotes (off: only the peers' CAs are trusted)." }),
    extraCABundle: extraCABundle.optional(),
  })
  .meta({ description: "Which certificate authorities are trusted for remote backends, besides each peer's own caBundle." });

const services = z
  .strictObject({
    brig: httpUrl("Base URL of brig.").default("http://brig:8080"),
    galley: httpUrl("Base URL of galley.").default("http://galley:8080"),
    cargohold: httpUrl("Base URL of cargohold.").default("http://cargohold:8080"),
  })
  .meta({ description: "Where the federator forwards inbound requests for each component." });

const ports = z
  .strictObject({
    internal: z.number().int().min(1).max(65535).default(8080).meta({ description: "Port for brig, galley and cargohold (egress, /i/status)." }),
    external: z.number().int().min(1).max(65535).default(8081).meta({ description: "Port the Federation Ingress forwards remote requests to." }),
  })
  .meta({ description: "Ports of the federator; changing them rolls the Deployment." });

/** Pod labels of wire-server's charts (charts/wire-server/templates/<component>/deployment.yaml): `app: <component>`. */
export const WIRE_COMPONENT_LABELS = ["brig", "galley", "cargohold", "background-worker"].map((app) => ({ matchLabels: { app } }));

const internalClients = z
  .array(
    z
      .strictObject({
        matchLabels: z
          .record(z.string().min(1).max(316), z.string().max(63))
          .refine((labels) => Object.keys(labels).length > 0, { error: "must name at least one label: an empty selector would admit every pod" })
          .meta({ description: "Labels a pod of this namespace must carry." }),
      })
      .meta({ description: "A pod selector in this namespace." }),
  )
  .min(1)
  .max(32)
  .default(WIRE_COMPONENT_LABELS)
  .meta({
    description:
      "Pods of this namespace the NetworkPolicy lets reach the federator's internal port, which sends requests to other backends as this backend. Default: brig, galley, cargohold and background-worker by the labels of wire-server's charts (app: <component>).",
    "x-kubernetes-validations": [{ rule: "self.all(c, size(c.matchLabels) > 0)", message: "each internal client must name at least one label" }],
  });

const timeouts = z
  .strictObject({
    connectSeconds: z.number().int().min(1).max(300).default(5).meta({ description: "Timeout for connecting to a remote or a local component." }),
    requestSeconds: z.number().int().min(1).max(3600).default(30).meta({ description: "Timeout for a whole federated request." }),
  })
  .meta({ description: "Timeouts of the federator." });

const federator = z
  .strictObject({
    image: z
      .string()
      .min(1)
      .max(512)
      .optional()
      .meta({
        description:
          "Federator container image, one of those the operator allows (its --federator-image, the default, and --allowed-federator-images); another is refused (condition SpecAllowed) and the Deployment left as it is. Changing it rolls the Deployment.",
      }),
    replicas: z.number().int().min(0).max(100).default(2).meta({ description: "Number of federator pods." }),
    serviceName: z
      .string()
      .min(1)
      .max(63)
      .regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/, { error: "must be a lower-case DNS label starting with a letter, such as federator" })
      .default("federator")
      .meta({
        description:
          "Name of the federator's ClusterIP Service. wire-server's charts point brig, galley and cargohold at federator:8080, so keep the default unless the namespace has more than one FederationConfig; a name another FederationConfig of the namespace already uses is refused (condition ServiceReady).",
      }),
    resources: resources.optional(),
    internalClients: internalClients,
    ports: ports.prefault({}),
    services: services.prefault({}),
    dns: z
      .strictObject({
        server: hostPort("DNS server (host:port) for SRV discovery of remote infra domains; the pod's resolver when unset.").optional(),
        allowPrivateTargets: z
          .boolean()
          .default(false)
          .meta({
            description:
              "Let egress connect to remotes whose SRV target or infraDomain resolves to a loopback, link-local or private address (tests, demos, federations inside one private network). Off, such targets are refused, so a remote's DNS cannot aim our federator at internal services.",
          }),
      })
      .prefault({})
      .meta({ description: "DNS used to discover remote backends." }),
    reload: z
      .enum(["Files", "Watch"])
      .default("Files")
      .meta({
        description:
          "How the federator picks up a changed allow list, CA bundle or certificate without restarting: Files (mounted volumes, ~1 minute through the kubelet) or Watch (the Kubernetes API, sub-second; needs get/watch on its own ConfigMap and Secrets).",
      }),
    timeouts: timeouts.prefault({}),
    maxBodyBytes: z
      .number()
      .int()
      .min(1024)
      .max(1024 * 1024 * 1024)
      .default(100 * 1024 * 1024)
      .meta({ description: "Largest request or response body the federator forwards, in bytes." }),
  })
  .meta({ description: "The federator Deployment the operator runs for this backend." });

const brig = z
  .strictObject({
    sync: z
      .boolean()
      .default(false)
      .meta({
        description:
          "Reconcile the FederationPeers into brig's federation remotes (its internal API /i/federation/remotes at federator.services.brig), so brig enforces each peer's searchPolicy and restriction. Off by default: brig is then left as it is; `npm run import` adopts an installation's remotes first.",
      }),
    unmanagedRemotes: z
      .enum(["Keep", "Neutralize"])
      .default("Keep")
      .meta({
        description:
          "Remotes in brig that no FederationPeer describes: Keep leaves them untouched; Neutralize makes them no_search, restrict_by_team with no team (brig has no API to delete a remote).",
      }),
  })
  .meta({ description: "Whether and how the operator keeps brig's federation remotes equal to the FederationPeers." });

export const FederationConfigSpec = z
  .strictObject({
    backendDomain: dnsName("This backend's domain, which qualifies its user ids (e.g. example.com)."),
    infraDomain: dnsName(
      "This backend's infrastructure domain (e.g. federator.infra.example.com): the Federation Ingress host and the DNS name in its certificate. Remotes find it through the SRV record _wire-server-federator._tcp.<backendDomain>.",
    ),
    strategy: strategy.default("AllowList"),
    ingress: ingress.prefault({}),
    certificate,
    trust: trust.prefault({}),
    federator: federator.prefault({}),
    brig: brig.prefault({}),
  })
  .meta({ description: "How this Wire backend federates: its domains, who it federates with, and how it is reached." });

const peerCounts = z
  .object({
    accepted: z.number().int().meta({ description: "FederationPeers on the allow list." }),
    rejected: z.number().int().meta({ description: "FederationPeers left out because of an error in them." }),
    suspended: z.number().int().optional().meta({ description: "FederationPeers left out because spec.suspend is true." }),
  })
  .meta({ description: "How many FederationPeers of this config are in each state." });

export const FederationConfigStatus = z
  .object({
    conditions,
    observedGeneration: z.number().int().optional().meta({ description: "The .metadata.generation the status reflects." }),
    peers: peerCounts.optional(),
    caBundleHash: z.string().optional().meta({ description: "SHA-256 of the CA bundle the federator and ingress trust." }),
    certificateNotAfter: z.string().optional().meta({ description: "When this backend's own certificate expires (RFC 3339)." }),
    brigDomains: z
      .array(z.string())
      .optional()
      .meta({ description: "Remote domains the operator keeps in brig, so that it can make a deleted FederationPeer's remote harmless there." }),
  })
  .meta({ description: "Observed state of the FederationConfig." });

const caBundle = z
  .strictObject({
    pem: z
      .string()
      .min(1)
      .max(256 * 1024)
      .optional()
      .meta({ description: "PEM-encoded CA certificates of the remote backend, inline." }),
    secretRef: keyRef("Secret", "ca.crt").optional(),
    configMapRef: keyRef("ConfigMap", "ca.crt").optional(),
  })
  .superRefine(exactlyOne(CA_SOURCES))
  .meta({
    description: "Trust roots for this remote backend's certificates: exactly one of pem, secretRef, configMapRef.",
    "x-kubernetes-validations": [
      { rule: `${celCountSet(CA_SOURCES)} == 1`, message: "exactly one of pem, secretRef, configMapRef must be set" },
    ],
  });

export const FederationPeerSpec = z
  .strictObject({
    domain: dnsName("The remote backend domain (e.g. partner.example.org). Immutable: create a new FederationPeer for another remote.").meta({
      "x-kubernetes-validations": [{ rule: "self == oldSelf", message: "domain is immutable; create a new FederationPeer for another remote backend" }],
    }),
    infraDomain: dnsName(
      "Pins the remote's infrastructure domain; without it, the SRV record _wire-server-federator._tcp.<domain> decides.",
    ).optional(),
    searchPolicy: searchPolicy.default("no_search"),
    restriction: restriction.prefault({ type: "AllowAll" }),
    caBundle: caBundle.optional(),
    suspend: z.boolean().default(false).meta({ description: "true takes the remote off the allow list without deleting the FederationPeer." }),
    federationConfig: objectName("Name of the FederationConfig this peer belongs to; by default the only one in the namespace.").optional(),
  })
  .meta({ description: "A remote Wire backend this backend federates with." });

const caCertificate = z
  .object({
    subject: z.string().meta({ description: "Subject distinguished name." }),
    sha256Fingerprint: z.string().meta({ description: "SHA-256 fingerprint of the DER certificate, colon-separated hex." }),
    notAfter: z.string().meta({ description: "Expiry (RFC 3339)." }),
  })
  .meta({ description: "A CA certificate of the peer's caBundle." });

export const FederationPeerStatus = z
  .object({
    conditions,
    observedGeneration: z.number().int().optional().meta({ description: "The .metadata.generation the status reflects." }),
    caCertificates: z.array(caCertificate).optional().meta({ description: "The CA certificates found in caBundle." }),
    caNotAfter: z.string().optional().meta({ description: "Earliest expiry among caCertificates (RFC 3339)." }),
    caFingerprint: z
      .string()
      .optional()
      .meta({ description: "The first 4 bytes of each caCertificates sha256Fingerprint (e.g. 3F:A2:09:C1), comma-separated: the CA column of kubectl get fp -o wide." }),
    message: z.string().optional().meta({ description: "A summary a person can act on." }),
  })
  .meta({ description: "Observed state of the FederationPeer." });

/** Object metadata as the operator reads it; other fields the API server sets pass through. */
const metadata = z.looseObject({
  name: z.string(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  generation: z.number().int().optional(),
  resourceVersion: z.string().optional(),
  creationTimestamp: z.string().optional(),
  deletionTimestamp: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

export const FederationConfig = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal("FederationConfig"),
  metadata,
  spec: FederationConfigSpec,
  status: FederationConfigStatus.optional(),
});

export const FederationPeer = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal("FederationPeer"),
  metadata,
  spec: FederationPeerSpec,
  status: FederationPeerStatus.optional(),
});

export type FederationConfigSpec = z.output<typeof FederationConfigSpec>;
export type FederationConfigSpecInput = z.input<typeof FederationConfigSpec>;
export type FederationConfigStatus = z.output<typeof FederationConfigStatus>;
export type FederationConfig = z.output<typeof FederationConfig>;
export type FederationPeerSpec = z.output<typeof FederationPeerSpec>;
export type FederationPeerSpecInput = z.input<typeof FederationPeerSpec>;
export type FederationPeerStatus = z.output<typeof FederationPeerStatus>;
export type FederationPeer = z.output<typeof FederationPeer>;
export type Strategy = z.output<typeof strategy>;
export type SearchPolicy = z.output<typeof searchPolicy>;
export type Restriction = z.output<typeof restriction>;
