import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/corpus.js";

/** dist/src/x.js is built from src/x.ts (tsconfig.build.json, rootDir "."). */
function sourceOf(distPath: string): string {
  return join(REPO_ROOT, distPath.replace(/^dist\//, "").replace(/\.js$/, ".ts"));
}

describe("package entry points", () => {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
    bin: Record<string, string>;
    scripts: Record<string, string>;
  };

  it("points the mass-audio bin at the built CLI entry", () => {
    expect(existsSync(sourceOf(pkg.bin["mass-audio"]!))).toBe(true);
  });

  it("runs the demo from the built CLI entry on npm start", () => {
    const match = /node (\S+) demo/.exec(pkg.scripts["start"]!);
    expect(match).not.toBeNull();
    expect(existsSync(sourceOf(match![1]!))).toBe(true);
  });

  it("runs benchmarks and evaluations from built bench entries", () => {
    for (const script of ["bench", "eval"]) {
      const entry = /(dist\/\S+\.js)/.exec(pkg.scripts[script]!)![1]!;
      expect(existsSync(sourceOf(entry))).toBe(true);
    }
  });
});
