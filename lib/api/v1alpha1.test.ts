import { describe, expect, it } from "vitest";
import { exampleFederationConfig, exampleFederationPeer, exampleFederatorConfig, exampleRestrictedPeer } from "./examples.ts";
import { FederatorConfig } from "./federator-config.ts";
import { FederationConfig, FederationConfigSpec, FederationPeer, FederationPeerSpec } from "./v1alpha1.ts";
import { parseWith, type FieldProblem } from "./validation.ts";

const minimalConfig = { backendDomain: "example.com", infraDomain: "federator.infra.example.com", certificate: { selfSigned: {} } };
const problems = (schema: Parameters<typeof parseWith>[0], input: unknown): readonly FieldProblem[] => {
  const parsed = parseWith(schema, input, ["spec"]);
  if (parsed.ok) throw new Error(`expected ${JSON.stringify(input)} to be refused`);
  return parsed.problems;
};

describe("the design's examples", () => {
  it.each([
    ["FederationConfig", FederationConfig, exampleFederationConfig],
    ["FederationPeer", FederationPeer, exampleFederationPeer],
    ["restricted FederationPeer", FederationPeer, exampleRestrictedPeer],
    ["federator.yaml", FederatorConfig, exampleFederatorConfig],
  ] as const)("%s parses", (_name, schema, example) => {
    expect(parseWith(schema, example).ok).toBe(true);
  });
});

describe("defaults an operator of a Wire backend can rely on", () => {
  it("fills a minimal FederationConfig with secure, working defaults", () => {
    const spec = FederationConfigSpec.parse(minimalConfig);
    expect(spec.strategy).toBe("AllowList");
    expect(spec.ingress).toEqual({ mode: "Nginx", className: "nginx", verifyDepth: 2, wireChartSnippet: false });
    expect(spec.trust.useSystemCAStore).toBe(false);
    expect(spec.federator.ports).toEqual({ internal: 8080, external: 8081 });
    expect(spec.federator.services.brig).toBe("http://brig:8080");
    expect(spec.federator.reload).toBe("Files");
    expect(spec.certificate.selfSigned?.duration).toBe("2160h");
  });

  it("a peer defaults to no search, all users, not suspended", () => {
    const spec = FederationPeerSpec.parse({ domain: "partner.example.org" });
    expect(spec).toMatchObject({ searchPolicy: "no_search", restriction: { type: "AllowAll" }, suspend: false });
  });

  it("federator.yaml fills listen and tls defaults", () => {
    const config = FederatorConfig.parse({ ...exampleFederatorConfig, listen: undefined, tls: undefined, dns: undefined });
    expect(config.listen).toEqual({ internal: "0.0.0.0:8080", external: "0.0.0.0:8081", externalTLS: false, ingressHop: null, clientCertificateHeader: "ssl-client-cert" });
    expect(config.dns.server).toBeNull();
    expect(config.limits.maxBodyBytes).toBe(100 * 1024 * 1024);
  });
});

describe("bad input is refused with the field path", () => {
  it.each([
    ["an upper-case backend domain", { ...minimalConfig, backendDomain: "Example.com" }, "spec.backendDomain", /lower-case DNS name/],
    ["an invalid infra domain", { ...minimalConfig, infraDomain: "federator..example.com" }, "spec.infraDomain", /DNS name/],
    ["a domain with a trailing dash label", { ...minimalConfig, backendDomain: "example-.com" }, "spec.backendDomain", /DNS name/],
    ["an unknown strategy", { ...minimalConfig, strategy: "AllowSome" }, "spec.strategy", /AllowNone/],
    [
      "two certificate modes",
      { ...minimalConfig, certificate: { selfSigned: {}, secretRef: { name: "tls" } } },
      "spec.certificate",
      /exactly one of secretRef, certManager, selfSigned.*found secretRef, selfSigned/,
    ],
    ["no certificate mode", { ...minimalConfig, certificate: {} }, "spec.certificate", /found none/],
    ["an unknown field", { ...minimalConfig, federatorImage: "x" }, "spec", /unknown field\(s\) spec.federatorImage/],
    ["an unknown nested field", { ...minimalConfig, ingress: { verifyDeph: 3 } }, "spec.ingress", /spec.ingress.verifyDeph/],
    ["a verify depth of 0", { ...minimalConfig, ingress: { verifyDepth: 0 } }, "spec.ingress.verifyDepth", /./],
    ["a DNS server without port", { ...minimalConfig, federator: { dns: { server: "10.0.0.1" } } }, "spec.federator.dns.server", /host:port/],
    ["a service that is not a URL", { ...minimalConfig, federator: { services: { brig: "brig:8080" } } }, "spec.federator.services.brig", /URL/],
  ])("FederationConfig with %s", (_name, input, path, message) => {
    const found = problems(FederationConfigSpec, input);
    expect(found).toContainEqual({ path, message: expect.stringMatching(message) });
  });

  it.each([
    ["an upper-case domain", { domain: "Partner.example.org" }, "spec.domain", /lower-case DNS name/],
    ["no domain", {}, "spec.domain", /./],
    ["RestrictByTeam without teams", { domain: "p.example", restriction: { type: "RestrictByTeam" } }, "spec.restriction.teams", /required/],
    [
      "teams with AllowAll",
      { domain: "p.example", restriction: { type: "AllowAll", teams: ["8d5c5c2a-6f3e-4b2c-9a57-0d6a1c1e2f30"] } },
      "spec.restriction.teams",
      /only allowed/,
    ],
    ["a team that is not a UUID", { domain: "p.example", restriction: { type: "RestrictByTeam", teams: ["red"] } }, "spec.restriction.teams[0]", /UUID/],
    ["an unknown search policy", { domain: "p.example", searchPolicy: "fuzzy" }, "spec.searchPolicy", /no_search/],
    ["two CA sources", { domain: "p.example", caBundle: { pem: "x", secretRef: { name: "ca" } } }, "spec.caBundle", /exactly one of pem/],
    ["an unknown field", { domain: "p.example", allowed: true }, "spec", /spec.allowed/],
  ])("FederationPeer with %s", (_name, input, path, message) => {
    expect(problems(FederationPeerSpec, input)).toContainEqual({ path, message: expect.stringMatching(message) });
  });

  it("accepts RestrictByTeam with an empty list of remote teams (nobody yet), as Wire does", () => {
    expect(FederationPeerSpec.safeParse({ domain: "p.example", restriction: { type: "RestrictByTeam", teams: [] } }).success).toBe(true);
  });

  it("FederationConfig with an unknown unmanagedRemotes policy names the field", () => {
    expect(problems(FederationConfigSpec, { ...minimalConfig, brig: { sync: true, unmanagedRemotes: "Delete" } })).toContainEqual({
      path: "spec.brig.unmanagedRemotes",
      message: expect.stringMatching(/Keep/),
    });
  });

  it("federator.yaml with a remote CA index out of range names the field", () => {
    const parsed = parseWith(FederatorConfig, { ...exampleFederatorConfig, caFingerprints: [], remotes: [{ domain: "ok.example", cas: [0] }] });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problems).toContainEqual({ path: "remotes[0].cas[0]", message: "no caFingerprints[0]" });
  });

  it("federator.yaml with a remote's bad domain names the list index", () => {
    const input = { ...exampleFederatorConfig, remotes: [{ domain: "ok.example" }, { domain: "NOT OK" }] };
    const parsed = parseWith(FederatorConfig, input);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problems.map((p) => p.path)).toContain("remotes[1].domain");
  });
});
