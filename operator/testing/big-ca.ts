// CA certificates made large on purpose (a long subjectAltName list), for the CA bundle's size
// budget: n distinct CAs of about `bytes` PEM each, all signed with one key to keep it fast.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export async function bigCAs(prefix: string, n: number, bytes: number): Promise<string> {
  const keys = (await webcrypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  // A DNS name of 60 characters adds about 62 bytes of DER, 83 of PEM.
  const names = Math.max(1, Math.floor(bytes / 83));
  const pems: string[] = [];
  for (let i = 0; i < n; i++) {
    const certificate = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: (i + 1).toString(16).padStart(8, "0"),
      name: `CN=${prefix} ${i}`,
      keys,
      signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
      notBefore: new Date(Date.now() - 3_600_000),
      notAfter: new Date(Date.now() + 365 * 86_400_000),
      extensions: [
        new x509.BasicConstraintsExtension(true, 1, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
        new x509.SubjectAlternativeNameExtension(Array.from({ length: names }, (_, j) => ({ type: "dns" as const, value: `n${String(j).padStart(6, "0")}.${"x".repeat(44)}.${prefix.toLowerCase().replace(/[^a-z0-9]/g, "")}.example` }))),
      ],
    });
    pems.push(certificate.toString("pem") + "\n");
  }
  return pems.join("");
}
