// The federator's configuration file (`federator.yaml`, DESIGN §5.4): the operator writes it,
// the federator parses it with this same schema on start and on every reload.
import { z } from "zod";
import { dnsName, hostPort, httpUrl, restriction, searchPolicy, strategy } from "./fields.ts";

const listenAddress = (description: string) => hostPort(description);

const fingerprint = z.string().regex(/^[A-Za-z0-9+/]{43}=$/, { error: "must be a base64 SHA-256 fingerprint (44 characters)" });

export const FederatorRemote = z.strictObject({
  domain: dnsName("Remote backend domain."),
  infraDomain: dnsName("Pinned infra domain of the remote; null lets SRV discovery decide.").nullable().default(null),
  searchPolicy: searchPolicy.default("no_search"),
  restriction: restriction.prefault({ type: "AllowAll" }),
  cas: z
    .array(z.number().int().min(0))
    .default([])
    .meta({
      description:
        "The remote's own CAs (from its FederationPeer caBundle), as indexes into caFingerprints. When set, the remote's client certificate must be issued by one of them, directly or (Passthrough mode) through intermediates the remote presents: another peer's CA in the shared bundle cannot vouch for this remote.",
    }),
});

export const FederatorConfig = z.strictObject({
  backendDomain: dnsName("Our backend domain; set as Wire-Origin-Domain on egress."),
  infraDomain: dnsName("Our infrastructure domain, the name in our certificate."),
  strategy,
  remotes: z.array(FederatorRemote).default([]),
  caFingerprints: z
    .array(fingerprint)
    .default([])
    .meta({ description: "Base64 SHA-256 fingerprints (of the DER) of the peers' CAs, each once; remotes refer to them by index." }),
  extraCAFingerprints: z
    .array(fingerprint)
    .optional()
    .meta({
      description:
        "Base64 SHA-256 fingerprints of the bundle's CAs that belong to no peer (trust.extraCABundle): with the system store (useSystemCAStore), the only CAs that vouch for origins without CAs of their own. A bundle CA in neither list vouches for nobody, so a CA that reaches the bundle before the config that names its peer cannot vouch for others meanwhile. Absent (a hand-written config): every bundle CA not in caFingerprints.",
    }),
  services: z.strictObject({
    brig: httpUrl("Base URL of brig."),
    galley: httpUrl("Base URL of galley."),
    cargohold: httpUrl("Base URL of cargohold."),
  }),
  dns: z
    .strictObject({
      server: hostPort("DNS server for SRV discovery; null: the system resolver.").nullable().default(null),
      allowPrivateTargets: z
        .boolean()
        .default(false)
        .meta({ description: "Connect to remotes whose address is loopback, link-local or private (tests, demos, private federations); off, such targets are refused." }),
    })
    .prefault({}),
  listen: z
    .strictObject({
      internal: listenAddress("Internal listener (brig, galley, cargohold).").default("0.0.0.0:8080"),
      external: listenAddress("External listener (behind the Federation Ingress).").default("0.0.0.0:8081"),
      externalTLS: z.boolean().default(false).meta({ description: "Terminate mutual TLS on the external port (Passthrough mode)." }),
      ingressHop: z
        .strictObject({
          certFile: z.string().min(1).default("/etc/federator/hop/tls.crt"),
          keyFile: z.string().min(1).default("/etc/federator/hop/tls.key"),
          caFile: z.string().min(1).default("/etc/federator/hop/ca.crt"),
        })
        .nullable()
        .default(null)
        .meta({
          description:
            "Behind an ingress controller: serve the external port over TLS with certFile/keyFile and accept only clients whose certificate caFile's CA issued (the controller's, which the operator issues), so that nothing else that reaches the port can set the certificate header. null: plain HTTP, and every client that reaches the port is trusted to speak for the controller (wire-server's chart layout; safe only with an enforced NetworkPolicy).",
        }),
      clientCertificateHeader: z
        .enum(["ssl-client-cert", "X-Forwarded-Tls-Client-Cert", "X-SSL-Certificate"])
        .default("ssl-client-cert")
        .meta({
          description:
            "The one header the federator reads the remote's verified certificate from, behind an ingress controller that sets and overwrites it: ssl-client-cert (ingress-nginx auth-tls-pass-certificate-to-upstream), X-Forwarded-Tls-Client-Cert (Traefik passTLSClientCert), X-SSL-Certificate (wire-server's chart snippet).",
        }),
    })
    .prefault({}),
  tls: z
    .strictObject({
      certFile: z.string().min(1).default("/etc/federator/tls/tls.crt"),
      keyFile: z.string().min(1).default("/etc/federator/tls/tls.key"),
      caBundleFile: z.string().min(1).default("/etc/federator/ca/ca.crt"),
      useSystemCAStore: z.boolean().default(false),
    })
    .prefault({}),
  limits: z
    .strictObject({
      connectTimeoutSeconds: z.number().int().min(1).default(5),
      requestTimeoutSeconds: z.number().int().min(1).default(30),
      maxBodyBytes: z.number().int().min(1024).default(100 * 1024 * 1024),
      // Exhaustion bounds (README, "Security model"): what one client may make a server hold.
      maxConcurrentStreams: z.number().int().min(1).default(256).meta({ description: "HTTP/2 streams one client may have open per session (advertised in SETTINGS)." }),
      maxHeaderListBytes: z.number().int().min(1024).default(32 * 1024).meta({ description: "Largest request header list accepted (HTTP/2 SETTINGS_MAX_HEADER_LIST_SIZE)." }),
      maxSessionMemoryMegabytes: z.number().int().min(1).default(10).meta({ description: "Memory one HTTP/2 session may hold before new streams are refused." }),
      maxConnections: z.number().int().min(1).default(1024).meta({ description: "Open connections per listener; more are closed at once." }),
      handshakeTimeoutSeconds: z.number().int().min(1).default(10).meta({ description: "Passthrough mode: time a client has to finish the TLS handshake." }),
      maxInFlightPerOrigin: z.number().int().min(1).default(128).meta({ description: "Ingress requests in flight per origin domain (unlisted origins share one count); more get 503." }),
      requestDeadlineSeconds: z.number().int().min(1).default(120).meta({ description: "Total time one exchange (request body, upstream call, response) may take on either port; requestTimeoutSeconds bounds idle time." }),
      unlistedDiscoveryBurst: z.number().int().min(1).default(20).meta({ description: "AllowAll: SRV queries for origins not listed as remotes that may be made at once (cached answers are free)." }),
      unlistedDiscoveryPerSecond: z.number().min(0.1).default(5).meta({ description: "AllowAll: sustained SRV queries per second for unlisted origins; beyond, 503 too-many-requests." }),
      maxSessionAgeSeconds: z.number().int().min(1).default(3600).meta({ description: "Passthrough mode: an ingress session older than this gets GOAWAY, so its client reconnects and is verified again." }),
    })
    .prefault({}),
}).superRefine((config, ctx) => {
  config.remotes.forEach((remote, r) =>
    remote.cas.forEach((index, c) => {
      if (index >= config.caFingerprints.length) ctx.addIssue({ code: "custom", path: ["remotes", r, "cas", c], message: `no caFingerprints[${index}]` });
    }),
  );
});

/** The fingerprints of a remote's own CAs. */
export function remoteCAFingerprints(config: Pick<FederatorConfig, "caFingerprints">, remote: Pick<FederatorRemote, "cas">): string[] {
  return remote.cas.flatMap((index) => config.caFingerprints[index] ?? []);
}

export type FederatorConfig = z.output<typeof FederatorConfig>;
export type FederatorConfigInput = z.input<typeof FederatorConfig>;
export type FederatorRemote = z.output<typeof FederatorRemote>;
