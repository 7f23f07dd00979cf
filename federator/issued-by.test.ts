import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createCertificateAuthority, issueCertificate } from "../lib/certs/issue.ts";
import { issuedBy } from "./issued-by.ts";

describe("issuedBy", () => {
  it("remembers each verdict per CA object, so a look-alike CA with the same name never inherits one", async () => {
    const ca = await createCertificateAuthority({ commonName: "Peer CA", validityDays: 2 });
    // Same subject, different key: checkIssued alone would accept it; the signature must not.
    const impostor = await createCertificateAuthority({ commonName: "Peer CA", validityDays: 2 });
    const leaf = new X509Certificate((await issueCertificate({ ca, dnsNames: ["federator.b.example"], validityDays: 1 })).certificatePem);
    const genuine = new X509Certificate(ca.certificatePem);
    const lookAlike = new X509Certificate(impostor.certificatePem);
    for (let round = 0; round < 2; round++) {
      expect(issuedBy(leaf, genuine)).toBe(true);
      expect(issuedBy(leaf, lookAlike)).toBe(false);
    }
  });
});
