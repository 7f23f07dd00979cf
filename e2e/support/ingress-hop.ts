// The ingress hop as the tests need it: the Secrets the operator issues for config `wire` in a
// namespace, and TLS options that make a test server stand in the federator's place behind a
// controller (listen.ingressHop: the hop certificate, and only the controller's client certificate).
import type https from "node:https";
import type { FederationConfigSpecInput } from "../../lib/api/v1alpha1.ts";
import { ingressHop } from "../../operator/certificates/ingress-hop.ts";
import { outputNames } from "../../operator/desired/names.ts";
import { config } from "../../operator/testing/fixtures.ts";

export type HopSecrets = Awaited<ReturnType<typeof ingressHop>>["secrets"];

/** The ingress hop's Secrets as the operator issues them for config `wire` in `namespace`. */
export async function hopSecrets(namespace: string, spec: Partial<FederationConfigSpecInput> = {}): Promise<HopSecrets> {
  return (await ingressHop({ config: config(spec, "wire", namespace), owned: () => undefined, now: new Date() }, new Map())).secrets;
}

/** Server options of the federator's external port behind a controller, from the hop's Secrets. */
export function hopServerOptions(hop: HopSecrets): https.ServerOptions {
  const server = hop.find((s) => s.name === outputNames("wire").hopServer)?.data;
  if (server === undefined) throw new Error("no hop server certificate");
  return { cert: server["tls.crt"], key: server["tls.key"], ca: server["ca.crt"], requestCert: true, rejectUnauthorized: true };
}
