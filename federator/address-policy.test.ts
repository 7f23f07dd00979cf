import { describe, expect, it } from "vitest";
import { isInternalAddress } from "./address-policy.ts";

describe("egress address policy", () => {
  it.each(["127.0.0.2", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "::1", "::", "fe80::1", "fd00::5", "::ffff:127.0.0.1", "::ffff:10.0.0.1"])("refuses the internal address %s", (address) => {
    expect(isInternalAddress(address)).toBe(true);
  });

  it.each(["8.8.8.8", "172.32.0.1", "192.169.0.1", "1.1.1.1", "2001:db8::1", "2a00:1450::1", "::ffff:8.8.8.8"])("allows the public address %s", (address) => {
    expect(isInternalAddress(address)).toBe(false);
  });
});
