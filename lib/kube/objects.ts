// The minimal shape the apply layer needs of any Kubernetes object.
export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  [key: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller: boolean;
  blockOwnerDeletion: boolean;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** `Kind/name`, unique among the outputs of one namespace. */
export const objectKey = (o: Pick<KubeObject, "kind" | "metadata">): string => `${o.kind}/${o.metadata.name}`;
