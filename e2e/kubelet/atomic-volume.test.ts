import { mkdtempSync, readFileSync, readlinkSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { projectVolume } from "./atomic-volume.ts";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const volume = () => {
  const dir = mkdtempSync(join(tmpdir(), "volume-"));
  dirs.push(dir);
  return dir;
};

describe("kubelet-style atomic volume", () => {
  it("exposes keys through ..data links and swaps versions atomically", () => {
    const dir = volume();
    projectVolume(dir, { "ca.crt": "one" });
    const first = readlinkSync(join(dir, "..data"));
    expect(readlinkSync(join(dir, "ca.crt"))).toBe("..data/ca.crt");
    expect(readFileSync(join(dir, "ca.crt"), "utf8")).toBe("one");
    projectVolume(dir, { "ca.crt": "two" });
    expect(readlinkSync(join(dir, "..data"))).not.toBe(first);
    expect(readFileSync(join(dir, "ca.crt"), "utf8")).toBe("two");
    expect(readdirSync(dir).filter((e) => e.startsWith("..2"))).toHaveLength(1);
  });

  it("writes nothing when the payload is unchanged", () => {
    const dir = volume();
    projectVolume(dir, { a: "1" });
    expect(projectVolume(dir, { a: "1" }, { a: "1" })).toBe(false);
  });

  it("removes the link of a key that disappeared", () => {
    const dir = volume();
    projectVolume(dir, { a: "1", b: "2" });
    projectVolume(dir, { a: "1" });
    expect(readdirSync(dir).filter((e) => !e.startsWith(".."))).toEqual(["a"]);
  });
});
