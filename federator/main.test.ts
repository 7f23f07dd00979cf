import { describe, expect, it } from "vitest";
import { parseCli } from "./main.ts";

describe("federator command line", () => {
  it("runs Files mode from --config with directory and listener overrides", () => {
    expect(parseCli(["--config", "/etc/federator/config/federator.yaml", "--tls-dir", "/etc/federator/tls", "--ca-dir", "/etc/federator/ca", "--internal", "0.0.0.0:8080", "--external", "0.0.0.0:8081"])).toEqual({
      ok: true,
      options: {
        mode: "Files",
        files: { configFile: "/etc/federator/config/federator.yaml", tlsDir: "/etc/federator/tls", caDir: "/etc/federator/ca" },
        internal: "0.0.0.0:8080",
        external: "0.0.0.0:8081",
        poolSize: 1,
        pollIntervalMs: 10_000,
        shutdownGraceMs: 10_000,
      },
    });
  });

  it("runs Watch mode from the watch flags", () => {
    const parsed = parseCli(["--reload", "Watch", "--watch-namespace", "wire", "--watch-configmap", "wire-federator", "--watch-tls-secret", "wire-tls", "--watch-ca-secret", "wire-ca-bundle", "--pool-size", "4"]);
    expect(parsed).toMatchObject({ ok: true, options: { mode: "Watch", poolSize: 4, kube: { namespace: "wire", configMap: "wire-federator", tlsSecret: "wire-tls", caSecret: "wire-ca-bundle", kubeconfig: undefined } } });
  });

  it.each([
    [[], /--config is required/],
    [["--reload", "Watch", "--watch-namespace", "wire"], /--watch-configmap, --watch-tls-secret, --watch-ca-secret/],
    [["--config", "x", "--pool-size", "0"], /--pool-size must be a positive integer/],
    [["--config", "x", "--reload", "Sometimes"], /--reload must be Files or Watch/],
    [["--config", "x", "--unknown"], /unknown/i],
  ])("refuses %j", (argv, message) => {
    const parsed = parseCli(argv);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(message);
  });
});
