import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelError } from "../../src/io/model-manifest.js";
import { loadUnitEmbedder, type OnnxEmbedder } from "../../src/io/onnx-embedder.js";
import { REPO_ROOT, tempDir } from "../helpers/corpus.js";
import { seededRandom } from "../helpers/signals.js";

const FIXTURES = join(REPO_ROOT, "test/fixtures/embed");
const TINY_LOGMEL = join(FIXTURES, "tiny-logmel");
const TINY_WAVEFORM = join(FIXTURES, "tiny-waveform");

interface TinyReference {
  waveform: { embeddings: number[][] };
}
const tiny = JSON.parse(readFileSync(join(FIXTURES, "tiny-reference.json"), "utf8")) as TinyReference;

function referenceSignal(sampleRateHz: number, length: number): Float32Array {
  const x = new Float32Array(length);
  for (let n = 0; n < length; n++) {
    x[n] = 0.5 * Math.sin((2 * Math.PI * 440 * n) / sampleRateHz) + 0.25 * Math.sin((2 * Math.PI * 3000 * n) / sampleRateHz) * (n / sampleRateHz);
  }
  return x;
}

function noise(length: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length }, () => 0.3 * (2 * random() - 1));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return Math.sqrt(s);
}

/** Pools raw rows as CONTRACTS A says, then L2-normalises. */
function pool(rows: Float32Array, first: number, count: number, size: number, pooling: "mean" | "mean+std" | "max"): number[] {
  const out: number[] = [];
  const std: number[] = [];
  for (let e = 0; e < size; e++) {
    const values = Array.from({ length: count }, (_, p) => rows[(first + p) * size + e]!);
    const mean = values.reduce((s, v) => s + v, 0) / count;
    out.push(pooling === "max" ? Math.max(...values) : mean);
    std.push(Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / count));
  }
  const vector = pooling === "mean+std" ? [...out, ...std] : out;
  const n = norm(vector);
  return vector.map((v) => v / n);
}

const temp = tempDir();
afterAll(() => temp.cleanup());

/** A copy of a fixture model folder with its manifest edited. */
type ManifestJson = Record<string, Record<string, unknown>>;
function editedModel(source: string, name: string, edit: (manifest: ManifestJson) => void): string {
  const dir = join(temp.dir, name);
  cpSync(source, dir, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as ManifestJson;
  edit(manifest);
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest));
  return dir;
}

describe("options", () => {
  it("rejects a bad thread count or batch size before loading", async () => {
    await expect(loadUnitEmbedder(TINY_LOGMEL, { intraOpThreads: 0 })).rejects.toThrow(/intraOpThreads/);
    await expect(loadUnitEmbedder(TINY_LOGMEL, { batchSize: 1.5 })).rejects.toThrow(/batchSize/);
  });
});

describe("waveform input with a static batch of 4 (tiny fixture: the shipped model takes log-mel patches)", () => {
  let embedder: OnnxEmbedder;
  beforeAll(async () => {
    embedder = await loadUnitEmbedder(TINY_WAVEFORM, { batchSize: 32 });
  });
  afterAll(async () => embedder.close());

  it("uses the model's static batch of 4, padding the last run", async () => {
    expect(embedder.batchSize).toBe(4);
    const frames = await embedder.embedFrames(referenceSignal(16000, 4000), { center: false });
    expect(frames.frameCount).toBe(5); // starts 0, 800, ... 3200 (< 4000)
    for (const p of [0, 1]) expect(maxAbsDiff(frames.embeddings.subarray(p * 8, p * 8 + 8), tiny.waveform.embeddings[p]!)).toBeLessThan(1e-4);
  });

  it("mean+std pooling doubles the size: [mean, population std], then L2-normalised", async () => {
    expect(embedder.size).toBe(16);
    const signal = noise(10000, 7);
    const frames = await embedder.embedFrames(signal.slice(1000, 4000), { center: false });
    expect(frames.frameCount).toBe(4);
    const [vector] = await embedder.embedUnits(signal, [{ startSample: 1000, endSample: 4000 }]);
    expect(maxAbsDiff(vector!, pool(frames.embeddings, 0, 4, 8, "mean+std"))).toBeLessThan(1e-5);
  });

  it("max pooling takes the per-dimension maximum of the unit's first maxPatchesPerUnit patches", async () => {
    const dir = editedModel(TINY_WAVEFORM, "wave-max", (m) => ((m as Record<string, unknown>)["pooling"] = "max"));
    const maxEmbedder = await loadUnitEmbedder(dir);
    try {
      expect(maxEmbedder.size).toBe(8);
      const signal = noise(5000, 8);
      const frames = await maxEmbedder.embedFrames(signal, { center: false });
      expect(frames.frameCount).toBe(7); // starts 0, 800, ... 4800
      const [vector] = await maxEmbedder.embedUnits(signal, [{ startSample: 0, endSample: 5000 }]);
      expect(maxAbsDiff(vector!, pool(frames.embeddings, 0, 4, 8, "max"))).toBeLessThan(1e-5);
    } finally {
      await maxEmbedder.close();
    }
  });
});

describe("model validation at load (expected vs actual)", () => {
  it("a manifest band count that differs from the model's static input shape", async () => {
    const dir = editedModel(TINY_LOGMEL, "bands-40", (m) => ((m["input"]!["mel"] as Record<string, unknown>)["bands"] = 40));
    await expect(loadUnitEmbedder(dir)).rejects.toThrow(
      `${join(dir, "tiny-logmel.onnx")}: input "logmel" has shape [batch, 1, 64, 32], the manifest describes [batch, 1, 40, 32] (input.layout=B1MT, input.mel.bands=40, input.patchFrames=32)`,
    );
    await expect(loadUnitEmbedder(dir)).rejects.toMatchObject({ reason: "mismatch", code: "model_mismatch" });
  });

  it("a layout of another rank", async () => {
    const dir = editedModel(TINY_LOGMEL, "rank", (m) => (m["input"]!["layout"] = "BMT"));
    await expect(loadUnitEmbedder(dir)).rejects.toThrow(/has shape \[batch, 1, 64, 32\], the manifest describes \[batch, 64, 32\]/);
  });

  it("an input tensor name the model does not have", async () => {
    const dir = editedModel(TINY_LOGMEL, "input-name", (m) => (m["input"]!["tensorName"] = "mel"));
    await expect(loadUnitEmbedder(dir)).rejects.toThrow(`the manifest's input.tensorName is "mel" but the model's inputs are "logmel"`);
  });

  it("an output tensor name or size that differs", async () => {
    const name = editedModel(TINY_LOGMEL, "output-name", (m) => (m["output"]!["tensorName"] = "features"));
    await expect(loadUnitEmbedder(name)).rejects.toThrow(`the manifest's output.tensorName is "features" but the model's outputs are "embedding"`);
    const size = editedModel(TINY_LOGMEL, "output-size", (m) => (m["output"]!["size"] = 128));
    await expect(loadUnitEmbedder(size)).rejects.toThrow(`output "embedding" has shape [batch, 16], the manifest describes [batch, 128] (output.size=128)`);
  });

  it("a waveform patch length that differs from the model's", async () => {
    const dir = editedModel(TINY_WAVEFORM, "patch-samples", (m) => (m["input"]!["patchSamples"] = 1000));
    await expect(loadUnitEmbedder(dir)).rejects.toThrow(
      `input "audio" has shape [4, 1600], the manifest describes [batch, 1000] (input.layout=BT, input.patchSamples=1000)`,
    );
  });

  it("a missing or corrupt .onnx file", async () => {
    const missing = editedModel(TINY_LOGMEL, "missing-file", (m) => ((m as Record<string, unknown>)["file"] = "other.onnx"));
    await expect(loadUnitEmbedder(missing)).rejects.toMatchObject({ reason: "missing" });
    const corrupt = editedModel(TINY_LOGMEL, "corrupt", () => undefined);
    writeFileSync(join(corrupt, "tiny-logmel.onnx"), Buffer.from("this is not a protobuf model"));
    const error = (await loadUnitEmbedder(corrupt).catch((e: unknown) => e)) as ModelError;
    expect(error).toBeInstanceOf(ModelError);
    expect(error.reason).toBe("load_failed");
    expect(error.message).toContain(`${join(corrupt, "tiny-logmel.onnx")}: onnxruntime cannot load it`);
  });

  it("a folder that is not a model", async () => {
    await expect(loadUnitEmbedder(join(temp.dir, "nowhere"))).rejects.toThrow(/no manifest\.json here/);
  });
});
