// Builds the CustomResourceDefinitions from the zod schemas of lib/api/v1alpha1.ts.
import { z } from "zod";
import {
  FederationConfigSpec,
  FederationConfigStatus,
  FederationPeerSpec,
  FederationPeerStatus,
  GROUP,
  VERSION,
} from "../lib/api/v1alpha1.ts";
import { toStructural } from "./structural.ts";

interface PrinterColumn {
  name: string;
  type: "string" | "integer" | "date" | "boolean";
  jsonPath: string;
  description: string;
  priority?: number;
}

interface KindDefinition {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  description: string;
  spec: z.ZodType;
  status: z.ZodType;
  columns: PrinterColumn[];
}

const age: PrinterColumn = { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp", description: "Time since creation." };

export const KINDS: readonly KindDefinition[] = [
  {
    kind: "FederationConfig",
    plural: "federationconfigs",
    singular: "federationconfig",
    shortNames: ["fc"],
    description:
      "How one Wire backend federates: its backend and infrastructure domains, its federation strategy, its certificate, and the Federation Ingress and federator the operator runs for it.",
    spec: FederationConfigSpec,
    status: FederationConfigStatus,
    columns: [
      { name: "Backend", type: "string", jsonPath: ".spec.backendDomain", description: "Backend domain." },
      { name: "Infra", type: "string", jsonPath: ".spec.infraDomain", description: "Infrastructure domain." },
      { name: "Strategy", type: "string", jsonPath: ".spec.strategy", description: "Federation strategy." },
      { name: "Ready", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].status', description: "Everything is in place." },
      { name: "Peers", type: "integer", jsonPath: ".status.peers.accepted", description: "Peers on the allow list." },
      age,
      { name: "Reason", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].reason', description: "Why it is (not) ready.", priority: 1 },
      { name: "Rejected", type: "integer", jsonPath: ".status.peers.rejected", description: "Peers left out because of an error in them.", priority: 1 },
      { name: "Cert-Expires", type: "string", jsonPath: ".status.certificateNotAfter", description: "When this backend's own certificate expires.", priority: 1 },
      { name: "Brig", type: "string", jsonPath: '.status.conditions[?(@.type=="BrigSynced")].status', description: "brig's federation remotes agree (spec.brig.sync).", priority: 1 },
    ],
  },
  {
    kind: "FederationPeer",
    plural: "federationpeers",
    singular: "federationpeer",
    shortNames: ["fp"],
    description: "A remote Wire backend that this backend federates with: its domain, search policy, team restriction and trusted CA certificates.",
    spec: FederationPeerSpec,
    status: FederationPeerStatus,
    columns: [
      { name: "Domain", type: "string", jsonPath: ".spec.domain", description: "Remote backend domain." },
      { name: "Search", type: "string", jsonPath: ".spec.searchPolicy", description: "Search policy." },
      { name: "Ready", type: "string", jsonPath: '.status.conditions[?(@.type=="Accepted")].status', description: "On the allow list." },
      { name: "CA-Expires", type: "string", jsonPath: ".status.caNotAfter", description: "Earliest expiry of the peer's CA certificates." },
      { name: "Brig", type: "string", jsonPath: '.status.conditions[?(@.type=="BrigSynced")].status', description: "brig's federation remotes agree (spec.brig.sync of the FederationConfig)." },
      age,
      // -o wide: what an admin needs to triage a peer without kubectl describe.
      { name: "Reason", type: "string", jsonPath: '.status.conditions[?(@.type=="Accepted")].reason', description: "Why it is (not) on the allow list.", priority: 1 },
      { name: "CA", type: "string", jsonPath: ".status.caFingerprint", description: "SHA-256 fingerprint prefixes of the peer's CA certificates.", priority: 1 },
      { name: "Brig-Reason", type: "string", jsonPath: '.status.conditions[?(@.type=="BrigSynced")].reason', description: "Why brig is (not) in sync.", priority: 1 },
      { name: "Message", type: "string", jsonPath: ".status.message", description: "What to do about it.", priority: 1 },
    ],
  },
];

const jsonSchema = (schema: z.ZodType) => z.toJSONSchema(schema, { io: "input", target: "openapi-3.0", unrepresentable: "throw" });

export function crdFor(def: KindDefinition): Record<string, unknown> {
  const openAPIV3Schema = toStructural({
    type: "object",
    description: def.description,
    required: ["spec"],
    properties: {
      apiVersion: { type: "string", description: "Versioned schema of this representation: federation.wire.com/v1alpha1." },
      kind: { type: "string", description: `Always ${def.kind}.` },
      metadata: { type: "object" },
      spec: jsonSchema(def.spec),
      status: jsonSchema(def.status),
    },
  });
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${def.plural}.${GROUP}` },
    spec: {
      group: GROUP,
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular: def.singular,
        shortNames: def.shortNames,
        categories: ["wire-federation"],
      },
      scope: "Namespaced",
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: def.columns,
          schema: { openAPIV3Schema },
        },
      ],
    },
  };
}
