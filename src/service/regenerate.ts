/**
 * Regenerate a clip from the corpus (concatenative resynthesis): the target is cut into units with the
 * corpus analysis code, every unit gets k candidates from the index (filters and weights as in `find`;
 * the weights' default differs: descriptors only, `REGEN_DEFAULT_WEIGHTS`),
 * a sequence search picks one per unit (target + join costs, stickiness, novelty, variety), the chosen
 * source ranges are read through a bounded cache, fitted, gain-matched and overlap-added, and the result is
 * written as a WAV (temporary name + rename) with a JSON sidecar naming every unit used.
 *
 * Determinism: the same corpus version, target, options and seed give the same bytes (the search, the
 * selection noise and the rendering are all deterministic; nothing depends on time or thread order).
 *
 * Responsiveness: the target is decoded and analysed in the service's worker pool when one is given
 * (`deps.analyzer`); everything else runs on the calling thread in slices of about `deps.sliceMs` (4 ms),
 * yielding to the event loop in between, so a daemon keeps answering queries while a regeneration runs.
 * Slicing changes nothing in the result: the same steps run in the same order.
 */
import { constants as fsConstants } from "node:fs";
import { access, readFile, rm, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { resolveAnalysisOptions, type AnalysisOptions } from "../core/analysis/analysis-params.js";
import { descriptorIndex } from "../core/analysis/schema.js";
import type { Unit } from "../core/analysis/unit.js";
import { resampleAll } from "../core/dsp/resample.js";
import { samplesToSeconds } from "../core/dsp/time.js";
import { MassAudioError, ParameterError, WriteError } from "../core/errors.js";
import { PeakSafety } from "../core/render/peak-limit.js";
import { SequenceRenderer, type RenderOptions, type RenderResult, type RenderUnit } from "../core/render/render-sequence.js";
import { RenderWorkspace } from "../core/render/render-workspace.js";
import { spectralResidualSteps } from "../core/render/spectral-residual.js";
import { buildLattice, type CandidateLattice, type LatticeCandidate } from "../core/select/candidate-lattice.js";
import { resolveRegenOptions, type RegenOptions } from "../core/select/regen-params.js";
import { SequenceSearch, type Selection, type SelectionOptions } from "../core/select/sequence-select.js";
import type { Analyzer } from "../corpus/analyzer.js";
import { categoriesOfMask } from "../corpus/categories.js";
import type { Corpus } from "../corpus/corpus.js";
import { identifyFile } from "../corpus/fingerprint.js";
import { DEFAULT_GROUP_WEIGHTS, standardise, type FeatureSpace, type GroupWeights } from "../corpus/feature-space.js";
import { resolveWeights } from "../corpus/search.js";
import type { UnitRecord } from "../corpus/store.js";
import type { UnitFilter } from "../corpus/unit-filter.js";
import { analyzeClip, analyzeSamples } from "../io/analyze-file.js";
import { writeFileAtomically } from "../io/atomic-write.js";
import type { UnitEmbedderPort } from "../io/unit-embedding-collector.js";
import { readWholeFile } from "../io/audio-reader.js";
import { WavEncoder, wavByteLength, type WavSampleFormat } from "../io/wav-writer.js";
import { cachedUnit, prepareCandidateSearch } from "./candidate-search.js";
import { SourceCache } from "./source-cache.js";
import { DEFAULT_SLICE_MS, runStepsSliced, TimeSlicer, type Yielder } from "./time-slicer.js";

/** Why a regeneration could not run (beyond bad parameters, unreadable files and write failures). */
export type RegenerateFailure = "target_no_units" | "empty_corpus" | "no_candidates";

export class RegenerateError extends MassAudioError {
  readonly reason: RegenerateFailure;
  constructor(reason: RegenerateFailure, message: string) {
    super(`regen_${reason}`, message);
    this.reason = reason;
  }
}

export type RegenerateTarget =
  | { readonly path: string }
  | { readonly channels: readonly Float32Array[]; readonly sampleRateHz: number; readonly name?: string; readonly bitDepth?: number };

/**
 * Default weights of a regeneration: the descriptor groups, embedding 0. Matching the target's spectrum,
 * pitch and level is what a mosaic is judged by; the learned embedding ranks by what a sound is, and on the
 * CC0 loops any weight of it made the output further from the target (`npm run eval -- regen --weights
 * embedding=0.25`: +2.9 dB log-mel distance). A request's weights fill in from these, so
 * `embedding=1` adds the embedding to the descriptors.
 */
export const REGEN_DEFAULT_WEIGHTS: GroupWeights = { ...DEFAULT_GROUP_WEIGHTS, embedding: 0 };

export interface RegenerateRequest {
  readonly target: RegenerateTarget;
  /** Options of `REGEN_PARAMETERS` (raw values are validated). */
  readonly options?: Partial<Record<keyof RegenOptions, unknown>>;
  readonly filter?: UnitFilter;
  /** Group weights; missing groups take `REGEN_DEFAULT_WEIGHTS`. */
  readonly weights?: Partial<GroupWeights>;
  /** Segmentation of the target (default: the analysis defaults, as the corpus). */
  readonly analysis?: Partial<AnalysisOptions>;
}

export type RegenerateStage = "analyse" | "search" | "select" | "read" | "render" | "write";

export interface RegenerateProgress {
  readonly stage: RegenerateStage;
  readonly done: number;
  readonly total: number;
}

/** One target unit of the result, as listed in the sidecar. */
export interface RegeneratedUnit {
  readonly index: number;
  /** The slot in the output, output frames. */
  readonly slot: { readonly startFrame: number; readonly endFrame: number; readonly startSec: number; readonly endSec: number };
  /** The unit used, null when the slot stayed silent. */
  readonly source: {
    readonly unitId: number;
    readonly path: string;
    readonly startFrame: number;
    readonly endFrame: number;
    readonly sampleRateHz: number;
    readonly categories: string[];
    /** Context read around the unit for the crossfades, source frames (before, after). */
    readonly marginFrames: number;
  } | null;
  readonly distance: number;
  readonly joinCost: number;
  /** Continues the previous unit in its own file (seamless join). */
  readonly continues: boolean;
  readonly gainDb: number;
  readonly stretch: number;
  readonly repeats: number;
  readonly semitones: number;
  readonly layer: number;
}

export interface StageTimings {
  readonly analyseMs: number;
  readonly searchMs: number;
  readonly selectMs: number;
  readonly readMs: number;
  readonly renderMs: number;
  readonly writeMs: number;
}

export interface RegeneratedAudio {
  readonly channels: Float32Array[];
  readonly sampleRateHz: number;
  readonly format: WavSampleFormat;
  readonly units: RegeneratedUnit[];
  readonly options: RegenOptions;
  readonly target: {
    readonly name: string;
    /** Absolute path of a file target (absent for in-memory clips). */
    readonly path?: string;
    readonly sampleRateHz: number;
    readonly frames: number;
    readonly channels: number;
    readonly units: number;
  };
  /** The target at the output rate (for comparisons). */
  readonly targetChannels: readonly Float32Array[];
  readonly timings: StageTimings;
  readonly selectionCost: number;
  readonly peakGain: number;
}

export interface RegenerateResult {
  readonly outPath: string;
  readonly sidecarPath: string;
  /** Duration of the output, seconds. */
  readonly seconds: number;
  /** Target units (slots), and how many got a source. */
  readonly units: number;
  readonly unitsFilled: number;
  readonly sampleRateHz: number;
  readonly channelCount: number;
  readonly format: WavSampleFormat;
  readonly timings: StageTimings;
}

export interface RegenerateDeps {
  /** A source cache to use (and keep warm across calls); default a new one closed at the end. */
  readonly cache?: SourceCache;
  /** Replaces the sequence search (evaluation baselines). */
  readonly selector?: (lattice: CandidateLattice, options: SelectionOptions) => Selection;
  /** Replaces the index search for one target unit (evaluation baselines, e.g. random units). */
  readonly candidates?: (step: number, unit: Unit, filter: UnitFilter) => { unitIds: number[]; distances: number[] };
  /**
   * Analyses the target off the main thread (a worker pool); default: the holder's `targetAnalyzer()`
   * (the service's pool). null, or an analyzer that cannot analyse targets: on the calling thread.
   */
  readonly analyzer?: Analyzer | null;
  /**
   * Longest stretch of main-thread work between two yields to the event loop, ms (default
   * `DEFAULT_SLICE_MS`, 4 ms): queries keep being answered while a regeneration runs.
   */
  readonly sliceMs?: number;
  /**
   * Large buffers to reuse (render outputs, limiter gains, layer sums) instead of allocating them. The
   * returned audio's channels are then views of the workspace: valid until it is used again. The caller
   * lends it to one regeneration at a time. `regenerate` and `rerender` borrow one of their own.
   */
  readonly workspace?: RenderWorkspace;
}

/** The corpus, or an object holding it (the `MassAudio` service, which also lends its worker pool). */
type CorpusHolder =
  | Corpus
  | {
      readonly corpus: Corpus;
      targetAnalyzer?(): Analyzer | undefined;
      /** The corpus's embedding model folder (targets are embedded like corpus units). */
      readonly embeddingModelDir?: string;
      /** The calling thread's embedder for that model. */
      embedder?(): Promise<UnitEmbedderPort | undefined>;
    };

/** How the target gets embeddings like the corpus units: the model folder (worker jobs) or this thread's embedder. */
interface EmbeddingPort {
  readonly modelDir: string;
  embedder(): Promise<UnitEmbedderPort | undefined>;
}

function embeddingOf(holder: CorpusHolder): EmbeddingPort | undefined {
  if ("catalog" in holder || !holder.embeddingModelDir || !holder.corpus.embedding) return undefined;
  const modelDir = holder.embeddingModelDir;
  return { modelDir, embedder: async () => (holder.embedder ? holder.embedder() : undefined) };
}

const PITCH_MIDI = descriptorIndex("pitchMidi");
/** Limiter look-ahead: 5 ms. */
const LIMITER_LOOKAHEAD_SEC = 0.005;
/** Edge and timbre columns of the join cost: level and brightness at the unit's start / end, plus timbre means. */
const JOIN_IN = ["rmsDb.start", "centroidHz.start", "mfcc1.mean", "mfcc2.mean", "flatness.mean"].map(descriptorIndex);
const JOIN_OUT = ["rmsDb.end", "centroidHz.end", "mfcc1.mean", "mfcc2.mean", "flatness.mean"].map(descriptorIndex);

function corpusOf(holder: CorpusHolder): Corpus {
  return "catalog" in holder ? holder : holder.corpus;
}

function analyzerOf(holder: CorpusHolder, deps: RegenerateDeps): Analyzer | undefined {
  if (deps.analyzer !== undefined) return deps.analyzer ?? undefined;
  return "catalog" in holder ? undefined : holder.targetAnalyzer?.();
}

function report(onProgress: ((p: RegenerateProgress) => void) | undefined, stage: RegenerateStage, done: number, total: number): void {
  onProgress?.({ stage, done, total });
}

function formatOf(option: RegenOptions["bitDepth"], targetBitDepth: number | undefined): WavSampleFormat {
  if (option === "16") return "int16";
  if (option === "24") return "int24";
  if (option === "32f") return "float32";
  if (targetBitDepth === undefined || targetBitDepth <= 16) return "int16";
  return targetBitDepth <= 24 ? "int24" : "float32";
}

/** Semitones to move a source unit to the target unit's pitch: within an octave of it, 0 when either is unpitched. */
export function followSemitones(targetMidi: number, sourceMidi: number): number {
  if (!Number.isFinite(targetMidi) || !Number.isFinite(sourceMidi)) return 0;
  let d = targetMidi - sourceMidi;
  if (Math.abs(d) > 12) d = d - 12 * Math.round(d / 12);
  return Math.round(d * 100) / 100;
}

interface LoadedTarget {
  readonly name: string;
  readonly path?: string;
  readonly channels: readonly Float32Array[];
  readonly sampleRateHz: number;
  readonly bitDepth: number | undefined;
}

async function loadTarget(target: RegenerateTarget): Promise<LoadedTarget> {
  if ("path" in target) {
    const path = resolve(target.path);
    const { info, channels } = await readWholeFile(path);
    return { name: path, path, channels, sampleRateHz: info.sampleRateHz, bitDepth: info.bitDepth };
  }
  return { name: target.name ?? "<clip>", channels: target.channels, sampleRateHz: target.sampleRateHz, bitDepth: target.bitDepth };
}

/**
 * Decodes (file targets) and analyses the target with the corpus code path: in the analyzer's worker pool
 * when it offers target analysis (a clip's samples go there as a copy, moved rather than cloned), else
 * here. A failure off-thread is repeated here, so that it surfaces as the same typed error (DecodeError,
 * AnalysisError ...) with its fields.
 */
async function analyseTarget(
  spec: RegenerateTarget,
  options: AnalysisOptions,
  analyzer: Analyzer | undefined,
  embedding: EmbeddingPort | undefined,
  yielder: Yielder,
  workspace?: RenderWorkspace,
): Promise<{ target: LoadedTarget; units: Unit[]; embeddings: (Float32Array | null)[] | undefined }> {
  if (analyzer?.analyzeTarget) {
    const path = "path" in spec ? resolve(spec.path) : undefined;
    const model = embedding ? { embeddingModelDir: embedding.modelDir } : {};
    const outcome = await analyzer.analyzeTarget(
      "path" in spec
        ? { path: path!, options, ...model }
        : {
            // into shared memory the worker reads in place (reused from one regeneration to the next), else a copy it takes over
            channels: workspace
              ? await copyIntoSliced(spec.channels, workspace.sharedChannels("target", spec.channels.length, spec.channels[0]?.length ?? 0), yielder)
              : await copySliced(spec.channels, yielder),
            sampleRateHz: spec.sampleRateHz,
            name: spec.name ?? "<clip>",
            options,
            ...model,
          },
    );
    if (outcome.ok) {
      const target: LoadedTarget =
        "path" in spec
          ? { name: path!, path, channels: outcome.channels ?? [], sampleRateHz: outcome.sampleRateHz, bitDepth: outcome.bitDepth }
          : { name: spec.name ?? "<clip>", channels: spec.channels, sampleRateHz: spec.sampleRateHz, bitDepth: spec.bitDepth };
      return { target, units: outcome.units, embeddings: outcome.embeddings };
    }
  }
  const target = await loadTarget(spec);
  const embedder = embedding ? await embedding.embedder() : undefined;
  const analysis = await analyzeClip(target.channels, target.sampleRateHz, options, target.name, embedder ? { embedder } : {});
  return { target, units: analysis.units, embeddings: analysis.embeddings };
}

/** New copies of the arrays (they move to a worker), copied in slices. */
function copySliced(channels: readonly Float32Array[], yielder: Yielder): Promise<Float32Array[]> {
  return copyIntoSliced(
    channels,
    channels.map((data) => new Float32Array(data.length)),
    yielder,
  );
}

/** Copies each array into the one at the same index of `into` (as long or longer), in slices. @returns `into`. */
async function copyIntoSliced(channels: readonly Float32Array[], into: Float32Array[], yielder: Yielder): Promise<Float32Array[]> {
  channels.forEach((data, c) => {
    if (into[c]!.length < data.length) throw new RangeError(`copy: channel ${c} holds ${into[c]!.length} values, needs ${data.length}`);
  });
  for (const [c, data] of channels.entries()) {
    const copy = into[c]!;
    for (let from = 0; from < data.length; from += CHUNK_FRAMES) {
      copy.set(data.subarray(from, Math.min(data.length, from + CHUNK_FRAMES)), from);
      if (yielder.due()) await yielder.pause();
    }
  }
  return into;
}

/** Copies `data[from, from + length)` into a new array, zeros outside. */
function window(data: Float32Array, from: number, length: number): Float32Array {
  const out = new Float32Array(length);
  const start = Math.max(0, from);
  const end = Math.min(data.length, from + length);
  if (end > start) out.set(data.subarray(start, end), start - from);
  return out;
}

/** The source frames `readUnitSource` reads for a unit (`readStart` may be negative: zeros are added). */
function unitReadRange(sourceRate: number, startFrame: number, endFrame: number, outRate: number, marginFrames: number): { sourceMargin: number; readStart: number; readEnd: number } {
  const sourceMargin = Math.ceil((marginFrames * sourceRate) / outRate) + 2;
  return { sourceMargin, readStart: startFrame - sourceMargin, readEnd: endFrame + sourceMargin };
}

/**
 * Reads the chosen units' source ranges into the cache in file and position order, before they are used in
 * timeline order: a source without seeking (MP3, Ogg) is then decoded at most once, forwards, per
 * regeneration (readers keep their decoder position), instead of from its start for every unit that lies
 * before the previous one. Ranges the cache cannot hold are read again when used.
 */
async function prefetchInFileOrder(
  cache: SourceCache,
  wanted: readonly { path: string; sourceRate: number; startFrame: number; endFrame: number }[],
  outRate: number,
  marginFrames: number,
  yielder: Yielder,
): Promise<void> {
  const ranges = wanted.map((w) => ({ path: w.path, ...unitReadRange(w.sourceRate, w.startFrame, w.endFrame, outRate, marginFrames) }));
  ranges.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.readStart - b.readStart));
  for (const range of ranges) {
    await cache.read(range.path, Math.max(0, range.readStart), range.readEnd);
    if (yielder.due()) await yielder.pause();
  }
}

/**
 * Reads one unit with `marginFrames` (output frames) of context on each side and brings it to the output
 * rate: `unit + 2 * marginFrames` frames, the unit starting exactly `marginFrames` in (zeros where the file
 * has no context).
 */
async function readUnitSource(
  cache: SourceCache,
  path: string,
  sourceRate: number,
  startFrame: number,
  endFrame: number,
  outRate: number,
  marginFrames: number,
): Promise<{ source: Float32Array[]; sourceMargin: number }> {
  const { sourceMargin, readStart, readEnd } = unitReadRange(sourceRate, startFrame, endFrame, outRate, marginFrames);
  const range = await cache.read(path, Math.max(0, readStart), readEnd);
  const unitFrames = Math.max(1, Math.round(((endFrame - startFrame) * outRate) / sourceRate));
  const wantFrames = unitFrames + 2 * marginFrames;
  const source = range.channels.map((data) => {
    const padded = readStart < 0 ? window(data, readStart, data.length - readStart) : data;
    const atRate = sourceRate === outRate ? padded : resampleAll(padded, sourceRate, outRate);
    const offset = sourceRate === outRate ? sourceMargin - marginFrames : Math.round((sourceMargin * outRate) / sourceRate) - marginFrames;
    // Rendering only reads its sources: a view of the cached range is enough when it holds the window.
    return offset >= 0 && offset + wantFrames <= atRate.length ? atRate.subarray(offset, offset + wantFrames) : window(atRate, offset, wantFrames);
  });
  return { source, sourceMargin };
}

/** Frames processed between two checks of the time slice in whole-signal loops: 16384 frames (0.37 s at 44.1 kHz). */
const CHUNK_FRAMES = 16_384;

/** `out[c] += layer[c % layer.length]` over all frames, in slices. */
async function addInto(out: readonly Float32Array[], layer: readonly Float32Array[], yielder: Yielder): Promise<void> {
  const frames = out[0]?.length ?? 0;
  for (let from = 0; from < frames; from += CHUNK_FRAMES) {
    const to = Math.min(frames, from + CHUNK_FRAMES);
    for (let c = 0; c < out.length; c++) {
      const data = out[c]!;
      const layerData = layer[c % layer.length]!;
      for (let n = from; n < to; n++) data[n] = data[n]! + layerData[n]!;
    }
    if (yielder.due()) await yielder.pause();
  }
}

/**
 * `count` zeroed arrays of `frames` frames: workspace buffers called `name` (cleared in slices), or new ones.
 */
async function zeroedChannels(workspace: RenderWorkspace | undefined, name: string, count: number, frames: number, yielder: Yielder): Promise<Float32Array[]> {
  if (!workspace) return Array.from({ length: count }, () => new Float32Array(frames));
  const out = workspace.channels(name, count, frames);
  for (let from = 0; from < frames; from += CHUNK_FRAMES) {
    const to = Math.min(frames, from + CHUNK_FRAMES);
    for (const data of out) data.fill(0, from, to);
    if (yielder.due()) await yielder.pause();
  }
  return out;
}

/** The sum of the layers placed so far, per channel, in slices. */
async function sumLayers(layerOutputs: readonly Float32Array[][], frames: number, workspace: RenderWorkspace | undefined, yielder: Yielder): Promise<Float32Array[]> {
  const placed = await zeroedChannels(workspace, "placed", layerOutputs[0]!.length, frames, yielder);
  for (const out of layerOutputs) await addInto(placed, out, yielder);
  return placed;
}

/** The residual of the target after the layers placed so far (mono), in slices. */
async function residualOf(
  targetAtRate: readonly Float32Array[],
  layerOutputs: readonly Float32Array[][],
  workspace: RenderWorkspace | undefined,
  yielder: Yielder,
): Promise<Float32Array> {
  const placed = await sumLayers(layerOutputs, targetAtRate[0]!.length, workspace, yielder);
  return runStepsSliced(spectralResidualSteps(targetAtRate, placed), yielder);
}

/**
 * Sums the layers (mono layers go to every channel), mixes wet/dry with the target, makes the result
 * peak-safe; in slices.
 */
async function mixLayers(
  layerOutputs: readonly Float32Array[][],
  targetAtRate: readonly Float32Array[],
  wet: number,
  peak: RegenOptions["peak"],
  outRate: number,
  yielder: Yielder,
  workspace: RenderWorkspace | undefined,
): Promise<{ mix: Float32Array[]; peakGain: number }> {
  const channelCount = Math.max(...layerOutputs.map((out) => out.length));
  const frames = layerOutputs[0]![0]!.length;
  let mix: Float32Array[];
  if (layerOutputs.length === 1 && layerOutputs[0]!.length === channelCount) {
    mix = layerOutputs[0]!;
  } else {
    mix = await zeroedChannels(workspace, "mix", channelCount, frames, yielder);
    for (const out of layerOutputs) await addInto(mix, out, yielder);
  }
  if (wet < 1) {
    const dry = 1 - wet;
    for (let from = 0; from < frames; from += CHUNK_FRAMES) {
      const to = Math.min(frames, from + CHUNK_FRAMES);
      for (let c = 0; c < mix.length; c++) {
        const data = mix[c]!;
        const original = targetAtRate[c % targetAtRate.length]!;
        for (let n = from; n < to; n++) data[n] = wet * data[n]! + dry * original[n]!;
      }
      if (yielder.due()) await yielder.pause();
    }
  }
  const stage = new PeakSafety(mix, peak, Math.max(1, Math.round(LIMITER_LOOKAHEAD_SEC * outRate)), undefined, workspace);
  while (!stage.run(CHUNK_FRAMES)) if (yielder.due()) await yielder.pause();
  return { mix, peakGain: stage.gain };
}

/** Renders a layer in pieces of about `CHUNK_FRAMES` frames of work, yielding when the slice is used up. */
async function renderSliced(
  reference: readonly Float32Array[],
  units: readonly RenderUnit[],
  options: RenderOptions,
  yielder: Yielder,
  workspace: RenderWorkspace | undefined,
  layer: number,
): Promise<RenderResult> {
  const renderer = new SequenceRenderer(reference, units, options, workspace ? { workspace, outputName: `layer${layer}` } : undefined);
  while (!renderer.done) {
    renderer.step(CHUNK_FRAMES);
    if (yielder.due()) await yielder.pause();
  }
  while (!renderer.clearAhead(CHUNK_FRAMES)) if (yielder.due()) await yielder.pause();
  return renderer.finish();
}

/** The edge features of a candidate for the join cost, from its stored record. */
function latticeInfo(space: FeatureSpace, record: UnitRecord, z: Float64Array): Omit<LatticeCandidate, "unitId"> {
  standardise(space, record.vector, z);
  return {
    fileId: record.fileId,
    unitIndex: record.index,
    joinIn: Float32Array.from(JOIN_IN, (c) => z[c]!),
    joinOut: Float32Array.from(JOIN_OUT, (c) => z[c]!),
  };
}

/**
 * Runs analysis, search, selection and rendering, and returns the audio without writing it. The target
 * is analysed in a worker pool when one is at hand (`deps.analyzer`, else the holder's); everything else
 * runs on the calling thread in slices of about `deps.sliceMs`, yielding to the event loop in between.
 * @throws RegenerateError (target without units, empty corpus, filter matching nothing); DecodeError for
 *   an unreadable target or source; ParameterError for bad options, weights or filters.
 */
export async function regenerateAudio(
  holder: CorpusHolder,
  request: RegenerateRequest,
  onProgress?: (progress: RegenerateProgress) => void,
  deps: RegenerateDeps = {},
): Promise<RegeneratedAudio> {
  const corpus = corpusOf(holder);
  const options = resolveRegenOptions(request.options);
  const analysisOptions = resolveAnalysisOptions(request.analysis ?? {});
  const weights = resolveWeights(request.weights, REGEN_DEFAULT_WEIGHTS);
  const slicer = new TimeSlicer(deps.sliceMs ?? DEFAULT_SLICE_MS);
  const t0 = performance.now();

  // ---- analyse the target (the corpus code path); meanwhile, identify its file (to leave it out)
  report(onProgress, "analyse", 0, 1);
  const targetPath = "path" in request.target ? resolve(request.target.path) : undefined;
  const identifying = !options.includeTarget && targetPath ? identifyFile(targetPath) : undefined;
  identifying?.catch(() => undefined); // an unreadable target fails in the analysis first
  const { target, units, embeddings } = await analyseTarget(request.target, analysisOptions, analyzerOf(holder, deps), weights.embedding > 0 ? embeddingOf(holder) : undefined, slicer, deps.workspace);
  const targetFrames = target.channels[0]?.length ?? 0;
  if (!units.some((u) => !u.silent)) {
    throw new RegenerateError(
      "target_no_units",
      `${target.name}: no units to regenerate (silent, or shorter than the minimum unit of ${analysisOptions.minUnitMs} ms)`,
    );
  }
  report(onProgress, "analyse", 1, 1);
  const t1 = performance.now();
  slicer.restart();

  if (corpus.catalog.liveUnitCount === 0) throw new RegenerateError("empty_corpus", "the corpus has no units (index a folder first)");
  const excludeFileIds = [...(request.filter?.excludeFileIds ?? [])];
  if (identifying && target.path) {
    // The target's own file, found by path and by content (a copy or a symlinked path is the same file).
    const own = corpus.store.getFileByPath(target.path);
    if (own) excludeFileIds.push(own.id);
    const identity = await identifying;
    for (const file of corpus.store.findFilesByContent(identity.fingerprint, identity.sizeBytes)) {
      if (!excludeFileIds.includes(file.id)) excludeFileIds.push(file.id);
    }
    slicer.restart();
  }
  const filter: UnitFilter = { ...request.filter, excludeFileIds };
  const selectionOptions: SelectionOptions = {
    targetWeight: 1,
    joinWeight: options.join,
    stickiness: options.stickiness,
    stickinessBonus: 1,
    novelty: options.novelty,
    repeatPenalty: 2,
    boredomHalfLifeSteps: 4,
    variety: options.variety,
    varietyScale: 0.5,
    maxUses: options.maxUses,
    beamWidth: options.beamWidth,
    seed: options.seed,
  };
  const outRate = options.rateHz || target.sampleRateHz;
  const toOut = (frames: number): number => Math.round((frames * outRate) / target.sampleRateHz);
  const marginFrames = Math.round((options.crossfadeMs / 2000) * outRate);
  const slots = units.map((unit) => {
    const startFrame = toOut(unit.startFrame);
    const frames = Math.max(1, toOut(unit.endFrame) - startFrame);
    return { startFrame, endFrame: startFrame + frames, startSec: samplesToSeconds(startFrame, outRate), endSec: samplesToSeconds(startFrame + frames, outRate) };
  });
  const targetAtRate =
    outRate === target.sampleRateHz
      ? target.channels
      : target.channels.map((data) => window(resampleAll(data as Float32Array, target.sampleRateHz, outRate), 0, toOut(targetFrames)));
  const cache = deps.cache ?? new SourceCache({ maxBytes: options.cacheMb * 1024 * 1024 });
  const timing = { search: 0, select: 0, read: 0, render: 0 };
  const allUnits: RegeneratedUnit[] = [];
  const usedAt: Set<number>[] = units.map(() => new Set<number>());
  const layerOutputs: Float32Array[][] = [];
  let selectionCost = 0;
  let reference: readonly Float32Array[] = targetAtRate;
  await slicer.check();
  try {
    for (let layer = 1; layer <= options.layers; layer++) {
      // ---- what this layer must match: the target (layer 1), else the residual after the layers placed
      let ta = performance.now();
      let vectors: (Float32Array | null)[];
      if (layer === 1) {
        vectors = units.map((unit) => (unit.silent ? null : unit.vector));
      } else {
        const residual = await residualOf(targetAtRate, layerOutputs, deps.workspace, slicer);
        reference = [residual];
        vectors = [];
        for (let i = 0; i < slots.length; i++) {
          const slot = slots[i]!;
          if (units[i]!.silent) {
            vectors.push(null);
            continue;
          }
          const piece = analyzeSamples([residual.subarray(slot.startFrame, slot.endFrame)], outRate, { segment: "whole" }, target.name);
          vectors.push(piece.units.find((u) => !u.silent)?.vector ?? null);
          if (slicer.due()) await slicer.pause();
        }
      }

      // ---- candidates per target unit (units already used at a slot by earlier layers are left out)
      const extra = layer - 1;
      const found: { unitIds: number[]; distances: number[] }[] = [];
      if (deps.candidates) {
        for (let i = 0; i < units.length; i++) {
          const vector = vectors[i];
          found.push(vector ? deps.candidates(i, { ...units[i]!, vector }, filter) : { unitIds: [], distances: [] });
          if (slicer.due()) await slicer.pause();
        }
      } else {
        const searcher = await prepareCandidateSearch(corpus, options.k + extra, filter, weights, slicer);
        for (let i = 0; i < vectors.length; i++) {
          // Layer 1 matches the target units, embedded as the corpus is; residual layers by descriptors.
          found.push(searcher.search(vectors[i] ?? null, layer === 1 ? (embeddings?.[i] ?? null) : null));
          if (slicer.due()) await slicer.pause();
        }
      }
      const steps = found.map((step, i) => {
        if (extra === 0) return step;
        const keep = step.unitIds.map((id, j) => j).filter((j) => !usedAt[i]!.has(step.unitIds[j]!)).slice(0, options.k);
        return { unitIds: keep.map((j) => step.unitIds[j]!), distances: keep.map((j) => step.distances[j]!) };
      });
      report(onProgress, "search", layer, options.layers);
      if (!steps.some((step) => step.unitIds.length > 0)) {
        if (layer === 1) throw new RegenerateError("no_candidates", "no corpus unit matches the filter (check --folder / --category / ranges)");
        break;
      }
      // Records and join features of every distinct candidate (a store read each on large corpora).
      const records = new Map<number, UnitRecord>();
      const infos = new Map<number, Omit<LatticeCandidate, "unitId">>();
      const space = corpus.space;
      const z = new Float64Array(space.columns.length);
      for (const step of steps) {
        for (const unitId of step.unitIds) {
          if (records.has(unitId)) continue;
          const record = cachedUnit(corpus, unitId);
          records.set(unitId, record);
          infos.set(unitId, latticeInfo(space, record, z));
        }
        if (slicer.due()) await slicer.pause();
      }
      const lattice = buildLattice(steps, (unitId) => infos.get(unitId)!);
      let tb = performance.now();
      timing.search += tb - ta;

      // ---- sequence selection
      ta = tb;
      const layerSelection = { ...selectionOptions, seed: options.seed + layer - 1 };
      let selection: Selection;
      if (deps.selector) {
        selection = deps.selector(lattice, layerSelection);
      } else {
        const search = new SequenceSearch(lattice, layerSelection);
        while (!search.done) {
          search.step();
          if (slicer.due()) await slicer.pause();
        }
        selection = search.result();
      }
      selectionCost += selection.cost;
      report(onProgress, "select", layer, options.layers);
      tb = performance.now();
      timing.select += tb - ta;

      // ---- read the chosen source ranges
      ta = tb;
      const renderUnits: RenderUnit[] = [];
      const listed: Omit<RegeneratedUnit, "gainDb" | "stretch" | "repeats">[] = [];
      let channelCount = Math.min(2, target.channels.length);
      let previousSource: { fileId: number; endFrame: number } | null = null;
      let previousSlotEnd = -1;
      await prefetchInFileOrder(
        cache,
        selection.choices.flatMap((choice) => {
          if (choice.candidate < 0) return [];
          const record = records.get(lattice.candidates[choice.candidate]!.unitId)!;
          const file = corpus.catalog.file(record.fileId)!;
          return [{ path: file.path, sourceRate: file.sampleRateHz, startFrame: record.startFrame, endFrame: record.endFrame }];
        }),
        outRate,
        marginFrames,
        slicer,
      );
      for (let i = 0; i < units.length; i++) {
        if (slicer.due()) await slicer.pause();
        const slot = slots[i]!;
        const choice = selection.choices[i]!;
        const slotFrames = slot.endFrame - slot.startFrame;
        if (choice.candidate < 0) {
          renderUnits.push({ slotStartFrame: slot.startFrame, slotFrames, source: null, semitones: 0, continuesPrevious: false });
          listed.push({ index: i, slot, source: null, distance: 0, joinCost: 0, continues: false, semitones: 0, layer });
          previousSource = null;
          previousSlotEnd = slot.endFrame;
          continue;
        }
        const candidate = lattice.candidates[choice.candidate]!;
        const record = records.get(candidate.unitId)!;
        usedAt[i]!.add(record.id);
        const file = corpus.catalog.file(record.fileId)!;
        const sourceRate = file.sampleRateHz;
        const { source, sourceMargin } = await readUnitSource(cache, file.path, sourceRate, record.startFrame, record.endFrame, outRate, marginFrames);
        channelCount = Math.max(channelCount, Math.min(2, source.length));
        const semitones =
          options.pitch === "keep"
            ? 0
            : options.pitch === "shift"
              ? options.semitones
              : followSemitones(units[i]!.vector[PITCH_MIDI]!, record.pitchMidi);
        const continuesPrevious =
          choice.continues &&
          previousSource !== null &&
          previousSource.fileId === record.fileId &&
          previousSource.endFrame === record.startFrame &&
          previousSlotEnd === slot.startFrame;
        renderUnits.push({ slotStartFrame: slot.startFrame, slotFrames, source, semitones, continuesPrevious });
        listed.push({
          index: i,
          slot,
          source: {
            unitId: record.id,
            path: file.path,
            startFrame: record.startFrame,
            endFrame: record.endFrame,
            sampleRateHz: sourceRate,
            categories: categoriesOfMask(file.categoryMask),
            marginFrames: sourceMargin,
          },
          distance: choice.targetCost,
          joinCost: choice.joinCost,
          continues: continuesPrevious,
          semitones,
          layer,
        });
        previousSource = { fileId: record.fileId, endFrame: record.endFrame };
        previousSlotEnd = slot.endFrame;
        report(onProgress, "read", i + 1, units.length);
      }
      tb = performance.now();
      timing.read += tb - ta;

      // ---- render this layer, gain-matched to what it must fill (the target, or the residual)
      ta = tb;
      const rendered = await renderSliced(
        reference,
        renderUnits,
        { sampleRateHz: outRate, channelCount, marginFrames, fit: options.fit, dynamics: options.dynamics, wet: 1, peak: "off" },
        slicer,
        deps.workspace,
        layer,
      );
      layerOutputs.push(rendered.channels);
      listed.forEach((u, i) => allUnits.push({ ...u, gainDb: rendered.units[i]!.gainDb, stretch: rendered.units[i]!.stretch, repeats: rendered.units[i]!.repeats }));
      report(onProgress, "render", layer, options.layers);
      timing.render += performance.now() - ta;
    }
  } finally {
    if (!deps.cache) await cache.close();
  }

  // ---- mix the layers, wet/dry with the original, peak safety
  const ta = performance.now();
  const { mix, peakGain } = await mixLayers(layerOutputs, targetAtRate, options.wet, options.peak, outRate, slicer, deps.workspace);
  timing.render += performance.now() - ta;

  return {
    channels: mix,
    sampleRateHz: outRate,
    format: formatOf(options.bitDepth, target.bitDepth),
    units: allUnits,
    options,
    target: {
      name: target.name,
      ...(target.path ? { path: target.path } : {}),
      sampleRateHz: target.sampleRateHz,
      frames: targetFrames,
      channels: target.channels.length,
      units: units.length,
    },
    targetChannels: targetAtRate,
    timings: { analyseMs: t1 - t0, searchMs: timing.search, selectMs: timing.select, readMs: timing.read, renderMs: timing.render, writeMs: 0 },
    selectionCost,
    peakGain,
  };
}

/** The sidecar path of an output: `OUT.wav` -> `OUT.json` (other names get `.json` appended). */
export function sidecarPathOf(outPath: string): string {
  return /\.wav$/i.test(outPath) ? outPath.replace(/\.wav$/i, ".json") : `${outPath}.json`;
}

async function checkWritable(outPath: string): Promise<void> {
  const folder = dirname(outPath);
  try {
    const info = await stat(folder);
    if (!info.isDirectory()) throw new WriteError(outPath, `${folder} is not a folder`);
    await access(folder, fsConstants.W_OK);
  } catch (error) {
    if (error instanceof WriteError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new WriteError(outPath, code === "ENOENT" ? "the folder does not exist" : "the folder is not writable", { cause: error });
  }
  try {
    if ((await stat(outPath)).isDirectory()) throw new WriteError(outPath, "a folder exists at that path");
  } catch (error) {
    if (error instanceof WriteError) throw error;
  }
}

async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomically(path, `${JSON.stringify(value, null, 2)}\n`, "the sidecar");
}

/**
 * Regenerates a clip and writes it: `outPath` (WAV, written under a temporary name and renamed) and its
 * JSON sidecar (`sidecarPathOf(outPath)`) listing every unit used, the options and the seed.
 * @param holder the corpus, or an object holding it (the `MassAudio` service).
 * @throws WriteError when the output folder is missing or not writable (checked before any work; no
 *   partial file is left behind); and everything `regenerateAudio` throws.
 */
export async function regenerate(
  holder: CorpusHolder,
  request: RegenerateRequest & { readonly outPath: string },
  onProgress?: (progress: RegenerateProgress) => void,
  deps: RegenerateDeps = {},
): Promise<RegenerateResult> {
  const outPath = resolve(request.outPath);
  await checkWritable(outPath);
  const lent = deps.workspace ? undefined : borrowWorkspace(holder);
  const workspace = deps.workspace ?? lent;
  try {
    const audio = await regenerateAudio(holder, request, onProgress, { ...deps, workspace });
    return await writeOutput(
      outPath,
      audio,
      onProgress,
      {
        filter: request.filter ?? {},
        weights: resolveWeights(request.weights, REGEN_DEFAULT_WEIGHTS),
        analysis: resolveAnalysisOptions(request.analysis ?? {}),
        corpus: { units: corpusOf(holder).catalog.liveUnitCount, featureSpace: corpusOf(holder).space.id },
      },
      new TimeSlicer(deps.sliceMs ?? DEFAULT_SLICE_MS),
      workspace,
    );
  } finally {
    if (lent) giveBackWorkspace(holder, lent);
  }
}

/** Workspace memory kept between regenerations: 96 MiB (a 16-second stereo regeneration uses about 20 MiB). */
const MAX_KEPT_WORKSPACE_BYTES = 96 * 1024 * 1024;
/** Free workspaces per corpus holder, for the next regeneration (one: the daemon runs one at a time). */
const freeWorkspaces = new WeakMap<object, RenderWorkspace[]>();

/** A workspace no other regeneration is using: the holder's free one, else a new one. */
function borrowWorkspace(owner: object): RenderWorkspace {
  return freeWorkspaces.get(owner)?.pop() ?? new RenderWorkspace();
}

/** Takes a workspace back once nothing refers to its buffers any more (the WAV is written). */
function giveBackWorkspace(owner: object, workspace: RenderWorkspace): void {
  let free = freeWorkspaces.get(owner);
  if (!free) {
    free = [];
    freeWorkspaces.set(owner, free);
  }
  if (free.length === 0 && workspace.heldBytes <= MAX_KEPT_WORKSPACE_BYTES) free.push(workspace);
  else workspace.clear();
}

/** Writes the WAV (temporary name + rename) and its sidecar; removes the WAV when the sidecar fails. */
async function writeOutput(
  outPath: string,
  audio: RegeneratedAudio,
  onProgress: ((progress: RegenerateProgress) => void) | undefined,
  extra: Record<string, unknown>,
  yielder: TimeSlicer,
  workspace: RenderWorkspace | undefined,
): Promise<RegenerateResult> {
  const started = performance.now();
  report(onProgress, "write", 0, 1);
  const sidecarPath = sidecarPathOf(outPath);
  // Encoded in slices, into the workspace's byte buffer when there is one (kept until the write is done).
  const frameCount = audio.channels[0]?.length ?? 0;
  const into = workspace?.bytes(wavByteLength(audio.channels.length, frameCount, audio.format));
  const encoder = new WavEncoder(audio.channels, audio.sampleRateHz, audio.format, into);
  while (!encoder.run(CHUNK_FRAMES)) if (yielder.due()) await yielder.pause();
  await writeFileAtomically(outPath, encoder.bytes, "WAV");
  yielder.restart();
  const frames = audio.channels[0]?.length ?? 0;
  const sidecar = {
    format: SIDECAR_FORMAT,
    version: 1,
    output: { path: outPath, sampleRateHz: audio.sampleRateHz, channels: audio.channels.length, frames, format: audio.format },
    target: audio.target,
    options: audio.options,
    ...extra,
    selectionCost: audio.selectionCost,
    peakGain: audio.peakGain,
    units: audio.units.map((u) => ({ ...u, gainDb: Number.isFinite(u.gainDb) ? u.gainDb : null })),
  };
  try {
    await writeJsonAtomic(sidecarPath, sidecar);
  } catch (error) {
    await rm(outPath, { force: true }).catch(() => undefined);
    throw error;
  }
  report(onProgress, "write", 1, 1);
  const timings = { ...audio.timings, writeMs: performance.now() - started };
  return {
    outPath,
    sidecarPath,
    seconds: samplesToSeconds(frames, audio.sampleRateHz),
    units: audio.units.length,
    unitsFilled: audio.units.filter((u) => u.source !== null).length,
    sampleRateHz: audio.sampleRateHz,
    channelCount: audio.channels.length,
    format: audio.format,
    timings,
  };
}

const SIDECAR_FORMAT = "mass-audio-regen";

/** Options a re-render may change (the selection is fixed by the sidecar). */
export const RERENDER_OPTION_KEYS = ["fit", "pitch", "semitones", "dynamics", "wet", "crossfadeMs", "peak", "rateHz", "bitDepth"] as const;
export type RerenderOptionKey = (typeof RERENDER_OPTION_KEYS)[number];

export interface RerenderRequest {
  /** A sidecar written by `regenerate`. */
  readonly sidecarPath: string;
  readonly outPath: string;
  /** Render options to change (`RERENDER_OPTION_KEYS`); `pitch: "follow"` keeps the recorded transpositions. */
  readonly options?: Partial<Record<RerenderOptionKey, unknown>>;
  /** The target audio, needed when the sidecar's target was an in-memory clip (default: the recorded path). */
  readonly target?: RegenerateTarget;
}

interface SidecarFile {
  readonly format: string;
  readonly output: { readonly sampleRateHz: number };
  readonly target: { readonly name: string; readonly path?: string; readonly units: number };
  readonly options: Record<string, unknown>;
  readonly units: (Omit<RegeneratedUnit, "gainDb"> & { readonly gainDb: number | null })[];
  readonly [key: string]: unknown;
}

/**
 * Renders the units listed in a sidecar again, with other render options (fit, pitch, dynamics, wet,
 * crossfade, peak, rate, bit depth): same sources, same slots, no corpus needed. With the recorded options
 * it reproduces the original file byte for byte.
 * @throws ParameterError for a file that is not a regen sidecar or an option a re-render cannot change;
 *   DecodeError for an unreadable target or source; WriteError as `regenerate`.
 */
export async function rerender(request: RerenderRequest, deps: Pick<RegenerateDeps, "cache" | "sliceMs" | "workspace"> = {}): Promise<RegenerateResult> {
  const workspace = deps.workspace ?? new RenderWorkspace();
  try {
    return await rerenderWith(request, deps, workspace);
  } finally {
    if (!deps.workspace) workspace.clear();
  }
}

async function rerenderWith(request: RerenderRequest, deps: Pick<RegenerateDeps, "cache" | "sliceMs">, workspace: RenderWorkspace): Promise<RegenerateResult> {
  const slicer = new TimeSlicer(deps.sliceMs ?? DEFAULT_SLICE_MS);
  let sidecar: SidecarFile;
  try {
    sidecar = JSON.parse(await readFile(resolve(request.sidecarPath), "utf8")) as SidecarFile;
  } catch (error) {
    throw new ParameterError(`${request.sidecarPath}: cannot read the sidecar (${(error as Error).message})`, { cause: error });
  }
  if (sidecar.format !== SIDECAR_FORMAT || !Array.isArray(sidecar.units)) throw new ParameterError(`${request.sidecarPath}: not a mass-audio regen sidecar`);
  for (const key of Object.keys(request.options ?? {})) {
    if (!(RERENDER_OPTION_KEYS as readonly string[]).includes(key)) {
      throw new ParameterError(`re-render cannot change "${key}" (it changes the selection: run regen again); it can change ${RERENDER_OPTION_KEYS.join(", ")}`);
    }
  }
  const outPath = resolve(request.outPath);
  await checkWritable(outPath);
  const t0 = performance.now();
  const recorded = resolveRegenOptions(sidecar.options as Partial<Record<keyof RegenOptions, unknown>>);
  const given = request.options ?? {};
  const options = resolveRegenOptions({ ...recorded, ...(given.pitch !== undefined && given.semitones === undefined ? { semitones: undefined } : {}), ...given });
  const targetSpec = request.target ?? (sidecar.target.path ? { path: sidecar.target.path } : undefined);
  if (!targetSpec) throw new ParameterError(`${request.sidecarPath}: the target was a clip; pass its audio as target`);
  const target = await loadTarget(targetSpec);
  const targetLoadedAt = performance.now();
  const outRate = options.rateHz || target.sampleRateHz;
  const oldRate = sidecar.output.sampleRateHz;
  const toOut = (frames: number): number => Math.round((frames * outRate) / oldRate);
  const targetAtRate =
    outRate === target.sampleRateHz
      ? target.channels
      : target.channels.map((data) => window(resampleAll(data as Float32Array, target.sampleRateHz, outRate), 0, Math.round(((data.length) * outRate) / target.sampleRateHz)));
  const marginFrames = Math.round((options.crossfadeMs / 2000) * outRate);
  const cache = deps.cache ?? new SourceCache({ maxBytes: options.cacheMb * 1024 * 1024 });
  const layers = Math.max(1, ...sidecar.units.map((u) => u.layer));
  const layerOutputs: Float32Array[][] = [];
  const allUnits: RegeneratedUnit[] = [];
  let readMs = 0;
  let renderMs = 0;
  try {
    for (let layer = 1; layer <= layers; layer++) {
      const ta = performance.now();
      const listed = sidecar.units.filter((u) => u.layer === layer).sort((a, b) => a.index - b.index);
      const renderUnits: RenderUnit[] = [];
      const units: Omit<RegeneratedUnit, "gainDb" | "stretch" | "repeats">[] = [];
      let channelCount = Math.min(2, target.channels.length);
      for (const unit of listed) {
        const startFrame = toOut(unit.slot.startFrame);
        const slotFrames = Math.max(1, toOut(unit.slot.endFrame) - startFrame);
        const slot = { startFrame, endFrame: startFrame + slotFrames, startSec: samplesToSeconds(startFrame, outRate), endSec: samplesToSeconds(startFrame + slotFrames, outRate) };
        if (!unit.source) {
          renderUnits.push({ slotStartFrame: startFrame, slotFrames, source: null, semitones: 0, continuesPrevious: false });
          units.push({ ...unit, slot, semitones: 0 });
          continue;
        }
        const { source, sourceMargin } = await readUnitSource(cache, unit.source.path, unit.source.sampleRateHz, unit.source.startFrame, unit.source.endFrame, outRate, marginFrames);
        channelCount = Math.max(channelCount, Math.min(2, source.length));
        const semitones = options.pitch === "keep" ? 0 : options.pitch === "shift" ? options.semitones : unit.semitones;
        renderUnits.push({ slotStartFrame: startFrame, slotFrames, source, semitones, continuesPrevious: unit.continues });
        units.push({ ...unit, slot, semitones, source: { ...unit.source, marginFrames: sourceMargin } });
      }
      const tb = performance.now();
      readMs += tb - ta;
      let reference: readonly Float32Array[] = targetAtRate;
      if (layer > 1) reference = [await residualOf(targetAtRate, layerOutputs, workspace, slicer)];
      const rendered = await renderSliced(
        reference,
        renderUnits,
        { sampleRateHz: outRate, channelCount, marginFrames, fit: options.fit, dynamics: options.dynamics, wet: 1, peak: "off" },
        slicer,
        workspace,
        layer,
      );
      layerOutputs.push(rendered.channels);
      units.forEach((u, i) => allUnits.push({ ...u, gainDb: rendered.units[i]!.gainDb, stretch: rendered.units[i]!.stretch, repeats: rendered.units[i]!.repeats }));
      renderMs += performance.now() - tb;
    }
  } finally {
    if (!deps.cache) await cache.close();
  }
  const ta = performance.now();
  const { mix, peakGain } = await mixLayers(layerOutputs, targetAtRate, options.wet, options.peak, outRate, slicer, workspace);
  renderMs += performance.now() - ta;
  const audio: RegeneratedAudio = {
    channels: mix,
    sampleRateHz: outRate,
    format: formatOf(options.bitDepth, target.bitDepth),
    units: allUnits,
    options,
    target: sidecar.target as RegeneratedAudio["target"],
    targetChannels: targetAtRate,
    timings: { analyseMs: targetLoadedAt - t0, searchMs: 0, selectMs: 0, readMs, renderMs, writeMs: 0 },
    selectionCost: typeof sidecar["selectionCost"] === "number" ? sidecar["selectionCost"] : 0,
    peakGain,
  };
  const extra: Record<string, unknown> = {};
  for (const key of ["filter", "weights", "analysis", "corpus"]) if (key in sidecar) extra[key] = sidecar[key];
  return writeOutput(outPath, audio, undefined, { ...extra, rerenderedFrom: resolve(request.sidecarPath) }, slicer, workspace);
}
