import { defineConfig } from "vitest/config";

// Two projects: `unit` needs nothing but Node; `integration` (*.int.test.ts) runs against
// real components (kube-apiserver + etcd, nginx, dnsmasq) that its global setup starts.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["{lib,crds,operator,federator,cdk8s,e2e}/**/*.test.ts"],
          exclude: ["**/*.int.test.ts", "**/node_modules/**"],
        },
      },
    ],
  },
});
