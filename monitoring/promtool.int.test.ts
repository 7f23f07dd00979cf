// The alert rules through a real `promtool check rules` (prometheus v0.316, built from the Go module
// proxy by e2e/tools/build.sh): what the PrometheusRule of the install and of the Helm chart carries.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { goTool } from "../e2e/tools/tools.ts";
import { ALERTS, ruleGroups } from "./alerts.ts";

const promtool = goTool("promtool");
const dir = mkdtempSync(join(tmpdir(), "wfo-promtool-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function checkRules(groups: unknown): { status: number | null; output: string } {
  const file = join(dir, `rules-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, stringify(groups));
  const result = spawnSync(promtool, ["check", "rules", file], { encoding: "utf8" });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe("promtool check rules", () => {
  it("passes the alerts, every one of them", () => {
    const result = checkRules(ruleGroups());
    expect(result.output).toContain(`SUCCESS: ${ALERTS.length} rules found`);
    expect(result.status, result.output).toBe(0);
  });

  it("fails a rule with a broken expression (the check really parses PromQL)", () => {
    const broken = { groups: [{ name: "broken", rules: [{ ...ALERTS[0], expr: "federation_operator_peers{state=" }] }] };
    const result = checkRules(broken);
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/parse error/);
  });
});
