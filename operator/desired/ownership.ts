// Which outputs are ours to write. An object with an output's name that this FederationConfig
// did not create (a user's Secret `wire-tls`, wire-server's own Service `federator`, another
// config's object) is never taken over: server-side apply with force would give it our
// ownerReference, and the garbage collector would delete it with the FederationConfig. It is
// refused (condition, Event) and left as it is; so are the outputs that would point at it.
import type { KubeObject } from "../../lib/kube/objects.ts";
import { objectKey } from "../../lib/kube/objects.ts";
import { outputNames } from "./names.ts";

export interface Owner {
  readonly name: string;
  readonly uid?: string | undefined;
}

/**
 * Ours: the object names this FederationConfig (same uid, when known) as its owner, or it is the
 * certificate Secret cert-manager wrote for this config's Certificate (certManager mode; cert-
 * manager sets no ownerReference by default), which a switch to selfSigned takes back.
 */
export function ownedBy(object: Pick<KubeObject, "kind" | "metadata">, owner: Owner): boolean {
  const tls = outputNames(owner.name).tls;
  if (object.kind === "Secret" && object.metadata.name === tls && object.metadata.annotations?.["cert-manager.io/certificate-name"] === tls) return true;
  return (object.metadata.ownerReferences ?? []).some(
    (o) => o.kind === "FederationConfig" && o.name === owner.name && (owner.uid === undefined || owner.uid === "" || o.uid === owner.uid),
  );
}

/** What each referring kind may name: a Deployment mounts and runs as, an Ingress serves and routes to, a Role grants. */
const DEPENDS_ON: Readonly<Record<string, readonly string[]>> = {
  Deployment: ["Secret", "ConfigMap", "ServiceAccount"],
  Ingress: ["Secret", "Service"],
  Role: ["Secret", "ConfigMap"],
  RoleBinding: ["Role", "ServiceAccount"],
};

/** Whether `text` names `name` as a whole (object names are DNS labels or subdomains). */
const names = (text: string, name: string) => new RegExp(`(^|[^a-z0-9.-])${name.replace(/\./g, "\\.")}($|[^a-z0-9.-])`).test(text);

/**
 * The outputs to leave alone, given those that exist and are not ours: those, and the ones that
 * would make something of ours use them (a pod mounting a user's Secret, an Ingress serving it
 * or routing to a user's Service, a Role granting it).
 */
export function heldOutputs(objects: readonly KubeObject[], foreign: ReadonlySet<string>): Set<string> {
  const held = new Set(foreign);
  const foreignObjects = [...foreign].map((key) => {
    const [kind = "", name = ""] = key.split("/");
    return { kind, metadata: { name } };
  });
  if (foreignObjects.length === 0) return held;
  for (const object of objects) {
    const kinds = DEPENDS_ON[object.kind];
    if (kinds === undefined) continue;
    const text = JSON.stringify({ annotations: object.metadata.annotations, spec: object["spec"], rules: object["rules"], roleRef: object["roleRef"], subjects: object["subjects"] });
    if (foreignObjects.some((f) => kinds.includes(f.kind) && names(text, f.metadata.name))) held.add(objectKey(object));
  }
  return held;
}
