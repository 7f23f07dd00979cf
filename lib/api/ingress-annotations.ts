// The extra annotations a FederationConfig may put on its Federation Ingress. An Ingress
// annotation is configuration of the ingress controller, so anyone who may edit a FederationConfig
// could otherwise inject nginx directives (`*-snippet`), point the controller at any Secret
// (`auth-tls-secret`, `proxy-ssl-secret`, `auth-secret`), reach another namespace, or switch the
// mutual TLS off. Only these keys, which tune timeouts, rate limits, source ranges, logging and DNS,
// are accepted; everything else is refused with the field named.

export const ALLOWED_INGRESS_ANNOTATIONS: readonly string[] = [
  "nginx.ingress.kubernetes.io/proxy-connect-timeout",
  "nginx.ingress.kubernetes.io/proxy-read-timeout",
  "nginx.ingress.kubernetes.io/proxy-send-timeout",
  "nginx.ingress.kubernetes.io/proxy-buffer-size",
  "nginx.ingress.kubernetes.io/limit-rps",
  "nginx.ingress.kubernetes.io/limit-rpm",
  "nginx.ingress.kubernetes.io/limit-connections",
  "nginx.ingress.kubernetes.io/limit-burst-multiplier",
  "nginx.ingress.kubernetes.io/allowlist-source-range",
  "nginx.ingress.kubernetes.io/whitelist-source-range",
  "nginx.ingress.kubernetes.io/denylist-source-range",
  "nginx.ingress.kubernetes.io/enable-access-log",
  "traefik.ingress.kubernetes.io/router.priority",
  "external-dns.alpha.kubernetes.io/hostname",
  "external-dns.alpha.kubernetes.io/ttl",
];

const allowed = new Set(ALLOWED_INGRESS_ANNOTATIONS);

/** Why an extra annotation is refused, or undefined when it is in the allowed set. */
export function refusedAnnotation(key: string): string | undefined {
  if (allowed.has(key)) return undefined;
  if (/snippet/i.test(key)) return "snippet annotations inject controller configuration and are never accepted";
  return `not an annotation the operator lets through; allowed: ${ALLOWED_INGRESS_ANNOTATIONS.join(", ")}`;
}
