import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatFindResult, parseTarget, runFind } from "../../src/cli/find-command.js";
import { parseFilterFlags, parseRange, parseWeights } from "../../src/cli/corpus-options.js";
import { runIndex } from "../../src/cli/index-command.js";
import { runStatus } from "../../src/cli/status-command.js";
import { createInlineAnalyzer } from "../../src/corpus/analyzer.js";
import { ParameterError } from "../../src/core/errors.js";
import type { FindResult, StatusReport } from "../../src/service/mass-audio.js";
import { makeTempDir, copyCorpusFiles } from "../corpus/helpers.js";

const FILES = ["bd_fat.flac", "bd_haus.flac", "elec_tick.flac", "tabla_te1.flac", "sn_dub.flac"];

describe("corpus commands (index, find, status)", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let root: string;
  let db: string;

  beforeAll(async () => {
    ({ dir, cleanup } = await makeTempDir("cli"));
    root = join(dir, "Samples");
    db = join(dir, "db");
    await copyCorpusFiles(root, FILES);
  });

  afterAll(async () => cleanup());

  it("index adds the root, prints a summary, and a second run skips everything", async () => {
    const out: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(l), progress: false, service: { analyzer: createInlineAnalyzer() } };
    const first = await runIndex([root], { db }, io);
    expect(first.filesAnalysed).toBe(FILES.length);
    expect(out.join("\n")).toMatch(/5 files: 5 analysed, 0 unchanged or reused, 0 failed/);
    const second = await runIndex([], { db, json: true }, io);
    expect(second.filesAnalysed).toBe(0);
    expect(second.filesSkipped).toBe(FILES.length);
    expect(JSON.parse(out[out.length - 1]!).filesSkipped).toBe(FILES.length);
  });

  it("index stores only the analysis flags given, and re-analyses when they change", async () => {
    const io = { out: () => undefined, err: () => undefined, progress: false, service: { analyzer: createInlineAnalyzer() } };
    const summary = await runIndex([root], { db, analysis: { segment: "whole" } }, io);
    expect(summary.filesAnalysed).toBe(FILES.length);
    const again = await runIndex([root], { db }, io); // no flags: the stored "whole" stays
    expect(again.filesAnalysed).toBe(0);
    expect(summary.unitsTotal).toBe(FILES.length); // one unit per file
  });

  it("find prints neighbours as a table or JSON, with filters and weights", async () => {
    const out: string[] = [];
    const result: FindResult = await runFind(
      join(root, "bd_fat.flac"),
      { db, k: "3", category: ["kick"], weights: "timbre=1,pitch=0", json: true },
      { out: (l) => out.push(l) },
    );
    expect(result.hits).toHaveLength(1); // the only other kick
    expect(result.hits[0]!.path).toBe(join(root, "bd_haus.flac"));
    expect(JSON.parse(out[0]!).hits[0].path).toBe(join(root, "bd_haus.flac"));
    const table = formatFindResult(result);
    expect(table).toMatch(/bd_haus\.flac/);
    expect(table).toMatch(/kick,drum/);
  });

  it("status reports roots, files and the index", async () => {
    const out: string[] = [];
    const report: StatusReport = await runStatus({ db }, { out: (l) => out.push(l) });
    expect(report.counts.files.ok).toBe(FILES.length);
    expect(out[0]).toMatch(/roots: 1/);
    expect(out[0]).toMatch(/files: 5 ok, 0 failed/);
  });

  it("find and status refuse a folder without a corpus", async () => {
    await expect(runStatus({ db: join(dir, "nothing") }, { out: () => undefined })).rejects.toBeInstanceOf(ParameterError);
    await expect(runFind("1", { db: join(dir, "nothing") }, { out: () => undefined })).rejects.toBeInstanceOf(ParameterError);
  });

  it("parses targets, ranges, weights and filters, rejecting malformed values", () => {
    expect(parseTarget("42", undefined)).toEqual({ unitId: 42 });
    expect(parseTarget("kick.wav", 1.5)).toEqual({ path: "kick.wav", atSec: 1.5 });
    expect(parseRange("0.1..0.5", "d")).toEqual({ min: 0.1, max: 0.5 });
    expect(parseRange("..-6", "d")).toEqual({ max: -6 });
    expect(parseRange("60..", "d")).toEqual({ min: 60 });
    expect(() => parseRange("5", "d")).toThrow(ParameterError);
    expect(() => parseRange("5..1", "d")).toThrow(ParameterError);
    expect(parseWeights("timbre=1, pitch=0.5")).toEqual({ timbre: 1, pitch: 0.5 });
    expect(() => parseWeights("colour=1")).toThrow(ParameterError);
    expect(() => parseWeights("pitch=-1")).toThrow(ParameterError);
    expect(parseFilterFlags({ category: ["kick,snare"], duration: "..0.5", folder: ["drums"] })).toEqual({
      folders: ["drums"],
      categories: ["kick", "snare"],
      durationSec: { max: 0.5 },
    });
  });
});
