// What the request handlers share: the current snapshot, discovery, the session pool, the component
// client, metrics and the logger. Handlers read `snapshot()` once per request, so a reload never
// changes the configuration under a request in flight.
import type { Logger } from "../lib/log.ts";
import type { CertificateHeaderCache } from "./client-certificate.ts";
import type { ComponentClient } from "./component.ts";
import type { Snapshot } from "./config.ts";
import type { FederatorConfig } from "../lib/api/federator-config.ts";
import type { Discovery } from "./discovery.ts";
import type { InFlight } from "./in-flight.ts";
import type { FederatorMetrics } from "./metrics.ts";
import type { SessionPool } from "./session-pool.ts";

export interface Runtime {
  readonly snapshot: () => Snapshot;
  readonly discovery: () => Discovery;
  readonly pool: SessionPool;
  readonly components: ComponentClient;
  readonly certificates: CertificateHeaderCache;
  /** Ingress requests in flight per origin (see in-flight.ts). */
  readonly inFlight: InFlight;
  /** Whether an SRV query for an unlisted origin may be made now (token bucket of limits.unlistedDiscovery*). */
  readonly unlistedDiscovery: (config: FederatorConfig) => boolean;
  readonly metrics: FederatorMetrics;
  readonly log: Logger;
}
