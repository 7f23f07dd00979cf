// Which FederationConfig of a namespace holds a federator Service name. wire-server's charts point
// brig, galley and cargohold at `federator:8080`, so every config wants `federator` by default; two
// configs asking for one name must not take the Service from each other: the oldest keeps it, the
// later one is told (condition ServiceReady) instead of silently overwriting it.

export interface ServiceClaim {
  readonly config: string;
  readonly serviceName: string;
  /** metadata.creationTimestamp (RFC 3339, whole seconds); the API server sets it on create. */
  readonly createdAt: string | undefined;
  /** Whether the live Service of that name is already this config's: it keeps it whatever the timestamps say. */
  readonly holdsService?: boolean;
}

function earlier(a: ServiceClaim, b: ServiceClaim): number {
  return Number(b.holdsService ?? false) - Number(a.holdsService ?? false) || (a.createdAt ?? "").localeCompare(b.createdAt ?? "") || a.config.localeCompare(b.config);
}

/** The config holding `claim`'s Service name when it is another one; undefined when `claim` may have it. */
export function serviceNameHolder(claim: ServiceClaim, claims: readonly ServiceClaim[]): string | undefined {
  const holder = claims.filter((c) => c.serviceName === claim.serviceName).sort(earlier)[0];
  return holder === undefined || holder.config === claim.config ? undefined : holder.config;
}
