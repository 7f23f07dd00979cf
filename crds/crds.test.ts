import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { crdFor, KINDS } from "./crd.ts";
import { renderCrds } from "./generate.ts";
import { NotStructuralError, toStructural } from "./structural.ts";

type Node = Record<string, unknown>;

/** Visits every schema node with its path. */
function walk(node: Node, path: string, visit: (node: Node, path: string) => void): void {
  visit(node, path);
  const props = node["properties"] as Record<string, Node> | undefined;
  for (const [name, child] of Object.entries(props ?? {})) walk(child, `${path}.${name}`, visit);
  if (node["items"]) walk(node["items"] as Node, `${path}[]`, visit);
  if (typeof node["additionalProperties"] === "object") walk(node["additionalProperties"] as Node, `${path}{}`, visit);
}

const schemaOf = (crd: Node): Node =>
  ((crd["spec"] as Node)["versions"] as Node[])[0]!["schema"] as Node & { openAPIV3Schema: Node };

describe("generated CRDs", () => {
  it("match the committed crds/*.yaml (run `npm run crds` when this fails)", () => {
    for (const [file, text] of renderCrds()) {
      expect(readFileSync(new URL(file, import.meta.url), "utf8"), `crds/${file} is stale`).toBe(text);
    }
  });

  it("are deterministic", () => {
    expect([...renderCrds()]).toEqual([...renderCrds()]);
  });

  it.each(KINDS.map((k) => [k.kind, k] as const))("%s is structural: every node typed, no additionalProperties beside properties", (_kind, def) => {
    const root = (schemaOf(crdFor(def)) as { openAPIV3Schema: Node }).openAPIV3Schema;
    let nodes = 0;
    walk(root, def.kind, (node, path) => {
      nodes++;
      expect(typeof node["type"], `${path} has a type`).toBe("string");
      expect(node["properties"] !== undefined && node["additionalProperties"] !== undefined, `${path}`).toBe(false);
      expect(Object.keys(node).filter((k) => k.startsWith("$") || ["anyOf", "oneOf", "allOf", "not"].includes(k)), path).toEqual([]);
    });
    expect(nodes).toBeGreaterThan(20);
  });

  it.each(KINDS.map((k) => [k.kind, k] as const))("%s documents every spec field (for kubectl explain)", (_kind, def) => {
    const root = (schemaOf(crdFor(def)) as { openAPIV3Schema: Node }).openAPIV3Schema;
    const spec = (root["properties"] as Record<string, Node>)["spec"]!;
    walk(spec, "spec", (node, path) => {
      if (!path.endsWith("[]") && !path.endsWith("{}")) expect(node["description"], `${path} has a description`).toEqual(expect.any(String));
    });
  });

  it("carry the cross-field rules as CEL", () => {
    const text = [...renderCrds().values()].join("\n");
    const crds = [...renderCrds().values()].map((t) => parse(t) as Node);
    expect(crds).toHaveLength(2);
    expect(text).toContain("self == oldSelf");
    expect(text).toMatch(/has\(self.secretRef\) \? 1 : 0\) \+ \(has\(self.certManager\)/);
    expect(text).toContain("self.type == 'RestrictByTeam'");
  });

  it("have the printer columns and short names of the design", () => {
    const peer = crdFor(KINDS.find((k) => k.kind === "FederationPeer")!) as { spec: { names: { shortNames: string[] }; versions: { additionalPrinterColumns: { name: string }[] }[] } };
    expect(peer.spec.names.shortNames).toEqual(["fp"]);
    expect(peer.spec.versions[0]!.additionalPrinterColumns.map((c) => c.name.toUpperCase())).toEqual(["DOMAIN", "SEARCH", "READY", "CA-EXPIRES", "BRIG", "AGE", "REASON", "CA", "BRIG-REASON", "MESSAGE"]);
    const config = crdFor(KINDS.find((k) => k.kind === "FederationConfig")!) as { spec: { names: { shortNames: string[] } } };
    expect(config.spec.names.shortNames).toEqual(["fc"]);
  });
});

describe("toStructural", () => {
  it("refuses a node without a type", () => {
    expect(() => toStructural({ type: "object", properties: { x: { description: "untyped" } } })).toThrow(NotStructuralError);
  });
  it("refuses a union it cannot express", () => {
    expect(() => toStructural({ anyOf: [{ type: "string" }, { type: "number" }] })).toThrow(/anyOf/);
  });
  it("drops additionalProperties: false beside properties", () => {
    expect(toStructural({ type: "object", properties: { a: { type: "string" } }, additionalProperties: false })).toEqual({
      type: "object",
      properties: { a: { type: "string" } },
    });
  });
});
