import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runIndex } from "../../src/cli/index-command.js";
import { formatRegenResult, registerRegenCommand, runRegen } from "../../src/cli/regen-command.js";
import { createInlineAnalyzer } from "../../src/corpus/analyzer.js";
import { ParameterError } from "../../src/core/errors.js";
import { readWholeFile } from "../../src/io/audio-reader.js";
import { makeTempDir, copyCorpusFiles } from "../corpus/helpers.js";

const FILES = ["loop_industrial.flac", "bd_haus.flac", "sn_dub.flac", "elec_tick.flac", "drum_cymbal_closed.flac", "perc_snap.flac"];

describe("regen command", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let root: string;
  let db: string;

  beforeAll(async () => {
    ({ dir, cleanup } = await makeTempDir("regen-cli"));
    root = join(dir, "Samples");
    db = join(dir, "db");
    await copyCorpusFiles(root, FILES);
    await runIndex([root], { db }, { out: () => undefined, err: () => undefined, progress: false, service: { analyzer: createInlineAnalyzer() } });
  }, 60_000);

  afterAll(async () => cleanup());

  it("writes the WAV and sidecar and prints what the result is made of", async () => {
    const out: string[] = [];
    const outPath = join(dir, "out.wav");
    const summary = await runRegen(join(root, "loop_industrial.flac"), { db, out: outPath, regen: { seed: "3", fit: "stretch" } }, { out: (l) => out.push(l) });
    expect(summary.outPath).toBe(outPath);
    expect(summary.sources.length).toBeGreaterThan(0);
    for (const source of summary.sources) expect(source.path).not.toBe(join(root, "loop_industrial.flac"));
    expect(out.join("\n")).toMatch(/wrote .*out\.wav/);
    expect(formatRegenResult(summary)).toMatch(/units from \d+ files/);
    const sidecar = JSON.parse(await readFile(join(dir, "out.json"), "utf8")) as { options: { seed: number; fit: string } };
    expect(sidecar.options).toMatchObject({ seed: 3, fit: "stretch" });
  });

  it("parses flags through commander: --pitch N, filters, analysis flags, --json", async () => {
    const program = new Command().exitOverride();
    registerRegenCommand(program);
    const lines: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => {
      lines.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
    try {
      await program.parseAsync(
        ["regen", join(root, "loop_industrial.flac"), "-o", join(dir, "flags.wav"), "--db", db, "--pitch", "-2", "--fit", "loop",
          "--category", "drum", "--min-ms", "40", "--json", "--weights", "timbre=1,pitch=0"],
        { from: "user" },
      );
    } finally {
      process.stdout.write = write;
    }
    const summary = JSON.parse(lines.join("")) as { outPath: string; units: number };
    expect(summary.outPath).toBe(join(dir, "flags.wav"));
    const sidecar = JSON.parse(await readFile(join(dir, "flags.json"), "utf8")) as {
      options: { pitch: string; semitones: number };
      analysis: { minUnitMs: number };
      units: { semitones: number; source: { categories: string[] } }[];
    };
    expect(sidecar.options).toMatchObject({ pitch: "shift", semitones: -2 });
    expect(sidecar.analysis.minUnitMs).toBe(40);
    for (const unit of sidecar.units) {
      expect(unit.semitones).toBe(-2);
      expect(unit.source.categories).toContain("drum");
    }
    const audio = await readWholeFile(join(dir, "flags.wav"));
    expect(audio.info.sampleRateHz).toBe(44100);
  });

  it("--from re-renders a sidecar with other render options, keeping its units", async () => {
    const program = new Command().exitOverride();
    registerRegenCommand(program);
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = (() => true) as typeof process.stdout.write;
    try {
      await program.parseAsync(["regen", "--from", join(dir, "out.json"), "-o", join(dir, "again.wav"), "--fit", "trim", "--wet", "0.5"], { from: "user" });
    } finally {
      process.stdout.write = write;
    }
    const before = JSON.parse(await readFile(join(dir, "out.json"), "utf8")) as { units: { source: { unitId: number } }[] };
    const after = JSON.parse(await readFile(join(dir, "again.json"), "utf8")) as { units: { source: { unitId: number } }[]; options: { fit: string; wet: number; seed: number } };
    expect(after.options).toMatchObject({ fit: "trim", wet: 0.5, seed: 3 });
    expect(after.units.map((u) => u.source.unitId)).toEqual(before.units.map((u) => u.source.unitId));
  });

  it("refuses bad flags and a folder without a corpus with a ParameterError", async () => {
    await expect(runRegen(join(root, "bd_haus.flac"), { db, out: join(dir, "x.wav"), regen: { wet: "2" } }, { out: () => undefined })).rejects.toBeInstanceOf(ParameterError);
    await expect(runRegen(join(root, "bd_haus.flac"), { db: join(dir, "none"), out: join(dir, "x.wav") }, { out: () => undefined })).rejects.toBeInstanceOf(ParameterError);
  });
});
