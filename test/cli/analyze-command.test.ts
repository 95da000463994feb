import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runAnalyze } from "../../src/cli/analyze-command.js";
import { buildProgram } from "../../src/cli/program.js";
import { encodeWav } from "../../src/io/wav-writer.js";
import { CORPUS_DIR, tempDir } from "../helpers/corpus.js";
import { addNoiseBurst, seededRandom } from "../helpers/signals.js";

const temp = tempDir();
afterAll(() => temp.cleanup());

function goodWav(name: string): string {
  const random = seededRandom(5);
  const mono = new Float32Array(44100);
  addNoiseBurst(mono, 44100, 0.1, 0.2, 0.5, random, 0.05);
  addNoiseBurst(mono, 44100, 0.5, 0.2, 0.5, random, 0.05);
  const path = join(temp.dir, name);
  writeFileSync(path, encodeWav([mono], 44100, "int16"));
  return path;
}

function collect() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { json: true, out: (l: string) => out.push(l), err: (l: string) => err.push(l), progress: false } };
}

describe("mass-audio analyze", () => {
  it("prints one JSON line per unit with descriptors by name", async () => {
    const c = collect();
    const result = await runAnalyze([goodWav("a.wav")], {}, c.io);
    expect(result.analysed.length).toBe(1);
    const lines = c.out.map((l) => JSON.parse(l) as { file: string; unit: number; startSec: number; endSec: number; descriptors: Record<string, number> });
    expect(lines.length).toBe(2);
    expect(lines[0]!.unit).toBe(0);
    expect(lines[1]!.startSec).toBeGreaterThan(0.45);
    expect(lines[0]!.descriptors["mfcc0.mean"]).toBeTypeOf("number");
    expect(lines[0]!.descriptors["durationSec"]).toBeCloseTo(lines[0]!.endSec - lines[0]!.startSec, 3);
  });

  it("reports each bad file on one line and analyses the rest", async () => {
    const empty = join(temp.dir, "empty.wav");
    writeFileSync(empty, "");
    const text = join(temp.dir, "notes.wav");
    writeFileSync(text, "this is not audio at all, just text pretending to be a wav file");
    const c = collect();
    const result = await runAnalyze([empty, goodWav("b.wav"), text, join(temp.dir, "missing.wav")], {}, c.io);
    expect(result.analysed.length).toBe(1);
    expect(result.failed.map((f) => f.path)).toEqual([empty, text, join(temp.dir, "missing.wav")]);
    expect(c.err.length).toBe(3);
    for (const line of c.err) expect(line).toMatch(/^error: .*\.wav: /);
  });

  it("analyses folders recursively, audio files only", async () => {
    const c = collect();
    writeFileSync(join(temp.dir, "readme.txt"), "hello");
    const result = await runAnalyze([temp.dir], {}, c.io);
    expect(result.analysed.every((a) => a.info.path.endsWith(".wav"))).toBe(true);
  });

  it("exits non-zero only when nothing could be analysed", async () => {
    const bad = join(temp.dir, "bad.wav");
    writeFileSync(bad, "RIFF");
    const previous = process.exitCode;
    const write = process.stdout.write.bind(process.stdout);
    const errWrite = process.stderr.write.bind(process.stderr);
    process.stdout.write = (() => true) as typeof process.stdout.write;
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      process.exitCode = 0;
      await buildProgram().parseAsync(["node", "mass-audio", "analyze", "--json", bad]);
      expect(process.exitCode).toBe(1);
      process.exitCode = 0;
      await buildProgram().parseAsync(["node", "mass-audio", "analyze", "--json", bad, join(CORPUS_DIR, "bd_haus.flac")]);
      expect(process.exitCode).toBe(0);
    } finally {
      process.stdout.write = write;
      process.stderr.write = errWrite;
      process.exitCode = previous;
    }
  });

  it("rejects a bad option value with a clear message", async () => {
    const c = collect();
    await expect(runAnalyze([goodWav("c.wav")], { segment: "beats" as never }, c.io)).rejects.toThrow(/segment: expected one of/);
  });
});
