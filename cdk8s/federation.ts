// Typed FederationConfig and FederationPeer objects. Their props are the API's input types and
// are checked by the same zod schemas the CRDs and the operator use, so a mistake fails `synth`
// with the field's path instead of being refused later by the API server or the operator.
import { ApiObject, type ApiObjectMetadata } from "cdk8s";
import type { Construct } from "constructs";
import type { z } from "zod";
import { objectName } from "../lib/api/fields.ts";
import {
  API_VERSION,
  FederationConfigSpec,
  type FederationConfigSpecInput,
  FederationPeerSpec,
  type FederationPeerSpecInput,
} from "../lib/api/v1alpha1.ts";
import { parseWith, ValidationError } from "../lib/api/validation.ts";

export interface FederationConfigProps {
  /** Name, namespace, labels; the name defaults to one cdk8s derives from the construct path. */
  readonly metadata?: ApiObjectMetadata;
  readonly spec: FederationConfigSpecInput;
}

export interface FederationPeerProps {
  readonly metadata?: ApiObjectMetadata;
  readonly spec: FederationPeerSpecInput;
  /** The config this peer belongs to: sets spec.federationConfig and, unless given, the namespace. */
  readonly config?: FederationConfig;
}

const metadataName = objectName("Name of the object.");

/** Validates the name and `spec` with the API's schemas; throws a ValidationError naming every bad field. */
function validated<S extends z.ZodType>(kind: string, object: ApiObject, schema: S, spec: unknown): z.output<S> {
  const name = parseWith(metadataName, object.name, ["metadata", "name"]);
  const parsed = parseWith(schema, spec, ["spec"]);
  const problems = [...(name.ok ? [] : name.problems), ...(parsed.ok ? [] : parsed.problems)];
  if (!parsed.ok || problems.length > 0) throw new ValidationError(`${kind} "${object.name}" (${object.node.path})`, problems);
  return parsed.value;
}

export class FederationConfig extends ApiObject {
  static readonly GVK = { apiVersion: API_VERSION, kind: "FederationConfig" } as const;
  /** The spec with the API's defaults applied: what the operator will act on. */
  readonly spec: FederationConfigSpec;

  constructor(scope: Construct, id: string, props: FederationConfigProps) {
    super(scope, id, { ...FederationConfig.GVK, ...(props.metadata ? { metadata: props.metadata } : {}), spec: props.spec });
    this.spec = validated(FederationConfig.GVK.kind, this, FederationConfigSpec, props.spec);
  }
}

export class FederationPeer extends ApiObject {
  static readonly GVK = { apiVersion: API_VERSION, kind: "FederationPeer" } as const;
  readonly spec: FederationPeerSpec;

  constructor(scope: Construct, id: string, props: FederationPeerProps) {
    const spec = withConfig(props);
    const namespace = props.metadata?.namespace ?? props.config?.metadata.namespace;
    const metadata = { ...props.metadata, ...(namespace === undefined ? {} : { namespace }) };
    super(scope, id, { ...FederationPeer.GVK, metadata, spec });
    this.spec = validated(FederationPeer.GVK.kind, this, FederationPeerSpec, spec);
    if (props.config && props.config.metadata.namespace !== this.metadata.namespace) {
      throw new ValidationError(`FederationPeer "${this.name}" (${this.node.path})`, [
        {
          path: "metadata.namespace",
          message: `must be the namespace of FederationConfig "${props.config.name}" (${props.config.metadata.namespace ?? "unset"}), found ${this.metadata.namespace ?? "unset"}`,
        },
      ]);
    }
  }
}

function withConfig(props: FederationPeerProps): FederationPeerSpecInput {
  if (!props.config) return props.spec;
  const name = props.config.name;
  if (props.spec.federationConfig !== undefined && props.spec.federationConfig !== name) {
    throw new ValidationError("FederationPeer", [
      { path: "spec.federationConfig", message: `is "${props.spec.federationConfig}" but the peer was given FederationConfig "${name}"` },
    ]);
  }
  return { ...props.spec, federationConfig: name };
}
