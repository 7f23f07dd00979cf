// The X.509 extensions node's X509Certificate does not expose as data (subjectAltName only as a
// display string, EKU only under a deprecated name), decoded by @peculiar/x509.
// @peculiar/x509's dependency injection (tsyringe) needs the Reflect metadata API before it loads.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import type { ParsedCertificate } from "./pem.ts";

export type ExtendedKeyUsageName = "serverAuth" | "clientAuth" | "codeSigning" | "emailProtection" | "timeStamping" | "OCSPSigning" | "anyExtendedKeyUsage";

const EKU_NAMES: Readonly<Record<string, ExtendedKeyUsageName>> = {
  "1.3.6.1.5.5.7.3.1": "serverAuth",
  "1.3.6.1.5.5.7.3.2": "clientAuth",
  "1.3.6.1.5.5.7.3.3": "codeSigning",
  "1.3.6.1.5.5.7.3.4": "emailProtection",
  "1.3.6.1.5.5.7.3.8": "timeStamping",
  "1.3.6.1.5.5.7.3.9": "OCSPSigning",
  "2.5.29.37.0": "anyExtendedKeyUsage",
};

export interface SubjectAltNames {
  readonly dns: readonly string[];
  readonly ip: readonly string[];
}

const decoded = new WeakMap<ParsedCertificate, x509.X509Certificate>();
function peculiar(certificate: ParsedCertificate): x509.X509Certificate {
  let value = decoded.get(certificate);
  if (value === undefined) {
    value = new x509.X509Certificate(new Uint8Array(certificate.x509.raw));
    decoded.set(certificate, value);
  }
  return value;
}

export function subjectAltNames(certificate: ParsedCertificate): SubjectAltNames {
  const extension = peculiar(certificate).getExtension(x509.SubjectAlternativeNameExtension);
  const items = extension?.names.items ?? [];
  return { dns: items.filter((n) => n.type === "dns").map((n) => n.value), ip: items.filter((n) => n.type === "ip").map((n) => n.value) };
}

/** The extended key usages by name (unknown OIDs as they are); undefined when the extension is absent. */
export function extendedKeyUsages(certificate: ParsedCertificate): readonly string[] | undefined {
  const extension = peculiar(certificate).getExtension(x509.ExtendedKeyUsageExtension);
  if (extension === null) return undefined;
  return extension.usages.map((oid) => EKU_NAMES[String(oid)] ?? String(oid));
}
