import { describe, expect, it } from "vitest";
import { PROGRAMS, type ProgramName } from "./programs.ts";
import { FREE_BYTES_TO_BUILD, packagesFor, problems, report, type Facts } from "./requirements.ts";

const GIB = 1024 ** 3;
const names = Object.keys(PROGRAMS) as ProgramName[];
const defaultPaths = Object.fromEntries(names.map((n) => [n, PROGRAMS[n].path])) as Record<ProgramName, string>;

function facts(overrides: Partial<Facts> & { missing?: ProgramName[] } = {}): Facts {
  const { missing = [], ...rest } = overrides;
  return {
    programs: Object.fromEntries(names.map((n) => [n, !missing.includes(n)])) as Record<ProgramName, boolean>,
    paths: defaultPaths,
    goVersion: "go1.26.8",
    goToolchain: "auto",
    loopback: { "127.0.0.2": true, "127.0.0.3": true },
    freeBytes: 50 * GIB,
    diskPath: "/home/me/.cache",
    buildNeeded: true,
    canApt: false,
    ...rest,
  };
}

describe("prerequisites", () => {
  it("finds nothing to fix on a machine that has everything", () => {
    expect(problems(facts())).toEqual([]);
  });

  it("names nginx and dnsmasq and the one apt-get command that installs both", () => {
    const found = problems(facts({ missing: ["nginx", "dnsmasq"] }));
    expect(found.map((p) => p.what)).toEqual(["nginx: not found at /usr/sbin/nginx", "dnsmasq: not found at /usr/sbin/dnsmasq"]);
    expect(packagesFor(found)).toEqual(["nginx", "dnsmasq-base"]);
    expect(report("npm run demo", found)).toContain("apt-get update && apt-get install -y --no-install-recommends nginx dnsmasq-base");
  });

  it("does not ask for Go when the control plane is already built, but does when it must be built", () => {
    expect(problems(facts({ missing: ["go"], buildNeeded: false }))).toEqual([]);
    const found = problems(facts({ missing: ["go"] }));
    expect(found).toEqual([{ what: "go: not found at go", fix: expect.stringContaining("https://go.dev/dl/") }]);
    expect(packagesFor(found)).toEqual([]);
  });

  it.each([
    ["go1.26.0", "auto", false],
    ["go1.22.3", "auto", false], // fetches go1.26 through the module proxy
    ["go1.22.3", "local", true],
    ["go1.19.8", "auto", true],
  ])("Go %s with GOTOOLCHAIN=%s is a problem: %s", (goVersion, goToolchain, problem) => {
    expect(problems(facts({ goVersion, goToolchain })).length > 0).toBe(problem);
  });

  it("tells how to add a loopback address that cannot be bound", () => {
    const found = problems(facts({ loopback: { "127.0.0.2": true, "127.0.0.3": false } }));
    expect(found).toEqual([{ what: "loopback address 127.0.0.3: cannot bind to it", fix: expect.stringContaining("ip address add 127.0.0.3/8 dev lo") }]);
  });

  it("needs more disk to build than to run", () => {
    const little = FREE_BYTES_TO_BUILD - GIB;
    expect(problems(facts({ freeBytes: little }))[0]?.what).toBe("disk: 3.0 GiB free at /home/me/.cache, need 4.0 GiB to build the control plane from source");
    expect(problems(facts({ freeBytes: little, buildNeeded: false }))).toEqual([]);
  });

  it("points at the override variable, not a package, when NGINX_BINARY names a missing file", () => {
    const found = problems(facts({ missing: ["nginx"], paths: { ...defaultPaths, nginx: "/opt/nginx" } }));
    expect(found).toEqual([{ what: "nginx: not found at /opt/nginx", fix: "point NGINX_BINARY at an executable nginx, or unset it" }]);
  });

  it("lists every problem before the commands, then says to run the task again", () => {
    const text = report("npm test", problems(facts({ missing: ["openssl"], loopback: { "127.0.0.2": false, "127.0.0.3": true } })));
    expect(text.split("\n")).toEqual([
      "npm test cannot run on this machine yet:",
      "  - openssl: not found at openssl",
      "  - loopback address 127.0.0.2: cannot bind to it",
      "Fix it with:",
      "  apt-get update && apt-get install -y --no-install-recommends openssl   # as root (Debian/Ubuntu)",
      "  ip address add 127.0.0.2/8 dev lo (as root; on macOS: sudo ifconfig lo0 alias 127.0.0.2 up)",
      "then run npm test again.",
    ]);
  });
});
