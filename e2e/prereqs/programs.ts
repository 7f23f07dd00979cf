// The external programs the demo and the tests start, where each is looked for, and the Debian
// package that provides it: one table for the prerequisite check and for "not found" errors.

export type ProgramName = "nginx" | "dnsmasq" | "openssl" | "go" | "bash";

export interface Program {
  readonly name: ProgramName;
  /** An absolute default path, or a bare name looked up on PATH. */
  readonly path: string;
  /** The environment variable that overrides `path`, if any. */
  readonly env?: string;
  /** The Debian/Ubuntu package that provides it. */
  readonly debianPackage: string;
  /** How to get it where apt-get cannot (or should not) provide it. */
  readonly manual?: string;
}

export const PROGRAMS: Readonly<Record<ProgramName, Program>> = {
  nginx: { name: "nginx", path: "/usr/sbin/nginx", env: "NGINX_BINARY", debianPackage: "nginx" },
  dnsmasq: { name: "dnsmasq", path: "/usr/sbin/dnsmasq", env: "DNSMASQ", debianPackage: "dnsmasq-base" },
  openssl: { name: "openssl", path: "openssl", debianPackage: "openssl" },
  bash: { name: "bash", path: "bash", debianPackage: "bash" },
  go: {
    name: "go",
    path: "go",
    debianPackage: "golang-go",
    manual: "install Go >= 1.26 from https://go.dev/dl/ and put its bin directory on PATH",
  },
};

type Env = Readonly<Record<string, string | undefined>>;

/** Where a program is started from: its override variable when set, else its default. */
export function programPath(name: ProgramName, env: Env = process.env): string {
  const program = PROGRAMS[name];
  return (program.env && env[program.env]) || program.path;
}

/** The table entry for a command as spawned (a path or a bare name), if it is one of ours. */
export function programFor(command: string): Program | undefined {
  const base = command.split("/").at(-1) ?? command;
  return Object.values(PROGRAMS).find((p) => p.name === base || p.path === command);
}

/** The shell command that installs Debian packages, as the demo prints and runs it. */
export function aptInstallCommand(packages: readonly string[]): string {
  return `apt-get update && apt-get install -y --no-install-recommends ${packages.join(" ")}`;
}
