// The files a control plane's processes read: certificates and keys, kubeconfigs, audit policy.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import { ADMIN_USER, type ControlPlanePki, type KeyPairPem } from "./pki.ts";

/** Every write at Metadata level (who, what, when; no bodies), nothing else. */
const AUDIT_POLICY = {
  apiVersion: "audit.k8s.io/v1",
  kind: "Policy",
  omitStages: ["RequestReceived"],
  rules: [{ level: "Metadata", verbs: ["create", "update", "patch", "delete", "deletecollection"] }, { level: "None" }],
};

export function kubeconfigYaml(name: string, server: string, caPem: string, user: string, client: KeyPairPem): string {
  const b64 = (text: string) => Buffer.from(text).toString("base64");
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name, cluster: { server, "certificate-authority-data": b64(caPem) } }],
    users: [{ name: user, user: { "client-certificate-data": b64(client.certificatePem), "client-key-data": b64(client.privateKeyPem) } }],
    contexts: [{ name, context: { cluster: name, user, namespace: "default" } }],
    "current-context": name,
  });
}

export interface Files {
  readonly ca: string;
  readonly apiServerCert: string;
  readonly apiServerKey: string;
  readonly serviceAccountKey: string;
  readonly serviceAccountPublicKey: string;
  readonly adminKubeconfig: string;
  readonly controllerManagerKubeconfig: string;
  readonly auditPolicy: string;
}

export async function writeFiles(dir: string, name: string, server: string, pki: ControlPlanePki): Promise<Files> {
  const files: Files = {
    ca: join(dir, "ca.crt"),
    apiServerCert: join(dir, "apiserver.crt"),
    apiServerKey: join(dir, "apiserver.key"),
    serviceAccountKey: join(dir, "service-account.key"),
    serviceAccountPublicKey: join(dir, "service-account.pub"),
    adminKubeconfig: join(dir, "kubeconfig"),
    controllerManagerKubeconfig: join(dir, "controller-manager.kubeconfig"),
    auditPolicy: join(dir, "audit-policy.yaml"),
  };
  const secret = { mode: 0o600 };
  await Promise.all([
    writeFile(files.ca, pki.ca.certificatePem),
    writeFile(files.apiServerCert, pki.apiServer.certificatePem),
    writeFile(files.apiServerKey, pki.apiServer.privateKeyPem, secret),
    writeFile(files.serviceAccountKey, pki.serviceAccountKeyPem, secret),
    writeFile(files.serviceAccountPublicKey, pki.serviceAccountPublicKeyPem),
    writeFile(files.adminKubeconfig, kubeconfigYaml(name, server, pki.ca.certificatePem, ADMIN_USER, pki.admin), secret),
    writeFile(
      files.controllerManagerKubeconfig,
      kubeconfigYaml(name, server, pki.ca.certificatePem, "kube-controller-manager", pki.controllerManager),
      secret,
    ),
    writeFile(files.auditPolicy, stringify(AUDIT_POLICY)),
  ]);
  return files;
}
