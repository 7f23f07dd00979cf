// The GatewayClasses (cluster-scoped) that GatewayAPI configs name: one cluster-wide informer,
// started when the first such config is reconciled and only while the API server serves Gateway
// API. A class's status.supportedFeatures decides whether its config gets a Gateway at all.
import { ApiPresence } from "../../lib/kube/api-presence.ts";
import { Informer, withoutManagedFields } from "../../lib/kube/informer.ts";
import type { KubeObject } from "../../lib/kube/objects.ts";
import type { RestClient } from "../../lib/kube/rest.ts";
import type { Logger } from "../../lib/log.ts";
import { RESOURCES } from "./resources.ts";

export class GatewayClasses {
  readonly #client: RestClient;
  readonly #log: Logger;
  readonly #onChange: () => void;
  readonly #api: ApiPresence;
  #informer: Informer | undefined;

  /** `onChange`: a class appeared, changed (its status) or went; every GatewayAPI config may be affected. */
  constructor(client: RestClient, log: Logger, onChange: () => void) {
    this.#client = client;
    this.#log = log;
    this.#onChange = onChange;
    this.#api = new ApiPresence(client, RESOURCES.GatewayClass, log, {
      found: "Gateway API GatewayClass API found",
      absent: "Gateway API not served; GatewayAPI configs get no Gateway (GatewayClassNotFound)",
    });
  }

  /** The GatewayClass `name`, or undefined when it does not exist or Gateway API is not installed. */
  async get(name: string): Promise<KubeObject | undefined> {
    if (!(await this.#api.served())) return undefined;
    if (this.#informer === undefined) {
      this.#informer = new Informer(this.#client, { resource: RESOURCES.GatewayClass, namespace: undefined, transform: withoutManagedFields, onChange: () => this.#onChange(), log: this.#log });
      this.#informer.start();
    }
    await this.#informer.waitForSync();
    return this.#informer.get(name);
  }

  stop(): void {
    this.#informer?.stop();
    this.#informer = undefined;
  }
}
