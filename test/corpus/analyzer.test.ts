import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createInlineAnalyzer, createWorkerAnalyzer } from "../../src/corpus/analyzer.js";
import { DESCRIPTOR_COUNT } from "../../src/core/analysis/schema.js";
import { CC0_CORPUS } from "./helpers.js";

describe("analyzers", () => {
  it("give the same units from a worker thread as inline (one analysis code path)", async () => {
    const path = join(CC0_CORPUS, "loop_amen.flac");
    const workers = createWorkerAnalyzer({ threads: 1 });
    const inline = createInlineAnalyzer();
    try {
      const [fromWorker, fromInline] = await Promise.all([workers.analyze({ path, options: {} }), inline.analyze({ path, options: {} })]);
      if (!fromWorker.ok || !fromInline.ok) throw new Error("analysis failed");
      expect(fromWorker.analysis.units.length).toBeGreaterThan(0);
      expect(fromWorker.analysis.units.length).toBe(fromInline.analysis.units.length);
      const last = fromWorker.analysis.units.length - 1;
      const a = fromWorker.analysis.units[last]!;
      const b = fromInline.analysis.units[last]!;
      expect(a.startFrame).toBe(b.startFrame);
      expect(a.vector).toHaveLength(DESCRIPTOR_COUNT);
      expect(Array.from(a.vector)).toEqual(Array.from(b.vector));
    } finally {
      await workers.close();
    }
  });

  it("return a typed failure, not a throw, for a file that is not audio", async () => {
    const workers = createWorkerAnalyzer({ threads: 1 });
    try {
      const outcome = await workers.analyze({ path: join(CC0_CORPUS, "COPYRIGHT"), options: {} });
      expect(outcome.ok).toBe(false);
      if (!outcome.ok) expect(outcome.error.code).toMatch(/^decode_/);
    } finally {
      await workers.close();
    }
  });
});
