// Names and labels of everything the operator produces for a FederationConfig.
export const FIELD_MANAGER = "wire-federation-operator";
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const CONFIG_LABEL = "federation.wire.com/config";
/** Hash of the desired object; the apply layer skips objects whose live hash is equal. */
export const APPLIED_HASH_ANNOTATION = "federation.wire.com/applied-hash";
/** Hash of the Deployment fields the federator cannot hot-reload; changing it rolls the pods. */
export const ROLLOUT_HASH_ANNOTATION = "federation.wire.com/rollout-hash";

export const CA_BUNDLE_KEY = "ca.crt";
export const FEDERATOR_CONFIG_KEY = "federator.yaml";

export const outputNames = (config: string) => ({
  caBundle: `${config}-ca-bundle`,
  tls: `${config}-tls`,
  selfSignedCA: `${config}-selfsigned-ca`,
  federator: `${config}-federator`,
  externalService: `${config}-federator-external`,
  /** The ingress → federator hop (certificates/ingress-hop.ts): its CA, the federator's and the controller's certificates. */
  hopCA: `${config}-ingress-hop-ca`,
  hopServer: `${config}-federator-hop`,
  hopClient: `${config}-ingress-hop`,
});

/** The names the federator's ingress hop certificate holds: its Service's, the first as controllers dial it. */
export function hopServerNames(config: { readonly metadata: { readonly namespace?: string | undefined }; readonly spec: { readonly federator: { readonly serviceName: string } } }): [string, string] {
  const service = config.spec.federator.serviceName;
  const namespace = config.metadata.namespace ?? "default";
  return [`${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`];
}

export function managedLabels(config: string): Record<string, string> {
  return { [MANAGED_BY_LABEL]: FIELD_MANAGER, [CONFIG_LABEL]: config };
}

export function federatorSelector(config: string): Record<string, string> {
  return { "app.kubernetes.io/name": "federator", "app.kubernetes.io/instance": config };
}
