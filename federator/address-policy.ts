// Which addresses egress may connect to. A remote controls its own SRV record (and a FederationPeer
// author its infraDomain), so without this check `_wire-server-federator._tcp.evil.example` pointing
// at 127.0.0.2:22 or 10.0.0.5:6379 would make our federator probe internal services for them.
// Loopback, link-local, private, shared (CGNAT), multicast and reserved ranges are refused unless
// the FederationConfig allows private targets (tests, demos, federations inside one network).
import { BlockList, isIPv4 } from "node:net";

const INTERNAL = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const)
  INTERNAL.addSubnet(network, prefix, "ipv4");
for (const [network, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
] as const)
  INTERNAL.addSubnet(network, prefix, "ipv6");

/** True for an address no remote federator of the public internet can have. */
export function isInternalAddress(address: string): boolean {
  // An IPv4-mapped IPv6 address is the IPv4 address it maps.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  const ip = mapped ?? address;
  return INTERNAL.check(ip, isIPv4(ip) ? "ipv4" : "ipv6");
}
