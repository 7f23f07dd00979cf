import { defineConfig } from "vitest/config";

// Two projects: `unit` needs nothing but Node; `integration` (*.int.test.ts) runs against
// real components (kube-apiserver + etcd, nginx, dnsmasq) that its global setup starts.
const roots = "{lib,crds,operator,federator,cdk8s,e2e,monitoring}";

export default defineConfig({
  test: {
    // Stopping the shared control plane (global setup teardown) takes a few seconds.
    teardownTimeout: 60_000,
    projects: [
      {
        test: {
          name: "unit",
          include: [`${roots}/**/*.test.ts`],
          exclude: ["**/*.int.test.ts", "**/node_modules/**"],
        },
      },
      {
        test: {
          name: "integration",
          include: [`${roots}/**/*.int.test.ts`],
          exclude: ["**/node_modules/**"],
          // One shared control plane for every file: inject("kubeconfig" | "kubectl" | "auditLog" | "server").
          globalSetup: ["e2e/controlplane/global-setup.ts"],
          // Real processes start in hooks (a file may start its own control plane); 2 cores in CI.
          hookTimeout: 180_000,
          testTimeout: 120_000,
          maxWorkers: 2,
        },
      },
    ],
  },
});
