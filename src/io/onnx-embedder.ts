/**
 * Deep audio embeddings with onnxruntime-node (CONTRACTS B): a model folder (manifest + .onnx) becomes a
 * `UnitEmbedder` that turns units of a mono signal into L2-normalised vectors. One ORT session per
 * embedder (create one per worker and keep it), CPU only, `intraOpNumThreads` bounded (default 1, so a
 * pool of N indexing workers uses N cores), patches batched (default 32 per run).
 *
 * Per unit: the model input patches of the unit's own samples (CONTRACTS A: starts at the unit start,
 * every patch hop, while before the unit end, at least one, at most `maxPatchesPerUnit`; silence-padded),
 * one embedding per patch, pooled ("mean" | "mean+std" | "max") and L2-normalised.
 */
import { performance } from "node:perf_hooks";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { mixdownToMono } from "../core/dsp/mixdown.js";
import { LogMelPatchBuilder, WaveformPatchBuilder, type PatchBuilder } from "../core/dsp/model-patches.js";
import { StreamingResampler } from "../core/dsp/resample.js";
import { samplesToSeconds } from "../core/dsp/time.js";
import { ParameterError } from "../core/errors.js";
import { openAudioFile } from "./audio-reader.js";
import { ModelError, pooledVectorSize, readModelManifest, unitVectorSize, type ModelHeadSpec, type ModelManifest } from "./model-manifest.js";
import { pffftEngineFactory } from "./pffft-engine.js";

export { DEFAULT_MODEL_NAME } from "./model-manifest.js";
/** Patches per ORT run unless asked otherwise. */
export const DEFAULT_BATCH_SIZE = 32;
/** Most patches per run accepted (memory guard). */
const MAX_BATCH_SIZE = 4096;
/** Most intra-op threads accepted. */
const MAX_INTRA_OP_THREADS = 64;
/** Blocks read while decoding a file to mono: 65536 frames (1.5 s at 44.1 kHz). */
const DECODE_BLOCK_FRAMES = 65536;

/** A unit as a half-open sample range of the mono signal given to `embedUnits`. */
export interface UnitRange {
  readonly startSample: number;
  readonly endSample: number;
  /**
   * The unit's analysis descriptors (`DESCRIPTOR_COLUMNS` order), which a model with a unit head needs;
   * ignored by a model without one.
   */
  readonly descriptors?: Float32Array;
}

export interface UnitEmbedder {
  readonly modelName: string;
  readonly modelVersion: number;
  /** Length of one unit vector (for "mean+std" pooling: 2 x the model's output size). */
  readonly size: number;
  /** Rate the mono input must be at. */
  readonly sampleRateHz: number;
  /**
   * The most samples after a unit's start that can affect its vector (the last of `maxPatchesPerUnit`
   * patches ends there): a caller may pass only `[start, min(end, start + maxUnitSamples))` of a long unit.
   */
  readonly maxUnitSamples: number;
  /** Whether units must come with their descriptors (the model has a unit head). */
  readonly needsDescriptors: boolean;
  /**
   * One L2-normalised vector (length `size`) per unit, in order.
   * @param mono signal at `sampleRateHz`; a unit may be any sub-range (the signal may be a block of a
   *   longer file, with unit positions relative to it)
   * @param units ranges with integers 0 <= startSample < endSample (samples past the end of `mono` are zero)
   * @throws ParameterError on a bad unit range, or units without descriptors for a model with a head;
   *   ModelError ("load_failed") if ORT fails to run
   */
  embedUnits(mono: Float32Array, units: ReadonlyArray<UnitRange>): Promise<Float32Array[]>;
  close(): Promise<void>;
}

/** A loaded unit head: its session and the manifest's description of it. */
interface LoadedHead {
  readonly spec: ModelHeadSpec;
  readonly session: InferenceSession;
  readonly path: string;
}

/** Frame embeddings of a whole signal (the `embed` command): the model's raw output per patch. */
export interface FrameEmbeddings {
  /** `frameCount x size`, row-major. */
  readonly embeddings: Float32Array;
  readonly frameCount: number;
  /** Model output size (one row). */
  readonly size: number;
  /** Time of each row in seconds: the patch start, or its centre when `center` was set. */
  readonly timestampsSec: Float64Array;
  /** Distance between rows in seconds. */
  readonly hopSec: number;
}

export interface FrameEmbeddingOptions {
  /** Distance between patches in samples at `sampleRateHz`; rounded to the nearest multiple of the STFT hop (default: the manifest's patch hop). */
  readonly hopSamples?: number;
  /** Pad half a patch of silence at the start so each timestamp is its patch's centre (OpenL3's default centring). */
  readonly center?: boolean;
}

export interface EmbedderOptions {
  /** ORT intra-op threads (default 1: one core per worker). */
  readonly intraOpThreads?: number;
  /** Patches per ORT run (default 32; a model with a static batch dimension forces its own). */
  readonly batchSize?: number;
  /** FFT of the log-mel front end: "pffft" (WebAssembly SIMD, default when available) or "fftjs" (double-precision transform; both match the reference log-mel within 1e-5). */
  readonly fft?: "pffft" | "fftjs";
}

/** Time split of the work done so far (for benchmarks). */
export interface EmbedderTimings {
  /** Seconds spent building input patches (log-mel front end or waveform copies). */
  frontEndSec: number;
  /** Seconds inside ORT runs of the patch model. */
  inferenceSec: number;
  /** Seconds inside ORT runs of the unit head (0 without one). */
  headSec: number;
  patches: number;
  runs: number;
}

export { defaultModelDir, resolveModelDir } from "./model-manifest.js";

function describeShape(shape: ReadonlyArray<number | string>): string {
  return `[${shape.map((d) => (typeof d === "number" ? String(d) : d === "" ? "?" : d)).join(", ")}]`;
}

/** Compares the session's tensor against the manifest. Returns the static batch size, if the model has one. */
function checkTensor(
  modelPath: string,
  what: "input" | "output",
  name: string,
  names: readonly string[],
  metadata: readonly InferenceSession.ValueMetadata[],
  expected: readonly number[],
  manifestFields: string,
): number | undefined {
  if (!names.includes(name)) {
    throw new ModelError(
      modelPath,
      "mismatch",
      `the manifest's ${what}.tensorName is "${name}" but the model's ${what}s are ${names.map((n) => `"${n}"`).join(", ")}`,
    );
  }
  const meta = metadata.find((m) => m.name === name);
  if (!meta || !meta.isTensor) throw new ModelError(modelPath, "mismatch", `${what} "${name}" is not a tensor`);
  if (meta.type !== "float32") throw new ModelError(modelPath, "mismatch", `${what} "${name}" is ${meta.type}, expected float32`);
  const actual = meta.shape;
  if (actual.length === 0) return undefined; // shape not recorded in the model: checked when it runs
  const expectedText = describeShape(["batch", ...expected.slice(1)]);
  const mismatch = (): ModelError =>
    new ModelError(
      modelPath,
      "mismatch",
      `${what} "${name}" has shape ${describeShape(actual)}, the manifest describes ${expectedText} (${manifestFields})`,
    );
  if (actual.length !== expected.length) throw mismatch();
  for (let d = 1; d < expected.length; d++) {
    const dim = actual[d]!;
    if (typeof dim === "number" && dim > 0 && dim !== expected[d]) throw mismatch();
  }
  const batch = actual[0];
  return typeof batch === "number" && batch > 0 ? batch : undefined;
}

class OnnxUnitEmbedder implements UnitEmbedder {
  readonly modelName: string;
  readonly modelVersion: number;
  readonly size: number;
  readonly sampleRateHz: number;
  readonly maxUnitSamples: number;
  readonly needsDescriptors: boolean;
  readonly batchSize: number;
  readonly timings: EmbedderTimings = { frontEndSec: 0, inferenceSec: 0, headSec: 0, patches: 0, runs: 0 };
  private readonly outputSize: number;
  private readonly input: Float32Array;
  private readonly inputShape: number[];
  /** Set when the model's batch dimension is static: every run is padded to it. */
  private readonly staticBatch: boolean;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    readonly manifest: ModelManifest,
    private readonly session: InferenceSession,
    private readonly builder: PatchBuilder,
    private readonly modelPath: string,
    batchSize: number,
    staticBatch: boolean,
    private readonly head: LoadedHead | undefined,
  ) {
    this.needsDescriptors = head !== undefined;
    this.modelName = manifest.name;
    this.modelVersion = manifest.version;
    this.size = unitVectorSize(manifest);
    this.sampleRateHz = manifest.input.sampleRateHz;
    this.outputSize = manifest.output.size;
    this.maxUnitSamples = (manifest.maxPatchesPerUnit - 1) * builder.patchHopSamples + builder.patchSpanSamples;
    this.batchSize = batchSize;
    this.staticBatch = staticBatch;
    this.input = new Float32Array(batchSize * builder.patchValues);
    this.inputShape = builder.tensorShape(batchSize);
  }

  /** Runs `task` after every earlier call finished: the input buffer is shared. */
  private serialise<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Runs the first `count` patches of the input buffer; copies their embeddings to `out[outRow * size ...]`. */
  private async run(count: number, out: Float32Array, outRow: number): Promise<void> {
    if (this.closed) throw new ModelError(this.modelPath, "load_failed", "embedder is closed");
    const builder = this.builder;
    let rows = count;
    if (this.staticBatch) {
      for (let slot = count; slot < this.batchSize; slot++) builder.writeSilence(this.input, slot);
      rows = this.batchSize;
    }
    const shape = this.inputShape.slice();
    shape[0] = rows;
    const data = rows === this.batchSize ? this.input : this.input.subarray(0, rows * builder.patchValues);
    const feeds = { [this.manifest.input.tensorName]: new Tensor("float32", data, shape) };
    const started = performance.now();
    let result: InferenceSession.ReturnType;
    try {
      result = await this.session.run(feeds, [this.manifest.output.tensorName]);
    } catch (error) {
      throw new ModelError(this.modelPath, "load_failed", `inference failed: ${(error as Error).message}`, { cause: error });
    }
    this.timings.inferenceSec += (performance.now() - started) / 1000;
    this.timings.runs++;
    this.timings.patches += count;
    const output = result[this.manifest.output.tensorName]!;
    const values = output.data as Float32Array;
    const size = this.outputSize;
    if (output.dims.length !== 2 || output.dims[0] !== rows || output.dims[1] !== size) {
      throw new ModelError(
        this.modelPath,
        "mismatch",
        `output "${this.manifest.output.tensorName}" came back with shape ${describeShape(output.dims)}, expected [${rows}, ${size}] (output.size=${size})`,
      );
    }
    out.set(values.subarray(0, count * size), outRow * size);
    output.dispose();
  }

  embedUnits(mono: Float32Array, units: ReadonlyArray<UnitRange>): Promise<Float32Array[]> {
    return this.serialise(() => this.embedUnitsNow(mono, units));
  }

  private async embedUnitsNow(mono: Float32Array, units: ReadonlyArray<UnitRange>): Promise<Float32Array[]> {
    const builder = this.builder;
    const hop = builder.patchHopSamples;
    const maxPatches = this.manifest.maxPatchesPerUnit;
    const counts = new Int32Array(units.length);
    let total = 0;
    const columns = this.head?.spec.descriptorColumns.length;
    units.forEach((unit, i) => {
      const { startSample, endSample, descriptors } = unit;
      if (!(Number.isInteger(startSample) && Number.isInteger(endSample) && startSample >= 0 && endSample > startSample)) {
        throw new ParameterError(`embedUnits: unit ${i} must have integers 0 <= startSample < endSample, got [${startSample}, ${endSample})`);
      }
      if (columns !== undefined && descriptors?.length !== columns) {
        throw new ParameterError(
          `embedUnits: model ${this.modelName} has a unit head and needs each unit's ${columns} descriptors; unit ${i} has ${descriptors ? descriptors.length : "none"}`,
        );
      }
      counts[i] = builder.patchCount(endSample - startSample, hop, maxPatches);
      total += counts[i]!;
    });
    const size = this.outputSize;
    const patchEmbeddings = new Float32Array(total * size);
    let slot = 0;
    let row = 0;
    for (let u = 0; u < units.length; u++) {
      const { startSample, endSample } = units[u]!;
      let done = 0;
      while (done < counts[u]!) {
        const take = Math.min(counts[u]! - done, this.batchSize - slot);
        const started = performance.now();
        builder.writePatches(mono, startSample, endSample, hop, done, take, this.input, slot);
        this.timings.frontEndSec += (performance.now() - started) / 1000;
        slot += take;
        done += take;
        if (slot === this.batchSize) {
          await this.run(slot, patchEmbeddings, row);
          row += slot;
          slot = 0;
        }
      }
    }
    if (slot > 0) await this.run(slot, patchEmbeddings, row);
    const vectors: Float32Array[] = [];
    let first = 0;
    for (let u = 0; u < units.length; u++) {
      vectors.push(poolUnit(patchEmbeddings, first, counts[u]!, size, this.manifest.pooling));
      first += counts[u]!;
    }
    return this.head && units.length > 0 ? this.runHead(this.head, vectors, units) : vectors;
  }

  /**
   * The unit head on pooled vectors and the units' descriptors (checked by `embedUnitsNow`): the units'
   * final vectors.
   */
  private async runHead(head: LoadedHead, pooled: Float32Array[], units: ReadonlyArray<UnitRange>): Promise<Float32Array[]> {
    const columns = head.spec.descriptorColumns.length;
    const pooledSize = pooled[0]!.length;
    const descriptors = new Float32Array(units.length * columns);
    const embeddings = new Float32Array(units.length * pooledSize);
    units.forEach((unit, i) => {
      descriptors.set(unit.descriptors!, i * columns);
      embeddings.set(pooled[i]!, i * pooledSize);
    });
    const feeds = {
      [head.spec.descriptorsTensorName]: new Tensor("float32", descriptors, [units.length, columns]),
      [head.spec.embeddingTensorName]: new Tensor("float32", embeddings, [units.length, pooledSize]),
    };
    const started = performance.now();
    let result: InferenceSession.ReturnType;
    try {
      result = await head.session.run(feeds, [head.spec.outputTensorName]);
    } catch (error) {
      throw new ModelError(head.path, "load_failed", `unit head inference failed: ${(error as Error).message}`, { cause: error });
    }
    this.timings.headSec += (performance.now() - started) / 1000;
    const output = result[head.spec.outputTensorName]!;
    const size = head.spec.size;
    if (output.dims.length !== 2 || output.dims[0] !== units.length || output.dims[1] !== size) {
      throw new ModelError(head.path, "mismatch", `unit head output "${head.spec.outputTensorName}" came back with shape ${describeShape(output.dims)}, expected [${units.length}, ${size}] (head.size=${size})`);
    }
    const values = output.data as Float32Array;
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i]!)) {
        throw new ModelError(head.path, "mismatch", `unit head output "${head.spec.outputTensorName}" has a value that is not finite (unit ${Math.floor(i / size)}): such a vector would corrupt the index`);
      }
    }
    const vectors = pooled.map((_, i) => {
      const v = values.slice(i * size, (i + 1) * size);
      l2Normalise(v);
      return v;
    });
    output.dispose();
    return vectors;
  }

  /**
   * Frame embeddings of a whole signal, patches every hop (the `embed` command), processed one batch at a
   * time (memory: the signal plus one batch).
   * @throws ParameterError on a bad hop; ModelError if ORT fails
   */
  embedFrames(mono: Float32Array, options: FrameEmbeddingOptions = {}): Promise<FrameEmbeddings> {
    return this.serialise(() => this.embedFramesNow(mono, options));
  }

  private async embedFramesNow(mono: Float32Array, options: FrameEmbeddingOptions): Promise<FrameEmbeddings> {
    const builder = this.builder;
    const step = builder.stepSamples;
    let hop = builder.patchHopSamples;
    if (options.hopSamples !== undefined) {
      if (!(options.hopSamples > 0)) throw new ParameterError(`hop must be > 0 samples, got ${options.hopSamples}`);
      hop = Math.max(1, Math.round(options.hopSamples / step)) * step;
    }
    let signal = mono;
    if (options.center) {
      signal = new Float32Array(mono.length + builder.patchCentreSamples);
      signal.set(mono, builder.patchCentreSamples);
    }
    const frameCount = builder.patchCount(mono.length, hop, Number.MAX_SAFE_INTEGER);
    const size = this.outputSize;
    const embeddings = new Float32Array(frameCount * size);
    for (let first = 0; first < frameCount; first += this.batchSize) {
      const take = Math.min(this.batchSize, frameCount - first);
      const started = performance.now();
      builder.writePatches(signal, 0, signal.length, hop, first, take, this.input, 0);
      this.timings.frontEndSec += (performance.now() - started) / 1000;
      await this.run(take, embeddings, first);
    }
    const timestampsSec = new Float64Array(frameCount);
    for (let i = 0; i < frameCount; i++) timestampsSec[i] = samplesToSeconds(i * hop, this.sampleRateHz);
    return { embeddings, frameCount, size, timestampsSec, hopSec: samplesToSeconds(hop, this.sampleRateHz) };
  }

  close(): Promise<void> {
    return this.serialise(async () => {
      if (this.closed) return;
      this.closed = true;
      await Promise.all([this.session.release(), this.head?.session.release()]);
    });
  }
}

/** Pools `count` rows of `rows` starting at row `first` into one L2-normalised vector. */
function poolUnit(rows: Float32Array, first: number, count: number, size: number, pooling: ModelManifest["pooling"]): Float32Array {
  const out = new Float32Array(pooling === "mean+std" ? 2 * size : size);
  const base = first * size;
  for (let e = 0; e < size; e++) {
    let sum = 0;
    let sumSquares = 0;
    let max = -Infinity;
    for (let p = 0; p < count; p++) {
      const v = rows[base + p * size + e]!;
      sum += v;
      sumSquares += v * v;
      if (v > max) max = v;
    }
    const mean = sum / count;
    if (pooling === "max") out[e] = max;
    else out[e] = mean;
    if (pooling === "mean+std") out[size + e] = Math.sqrt(Math.max(0, sumSquares / count - mean * mean));
  }
  l2Normalise(out);
  return out;
}

/** Scales `v` to unit Euclidean length in place (an all-zero vector stays zero). */
export function l2Normalise(v: Float32Array): void {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
  if (!(sum > 0)) return;
  const scale = 1 / Math.sqrt(sum);
  for (let i = 0; i < v.length; i++) v[i] = v[i]! * scale;
}

/** The embedder `loadUnitEmbedder` returns: a `UnitEmbedder` plus whole-signal frame embeddings and timings. */
export type OnnxEmbedder = UnitEmbedder & {
  readonly manifest: ModelManifest;
  readonly batchSize: number;
  readonly timings: EmbedderTimings;
  embedFrames(mono: Float32Array, options?: FrameEmbeddingOptions): Promise<FrameEmbeddings>;
};

/**
 * Loads a model folder: validates its manifest, creates the ORT session once, and checks the session's
 * input/output names, element type and static dimensions against the manifest.
 * @param modelDir folder with manifest.json and the .onnx file it names (see `defaultModelDir()`)
 * @param options.intraOpThreads ORT threads per session (default 1), 1..64
 * @param options.batchSize patches per run (default 32), 1..4096; a model with a static batch dimension uses its own
 * @throws ModelError ("missing", "invalid_manifest", "mismatch": expected vs actual shape, "load_failed");
 *   ParameterError on bad options
 */
export async function loadUnitEmbedder(modelDir: string, options: EmbedderOptions = {}): Promise<OnnxEmbedder> {
  const threads = options.intraOpThreads ?? 1;
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_INTRA_OP_THREADS) {
    throw new ParameterError(`intraOpThreads must be an integer between 1 and ${MAX_INTRA_OP_THREADS}, got ${threads}`);
  }
  let batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
    throw new ParameterError(`batchSize must be an integer between 1 and ${MAX_BATCH_SIZE}, got ${batchSize}`);
  }
  const { manifest, modelPath, headPath } = await readModelManifest(modelDir);
  const input = manifest.input;
  let builder: PatchBuilder;
  try {
    builder =
      input.kind === "logmel"
        ? new LogMelPatchBuilder(input, options.fft === "fftjs" ? undefined : pffftEngineFactory())
        : new WaveformPatchBuilder(input);
  } catch (error) {
    throw new ModelError(modelPath, "invalid_manifest", `manifest input cannot be built: ${(error as Error).message}`, { cause: error });
  }
  const sessionOptions: InferenceSession.SessionOptions = {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
  };
  let session: InferenceSession;
  try {
    session = await InferenceSession.create(modelPath, sessionOptions);
  } catch (error) {
    throw new ModelError(modelPath, "load_failed", `onnxruntime cannot load it: ${(error as Error).message}`, { cause: error });
  }
  let head: LoadedHead | undefined;
  try {
    const inputFields =
      input.kind === "logmel"
        ? `input.layout=${input.layout}, input.mel.bands=${input.mel.bands}, input.patchFrames=${input.patchFrames}`
        : `input.layout=${input.layout}, input.patchSamples=${input.patchSamples}`;
    const staticInputBatch = checkTensor(
      modelPath,
      "input",
      input.tensorName,
      session.inputNames,
      session.inputMetadata,
      builder.tensorShape(0),
      inputFields,
    );
    const otherInputs = session.inputNames.filter((n) => n !== input.tensorName);
    if (otherInputs.length > 0) {
      throw new ModelError(modelPath, "mismatch", `the model has inputs besides "${input.tensorName}": ${otherInputs.join(", ")} (only one input is supported)`);
    }
    const staticOutputBatch = checkTensor(
      modelPath,
      "output",
      manifest.output.tensorName,
      session.outputNames,
      session.outputMetadata,
      [0, manifest.output.size],
      `output.size=${manifest.output.size}`,
    );
    const staticBatch = staticInputBatch ?? staticOutputBatch;
    if (staticBatch !== undefined) batchSize = staticBatch;
    if (manifest.head && headPath) head = await loadHead(manifest, manifest.head, headPath, sessionOptions);
    return new OnnxUnitEmbedder(manifest, session, builder, modelPath, batchSize, staticBatch !== undefined, head);
  } catch (error) {
    await Promise.all([session.release().catch(() => undefined), head?.session.release().catch(() => undefined)]);
    throw error;
  }
}

/** Creates the unit head's session and checks its two inputs and its output against the manifest. */
async function loadHead(manifest: ModelManifest, spec: ModelHeadSpec, path: string, options: InferenceSession.SessionOptions): Promise<LoadedHead> {
  let session: InferenceSession;
  try {
    session = await InferenceSession.create(path, options);
  } catch (error) {
    throw new ModelError(path, "load_failed", `onnxruntime cannot load the unit head: ${(error as Error).message}`, { cause: error });
  }
  try {
    const columns = spec.descriptorColumns.length;
    const pooled = pooledVectorSize(manifest);
    const statics = [
      checkTensor(path, "input", spec.descriptorsTensorName, session.inputNames, session.inputMetadata, [0, columns], `head.descriptorColumns: ${columns}`),
      checkTensor(path, "input", spec.embeddingTensorName, session.inputNames, session.inputMetadata, [0, pooled], `pooled patch vector: ${pooled}`),
      checkTensor(path, "output", spec.outputTensorName, session.outputNames, session.outputMetadata, [0, spec.size], `head.size=${spec.size}`),
    ];
    if (statics.some((batch) => batch !== undefined)) {
      throw new ModelError(path, "mismatch", "the unit head has a fixed first dimension; it must take any number of units (a dynamic axis)");
    }
    const otherInputs = session.inputNames.filter((n) => n !== spec.descriptorsTensorName && n !== spec.embeddingTensorName);
    if (otherInputs.length > 0) {
      throw new ModelError(path, "mismatch", `the unit head has inputs besides "${spec.descriptorsTensorName}" and "${spec.embeddingTensorName}": ${otherInputs.join(", ")}`);
    }
    return { spec, session, path };
  } catch (error) {
    await session.release().catch(() => undefined);
    throw error;
  }
}

/**
 * Decodes an audio file to one mono signal at `sampleRateHz` (mean of the channels, band-limited
 * resampling), streaming the decode. Memory: the mono result (4 bytes per sample).
 * @throws DecodeError when the file cannot be read or decoded
 */
export async function readMonoFile(path: string, sampleRateHz: number): Promise<{ mono: Float32Array; sourceRateHz: number; durationSec: number }> {
  const reader = await openAudioFile(path);
  try {
    const sourceRateHz = reader.info.sampleRateHz;
    const resampler = new StreamingResampler(sourceRateHz, sampleRateHz);
    let out = new Float32Array(Math.max(1024, Math.ceil(((reader.info.frameCount ?? 0) * sampleRateHz) / sourceRateHz) + 1024));
    let length = 0;
    let mono = new Float32Array(0);
    let resampled = new Float32Array(0);
    const append = (data: Float32Array, count: number): void => {
      if (length + count > out.length) {
        const grown = new Float32Array(Math.max(2 * out.length, length + count));
        grown.set(out.subarray(0, length));
        out = grown;
      }
      out.set(data.subarray(0, count), length);
      length += count;
    };
    let frames = 0;
    for await (const block of reader.blocks(DECODE_BLOCK_FRAMES)) {
      if (mono.length < block.frameCount) {
        mono = new Float32Array(block.frameCount);
        resampled = new Float32Array(resampler.maxOutputFor(block.frameCount));
      }
      mixdownToMono(block.channels, block.frameCount, mono);
      append(resampled, resampler.process(mono, block.frameCount, resampled));
      frames += block.frameCount;
    }
    const tail = new Float32Array(resampler.maxFlushOutput);
    append(tail, resampler.flush(tail));
    return { mono: out.slice(0, length), sourceRateHz, durationSec: samplesToSeconds(frames, sourceRateHz) };
  } finally {
    await reader.close();
  }
}
