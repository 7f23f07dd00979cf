// Command lines of etcd, kube-apiserver and kube-controller-manager for a loopback test control plane.
import { join } from "node:path";
import type { Files } from "./config-files.ts";

const SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local";
/** What the operator relies on: garbage collection, Deployments, ServiceAccounts, namespace deletion. */
const CONTROLLERS = [
  "garbage-collector-controller",
  "deployment-controller",
  "replicaset-controller",
  "serviceaccount-controller",
  "namespace-controller",
  "root-ca-certificate-publisher-controller",
];

export function etcdArgs(dir: string, clientPort: number, peerPort: number): string[] {
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  return [
    "--name=default",
    `--data-dir=${join(dir, "etcd")}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=default=${peer}`,
    "--unsafe-no-fsync",
    "--log-level=warn",
  ];
}

export interface ApiServerSettings {
  readonly etcdUrl: string;
  readonly auditLogPath: string | undefined;
  readonly watchCache: boolean;
}

export function apiServerArgs(dir: string, files: Files, port: number, { etcdUrl, auditLogPath, watchCache }: ApiServerSettings): string[] {
  const args = [
    `--etcd-servers=${etcdUrl}`,
    "--bind-address=127.0.0.1",
    "--advertise-address=127.0.0.1",
    `--secure-port=${port}`,
    `--cert-dir=${join(dir, "apiserver-certs")}`,
    `--tls-cert-file=${files.apiServerCert}`,
    `--tls-private-key-file=${files.apiServerKey}`,
    `--client-ca-file=${files.ca}`,
    "--authorization-mode=RBAC",
    `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
    `--service-account-key-file=${files.serviceAccountPublicKey}`,
    `--service-account-signing-key-file=${files.serviceAccountKey}`,
    "--service-cluster-ip-range=10.0.0.0/24",
    "--allow-privileged=true",
    "--profiling=false",
    `--watch-cache=${watchCache}`,
  ];
  if (auditLogPath) {
    args.push(
      `--audit-policy-file=${files.auditPolicy}`,
      `--audit-log-path=${auditLogPath}`,
      "--audit-log-format=json",
      "--audit-log-mode=blocking",
      "--audit-log-maxsize=0",
    );
  }
  return args;
}

export function controllerManagerArgs(files: Files): string[] {
  return [
    `--kubeconfig=${files.controllerManagerKubeconfig}`,
    "--secure-port=0",
    "--leader-elect=false",
    `--controllers=${CONTROLLERS.join(",")}`,
    `--root-ca-file=${files.ca}`,
    "--use-service-account-credentials=false",
  ];
}
