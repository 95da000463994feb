/**
 * `npm run bench -- embed [--json] [--quick]`: speed of the ONNX embedding path on one core (ORT with one
 * intra-op thread, the worker setting), on the CC0 corpus:
 *
 * - front end + inference (`embedUnits` on the non-silent units `analyzeFile` finds, mono already
 *   decoded at the model's rate), with the front end's own share, and the log-mel front end alone;
 * - the batch-size effect (1, 8, 32, 128 patches per ORT run);
 * - frame embeddings of whole files (the `embed` command's path, patches every model hop);
 * - analysis + embedding: `analyzeFile` (decode + onsets + descriptors) vs embedding on the same files, and
 *   the embedding's share of the total (decode shared, as the indexing worker does it; and with a second
 *   decode to mono at the model rate, as a standalone pass would).
 *
 * Every figure is the median of several runs (the machine is shared); the main ones are also given by CPU
 * time of this process, which a busy machine disturbs less than wall time. Uses the shipped default model;
 * while it is absent, the tiny test fixture model (test/fixtures/embed/tiny-logmel), said so in the output.
 */
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { convertSampleRate } from "../src/core/dsp/time.js";
import { analyzeFile } from "../src/io/analyze-file.js";
import { defaultModelDir, loadUnitEmbedder, readMonoFile, type OnnxEmbedder, type UnitRange } from "../src/io/onnx-embedder.js";
import { packageRoot } from "../src/cli/paths.js";
import { CC0_CORPUS_DIR, median, type BenchFigure } from "./bench-util.js";

/** The goal: default model inference >= 200x realtime per core including the log-mel front end. */
const GOAL_REALTIME = 200;
const BATCH_SIZES = [1, 8, 32, 128];

interface FileMaterial {
  readonly path: string;
  readonly mono: Float32Array;
  readonly audioSec: number;
  readonly units: UnitRange[];
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const value = await fn();
  return [value, (performance.now() - t0) / 1000];
}

/** CPU seconds (user + system, all threads of this process: JS and ORT's) that `fn` took. */
async function cpuSeconds(fn: () => Promise<unknown>): Promise<number> {
  const before = process.cpuUsage();
  await fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}

/** Median wall seconds of `runs` passes of `pass` over all files (after one warm-up pass). */
async function medianPass(runs: number, pass: () => Promise<void>): Promise<number> {
  await pass();
  const times: number[] = [];
  for (let r = 0; r < runs; r++) times.push((await timed(pass))[1]);
  return median(times);
}

async function embedAllUnits(embedder: OnnxEmbedder, files: readonly FileMaterial[]): Promise<void> {
  for (const file of files) if (file.units.length > 0) await embedder.embedUnits(file.mono, file.units);
}

export async function runEmbedBench(options: { quick?: boolean } = {}): Promise<{ figures: BenchFigure[]; json: Record<string, unknown> }> {
  const quick = options.quick ?? false;
  const runs = quick ? 3 : 5;
  const shipped = existsSync(join(defaultModelDir(), "manifest.json"));
  const modelDir = shipped ? defaultModelDir() : join(packageRoot(), "test", "fixtures", "embed", "tiny-logmel");
  const figures: BenchFigure[] = [];
  const json: Record<string, unknown> = { model: modelDir, shippedModel: shipped, runs, intraOpThreads: 1 };

  const embedder = await loadUnitEmbedder(modelDir, { intraOpThreads: 1 });
  const rateHz = embedder.sampleRateHz;
  json["modelName"] = embedder.modelName;
  const names = (await readdir(CC0_CORPUS_DIR)).filter((n) => n.endsWith(".flac")).sort();
  const paths = (quick ? names.slice(0, 40) : names).map((n) => join(CC0_CORPUS_DIR, n));

  // material: units from the analysis (in the model's rate), mono at the model's rate
  const files: FileMaterial[] = [];
  for (const path of paths) {
    const analysis = await analyzeFile(path);
    const { mono } = await readMonoFile(path, rateHz);
    const sourceRate = analysis.info.sampleRateHz;
    const units = analysis.units
      .filter((u) => !u.silent)
      .map((u) => ({
        startSample: convertSampleRate(u.startFrame, sourceRate, rateHz),
        endSample: convertSampleRate(u.endFrame, sourceRate, rateHz),
        descriptors: u.vector, // a unit head's second input
      }))
      .filter((u) => u.endSample > u.startSample);
    files.push({ path, mono, audioSec: analysis.audioSec, units });
  }
  const audioSec = files.reduce((s, f) => s + f.audioSec, 0);
  const unitCount = files.reduce((s, f) => s + f.units.length, 0);
  json["files"] = files.length;
  json["audioSec"] = audioSec;
  json["units"] = unitCount;
  const label = shipped ? embedder.modelName : "TINY FIXTURE model (default model absent)";
  process.stderr.write(`embed bench: ${label}, ${files.length} files, ${audioSec.toFixed(1)} s, ${unitCount} non-silent units\n`);

  // 1. front end + inference, batch 32 (the default), with the split (medians of the same passes)
  await embedAllUnits(embedder, files); // warm-up
  const walls: number[] = [];
  const cpus: number[] = [];
  const fronts: number[] = [];
  const inferences: number[] = [];
  const heads: number[] = [];
  let patchesPerPass = 0;
  for (let r = 0; r < runs; r++) {
    const before = { ...embedder.timings };
    const t0 = performance.now();
    cpus.push(await cpuSeconds(() => embedAllUnits(embedder, files)));
    walls.push((performance.now() - t0) / 1000);
    fronts.push(embedder.timings.frontEndSec - before.frontEndSec);
    inferences.push(embedder.timings.inferenceSec - before.inferenceSec);
    heads.push(embedder.timings.headSec - before.headSec);
    patchesPerPass = embedder.timings.patches - before.patches;
  }
  const unitsSec = median(walls);
  const frontEndShare = median(fronts) / unitsSec;
  const inferenceShare = median(inferences) / unitsSec;
  const headShare = median(heads) / unitsSec;
  const unitsRealtime = audioSec / unitsSec;
  figures.push({
    name: `${label}: front end + inference, units (batch 32, 1 thread)`,
    value: unitsRealtime,
    unit: "x realtime",
    goal: `>= ${GOAL_REALTIME}`,
    pass: unitsRealtime >= GOAL_REALTIME,
  });
  const cpuRealtime = audioSec / median(cpus);
  figures.push({ name: "  same, by CPU time (less sensitive to a busy machine)", value: cpuRealtime, unit: "x realtime" });
  figures.push({ name: "  per unit", value: (unitsSec / unitCount) * 1e6, unit: "us" });
  figures.push({ name: "  per patch", value: (unitsSec / patchesPerPass) * 1e6, unit: "us" });
  figures.push({ name: "  log-mel front end share", value: 100 * frontEndShare, unit: "%" });
  figures.push({ name: "  ORT inference share (patch model)", value: 100 * inferenceShare, unit: "%" });
  if (embedder.needsDescriptors) figures.push({ name: "  unit head share (ORT)", value: 100 * headShare, unit: "%" });
  json["unitsRealtimeFactor"] = unitsRealtime;
  json["unitsSec"] = unitsSec;
  json["unitsCpuRealtimeFactor"] = cpuRealtime;
  json["usPerUnit"] = (unitsSec / unitCount) * 1e6;
  json["patchesPerPass"] = patchesPerPass;
  json["frontEndShare"] = frontEndShare;
  json["inferenceShare"] = inferenceShare;
  json["headShare"] = headShare;

  // 2. batch-size effect
  const batchFigures: Record<string, number> = {};
  const batchCpuFigures: Record<string, number> = {};
  for (const batchSize of BATCH_SIZES) {
    const e = await loadUnitEmbedder(modelDir, { intraOpThreads: 1, batchSize });
    try {
      await embedAllUnits(e, files); // warm-up
      const walls: number[] = [];
      const cpus: number[] = [];
      for (let r = 0; r < runs; r++) {
        const t0 = performance.now();
        cpus.push(await cpuSeconds(() => embedAllUnits(e, files)));
        walls.push((performance.now() - t0) / 1000);
      }
      batchFigures[String(e.batchSize)] = audioSec / median(walls);
      batchCpuFigures[String(e.batchSize)] = audioSec / median(cpus);
      figures.push({
        name: `  batch ${e.batchSize} (wall; CPU time: ${(audioSec / median(cpus)).toFixed(0)}x)`,
        value: audioSec / median(walls),
        unit: "x realtime",
      });
    } finally {
      await e.close();
    }
  }
  json["batchRealtimeFactor"] = batchFigures;
  json["batchCpuRealtimeFactor"] = batchCpuFigures;

  // 3. front end alone (PFFFT, the default; and fft.js double precision)
  for (const fft of ["pffft", "fftjs"] as const) {
    const e = await loadUnitEmbedder(modelDir, { intraOpThreads: 1, fft });
    try {
      const frontSec: number[] = [];
      for (let r = 0; r <= runs; r++) {
        const t0 = e.timings.frontEndSec;
        await embedAllUnits(e, files);
        if (r > 0) frontSec.push(e.timings.frontEndSec - t0);
      }
      const factor = audioSec / median(frontSec);
      figures.push({ name: `log-mel front end alone (${fft})`, value: factor, unit: "x realtime" });
      json[`frontEndRealtimeFactor_${fft}`] = factor;
    } finally {
      await e.close();
    }
  }

  // 4. frame embeddings of whole files (the embed command, without decode and .npz)
  const framesSec = await medianPass(runs, async () => {
    for (const file of files) await embedder.embedFrames(file.mono, { center: true });
  });
  figures.push({ name: "frame embeddings, whole files (embed command path)", value: audioSec / framesSec, unit: "x realtime" });
  json["framesRealtimeFactor"] = audioSec / framesSec;

  // 5. analysis + embedding on the same files
  const analysisSec = await medianPass(runs, async () => {
    for (const file of files) await analyzeFile(file.path);
  });
  const decodeSec = await medianPass(runs, async () => {
    for (const file of files) await readMonoFile(file.path, rateHz);
  });
  const sharedShare = unitsSec / (analysisSec + unitsSec);
  const separateShare = (unitsSec + decodeSec) / (analysisSec + unitsSec + decodeSec);
  figures.push({ name: "analyzeFile (decode + onsets + descriptors)", value: audioSec / analysisSec, unit: "x realtime" });
  figures.push({ name: "analysis + embedding (decode shared)", value: audioSec / (analysisSec + unitsSec), unit: "x realtime" });
  figures.push({ name: "  embedding's share of indexing time", value: 100 * sharedShare, unit: "%" });
  figures.push({ name: "analysis + decode to model rate + embedding", value: audioSec / (analysisSec + decodeSec + unitsSec), unit: "x realtime" });
  figures.push({ name: "  embedding's share (with its own decode)", value: 100 * separateShare, unit: "%" });
  json["analysisRealtimeFactor"] = audioSec / analysisSec;
  json["decodeToModelRateSec"] = decodeSec;
  json["analysisPlusEmbeddingRealtimeFactor"] = audioSec / (analysisSec + unitsSec);
  json["embeddingShareOfIndexing"] = sharedShare;
  json["embeddingShareWithOwnDecode"] = separateShare;

  await embedder.close();
  return { figures, json };
}
