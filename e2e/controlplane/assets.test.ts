import { describe, expect, it } from "vitest";
import { cacheDir, locateAssets } from "./assets.ts";

const cache = "/cache/wire-federation/k8s";
const base = { WIRE_FEDERATION_ASSETS: cache };
const all = (dir: string) => ["etcd", "kube-apiserver", "kube-controller-manager", "kubectl"].map((f) => `${dir}/${f}`);

describe("locateAssets", () => {
  it("uses the build cache when nothing overrides it", () => {
    const exists = (p: string) => all(cache).includes(p);
    expect(locateAssets(base, exists)).toEqual({
      etcd: `${cache}/etcd`,
      kubeApiServer: `${cache}/kube-apiserver`,
      kubeControllerManager: `${cache}/kube-controller-manager`,
      kubectl: `${cache}/kubectl`,
    });
  });

  it("prefers KUBEBUILDER_ASSETS and fills what it lacks from the cache", () => {
    const envtest = ["/envtest/etcd", "/envtest/kube-apiserver", "/envtest/kubectl"];
    const exists = (p: string) => envtest.includes(p) || all(cache).includes(p);
    const found = locateAssets({ ...base, KUBEBUILDER_ASSETS: "/envtest" }, exists);
    expect(found.kubeApiServer).toBe("/envtest/kube-apiserver");
    expect(found.kubeControllerManager).toBe(`${cache}/kube-controller-manager`);
  });

  it("prefers TEST_ASSET_* over every directory", () => {
    const exists = (p: string) => p === "/mine/apiserver" || all(cache).includes(p);
    expect(locateAssets({ ...base, TEST_ASSET_KUBE_APISERVER: "/mine/apiserver" }, exists).kubeApiServer).toBe("/mine/apiserver");
  });

  it("refuses a TEST_ASSET_* that is not executable, naming the variable", () => {
    expect(() => locateAssets({ ...base, TEST_ASSET_ETCD: "/nope/etcd" }, () => false)).toThrow(/TEST_ASSET_ETCD=\/nope\/etcd/);
  });

  it("leaves out what is found nowhere, so the caller builds it", () => {
    expect(locateAssets(base, () => false)).toEqual({});
  });
});

describe("cacheDir", () => {
  it("follows build.sh: XDG_CACHE_HOME, the k8s and etcd versions from the Go modules", () => {
    expect(cacheDir({ XDG_CACHE_HOME: "/xdg" })).toMatch(/^\/xdg\/wire-federation\/k8s-v\d+\.\d+\.\d+-etcd-v\d+\.\d+\.\d+$/);
  });
});
