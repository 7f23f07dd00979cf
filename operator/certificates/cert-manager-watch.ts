// Watches the cert-manager Certificates the operator owns, only in namespaces where a
// FederationConfig is in certManager mode, and only once the API server serves
// cert-manager.io/v1: a cluster without cert-manager gets a status, not a stream of failing watches.
import type { Logger } from "../../lib/log.ts";
import type { KubeObject } from "../../lib/kube/objects.ts";
import { Informer } from "../../lib/kube/informer.ts";
import { RESOURCES } from "../kube/resources.ts";
import { KubeApiError, type RestClient } from "../../lib/kube/rest.ts";

/** A missing API is asked about again after this long (cert-manager may be installed meanwhile). */
const ABSENT_RECHECK_MS = 5_000;
/** A present API is asked about again after this long (cert-manager may be uninstalled). */
const PRESENT_RECHECK_MS = 60_000;

export class CertManagerWatch {
  readonly #client: RestClient;
  readonly #log: Logger;
  readonly #labelSelector: string;
  readonly #onChange: (namespace: string, object: KubeObject | undefined) => void;
  readonly #informers = new Map<string, Informer>();
  #installed: { value: boolean; at: number } | undefined;

  constructor(client: RestClient, log: Logger, labelSelector: string, onChange: (namespace: string, object: KubeObject | undefined) => void) {
    this.#client = client;
    this.#log = log;
    this.#labelSelector = labelSelector;
    this.#onChange = onChange;
  }

  /** Whether the API server serves cert-manager.io/v1 certificates (API discovery, cached). */
  async installed(): Promise<boolean> {
    const known = this.#installed;
    if (known !== undefined && Date.now() - known.at < (known.value ? PRESENT_RECHECK_MS : ABSENT_RECHECK_MS)) return known.value;
    let value: boolean;
    try {
      const { body } = await this.#client.request("GET", `/apis/${RESOURCES.Certificate.apiVersion}`);
      value = ((body as { resources?: { name: string }[] } | undefined)?.resources ?? []).some((r) => r.name === RESOURCES.Certificate.plural);
    } catch (error) {
      if (!(error instanceof KubeApiError && error.status === 404)) throw error;
      value = false;
    }
    if (value !== known?.value) {
      if (value) this.#log.info({ api: RESOURCES.Certificate.apiVersion }, "cert-manager Certificate API found");
      else this.#log.warn({ api: RESOURCES.Certificate.apiVersion }, "cert-manager Certificate API not served; certManager configs stay CertificateReady=False");
    }
    this.#installed = { value, at: Date.now() };
    return value;
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
