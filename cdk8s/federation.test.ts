import { App, Chart, Testing } from "cdk8s";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { FederationConfig as FederationConfigObject, FederationPeer as FederationPeerObject } from "../lib/api/v1alpha1.ts";
import { ValidationError } from "../lib/api/validation.ts";
import { FederationConfig, FederationPeer } from "./federation.ts";
import { renderManifests } from "./main.ts";

const chartIn = (namespace = "wire") => new Chart(Testing.app(), "backend", { namespace });

const configSpec = {
  backendDomain: "example.com",
  infraDomain: "federator.infra.example.com",
  certificate: { selfSigned: {} },
} as const;

function thrown(build: () => unknown): ValidationError {
  try {
    build();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error("expected a ValidationError");
}

describe("FederationConfig and FederationPeer constructs", () => {
  it("render a FederationConfig and its peers as the API objects the operator reads", () => {
    const chart = chartIn();
    const config = new FederationConfig(chart, "config", { metadata: { name: "wire" }, spec: configSpec });
    new FederationPeer(chart, "partner", { config, metadata: { name: "partner" }, spec: { domain: "partner.example.org", searchPolicy: "full_search" } });
    const [renderedConfig, renderedPeer] = Testing.synth(chart);
    expect(FederationConfigObject.parse(renderedConfig).metadata).toMatchObject({ name: "wire", namespace: "wire" });
    expect(FederationPeerObject.parse(renderedPeer)).toMatchObject({
      metadata: { name: "partner", namespace: "wire" },
      spec: { domain: "partner.example.org", searchPolicy: "full_search", federationConfig: "wire" },
    });
  });

  it("writes the spec as given, leaving defaults to the API server, and exposes the defaulted spec", () => {
    const chart = chartIn();
    const peer = new FederationPeer(chart, "p", { metadata: { name: "p" }, spec: { domain: "partner.example.org" } });
    expect(Testing.synth(chart)[0].spec).toEqual({ domain: "partner.example.org" });
    expect(peer.spec).toMatchObject({ searchPolicy: "no_search", restriction: { type: "AllowAll" }, suspend: false });
  });

  it("fails synth on a bad peer domain with a message naming spec.domain and the peer", () => {
    const error = thrown(() => new FederationPeer(chartIn(), "bad", { metadata: { name: "bad" }, spec: { domain: "Partner_Example.org" } }));
    expect(error.message).toMatch(/^invalid FederationPeer "bad" \(backend\/bad\): spec\.domain: must be a lower-case DNS name/);
    expect(error.problems.map((p) => p.path)).toEqual(["spec.domain"]);
  });

  it("names every bad field at once, including nested ones and typos", () => {
    const error = thrown(
      () =>
        new FederationPeer(chartIn(), "bad", {
          metadata: { name: "Bad" },
          // A typo'd field, as plain JavaScript or an `as` cast would let through.
          spec: { domain: "ok.example", restriction: { type: "RestrictByTeam" }, caBundle: {}, serchPolicy: "full_search" } as never,
        }),
    );
    expect(error.problems.map((p) => p.path).sort()).toEqual(["metadata.name", "spec", "spec.caBundle", "spec.restriction.teams"]);
    expect(error.message).toContain("unknown field(s) spec.serchPolicy");
    expect(error.message).toContain("spec.restriction.teams: teams is required when type is RestrictByTeam");
  });

  it("fails on an invalid FederationConfig with the field path", () => {
    const error = thrown(
      () => new FederationConfig(chartIn(), "config", { spec: { ...configSpec, infraDomain: "", certificate: { selfSigned: {}, secretRef: { name: "tls" } } } }),
    );
    expect([...new Set(error.problems.map((p) => p.path))].sort()).toEqual(["spec.certificate", "spec.infraDomain"]);
  });

  it("fails app synthesis, not just the constructor, so `cdk8s synth` stops on a bad peer", () => {
    const app = new App({ outdir: "/nonexistent/never-written" });
    const build = () => {
      const chart = new Chart(app, "backend", { namespace: "wire" });
      new FederationPeer(chart, "bad", { spec: { domain: "not a domain" } });
      app.synth();
    };
    expect(build).toThrow(/spec\.domain/);
  });

  it("ties a peer to the config it was given, in that config's namespace", () => {
    const app = Testing.app();
    const config = new FederationConfig(new Chart(app, "config", { namespace: "tenant-a" }), "config", { metadata: { name: "main" }, spec: configSpec });
    const peers = new Chart(app, "peers");
    const peer = new FederationPeer(peers, "p", { config, metadata: { name: "p" }, spec: { domain: "partner.example.org" } });
    expect(peer.metadata.namespace).toBe("tenant-a");
    expect(peer.spec.federationConfig).toBe("main");
    expect(() => new FederationPeer(peers, "q", { config, metadata: { name: "q", namespace: "other" }, spec: { domain: "q.example.org" } })).toThrow(
      /metadata\.namespace: must be the namespace of FederationConfig "main" \(tenant-a\), found other/,
    );
    expect(() => new FederationPeer(peers, "r", { config, spec: { domain: "r.example.org", federationConfig: "other" } })).toThrow(/spec\.federationConfig/);
  });

  it("synthesizes an example backend of one FederationConfig and two peers that the API schemas accept", () => {
    const objects = parseAllDocuments(renderManifests().get("example-backend.yaml")!).map((d) => d.toJS() as unknown);
    const kinds = objects.map((o) => (o as { kind: string }).kind);
    expect(kinds).toEqual(["FederationConfig", "FederationPeer", "FederationPeer"]);
    FederationConfigObject.parse(objects[0]);
    for (const peer of objects.slice(1)) expect(FederationPeerObject.parse(peer).spec.federationConfig).toBe("wire");
  });
});
