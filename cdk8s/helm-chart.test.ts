import { Chart, Testing } from "cdk8s";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ChartValues, helmChart } from "./helm-chart.ts";
import { FederationOperator } from "./operator-install.ts";

describe("helmChart", () => {
  const files = helmChart();

  it("has a template for every object of the construct but the CRDs, which go to crds/", () => {
    const chart = new Chart(Testing.app(), "install");
    new FederationOperator(chart, "operator", { monitoring: { alerts: true, dashboard: true } });
    const kinds = (chart.toJson() as { kind: string }[]).map((o) => o.kind);
    const templates = [...files.keys()].filter((f) => f.startsWith("templates/"));
    expect(templates).toHaveLength(kinds.filter((k) => k !== "CustomResourceDefinition").length);
    expect([...files.keys()].filter((f) => f.startsWith("crds/"))).toHaveLength(kinds.filter((k) => k === "CustomResourceDefinition").length);
  });

  it("takes its values and their defaults from the construct's props", () => {
    expect(parse(files.get("values.yaml")!)).toEqual(ChartValues.parse({}));
    const schema = JSON.parse(files.get("values.schema.json")!) as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(ChartValues.shape).sort());
  });

  it("is the same on every run", () => {
    expect(helmChart()).toEqual(files);
  });
});
