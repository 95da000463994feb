import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ANALYSIS_PARAMETERS } from "../src/core/analysis/analysis-params.js";
import { DESCRIPTOR_TABLE } from "../src/core/analysis/descriptors/descriptor-table.js";
import { REPO_ROOT } from "./helpers/corpus.js";

const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");

describe("README stays true to the parameter and descriptor tables", () => {
  it("documents every analysis flag with its default", () => {
    for (const def of Object.values(ANALYSIS_PARAMETERS)) {
      const row = readme.split("\n").find((line) => line.startsWith(`| \`--${def.flag}\``));
      expect(row, `README row for --${def.flag}`).toBeDefined();
      if (def.kind !== "boolean") expect(row).toContain(`| ${def.defaultValue} |`);
    }
  });

  it("documents every frame descriptor with its unit", () => {
    for (const [name, spec] of Object.entries(DESCRIPTOR_TABLE)) {
      const analysis = readme.slice(readme.indexOf("## Analysis"));
      const row = analysis.split("\n").find((line) => line.startsWith(`| \`${name}\``));
      expect(row, `README row for ${name}`).toBeDefined();
      expect(row).toContain(spec.unit);
    }
  });
});
