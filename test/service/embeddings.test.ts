/**
 * The embedding path end to end with the shipped default model: indexing stores a unit embedding from
 * the same decoded stream, the feature space carries it, queries are embedded the same way, and the
 * corpus never mixes models.
 */
import { cp, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANALYSIS_RATE_HZ } from "../../src/core/analysis/analysis-config.js";
import { convertSampleRate } from "../../src/core/dsp/time.js";
import { createInlineAnalyzer } from "../../src/corpus/analyzer.js";
import { readWholeFile } from "../../src/io/audio-reader.js";
import { ModelError, readModelManifest, unitVectorSize } from "../../src/io/model-manifest.js";
import { DEFAULT_MODEL_NAME, defaultModelDir, loadUnitEmbedder, readMonoFile } from "../../src/io/onnx-embedder.js";
import type { GroupWeights } from "../../src/corpus/feature-space.js";
import { MassAudio } from "../../src/service/mass-audio.js";
import { REGEN_DEFAULT_WEIGHTS } from "../../src/service/regenerate.js";
import { copyCorpusFiles, makeTempDir } from "../corpus/helpers.js";

const FILES = ["bd_haus.flac", "sn_dolf.flac", "elec_ping.flac", "loop_amen.flac"];

describe("unit embeddings in the corpus (default model)", () => {
  let temp: { dir: string; cleanup: () => Promise<void> };
  let root: string;
  let dim: number;
  let modelId: string;

  beforeAll(async () => {
    temp = await makeTempDir("embeddings");
    root = join(temp.dir, "root");
    await copyCorpusFiles(root, FILES);
    const { manifest } = await readModelManifest(defaultModelDir());
    dim = unitVectorSize(manifest);
    modelId = `${manifest.name}@${manifest.version}`;
  });
  afterAll(async () => temp.cleanup());

  const open = (dataDir: string, embeddingModel?: string | null) =>
    MassAudio.open({ dataDir, analyzer: createInlineAnalyzer(), ...(embeddingModel !== undefined ? { embeddingModel } : {}) });

  it("stores one unit-length embedding per non-silent unit and fits the space with the embedding tail", async () => {
    const service = await open(join(temp.dir, "db1"), DEFAULT_MODEL_NAME);
    try {
      await service.addRoot(root);
      const summary = await service.index();
      expect(summary.filesAnalysed).toBe(FILES.length);
      expect(service.corpus.embedding).toEqual({ model: modelId, dim });
      expect(service.corpus.space.embeddingDim).toBe(dim);
      expect(service.corpus.space.embeddingModel).toBe(modelId);
      let checked = 0;
      for (let id = 1; id <= service.corpus.store.counts().units; id++) {
        const unit = service.corpus.store.getUnit(id);
        if (!unit) continue;
        if (unit.silent) {
          expect(unit.embedding).toBeNull();
          continue;
        }
        expect(unit.embedding).not.toBeNull();
        expect(unit.embedding!.length).toBe(dim);
        const norm = Math.hypot(...unit.embedding!);
        expect(norm).toBeCloseTo(1, 4);
        checked++;
      }
      expect(checked).toBeGreaterThan(10);
    } finally {
      await service.close();
    }
  });

  it("streamed embeddings equal the embedder's on the whole decoded file", async () => {
    const service = await open(join(temp.dir, "db1"));
    const embedder = await loadUnitEmbedder(defaultModelDir());
    try {
      const path = join(root, "loop_amen.flac");
      const file = service.corpus.store.getFileByPath(path)!;
      const { mono } = await readMonoFile(path, embedder.sampleRateHz);
      const units = service.corpus.store.unitsOfFile(file.id).filter((u) => !u.silent);
      const rate = file.sampleRateHz!;
      const ranges = units.map((u) => {
        const analysisStart = convertSampleRate(u.startFrame, rate, ANALYSIS_RATE_HZ);
        const analysisEnd = convertSampleRate(u.endFrame, rate, ANALYSIS_RATE_HZ);
        const start = convertSampleRate(analysisStart, ANALYSIS_RATE_HZ, embedder.sampleRateHz);
        const end = convertSampleRate(analysisEnd, ANALYSIS_RATE_HZ, embedder.sampleRateHz);
        return { startSample: start, endSample: Math.min(end, start + embedder.maxUnitSamples), descriptors: u.vector };
      });
      const whole = await embedder.embedUnits(mono, ranges);
      units.forEach((u, i) => {
        const streamed = u.embedding!;
        let maxDiff = 0;
        for (let j = 0; j < dim; j++) maxDiff = Math.max(maxDiff, Math.abs(streamed[j]! - whole[i]![j]!));
        expect(maxDiff).toBeLessThan(1e-3);
      });
    } finally {
      await embedder.close();
      await service.close();
    }
  });

  it("a clip query is embedded like the corpus: its own unit is the nearest by embedding alone", async () => {
    const service = await open(join(temp.dir, "db1"));
    try {
      const path = join(root, "elec_ping.flac");
      const { info, channels } = await readWholeFile(path);
      const result = await service.find({
        target: { channels, sampleRateHz: info.sampleRateHz },
        k: 3,
        weights: { timbre: 0, pitch: 0, loudness: 0, duration: 0, embedding: 1 },
      });
      expect(result.hits[0]!.path).toBe(path);
      expect(result.hits[0]!.distance).toBeLessThan(0.01);
      const file = await service.find({ target: { path: join(root, "bd_haus.flac") }, k: 1, weights: { embedding: 1, timbre: 0, pitch: 0, loudness: 0, duration: 0 } });
      expect(file.query.source).toBe("corpus-file");
      expect(file.hits[0]!.path).not.toBe(join(root, "bd_haus.flac"));
    } finally {
      await service.close();
    }
  });

  it("regeneration embeds its target like the corpus: each unit finds itself at distance ~0 (own file included)", async () => {
    const service = await open(join(temp.dir, "db1"));
    try {
      const result = await service.regenerate({
        target: { path: join(root, "loop_amen.flac") },
        outPath: join(temp.dir, "self.wav"),
        options: { includeTarget: true, variety: 0, novelty: 0, join: 0, peak: "off" },
        weights: { timbre: 0, pitch: 0, loudness: 0, duration: 0, embedding: 1 },
      });
      const sidecar = JSON.parse(await readFile(result.sidecarPath, "utf8")) as { units: { source: { path: string } | null; distance: number }[] };
      const used = sidecar.units.filter((u) => u.source !== null);
      expect(used.length).toBeGreaterThan(3);
      for (const unit of used) {
        expect(unit.source!.path).toBe(join(root, "loop_amen.flac"));
        expect(unit.distance).toBeLessThan(0.01);
      }
    } finally {
      await service.close();
    }
  });

  it("regeneration ranks by the descriptors unless asked: the default equals embedding=0, and its sidecar says so", async () => {
    const service = await open(join(temp.dir, "db1"));
    try {
      const run = async (name: string, weights?: Partial<GroupWeights>) => {
        const result = await service.regenerate({
          target: { path: join(root, "loop_amen.flac") },
          outPath: join(temp.dir, `${name}.wav`),
          options: { seed: 3 },
          ...(weights ? { weights } : {}),
        });
        const sidecar = JSON.parse(await readFile(result.sidecarPath, "utf8")) as { weights: GroupWeights; units: { source: { path: string; unitIndex: number } | null; distance: number }[] };
        return { wav: await readFile(result.outPath), sidecar };
      };
      const byDefault = await run("default");
      const descriptors = await run("descriptors", { embedding: 0 });
      const partial = await run("partial", { timbre: 1 });
      const withEmbedding = await run("embedding", { embedding: 1 });
      expect(byDefault.sidecar.weights).toEqual(REGEN_DEFAULT_WEIGHTS);
      expect(REGEN_DEFAULT_WEIGHTS.embedding).toBe(0);
      expect(byDefault.wav.equals(descriptors.wav)).toBe(true);
      expect(byDefault.wav.equals(partial.wav)).toBe(true);
      expect(withEmbedding.sidecar.weights).toEqual({ ...REGEN_DEFAULT_WEIGHTS, embedding: 1 });
      // With the embedding weighed in, the distances are over other columns: the runs differ unit by unit.
      const distances = (s: typeof byDefault.sidecar) => s.units.map((u) => u.distance);
      expect(distances(withEmbedding.sidecar)).not.toEqual(distances(byDefault.sidecar));
    } finally {
      await service.close();
    }
  });

  it("keeps the corpus's model on reopen; 'none' drops the embedded units and the next index re-analyses", async () => {
    const dataDir = join(temp.dir, "db1");
    const again = await open(dataDir);
    try {
      expect(again.corpus.embedding).toEqual({ model: modelId, dim });
      expect(again.embeddingModelDir).toBe(defaultModelDir());
    } finally {
      await again.close();
    }
    const none = await open(dataDir, null);
    try {
      expect(none.corpus.embedding).toBeNull();
      expect(none.corpus.store.counts().units).toBe(0);
      const summary = await none.index();
      expect(summary.filesAnalysed).toBe(FILES.length);
      expect(none.corpus.space.embeddingDim).toBe(0);
      const file = none.corpus.store.getFileByPath(join(root, "loop_amen.flac"))!;
      const units = none.corpus.store.unitsOfFile(file.id);
      expect(units.length).toBeGreaterThan(0);
      expect(units.every((u) => u.embedding === null)).toBe(true);
    } finally {
      await none.close();
    }
  });

  it("a new corpus takes the default model only when asked for one", async () => {
    const plain = await MassAudio.open({ dataDir: join(temp.dir, "db2"), analyzer: createInlineAnalyzer() });
    expect(plain.corpus.embedding).toBeNull();
    await plain.close();
    const fresh = await MassAudio.open({ dataDir: join(temp.dir, "db3"), analyzer: createInlineAnalyzer(), defaultEmbeddingModel: DEFAULT_MODEL_NAME });
    expect(fresh.corpus.embedding).toEqual({ model: modelId, dim });
    await fresh.close();
    // an existing descriptors-only corpus is not switched by the default
    const kept = await MassAudio.open({ dataDir: join(temp.dir, "db2"), analyzer: createInlineAnalyzer(), defaultEmbeddingModel: DEFAULT_MODEL_NAME });
    expect(kept.corpus.embedding).toBeNull();
    await kept.close();
  });

  it("a corpus whose model folder is gone fails to open with a ModelError naming the model", async () => {
    const modelCopy = join(temp.dir, "model-copy");
    await cp(defaultModelDir(), modelCopy, { recursive: true });
    const dataDir = join(temp.dir, "db4");
    const first = await open(dataDir, modelCopy);
    await first.close();
    await rm(modelCopy, { recursive: true, force: true });
    const error = await open(dataDir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect((error as Error).message).toContain(modelId);
    expect((error as Error).message).toContain("--model");
  });
});
