import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ANALYSIS_RATE_HZ } from "../../src/core/analysis/analysis-config.js";
import { DESCRIPTOR_COUNT } from "../../src/core/analysis/schema.js";
import { AnalysisError, DecodeError } from "../../src/core/errors.js";
import { analyzeClip, analyzeFile, analyzeSamples, prepareAnalysis } from "../../src/io/analyze-file.js";
import type { UnitEmbedderPort } from "../../src/io/unit-embedding-collector.js";
import { encodeWav } from "../../src/io/wav-writer.js";
import { CORPUS_DIR, tempDir } from "../helpers/corpus.js";
import { addNoiseBurst, seededRandom } from "../helpers/signals.js";

const temp = tempDir();
afterAll(() => temp.cleanup());

function burstsAt(rateHz: number, onsetsSec: readonly number[], seconds: number): Float32Array {
  const random = seededRandom(11);
  const out = new Float32Array(Math.round(seconds * rateHz));
  for (const t of onsetsSec) addNoiseBurst(out, rateHz, t, 0.15, 0.6, random, 0.03);
  return out;
}

describe("analyzeFile", () => {
  it("addresses units in the file's own sample frames, whatever its rate", async () => {
    const onsets = [0.3, 0.8, 1.3];
    for (const rateHz of [44100, 48000, 96000, 22050]) {
      const mono = burstsAt(rateHz, onsets, 2);
      const path = join(temp.dir, `bursts-${rateHz}.wav`);
      writeFileSync(path, encodeWav([mono, mono], rateHz, "int16"));
      const analysis = await analyzeFile(path);
      expect(analysis.info.sampleRateHz).toBe(rateHz);
      expect(analysis.units.length).toBe(3);
      analysis.units.forEach((unit, i) => {
        expect(unit.startFrame / rateHz).toBeCloseTo(unit.startSec, 9);
        expect(unit.startSec - onsets[i]!).toBeLessThanOrEqual(0.005);
        expect(unit.startSec - onsets[i]!).toBeGreaterThan(-0.03);
        expect(unit.endFrame).toBeLessThanOrEqual(mono.length);
      });
    }
  });

  it("gives the same units for a file and for the same samples in memory", async () => {
    const mono = burstsAt(44100, [0.2, 0.5, 0.9], 1.5);
    const path = join(temp.dir, "same.wav");
    writeFileSync(path, encodeWav([mono], 44100, "float32"));
    const fromFile = await analyzeFile(path);
    const fromMemory = analyzeSamples([mono], 44100);
    expect(fromFile.units.map((u) => [u.startFrame, u.endFrame])).toEqual(fromMemory.units.map((u) => [u.startFrame, u.endFrame]));
    fromFile.units.forEach((u, i) => expect(Array.from(u.vector)).toEqual(Array.from(fromMemory.units[i]!.vector)));
  });

  it("gives identical units when files run one after another or concurrently (reused analysers and front ends start clean)", async () => {
    const unitsOf = (analysis: { units: { startFrame: number; endFrame: number; vector: Float32Array }[] }): unknown =>
      analysis.units.map((u) => [u.startFrame, u.endFrame, Array.from(u.vector)]);
    const paths: string[] = [];
    for (const rateHz of [48000, 44100]) {
      const mono = burstsAt(rateHz, [0.25, 0.7], 1.2);
      const path = join(temp.dir, `again-${rateHz}.wav`);
      writeFileSync(path, encodeWav([mono], rateHz, "int16"));
      paths.push(path);
    }
    const first = await Promise.all(paths.map((path) => analyzeFile(path)));
    const sequential = [];
    for (const path of [...paths, ...paths]) sequential.push(await analyzeFile(path));
    const concurrent = await Promise.all([...paths, ...paths].map((path) => analyzeFile(path)));
    [...sequential, ...concurrent].forEach((analysis, i) => expect(unitsOf(analysis)).toEqual(unitsOf(first[i % 2]!)));
  });

  it("gives identical units before and after prepareAnalysis, and leaves the embedder alone", () => {
    const unitsOf = (analysis: { units: { startFrame: number; endFrame: number; vector: Float32Array }[] }): unknown =>
      analysis.units.map((u) => [u.startFrame, u.endFrame, Array.from(u.vector)]);
    const clips = [44100, 48000].map((rateHz) => ({ rateHz, mono: burstsAt(rateHz, [0.1, 0.45], 0.9) }));
    const before = clips.map(({ rateHz, mono }) => unitsOf(analyzeSamples([mono, mono], rateHz)));
    let calls = 0;
    const embedder: UnitEmbedderPort = {
      sampleRateHz: 16000,
      size: 1,
      maxUnitSamples: 8000,
      async embedUnits(_mono, units) {
        calls++;
        return units.map(() => Float32Array.of(1));
      },
    };
    prepareAnalysis({}, { embedder });
    prepareAnalysis({ segment: "grid" });
    expect(calls).toBe(0);
    clips.forEach(({ rateHz, mono }, i) => expect(unitsOf(analyzeSamples([mono, mono], rateHz))).toEqual(before[i]));
  });

  it("embeds clips one after another whatever their lengths, with a model at another rate (a reused front end's buffers grow for both rates)", async () => {
    const embedder: UnitEmbedderPort = {
      sampleRateHz: 16000,
      size: 1,
      maxUnitSamples: 4000,
      async embedUnits(mono, units) {
        return units.map((u) => Float32Array.of(u.endSample - u.startSample));
      },
    };
    // 4101 then 4102 frames at 44.1 kHz: the second needs no more analysis-rate output, but one more 16 kHz sample
    for (const frames of [4101, 4102, 4101, 4109, 4110]) {
      const mono = burstsAt(44100, [0.01], frames / 44100);
      const analysis = await analyzeClip([mono, mono], 44100, {}, "clip", { embedder });
      expect(analysis.units.length).toBe(1);
      expect(analysis.embeddings?.length).toBe(1);
    }
  });

  it("analyses a CC0 corpus FLAC into finite descriptor vectors", async () => {
    const analysis = await analyzeFile(join(CORPUS_DIR, "loop_amen.flac"));
    expect(analysis.info.format).toBe("flac");
    expect(analysis.units.length).toBeGreaterThan(4);
    for (const unit of analysis.units) {
      expect(unit.vector.length).toBe(DESCRIPTOR_COUNT);
      expect(unit.vector.every((v) => Number.isFinite(v))).toBe(true);
      expect(unit.endFrame).toBeGreaterThan(unit.startFrame);
    }
    expect(analysis.audioSec).toBeGreaterThan(1);
    expect(ANALYSIS_RATE_HZ).toBe(22050);
  });

  it("rejects NaN samples with a typed error naming the file and the position", async () => {
    const samples = burstsAt(44100, [0.1], 0.5);
    samples[1234] = Number.NaN;
    const path = join(temp.dir, "nan.wav");
    writeFileSync(path, encodeWav([samples], 44100, "float32"));
    const error = await analyzeFile(path).catch((e: unknown) => e);
    expect(error instanceof DecodeError || error instanceof AnalysisError).toBe(true);
    expect(String((error as Error).message)).toContain("nan.wav");
    expect(() => analyzeSamples([samples], 44100)).toThrow(/frame 1234/);
  });
});
