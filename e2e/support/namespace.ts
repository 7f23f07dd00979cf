// A fresh, uniquely named namespace per test on the shared control plane, deleted afterwards, so
// tests running side by side never see each other's objects.
import { randomBytes } from "node:crypto";
import { ApiException, CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { afterEach, beforeEach } from "vitest";

export const TEST_NAMESPACE_LABEL = "wire-federation.test/namespace";

export interface TestNamespace {
  readonly name: string;
  /** Deletes the namespace (the namespace controller removes its contents); a missing one is fine. */
  delete(): Promise<void>;
}

/** A DNS label: `prefix` cut down and cleaned, then a random suffix. */
export function namespaceName(prefix: string): string {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 50) || "test";
  return `${clean}-${randomBytes(4).toString("hex")}`;
}

export async function createTestNamespace(kubeconfigPath: string, prefix = "test"): Promise<TestNamespace> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  const name = namespaceName(prefix);
  await core.createNamespace({ body: { metadata: { name, labels: { [TEST_NAMESPACE_LABEL]: "true" } } } });
  return {
    name,
    async delete() {
      try {
        await core.deleteNamespace({ name });
      } catch (error) {
        if (!(error instanceof ApiException && error.code === 404)) throw error;
      }
    },
  };
}

/**
 * Registers beforeEach/afterEach hooks that give each test of the calling suite its own namespace:
 *
 *   const ns = useTestNamespace(inject("kubeconfig"), "peers");
 *   it("...", async () => { ns.name ... });
 */
export function useTestNamespace(kubeconfigPath: string, prefix = "test"): { readonly name: string } {
  let current: TestNamespace | undefined;
  beforeEach(async () => {
    current = await createTestNamespace(kubeconfigPath, prefix);
  });
  afterEach(async () => {
    await current?.delete();
    current = undefined;
  });
  return {
    get name(): string {
      if (!current) throw new Error("useTestNamespace: the namespace exists only inside a test");
      return current.name;
    },
  };
}
