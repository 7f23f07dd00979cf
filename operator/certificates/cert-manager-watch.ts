// Watches the cert-manager Certificates the operator owns, only in namespaces where a
// FederationConfig is in certManager mode, and only once the API server serves
// cert-manager.io/v1: a cluster without cert-manager gets a status, not a stream of failing watches.
import type { Logger } from "../../lib/log.ts";
import type { KubeObject } from "../../lib/kube/objects.ts";
import { Informer } from "../../lib/kube/informer.ts";
import { RESOURCES } from "../kube/resources.ts";
import { ApiPresence } from "../../lib/kube/api-presence.ts";
import type { RestClient } from "../../lib/kube/rest.ts";

export class CertManagerWatch {
  readonly #client: RestClient;
  readonly #log: Logger;
  readonly #labelSelector: string;
  readonly #onChange: (namespace: string, object: KubeObject | undefined) => void;
  readonly #informers = new Map<string, Informer>();
  readonly #api: ApiPresence;

  constructor(client: RestClient, log: Logger, labelSelector: string, onChange: (namespace: string, object: KubeObject | undefined) => void) {
    this.#client = client;
    this.#log = log;
    this.#labelSelector = labelSelector;
    this.#onChange = onChange;
    this.#api = new ApiPresence(client, RESOURCES.Certificate, log, {
      found: "cert-manager Certificate API found",
      absent: "cert-manager Certificate API not served; certManager configs stay CertificateReady=False",
    });
  }

  /** Whether the API server serves cert-manager.io/v1 certificates (API discovery, cached). */
  installed(): Promise<boolean> {
    return this.#api.served();
  }

  /** Starts watching the operator's Certificates in `namespace` (once) and waits for the cache. */
  async track(namespace: string): Promise<void> {
    let informer = this.#informers.get(namespace);
    if (informer === undefined) {
      informer = new Informer(this.#client, {
        resource: RESOURCES.Certificate,
        namespace,
        labelSelector: this.#labelSelector,
        onChange: (_name, object) => this.#onChange(namespace, object),
        log: this.#log,
      });
      this.#informers.set(namespace, informer);
      informer.start();
    }
    await informer.waitForSync();
  }

  get(namespace: string, name: string): KubeObject | undefined {
    return this.#informers.get(namespace)?.get(name);
  }

  /** The operator's Certificates in `namespace`; empty where nothing is watched. */
  list(namespace: string): KubeObject[] {
    return this.#informers.get(namespace)?.list() ?? [];
  }

  stop(): void {
    for (const informer of this.#informers.values()) informer.stop();
    this.#informers.clear();
  }
}
