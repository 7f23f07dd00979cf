// The ingress → federator hop. Behind an ingress controller the federator learns the remote's
// certificate from a header; that header is the controller's word only if nothing else can reach
// the external port and set it. So the operator keeps a CA of its own per FederationConfig, used for
// nothing else, and issues two leaves from it: the federator's (serverAuth, for the Service's names)
// and the controller's (clientAuth). The federator's external port serves TLS and accepts only the
// controller's certificate; the controller verifies the federator against the same CA.
import { createCertificateAuthority, issueCertificate, type CertificateAuthority } from "../../lib/certs/issue.ts";
import { parseCertificateBundle, type ParsedCertificate } from "../../lib/certs/pem.ts";
import { ingressProvider, type FederationConfig } from "../../lib/api/v1alpha1.ts";
import { decodedSecretData } from "../../lib/kube/secret-data.ts";
import { hopServerNames, outputNames } from "../desired/names.ts";
import type { OwnCertificate } from "../desired/desired.ts";
import type { CertificateContext } from "./own-certificate.ts";

const CA_VALIDITY_DAYS = 3650;
const LEAF_VALIDITY_DAYS = 365;
const DAY_MS = 86_400_000;
/** The controller's certificate names no host: the federator checks only who issued it. */
export const INGRESS_HOP_CLIENT_NAME = "wire-federation-ingress";

type Secrets = OwnCertificate["secrets"];

export interface IngressHopMaterial {
  readonly ca: CertificateAuthority;
  readonly server: Leaf;
  readonly client: Leaf;
}

interface Leaf {
  readonly chainPem: string;
  readonly privateKeyPem: string;
}

export interface EnsuredIngressHop {
  readonly secrets: Secrets;
  /** When a leaf reaches two thirds of its life; undefined without a hop (Passthrough). */
  readonly requeueAfterMs?: number;
}

function first(data: Record<string, string> | undefined): { chainPem: string; privateKeyPem: string; leaf: ParsedCertificate } | undefined {
  const crt = data?.["tls.crt"];
  const key = data?.["tls.key"];
  if (crt === undefined || key === undefined) return undefined;
  const parsed = parseCertificateBundle(crt);
  const leaf = parsed.ok ? parsed.certificates[0] : undefined;
  return leaf === undefined ? undefined : { chainPem: crt, privateKeyPem: key, leaf };
}

function readCA(data: Record<string, string> | undefined, now: Date): CertificateAuthority | undefined {
  const found = first(data);
  if (found === undefined || !found.leaf.isCA || found.leaf.notAfter <= now) return undefined;
  return { certificatePem: found.chainPem, privateKeyPem: found.privateKeyPem };
}

/** When `leaf` must be replaced: at 2/3 of its life, at once if another CA issued it or its names changed. */
function renewAt(leaf: ParsedCertificate, ca: CertificateAuthority, dnsNames: readonly string[]): Date {
  const caCert = parseCertificateBundle(ca.certificatePem);
  const issuer = caCert.ok ? caCert.certificates[0]?.x509 : undefined;
  const issued = issuer !== undefined && leaf.x509.checkIssued(issuer) && leaf.x509.verify(issuer.publicKey);
  const names = dnsNames.every((name) => leaf.x509.checkHost(name, { wildcards: false }) === name) && (dnsNames.length > 0 || leaf.x509.subjectAltName === undefined);
  if (!issued || !names) return new Date(0);
  return new Date(leaf.notBefore.getTime() + ((leaf.notAfter.getTime() - leaf.notBefore.getTime()) * 2) / 3);
}

async function ensureLeaf(found: ReturnType<typeof first>, ca: CertificateAuthority, now: Date, kind: "server" | "client", dnsNames: readonly string[]): Promise<{ leaf: Leaf; renewAt: Date }> {
  if (found !== undefined) {
    const at = renewAt(found.leaf, ca, dnsNames);
    if (at > now) return { leaf: { chainPem: found.chainPem, privateKeyPem: found.privateKeyPem }, renewAt: at };
  }
  const issued = await issueCertificate({
    ca,
    dnsNames,
    ...(kind === "client" ? { commonName: INGRESS_HOP_CLIENT_NAME } : {}),
    serverAuth: kind === "server",
    clientAuth: kind === "client",
    validityDays: LEAF_VALIDITY_DAYS,
    notBefore: new Date(Math.floor((now.getTime() - 5 * 60_000) / 1000) * 1000),
  });
  const parsed = first({ "tls.crt": issued.certificatePem, "tls.key": issued.privateKeyPem })!;
  return { leaf: { chainPem: issued.certificatePem, privateKeyPem: issued.privateKeyPem }, renewAt: renewAt(parsed.leaf, ca, dnsNames) };
}

/**
 * The hop's three Secrets: the CA (read by the operator alone), the federator's certificate and
 * the controller's, each with the CA as ca.crt (what ingress-nginx's proxy-ssl-secret and Traefik's
 * ServersTransport read). None without an ingress controller (Passthrough).
 */
export async function ingressHop(context: Pick<CertificateContext, "config" | "owned" | "now">, issued: Map<string, IngressHopMaterial>): Promise<EnsuredIngressHop> {
  const { config, now } = context;
  if (ingressProvider(config.spec.ingress) === "Passthrough") return { secrets: [] };
  const names = outputNames(config.metadata.name);
  const remembered = issued.get(config.metadata.uid ?? config.metadata.name);
  const ca =
    readCA(decodedSecretData(context.owned(names.hopCA)), now) ??
    remembered?.ca ??
    (await createCertificateAuthority({ commonName: `${config.metadata.name} ingress hop CA`, organization: "wire-federation-operator", validityDays: CA_VALIDITY_DAYS }));
  const pick = (name: string, memory: Leaf | undefined) => {
    const candidates = [first(decodedSecretData(context.owned(name))), memory === undefined ? undefined : first({ "tls.crt": memory.chainPem, "tls.key": memory.privateKeyPem })];
    return candidates.filter((c) => c !== undefined).sort((a, b) => b.leaf.notBefore.getTime() - a.leaf.notBefore.getTime())[0];
  };
  const server = await ensureLeaf(pick(names.hopServer, remembered?.server), ca, now, "server", hopServerNames(config));
  const client = await ensureLeaf(pick(names.hopClient, remembered?.client), ca, now, "client", []);
  issued.set(config.metadata.uid ?? config.metadata.name, { ca, server: server.leaf, client: client.leaf });
  const leafSecret = (name: string, leaf: Leaf) => ({ name, type: "kubernetes.io/tls", data: { "tls.crt": leaf.chainPem, "tls.key": leaf.privateKeyPem, "ca.crt": ca.certificatePem } });
  const next = Math.min(server.renewAt.getTime(), client.renewAt.getTime());
  return {
    secrets: [
      { name: names.hopCA, type: "kubernetes.io/tls", data: { "tls.crt": ca.certificatePem, "tls.key": ca.privateKeyPem } },
      leafSecret(names.hopServer, server.leaf),
      leafSecret(names.hopClient, client.leaf),
    ],
    requeueAfterMs: Math.max(1000, Math.min(next - now.getTime(), 30 * DAY_MS)),
  };
}
