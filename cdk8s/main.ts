// The cdk8s app behind `npm run synth` and `cdk8s synth`: writes dist/install.yaml (the operator)
// and dist/example-backend.yaml (a FederationConfig with two peers) — or to $CDK8S_OUTDIR.
import { App, type AppProps, Chart, Yaml } from "cdk8s";
import { fileURLToPath } from "node:url";
import { ValidationError } from "../lib/api/validation.ts";
import { FederationConfig, FederationPeer } from "./federation.ts";
import { FederationOperator } from "./operator-install.ts";

/** The files the app writes, each a chart of the same name. */
export const CHARTS = { install: "install.yaml", exampleBackend: "example-backend.yaml" } as const;
export const EXAMPLE_NAMESPACE = "wire";

/** The backend of DESIGN §3: example.com federating with two remotes, one of them team-restricted. */
export function exampleBackend(chart: Chart): void {
  const config = new FederationConfig(chart, "config", {
    metadata: { name: "wire" },
    spec: {
      backendDomain: "example.com",
      infraDomain: "federator.infra.example.com",
      strategy: "AllowList",
      certificate: { selfSigned: {} },
      federator: { reload: "Watch", services: { brig: "http://brig:8080", galley: "http://galley:8080", cargohold: "http://cargohold:8080" } },
    },
  });
  new FederationPeer(chart, "partner", {
    config,
    metadata: { name: "partner" },
    spec: { domain: "partner.example.org", searchPolicy: "full_search", restriction: { type: "AllowAll" } },
  });
  new FederationPeer(chart, "supplier", {
    config,
    metadata: { name: "supplier" },
    spec: {
      domain: "supplier.example.net",
      infraDomain: "federator.supplier.example.net",
      searchPolicy: "exact_handle_search",
      restriction: { type: "RestrictByTeam", teams: ["8d5c5c2a-6f3e-4b2c-9a57-0d6a1c1e2f30"] },
    },
  });
}

export function buildApp(props: AppProps = {}): App {
  const app = new App({ outputFileExtension: ".yaml", ...props });
  new FederationOperator(new Chart(app, "install"), "operator");
  exampleBackend(new Chart(app, "example-backend", { namespace: EXAMPLE_NAMESPACE }));
  return app;
}

/** What `npm run synth` writes, file name → YAML text, without writing it. */
export function renderManifests(props: AppProps = {}): Map<string, string> {
  const app = buildApp(props);
  return new Map(app.charts.map((chart) => [`${chart.node.id}${app.outputFileExtension}`, Yaml.stringify(...chart.toJson())]));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    const app = buildApp();
    app.synth();
    for (const file of Object.values(CHARTS)) console.log(`wrote ${app.outdir}/${file}`);
  } catch (error) {
    // A person fixes the field the message names; a stack trace into cdk8s would only hide it.
    if (!(error instanceof ValidationError)) throw error;
    console.error(error.message);
    process.exitCode = 1;
  }
}
