/**
 * The shipped default model (models/mass-audio-embed-v3: the v2 patch CNN and a unit head) against the
 * trainer's reference fixture (test/fixtures/embed/reference.json, written by models/train/export.py from
 * the PyTorch models and a float64 NumPy front end): our log-mel front end, ORT's patch embeddings and the
 * unit head's output must match within 1e-4. Pooling, batching and unit-range behaviour are checked on the
 * patch model alone (the same folder with the head taken out of its manifest).
 */
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LogMelPatchBuilder } from "../../src/core/dsp/model-patches.js";
import { DESCRIPTOR_COLUMNS } from "../../src/core/analysis/schema.js";
import { ParameterError } from "../../src/core/errors.js";
import { convertSampleRate } from "../../src/core/dsp/time.js";
import { analyzeFile } from "../../src/io/analyze-file.js";
import { readModelManifest } from "../../src/io/model-manifest.js";
import { defaultModelDir, loadUnitEmbedder, readMonoFile, type OnnxEmbedder } from "../../src/io/onnx-embedder.js";
import { pffftEngineFactory } from "../../src/io/pffft-engine.js";
import { CORPUS_DIR, REPO_ROOT, tempDir } from "../helpers/corpus.js";
import { seededRandom } from "../helpers/signals.js";

interface Reference {
  model: string;
  logmelNormalised: number[][];
  embeddings: number[][];
  head: { descriptors: number[][]; cnn: number[][]; unitEmbeddings: number[][] };
}

const MODEL_DIR = defaultModelDir();
const reference = JSON.parse(readFileSync(join(REPO_ROOT, "test/fixtures/embed/reference.json"), "utf8")) as Reference;

function referenceSignal(): Float32Array {
  const x = new Float32Array(22050);
  for (let n = 0; n < 22050; n++) {
    x[n] = 0.5 * Math.sin((2 * Math.PI * 440 * n) / 22050) + 0.25 * Math.sin((2 * Math.PI * 3000 * n) / 22050) * (n / 22050);
  }
  return x;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function pool(rows: Float32Array, count: number, size: number, pooling: "mean" | "mean+std" | "max"): number[] {
  const first: number[] = [];
  const second: number[] = [];
  for (let e = 0; e < size; e++) {
    const values = Array.from({ length: count }, (_, p) => rows[p * size + e]!);
    const mean = values.reduce((s, v) => s + v, 0) / count;
    first.push(pooling === "max" ? Math.max(...values) : mean);
    second.push(Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / count));
  }
  const vector = pooling === "mean+std" ? [...first, ...second] : first;
  const n = Math.hypot(...vector);
  return vector.map((v) => v / n);
}

function noise(length: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length }, () => 0.3 * (2 * random() - 1));
}

const temp = tempDir();
afterAll(() => temp.cleanup());

/** A copy of the default model folder with its manifest edited. */
function variantOf(name: string, edit: (manifest: Record<string, unknown>) => void): string {
  const dir = join(temp.dir, name);
  cpSync(MODEL_DIR, dir, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Record<string, unknown>;
  edit(manifest);
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest));
  return dir;
}

function descriptorsOf(values: readonly number[]): Float32Array {
  return Float32Array.from(values);
}

describe("shipped default model mass-audio-embed-v3", () => {
  let embedder: OnnxEmbedder;
  /** The patch model alone: the default folder without the unit head. */
  let patchModel: OnnxEmbedder;
  let patchModelDir: string;
  beforeAll(async () => {
    embedder = await loadUnitEmbedder(MODEL_DIR);
    patchModelDir = variantOf("patch-model", (manifest) => delete manifest["head"]);
    patchModel = await loadUnitEmbedder(patchModelDir);
  });
  afterAll(async () => Promise.all([embedder.close(), patchModel.close()]));

  it("loads from <package root>/models/mass-audio-embed-v3 and is the model the reference was made with", () => {
    expect(embedder.modelName).toBe("mass-audio-embed-v3");
    expect(reference.model).toBe("mass-audio-embed-v3");
    expect(embedder.sampleRateHz).toBe(22050);
    expect(embedder.needsDescriptors).toBe(true);
    expect(embedder.size).toBe(embedder.manifest.head!.size);
    expect(embedder.manifest.head!.descriptorColumns).toEqual(DESCRIPTOR_COLUMNS);
    expect(patchModel.needsDescriptors).toBe(false);
    expect(patchModel.size).toBe(patchModel.manifest.output.size);
  });

  it("the unit head on the reference's two units matches the PyTorch reference within 1e-4 (out-of-range descriptors clipped)", async () => {
    const input = embedder.manifest.input as { hopSamples: number; patchFrames: number; patchHopFrames: number; windowSamples: number };
    const span = (input.patchFrames - 1) * input.hopSamples + input.windowSamples;
    const hop = input.patchHopFrames * input.hopSamples;
    // two patches each (the second ends in the silence after the unit), as models/train/embed_units.py cuts them
    const ranges = [
      { startSample: 0, endSample: span },
      { startSample: hop, endSample: hop + span },
    ];
    const pooled = await patchModel.embedUnits(referenceSignal(), ranges);
    for (const u of [0, 1]) expect(maxAbsDiff(pooled[u]!, reference.head.cnn[u]!)).toBeLessThan(1e-4);
    const vectors = await embedder.embedUnits(
      referenceSignal(),
      ranges.map((range, u) => ({ ...range, descriptors: descriptorsOf(reference.head.descriptors[u]!) })),
    );
    for (const u of [0, 1]) {
      expect(maxAbsDiff(vectors[u]!, reference.head.unitEmbeddings[u]!)).toBeLessThan(1e-4);
      expect(Math.hypot(...vectors[u]!)).toBeCloseTo(1, 5);
    }
  });

  it("a unit's vector depends on its descriptors and its sound, and not on the other units of the call", async () => {
    const signal = noise(60000, 6);
    const random = seededRandom(7);
    const base = reference.head.descriptors[0]!;
    const units = Array.from({ length: 5 }, (_, i) => ({
      startSample: i * 12000,
      endSample: i * 12000 + 9000,
      descriptors: Float32Array.from(base, (v) => v * (0.8 + 0.4 * random())),
    }));
    const together = await embedder.embedUnits(signal, units);
    for (const [u, unit] of units.entries()) {
      const [alone] = await embedder.embedUnits(signal, [unit]);
      expect(maxAbsDiff(alone!, together[u]!)).toBeLessThan(1e-5);
    }
    const [otherDescriptors] = await embedder.embedUnits(signal, [{ ...units[0]!, descriptors: units[1]!.descriptors }]);
    expect(maxAbsDiff(otherDescriptors!, together[0]!)).toBeGreaterThan(1e-3);
    const [otherSound] = await embedder.embedUnits(signal, [{ ...units[1]!, descriptors: units[0]!.descriptors }]);
    expect(maxAbsDiff(otherSound!, together[0]!)).toBeGreaterThan(1e-3);
  });

  it("descriptors that are not finite still give a finite unit vector (NaN counts as the head's training mean, infinities end at the clip)", async () => {
    const signal = noise(20000, 9);
    const base = descriptorsOf(reference.head.descriptors[0]!);
    const odd = base.slice();
    odd[2] = Number.NaN;
    odd[10] = Number.POSITIVE_INFINITY;
    odd[11] = Number.NEGATIVE_INFINITY;
    const [plain, withOdd] = await embedder.embedUnits(signal, [
      { startSample: 0, endSample: 10000, descriptors: base },
      { startSample: 0, endSample: 10000, descriptors: odd },
    ]);
    expect(withOdd!.every(Number.isFinite)).toBe(true);
    expect(Math.hypot(...withOdd!)).toBeCloseTo(1, 5);
    expect(maxAbsDiff(plain!, withOdd!)).toBeGreaterThan(0); // the infinities moved it
  });

  it("refuses units without their descriptors, naming the unit and what the head needs", async () => {
    const signal = noise(20000, 8);
    await expect(embedder.embedUnits(signal, [{ startSample: 0, endSample: 10000 }])).rejects.toThrow(
      /mass-audio-embed-v3 has a unit head and needs each unit's 75 descriptors; unit 0 has none/,
    );
    await expect(
      embedder.embedUnits(signal, [{ startSample: 0, endSample: 10000, descriptors: new Float32Array(74) }]),
    ).rejects.toThrow(ParameterError);
  });

  it("a head trained on other descriptor columns, or a missing head file, is refused when the model loads", async () => {
    const swapped = variantOf("swapped-columns", (manifest) => {
      const head = manifest["head"] as { descriptorColumns: string[] };
      [head.descriptorColumns[3], head.descriptorColumns[4]] = [head.descriptorColumns[4]!, head.descriptorColumns[3]!];
    });
    await expect(loadUnitEmbedder(swapped)).rejects.toThrow(
      new RegExp(`head\\.descriptorColumns: .*first difference at column 3: expected "${DESCRIPTOR_COLUMNS[3]!.replace(".", "\\.")}"`),
    );
    const noHead = variantOf("no-head-file", (manifest) => {
      (manifest["head"] as { file: string }).file = "absent-head.onnx";
    });
    await expect(loadUnitEmbedder(noHead)).rejects.toMatchObject({ code: "model_missing", message: expect.stringMatching(/unit head file not found/) });
  });

  for (const fft of ["pffft", "fftjs"] as const) {
    it(`log-mel patch 0 of the reference signal matches the reference within 1e-4 (${fft})`, async () => {
      const { manifest } = await readModelManifest(MODEL_DIR);
      if (manifest.input.kind !== "logmel") throw new Error("the default model takes log-mel patches");
      const builder = new LogMelPatchBuilder(manifest.input, fft === "pffft" ? pffftEngineFactory() : undefined);
      const out = new Float32Array(builder.patchValues);
      const signal = referenceSignal();
      builder.writePatches(signal, 0, signal.length, builder.patchHopSamples, 0, 1, out, 0);
      const bands = manifest.input.mel.bands;
      const frames = manifest.input.patchFrames;
      expect(reference.logmelNormalised.length).toBe(bands);
      expect(reference.logmelNormalised[0]!.length).toBe(frames);
      expect(maxAbsDiff(out, reference.logmelNormalised.flat())).toBeLessThan(1e-4); // B1MT: band-major
    });
  }

  it("ORT embeddings of the first two patches match the PyTorch reference within 1e-4", async () => {
    const frames = await embedder.embedFrames(referenceSignal(), { center: false });
    const size = embedder.manifest.output.size;
    for (const p of [0, 1]) expect(maxAbsDiff(frames.embeddings.subarray(p * size, (p + 1) * size), reference.embeddings[p]!)).toBeLessThan(1e-4);
  });

  it("patch model: a unit's vector is its patches' embeddings pooled and L2-normalised; units see only their own samples", async () => {
    const signal = noise(60000, 1);
    const units = [
      { startSample: 0, endSample: 1500 },
      { startSample: 1500, endSample: 25000 },
      { startSample: 25000, endSample: 60000 },
    ];
    const vectors = await patchModel.embedUnits(signal, units);
    const size = patchModel.manifest.output.size;
    for (const [u, unit] of units.entries()) {
      const own = signal.slice(unit.startSample, unit.endSample);
      const frames = await patchModel.embedFrames(own, { center: false });
      const count = Math.min(frames.frameCount, patchModel.manifest.maxPatchesPerUnit);
      expect(vectors[u]!.length).toBe(patchModel.size);
      expect(maxAbsDiff(vectors[u]!, pool(frames.embeddings, count, size, patchModel.manifest.pooling))).toBeLessThan(1e-5);
    }
  });

  it("gives the same vectors whatever the batch size, and for concurrent calls", async () => {
    const signal = noise(80000, 2);
    const base = reference.head.descriptors[0]!;
    const units = Array.from({ length: 12 }, (_, i) => ({
      startSample: i * 6000,
      endSample: i * 6000 + 5000 + 1000 * (i % 3),
      descriptors: Float32Array.from(base, (v, c) => v * (1 + 0.02 * Math.sin(i + c))),
    }));
    const reference32 = await embedder.embedUnits(signal, units);
    const single = await loadUnitEmbedder(MODEL_DIR, { batchSize: 1 });
    try {
      const [a, b] = await Promise.all([single.embedUnits(signal, units), single.embedUnits(signal, units.slice(3))]);
      for (let u = 0; u < units.length; u++) expect(maxAbsDiff(a![u]!, reference32[u]!)).toBeLessThan(1e-5);
      for (let u = 3; u < units.length; u++) expect(maxAbsDiff(b![u - 3]!, reference32[u]!)).toBeLessThan(1e-5);
    } finally {
      await single.close();
    }
  });

  it("patch model: a long unit uses at most maxPatchesPerUnit patches: only its first maxUnitSamples matter", async () => {
    const signal = noise(200000, 4);
    const { patchHopFrames, hopSamples, patchFrames, windowSamples } = patchModel.manifest.input as { patchHopFrames: number; hopSamples: number; patchFrames: number; windowSamples: number };
    expect(patchModel.maxUnitSamples).toBe((patchModel.manifest.maxPatchesPerUnit - 1) * patchHopFrames * hopSamples + (patchFrames - 1) * hopSamples + windowSamples);
    expect(embedder.maxUnitSamples).toBe(patchModel.maxUnitSamples);
    const [whole, head, shorter] = await patchModel.embedUnits(signal, [
      { startSample: 0, endSample: 200000 },
      { startSample: 0, endSample: patchModel.maxUnitSamples },
      { startSample: 0, endSample: patchModel.maxUnitSamples - 5000 },
    ]);
    expect(maxAbsDiff(whole!, head!)).toBeLessThan(1e-6);
    expect(maxAbsDiff(whole!, shorter!)).toBeGreaterThan(1e-4);
  });

  it("frame embeddings: centring pads half a patch of silence (timestamps are patch centres); hops round to the STFT hop", async () => {
    const input = embedder.manifest.input as { hopSamples: number; patchFrames: number; windowSamples: number };
    const signal = noise(22050, 5);
    const hop = 9 * input.hopSamples;
    const centred = await embedder.embedFrames(signal, { center: true, hopSamples: hop - 100 });
    expect(centred.hopSec).toBeCloseTo(hop / 22050, 12);
    expect(centred.frameCount).toBe(Math.ceil(22050 / hop));
    expect(centred.timestampsSec[2]).toBeCloseTo((2 * hop) / 22050, 12);
    const lead = Math.round(((input.patchFrames - 1) * input.hopSamples + input.windowSamples) / 2);
    const padded = new Float32Array(22050 + lead);
    padded.set(signal, lead);
    const manual = await embedder.embedFrames(padded, { center: false, hopSamples: hop });
    const size = centred.size;
    expect(maxAbsDiff(centred.embeddings.subarray(0, 3 * size), manual.embeddings.subarray(0, 3 * size))).toBe(0);
  });

  it("rejects empty or negative unit ranges", async () => {
    await expect(embedder.embedUnits(new Float32Array(100), [{ startSample: 50, endSample: 50 }])).rejects.toThrow(ParameterError);
    await expect(embedder.embedUnits(new Float32Array(100), [{ startSample: -1, endSample: 5 }])).rejects.toThrow(/unit 0/);
  });

  it("patch model: mean+std and max pooling of the same patches (manifest variants of the real model)", async () => {
    const signal = noise(30000, 3);
    const frames = await embedder.embedFrames(signal, { center: false });
    const size = embedder.manifest.output.size;
    for (const pooling of ["mean+std", "max"] as const) {
      const dir = variantOf(pooling.replace("+", "-"), (manifest) => {
        manifest["pooling"] = pooling;
        delete manifest["head"];
      });
      const variant = await loadUnitEmbedder(dir);
      try {
        expect(variant.size).toBe(pooling === "mean+std" ? 2 * size : size);
        const [vector] = await variant.embedUnits(signal, [{ startSample: 0, endSample: 30000 }]);
        expect(maxAbsDiff(vector!, pool(frames.embeddings, frames.frameCount, size, pooling))).toBeLessThan(1e-5);
      } finally {
        await variant.close();
      }
    }
  });

  it("on CC0 units: unit vectors, and two kick drums closer to each other than to a choir pad", async () => {
    const vectorOf = async (name: string): Promise<Float32Array> => {
      const path = join(CORPUS_DIR, name);
      const { mono } = await readMonoFile(path, 22050);
      const analysis = await analyzeFile(path);
      const first = analysis.units.find((u) => !u.silent)!;
      const rate = analysis.info.sampleRateHz;
      const [vector] = await embedder.embedUnits(mono, [
        { startSample: convertSampleRate(first.startFrame, rate, 22050), endSample: convertSampleRate(first.endFrame, rate, 22050), descriptors: first.vector },
      ]);
      expect(Math.hypot(...vector!)).toBeCloseTo(1, 5);
      return vector!;
    };
    const kickA = await vectorOf("bd_haus.flac");
    const kickB = await vectorOf("bd_boom.flac");
    const choir = await vectorOf("ambi_choir.flac");
    expect(dot(kickA, kickB)).toBeGreaterThan(dot(kickA, choir));
    expect(dot(kickA, kickB)).toBeGreaterThan(dot(kickB, choir));
  });
});
