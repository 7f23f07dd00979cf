// What a FederationConfig may choose, as the operator's administrator decided (operator flags).
// Editing a FederationConfig must not be more than that: the federator runs an image the
// operator allows, and forwards only to Services of its own namespace. A refused value is named
// in a condition and has no effect: the image is not rolled out (the Deployment is left as it
// is), a refused service target is replaced by the field's default.
import { FederationConfigSpec, type FederationConfig } from "../../lib/api/v1alpha1.ts";
import type { ConditionInput } from "./conditions.ts";

export const DEFAULT_FEDERATOR_IMAGE = "ghcr.io/wire-federation-operator/federator:0.1.0";

export interface OperatorPolicy {
  /** The image every federator runs unless its FederationConfig picks one of `allowedFederatorImages`. */
  readonly federatorImage: string;
  readonly allowedFederatorImages: readonly string[];
  /** Namespace: spec.federator.services.* must be Services of the config's namespace; Any: any http(s) URL (tests, demos). */
  readonly serviceTargets: "Namespace" | "Any";
}

export const DEFAULT_POLICY: OperatorPolicy = { federatorImage: DEFAULT_FEDERATOR_IMAGE, allowedFederatorImages: [], serviceTargets: "Namespace" };

export interface Refusal {
  /** The field path, e.g. spec.federator.image. */
  readonly field: string;
  readonly reason: "ImageNotAllowed" | "ServiceTargetNotAllowed";
  readonly message: string;
}

/** The config as the operator acts on it, and what it refused. */
export interface Admitted {
  readonly config: FederationConfig;
  readonly refusals: readonly Refusal[];
}

function imageRefusal(image: string | undefined, policy: OperatorPolicy): Refusal | undefined {
  if (image === undefined || image === policy.federatorImage || policy.allowedFederatorImages.includes(image)) return undefined;
  const allowed = [policy.federatorImage, ...policy.allowedFederatorImages].join(", ");
  return {
    field: "spec.federator.image",
    reason: "ImageNotAllowed",
    message: `spec.federator.image ${image} is not an image this operator runs (allowed: ${allowed}); the federator Deployment is left as it is. Remove the field, pick an allowed image, or ask the operator's administrator to add it to --allowed-federator-images`,
  };
}

const LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";

/** Whether `url` names a Service of `namespace`: svc, svc.ns, svc.ns.svc or svc.ns.svc.cluster.local, any port. */
export function inNamespaceService(url: string, namespace: string): boolean {
  const match = /^https?:\/\/([^/?#@]+?)(:[0-9]{1,5})?(\/[^?#]*)?$/.exec(url);
  if (match === null) return false;
  const host = match[1]!;
  const ns = namespace.replace(/\./g, "\\.");
  return new RegExp(`^${LABEL}(\\.${ns}(\\.svc(\\.cluster\\.local)?)?)?$`).test(host) && !/^[0-9]+$/.test(host.split(".")[0]!);
}

const SERVICE_DEFAULTS = FederationConfigSpec.shape.federator.parse({}).services;

export function admitSpec(config: FederationConfig, policy: OperatorPolicy): Admitted {
  const refusals: Refusal[] = [];
  const { federator } = config.spec;
  const image = imageRefusal(federator.image, policy);
  if (image !== undefined) refusals.push(image);
  const namespace = config.metadata.namespace ?? "default";
  const services = { ...federator.services };
  if (policy.serviceTargets === "Namespace") {
    for (const component of ["brig", "galley", "cargohold"] as const) {
      const url = federator.services[component];
      if (inNamespaceService(url, namespace)) continue;
      services[component] = SERVICE_DEFAULTS[component];
      refusals.push({
        field: `spec.federator.services.${component}`,
        reason: "ServiceTargetNotAllowed",
        message: `spec.federator.services.${component} ${url} is not a Service of namespace ${namespace} (such as http://${component}:8080 or http://${component}.${namespace}.svc:8080); ${SERVICE_DEFAULTS[component]} is used instead`,
      });
    }
  }
  const effective = { ...federator, image: image === undefined ? (federator.image ?? policy.federatorImage) : policy.federatorImage, services };
  return { config: { ...config, spec: { ...config.spec, federator: effective } }, refusals };
}

export function admissionCondition(refusals: readonly Refusal[]): ConditionInput {
  if (refusals.length === 0) return { type: "SpecAllowed", status: "True", reason: "Allowed", message: "every field is within what the operator allows" };
  return { type: "SpecAllowed", status: "False", reason: refusals[0]!.reason, message: refusals.map((r) => r.message).join("; ") };
}
