// npm run import -- --brig URL --namespace wire [--values values.yaml] [--out DIR] [--config wire] [--brig-service URL]
// Reads brig's federation remotes (and the deprecated helm values) and writes FederationPeer
// manifests and a FederationConfig skeleton: to stdout, or one file each into DIR.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { parse, stringify } from "yaml";
import { createBrigClient } from "./client.ts";
import { importManifests, readHelmValues } from "./import.ts";

const USAGE = "usage: npm run import -- --brig URL --namespace NS [--values values.yaml] [--out DIR] [--config NAME] [--brig-service URL]";

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      brig: { type: "string" },
      namespace: { type: "string", default: "wire" },
      values: { type: "string" },
      out: { type: "string" },
      config: { type: "string", default: "wire" },
      "brig-service": { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (args.help || (args.brig === undefined && args.values === undefined)) {
    console.error(USAGE);
    process.exit(args.help ? 0 : 2);
  }
  const brig = args.brig === undefined ? undefined : await createBrigClient(args.brig).getRemotes();
  const values = args.values === undefined ? undefined : readHelmValues(parse(readFileSync(args.values, "utf8")));
  const result = importManifests({
    namespace: args.namespace,
    configName: args.config,
    ...(brig === undefined ? {} : { brig }),
    ...(values === undefined ? {} : { values }),
    ...(args["brig-service"] === undefined ? {} : { brigService: args["brig-service"] }),
  });
  for (const note of result.notes) console.error(`note: ${note}`);
  if (args.out === undefined) {
    process.stdout.write([result.config, ...result.peers].map((o) => stringify(o)).join("---\n"));
    return;
  }
  mkdirSync(args.out, { recursive: true });
  writeFileSync(join(args.out, "federationconfig.yaml"), stringify(result.config));
  for (const peer of result.peers) {
    const name = (peer as { metadata: { name: string } }).metadata.name;
    writeFileSync(join(args.out, `federationpeer-${name}.yaml`), stringify(peer));
  }
  console.error(`wrote ${result.peers.length + 1} manifest(s) to ${args.out}`);
}

main().catch((error: unknown) => {
  console.error(`import failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
