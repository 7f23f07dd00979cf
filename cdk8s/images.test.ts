// No container engine runs here, so the Dockerfiles are checked by reading them: everything each
// process imports must be copied into its image (and not dropped by .dockerignore), every package
// it imports must be a production dependency, and the image must match what the install runs.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { renderManifests } from "./main.ts";
import { OPERATOR_COMMAND } from "./operator-install.ts";
import { FEDERATOR_COMMAND, FEDERATOR_ENV, federatorDeployment } from "../operator/desired/workload.ts";
import { config } from "../operator/testing/fixtures.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");

interface Dockerfile {
  readonly baseImage: string;
  readonly installCommand: string;
  readonly buildCommand: string;
  /** What the build stage copies in and compiles. */
  readonly compiled: readonly string[];
  readonly copied: readonly string[];
  readonly user: string;
  readonly entrypoint: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/** The parts of a Dockerfile these checks need: ARG default base, the stages' RUN, what the build stage compiles, the final stage's COPY/USER/ENTRYPOINT. */
function parseDockerfile(text: string): Dockerfile {
  const lines = text.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("#"));
  const stage = (name: string) => {
    const start = lines.findIndex((l) => l.startsWith("FROM ") && l.endsWith(` AS ${name}`));
    const end = lines.findIndex((l, i) => i > start && l.startsWith("FROM "));
    return start < 0 ? [] : lines.slice(start, end < 0 ? undefined : end);
  };
  const finalStage = lines.slice(lines.findLastIndex((l) => l.startsWith("FROM ")));
  const argument = (name: string) => lines.find((l) => l.startsWith(`ARG ${name}=`))?.split("=")[1] ?? "";
  const instruction = (stage: string[], name: string) => stage.filter((l) => l.startsWith(`${name} `)).map((l) => l.slice(name.length + 1));
  const sources = (stage: string[]) =>
    instruction(stage, "COPY")
      .filter((args) => !args.startsWith("--from"))
      .flatMap((args) => args.split(/\s+/).slice(0, -1).map((source) => source.replace(/\/$/, "")));
  return {
    baseImage: argument("NODE_IMAGE"),
    installCommand: instruction(stage("dependencies"), "RUN")[0] ?? "",
    buildCommand: instruction(stage("build"), "RUN").at(-1) ?? "",
    compiled: sources(stage("build")),
    copied: [...sources(finalStage), ...instruction(finalStage, "COPY").filter((args) => args.startsWith("--from=build "))],
    user: instruction(finalStage, "USER")[0] ?? "",
    entrypoint: JSON.parse(instruction(finalStage, "ENTRYPOINT")[0] ?? "[]") as string[],
    env: Object.fromEntries(instruction(finalStage, "ENV").map((args) => args.split("=", 2) as [string, string])),
  };
}

/** A .dockerignore pattern as Docker reads it: `**` spans directories, `*` and `?` do not, dotfiles included. */
function dockerPattern(pattern: string): RegExp {
  const source = pattern
    .replace(/\/+$/, "")
    .split(/(\*\*\/?|\*|\?)/)
    .map((part) => {
      if (part === "**/") return "(?:.*/)?";
      if (part === "**") return ".*";
      if (part === "*") return "[^/]*";
      if (part === "?") return "[^/]";
      return part.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    })
    .join("");
  return new RegExp(`^${source}$`);
}

/** Docker's rule: the last pattern matching the path or one of its parent directories decides. */
function dockerIgnored(file: string, patterns: readonly string[]): boolean {
  const prefixes = file.split("/").map((_, i, parts) => parts.slice(0, i + 1).join("/"));
  let ignored = false;
  for (const raw of patterns) {
    const negated = raw.startsWith("!");
    const pattern = dockerPattern(negated ? raw.slice(1) : raw);
    if (prefixes.some((p) => pattern.test(p))) ignored = !negated;
  }
  return ignored;
}

/** Module specifiers a file loads at run time (type-only imports are erased by Node). */
function runtimeImports(file: string): string[] {
  const source = ts.createSourceFile(file, read(file), ts.ScriptTarget.Latest);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly && ts.isStringLiteral(node.moduleSpecifier)) found.push(node.moduleSpecifier.text);
    if (ts.isExportDeclaration(node) && !node.isTypeOnly && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) found.push(node.moduleSpecifier.text);
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg && ts.isStringLiteral(arg)) found.push(arg.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const packageOf = (specifier: string) => specifier.split("/").slice(0, specifier.startsWith("@") ? 2 : 1).join("/");

/** Every source file and package reachable from `entry`, following relative imports. */
function closure(entry: string): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const queue = [entry];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (files.has(file)) continue;
    files.add(file);
    for (const specifier of runtimeImports(file)) {
      if (specifier.startsWith(".")) queue.push(relative(ROOT, join(ROOT, dirname(file), specifier)));
      else if (!specifier.startsWith("node:")) packages.add(packageOf(specifier));
    }
  }
  return { files: [...files].sort(), packages: [...packages].sort() };
}

const manifest = JSON.parse(read("package.json")) as { dependencies: Record<string, string>; type: string };
const ignorePatterns = read(".dockerignore")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l !== "" && !l.startsWith("#"));

describe.each(["operator", "federator"])("the %s image", (process) => {
  const entry = `${process}/main.ts`;
  const dockerfile = parseDockerfile(read(`${process}/Dockerfile`));

  it("runs its process's main.ts, compiled by npm run build's tsconfig, under Node 24 as a non-root user, with production dependencies only", () => {
    expect(dockerfile.baseImage).toMatch(/^node:24-/);
    expect(dockerfile.installCommand).toMatch(/^npm ci --omit=dev /);
    expect(dockerfile.buildCommand).toBe(`npx ${(JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts["build"]}`);
    expect(dockerfile.entrypoint.at(-1)).toBe(entry.replace(/\.ts$/, ".js"));
    expect(dockerfile.entrypoint[0]).toBe("node");
    expect(dockerfile.user).toMatch(/^[1-9][0-9]*:[1-9][0-9]*$/);
    expect(dockerfile.copied).toEqual(["package.json", "--from=build /app/dist/js/ ./"]);
    expect(manifest.type).toBe("module");
  });

  it.skipIf(!existsSync(join(ROOT, entry)))("contains every module its process imports, and needs no dev dependency", () => {
    const { files, packages } = closure(entry);
    const missing = files.filter((f) => !existsSync(join(ROOT, f)) || !dockerfile.compiled.some((dir) => f.startsWith(`${dir}/`)) || dockerIgnored(f, ignorePatterns));
    expect(missing, "imported but not in the image").toEqual([]);
    expect(packages.filter((p) => !(p in manifest.dependencies)), "imported but not a production dependency").toEqual([]);
  });
});

describe("the build context", () => {
  it("holds the sources and the lock file but no tests, caches or checkouts", () => {
    for (const kept of ["package.json", "package-lock.json", "tsconfig.json", "tsconfig.build.json", "lib/log.ts", "crds/crd.ts", "operator/rbac.ts", "federator/main.ts"]) {
      expect(dockerIgnored(kept, ignorePatterns), kept).toBe(false);
    }
    for (const dropped of ["node_modules/zod/package.json", "dist/install.yaml", ".git/HEAD", "lib/log.test.ts", "operator/operator.int.test.ts", "operator/testing/fixtures.ts", "e2e/controlplane/cli.ts", "scratch/notes.md"]) {
      expect(dockerIgnored(dropped, ignorePatterns), dropped).toBe(true);
    }
  });

  it("matches what the install runs: the operator image's entrypoint and user", () => {
    const install = renderManifests().get("install.yaml")!;
    const operator = parseDockerfile(read("operator/Dockerfile"));
    expect(operator.entrypoint).toEqual(OPERATOR_COMMAND);
    expect(install).toContain(`command:\n${operator.entrypoint.map((part) => `            - ${part}\n`).join("")}`);
    expect(install).toContain(`runAsUser: ${operator.user.split(":")[0]}\n`);
  });

  it("matches what the operator deploys: the federator image's entrypoint is the Deployment's command", () => {
    const federator = parseDockerfile(read("federator/Dockerfile"));
    const deployment = federatorDeployment(config(), (name) => ({ name }));
    const container = ((deployment["spec"] as { template: { spec: { containers: { command?: string[] }[] } } }).template.spec.containers)[0];
    expect(federator.entrypoint).toEqual(FEDERATOR_COMMAND);
    expect(container?.command).toEqual(federator.entrypoint);
    // What the Deployment sets is what the image sets (besides NODE_ENV, which only the image needs).
    expect(federator.env).toMatchObject(FEDERATOR_ENV);
    expect((container as { env?: { name: string; value: string }[] } | undefined)?.env).toEqual(Object.entries(FEDERATOR_ENV).map(([name, value]) => ({ name, value })));
  });
});
