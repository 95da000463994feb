/**
 * Embedding-model manifests (`models/<name>/manifest.json`, CONTRACTS A): what the model's input is
 * (a log-mel patch computed by our front end, or a raw waveform patch), its tensor names and layout, the
 * embedding size and how patch embeddings are pooled per unit. Parsed and checked field by field; every
 * problem is reported with its JSON path, the expected value and the actual one.
 */
import { existsSync, readdirSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { packageRoot } from "../cli/paths.js";
import { isAbsolute, join, normalize } from "node:path";
import { MassAudioError } from "../core/errors.js";
import { WINDOW_SHAPES, type WindowShape } from "../core/dsp/log-mel-framer.js";
import type { LogCompression, MelNorm, MelScale } from "../core/dsp/mel.js";
import { DESCRIPTOR_COLUMNS } from "../core/analysis/schema.js";
import {
  LOGMEL_LAYOUTS,
  WAVEFORM_LAYOUTS,
  type FeatureNormalisation,
  type LogMelLayout,
  type LogMelPatchConfig,
  type WaveformLayout,
  type WaveformPatchConfig,
} from "../core/dsp/model-patches.js";

/** Name of the model mass-audio ships (models/<name>/). Here, not in onnx-embedder.ts, so that naming it does not load onnxruntime. */
export const DEFAULT_MODEL_NAME = "mass-audio-embed-v3";
/** File name of a model folder's manifest. */
export const MANIFEST_FILE_NAME = "manifest.json";
/** Patches per unit when the manifest does not say (CONTRACTS A). */
export const DEFAULT_MAX_PATCHES_PER_UNIT = 8;

/** What went wrong with a model: no such folder/file, a bad manifest, a model that does not match it, ORT refused it. */
export type ModelFailure = "missing" | "invalid_manifest" | "mismatch" | "load_failed";

/** An embedding model is absent, its manifest invalid, or the ONNX file does not match the manifest. */
export class ModelError extends MassAudioError {
  readonly path: string;
  readonly reason: ModelFailure;
  constructor(path: string, reason: ModelFailure, detail: string, options?: { cause?: unknown }) {
    super(`model_${reason}`, `${path}: ${detail}`, options);
    this.path = path;
    this.reason = reason;
  }
}

export interface LogMelInputSpec extends LogMelPatchConfig {
  readonly kind: "logmel";
  readonly tensorName: string;
}

export interface WaveformInputSpec extends WaveformPatchConfig {
  readonly kind: "waveform";
  readonly tensorName: string;
  readonly sampleRateHz: number;
}

export type ModelInputSpec = LogMelInputSpec | WaveformInputSpec;

export interface ModelOutputSpec {
  readonly tensorName: string;
  /** Length of one patch embedding. */
  readonly size: number;
  readonly layout: "BE";
  /** Whether the model already L2-normalises its output (the unit vector is normalised anyway). */
  readonly l2normalised: boolean;
}

/** How the patch embeddings of one unit become one vector. "mean+std" concatenates both (2 x size). */
export type Pooling = "mean" | "mean+std" | "max";
export const POOLINGS: readonly Pooling[] = ["mean", "mean+std", "max"];

/**
 * A unit head: a second ONNX graph that maps a unit's pooled vector and its analysis descriptors (raw, in
 * `descriptorColumns` order; the graph normalises them) to the unit's final vector. Units only: frame
 * embeddings (`embed`) are the patch model's own output.
 */
export interface ModelHeadSpec {
  /** The head's ONNX file, relative to the manifest's folder. */
  readonly file: string;
  /** Input: the pooled unit vectors, `[units, unitVectorSize of the patch model]`. */
  readonly embeddingTensorName: string;
  /** Input: the units' descriptors, `[units, descriptorColumns.length]`. */
  readonly descriptorsTensorName: string;
  /** The descriptor columns the head was trained on; must be this build's `DESCRIPTOR_COLUMNS`, in order. */
  readonly descriptorColumns: readonly string[];
  readonly outputTensorName: string;
  /** Length of one unit vector. */
  readonly size: number;
}

export interface ModelManifest {
  readonly name: string;
  readonly version: number;
  /** The ONNX file, relative to the manifest's folder. */
  readonly file: string;
  readonly licence: string | undefined;
  readonly description: string | undefined;
  readonly input: ModelInputSpec;
  readonly output: ModelOutputSpec;
  readonly pooling: Pooling;
  readonly maxPatchesPerUnit: number;
  /** Unit head (absent: the pooled patch vector is the unit vector). */
  readonly head?: ModelHeadSpec;
}

/** Collects problems while reading a JSON value, each with its JSON path. */
class ManifestReader {
  readonly problems: string[] = [];

  problem(path: string, detail: string): void {
    this.problems.push(`${path}: ${detail}`);
  }

  object(value: unknown, path: string, known: readonly string[] | undefined): Record<string, unknown> | undefined {
    if (value === undefined) {
      this.problem(path, "missing (expected an object)");
      return undefined;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      this.problem(path, `expected an object, got ${describe(value)}`);
      return undefined;
    }
    const record = value as Record<string, unknown>;
    if (known) {
      for (const key of Object.keys(record)) {
        if (!known.includes(key)) this.problem(`${path}.${key}`, `unknown field (known: ${known.join(", ")})`);
      }
    }
    return record;
  }

  string(record: Record<string, unknown>, key: string, path: string, optional = false): string | undefined {
    const value = record[key];
    if (value === undefined && optional) return undefined;
    if (typeof value !== "string" || value.length === 0) {
      this.problem(`${path}.${key}`, value === undefined ? "missing (expected a non-empty string)" : `expected a non-empty string, got ${describe(value)}`);
      return undefined;
    }
    return value;
  }

  boolean(record: Record<string, unknown>, key: string, path: string, fallback: boolean | undefined): boolean | undefined {
    const value = record[key];
    if (value === undefined && fallback !== undefined) return fallback;
    if (typeof value !== "boolean") {
      this.problem(`${path}.${key}`, value === undefined ? "missing (expected true or false)" : `expected true or false, got ${describe(value)}`);
      return undefined;
    }
    return value;
  }

  /** A finite number within [min, max] (integer when `integer`); `fallback` when absent and allowed. */
  number(
    record: Record<string, unknown>,
    key: string,
    path: string,
    range: { integer?: boolean; min?: number; max?: number; above?: number; fallback?: number },
  ): number | undefined {
    const value = record[key];
    if (value === undefined && range.fallback !== undefined) return range.fallback;
    const wanted = describeRange(range);
    if (typeof value !== "number" || !Number.isFinite(value)) {
      this.problem(`${path}.${key}`, value === undefined ? `missing (expected ${wanted})` : `expected ${wanted}, got ${describe(value)}`);
      return undefined;
    }
    const bad =
      (range.integer === true && !Number.isInteger(value)) ||
      (range.min !== undefined && value < range.min) ||
      (range.max !== undefined && value > range.max) ||
      (range.above !== undefined && !(value > range.above));
    if (bad) {
      this.problem(`${path}.${key}`, `expected ${wanted}, got ${value}`);
      return undefined;
    }
    return value;
  }

  choice<T extends string | number>(record: Record<string, unknown>, key: string, path: string, values: readonly T[], fallback?: T): T | undefined {
    const value = record[key];
    if (value === undefined && fallback !== undefined) return fallback;
    if (!values.includes(value as T)) {
      const list = values.map((v) => JSON.stringify(v)).join(" | ");
      this.problem(`${path}.${key}`, value === undefined ? `missing (expected ${list})` : `expected ${list}, got ${describe(value)}`);
      return undefined;
    }
    return value as T;
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "object") return "an object";
  return String(value);
}

function describeRange(range: { integer?: boolean; min?: number; max?: number; above?: number }): string {
  const parts: string[] = [];
  if (range.min !== undefined) parts.push(`>= ${range.min}`);
  if (range.above !== undefined) parts.push(`> ${range.above}`);
  if (range.max !== undefined) parts.push(`<= ${range.max}`);
  return `${range.integer ? "an integer" : "a number"}${parts.length ? " " + parts.join(" and ") : ""}`;
}

const TOP_KEYS = ["name", "version", "file", "licence", "description", "input", "output", "pooling", "maxPatchesPerUnit", "head"];
const HEAD_KEYS = ["file", "embeddingTensorName", "descriptorsTensorName", "descriptorColumns", "outputTensorName", "size"];
const LOGMEL_KEYS = [
  "kind",
  "tensorName",
  "layout",
  "sampleRateHz",
  "fftSize",
  "windowSamples",
  "hopSamples",
  "window",
  "center",
  "patchFrames",
  "patchHopFrames",
  "mel",
  "log",
  "normalise",
];
const WAVEFORM_KEYS = ["kind", "tensorName", "layout", "sampleRateHz", "patchSamples", "patchHopSamples"];
const MEL_KEYS = ["bands", "fminHz", "fmaxHz", "scale", "norm", "power"];
const LOG_KEYS = ["kind", "offset", "topDb", "ref"];
const OUTPUT_KEYS = ["tensorName", "size", "layout", "l2normalised"];
/** Sample rates accepted: 1 kHz .. 768 kHz. */
const MIN_RATE_HZ = 1000;
const MAX_RATE_HZ = 768000;
/** FFT sizes accepted: 16 .. 65536 samples (powers of two). */
const MAX_FFT_SIZE = 65536;

function readMel(r: ManifestReader, value: unknown, path: string, sampleRateHz: number | undefined): LogMelPatchConfig["mel"] | undefined {
  const mel = r.object(value, path, MEL_KEYS);
  if (!mel) return undefined;
  const bands = r.number(mel, "bands", path, { integer: true, min: 1, max: 4096 });
  const fminHz = r.number(mel, "fminHz", path, { min: 0, fallback: 0 });
  const nyquist = sampleRateHz === undefined ? undefined : sampleRateHz / 2;
  let fmaxHz: number | undefined;
  if (mel["fmaxHz"] === null || mel["fmaxHz"] === undefined) fmaxHz = nyquist; // librosa's fmax=None
  else fmaxHz = r.number(mel, "fmaxHz", path, { above: fminHz ?? 0, ...(nyquist === undefined ? {} : { max: nyquist }) });
  const scale = r.choice<MelScale>(mel, "scale", path, ["slaney", "htk"], "slaney");
  let norm: MelNorm | undefined;
  if (mel["norm"] === null) norm = "none";
  else norm = r.choice<MelNorm>(mel, "norm", path, ["slaney", "none"], "slaney");
  const power = r.choice<1 | 2>(mel, "power", path, [1, 2], 2);
  if (bands === undefined || fminHz === undefined || fmaxHz === undefined || !scale || !norm || !power) return undefined;
  return { bands, fminHz, fmaxHz, scale, norm, power };
}

function readLog(r: ManifestReader, value: unknown, path: string): LogCompression | undefined {
  const log = r.object(value, path, LOG_KEYS);
  if (!log) return undefined;
  const kind = r.choice<LogCompression["kind"]>(log, "kind", path, ["ln", "log10", "db"]);
  const offset = r.number(log, "offset", path, { above: 0 });
  let topDb: number | undefined;
  let ref: 1 | "max" | undefined;
  if (log["topDb"] !== undefined || log["ref"] !== undefined) {
    if (kind !== undefined && kind !== "db") r.problem(`${path}`, `topDb and ref apply to kind "db" only, kind is "${kind}"`);
    if (log["topDb"] !== undefined) topDb = r.number(log, "topDb", path, { above: 0 });
    if (log["ref"] !== undefined) ref = r.choice<1 | "max">(log, "ref", path, [1, "max"]);
  }
  if (!kind || offset === undefined) return undefined;
  return { kind, offset, topDb, ref };
}

function readNormalise(r: ManifestReader, value: unknown, path: string, bands: number | undefined): FeatureNormalisation | undefined {
  if (value === undefined || value === "none") return { kind: "none" };
  const norm = r.object(value, path, undefined);
  if (!norm) return undefined;
  const kind = r.choice(norm, "kind", path, ["none", "global", "per-band"] as const);
  const extra = Object.keys(norm).filter((key) => !["kind", "mean", "std"].includes(key));
  for (const key of extra) r.problem(`${path}.${key}`, "unknown field (known: kind, mean, std)");
  if (kind === "none") return { kind };
  if (kind === "global") {
    const mean = r.number(norm, "mean", path, {});
    const std = r.number(norm, "std", path, { above: 0 });
    return mean === undefined || std === undefined ? undefined : { kind, mean, std };
  }
  if (kind === "per-band") {
    const arrays: number[][] = [];
    for (const key of ["mean", "std"] as const) {
      const list = norm[key];
      const ok =
        Array.isArray(list) &&
        list.every((v) => typeof v === "number" && Number.isFinite(v) && (key === "mean" || v > 0)) &&
        (bands === undefined || list.length === bands);
      if (!ok) {
        r.problem(
          `${path}.${key}`,
          `expected an array of ${bands ?? "input.mel.bands"} finite numbers${key === "std" ? " > 0" : ""}, got ${describe(list)}`,
        );
      } else arrays.push(list as number[]);
    }
    return arrays.length === 2 ? { kind, mean: arrays[0]!, std: arrays[1]! } : undefined;
  }
  return undefined;
}

function readLogMelInput(r: ManifestReader, input: Record<string, unknown>): LogMelInputSpec | undefined {
  const path = "input";
  const tensorName = r.string(input, "tensorName", path);
  const layout = r.choice<LogMelLayout>(input, "layout", path, LOGMEL_LAYOUTS);
  const sampleRateHz = r.number(input, "sampleRateHz", path, { integer: true, min: MIN_RATE_HZ, max: MAX_RATE_HZ });
  const fftSize = r.number(input, "fftSize", path, { integer: true, min: 16, max: MAX_FFT_SIZE });
  if (fftSize !== undefined && (fftSize & (fftSize - 1)) !== 0) r.problem(`${path}.fftSize`, `expected a power of two, got ${fftSize}`);
  const windowSamples = r.number(input, "windowSamples", path, { integer: true, min: 2, ...(fftSize === undefined ? {} : { max: fftSize }), fallback: fftSize });
  const hopSamples = r.number(input, "hopSamples", path, { integer: true, min: 1 });
  const window = r.choice<WindowShape>(input, "window", path, WINDOW_SHAPES, "hann-periodic");
  const center = r.boolean(input, "center", path, false);
  const patchFrames = r.number(input, "patchFrames", path, { integer: true, min: 1, max: 100000 });
  const patchHopFrames = r.number(input, "patchHopFrames", path, { integer: true, min: 1, fallback: patchFrames });
  const mel = readMel(r, input["mel"], `${path}.mel`, sampleRateHz);
  if (mel && fftSize !== undefined && mel.bands > fftSize / 2 + 1) {
    r.problem(`${path}.mel.bands`, `expected at most fftSize/2 + 1 = ${fftSize / 2 + 1} bands, got ${mel.bands}`);
  }
  const log = readLog(r, input["log"], `${path}.log`);
  const normalise = readNormalise(r, input["normalise"], `${path}.normalise`, mel?.bands);
  if (
    tensorName === undefined ||
    !layout ||
    sampleRateHz === undefined ||
    fftSize === undefined ||
    windowSamples === undefined ||
    hopSamples === undefined ||
    !window ||
    center === undefined ||
    patchFrames === undefined ||
    patchHopFrames === undefined ||
    !mel ||
    !log ||
    !normalise
  ) {
    return undefined;
  }
  return {
    kind: "logmel",
    tensorName,
    layout,
    sampleRateHz,
    fftSize,
    windowSamples,
    hopSamples,
    window,
    center,
    patchFrames,
    patchHopFrames,
    mel,
    log,
    normalise,
  };
}

function readWaveformInput(r: ManifestReader, input: Record<string, unknown>): WaveformInputSpec | undefined {
  const path = "input";
  const tensorName = r.string(input, "tensorName", path);
  const layout = r.choice<WaveformLayout>(input, "layout", path, WAVEFORM_LAYOUTS);
  const sampleRateHz = r.number(input, "sampleRateHz", path, { integer: true, min: MIN_RATE_HZ, max: MAX_RATE_HZ });
  const patchSamples = r.number(input, "patchSamples", path, { integer: true, min: 1 });
  const patchHopSamples = r.number(input, "patchHopSamples", path, { integer: true, min: 1, fallback: patchSamples });
  if (tensorName === undefined || !layout || sampleRateHz === undefined || patchSamples === undefined || patchHopSamples === undefined) {
    return undefined;
  }
  return { kind: "waveform", tensorName, layout, sampleRateHz, patchSamples, patchHopSamples };
}

function readOnnxFileName(r: ManifestReader, record: Record<string, unknown>, path: string): string | undefined {
  const file = r.string(record, "file", path);
  if (file !== undefined && (isAbsolute(file) || normalize(file).startsWith("..") || !file.endsWith(".onnx"))) {
    r.problem(`${path}.file`, `expected a .onnx file name inside the model folder, got ${JSON.stringify(file)}`);
    return undefined;
  }
  return file;
}

function readHead(r: ManifestReader, value: unknown): ModelHeadSpec | undefined {
  const path = "head";
  const head = r.object(value, path, HEAD_KEYS);
  if (!head) return undefined;
  const file = readOnnxFileName(r, head, path);
  const embeddingTensorName = r.string(head, "embeddingTensorName", path);
  const descriptorsTensorName = r.string(head, "descriptorsTensorName", path);
  const outputTensorName = r.string(head, "outputTensorName", path);
  const size = r.number(head, "size", path, { integer: true, min: 1, max: 1 << 20 });
  const columns = head["descriptorColumns"];
  let descriptorColumns: readonly string[] | undefined;
  if (!Array.isArray(columns) || !columns.every((c) => typeof c === "string")) {
    r.problem(`${path}.descriptorColumns`, `expected an array of descriptor column names, got ${describe(columns)}`);
  } else {
    const at = DESCRIPTOR_COLUMNS.findIndex((c, i) => columns[i] !== c);
    if (at >= 0 || columns.length !== DESCRIPTOR_COLUMNS.length) {
      const index = at >= 0 ? at : Math.min(columns.length, DESCRIPTOR_COLUMNS.length);
      r.problem(
        `${path}.descriptorColumns`,
        `the head was trained on other descriptors than this version of mass-audio computes: ${columns.length} columns, ` +
          `this build has ${DESCRIPTOR_COLUMNS.length}; first difference at column ${index}: ` +
          `expected ${JSON.stringify(DESCRIPTOR_COLUMNS[index] ?? null)}, got ${JSON.stringify(columns[index] ?? null)}`,
      );
    } else descriptorColumns = columns as string[];
  }
  if (file === undefined || !embeddingTensorName || !descriptorsTensorName || !outputTensorName || size === undefined || !descriptorColumns) {
    return undefined;
  }
  return { file, embeddingTensorName, descriptorsTensorName, descriptorColumns, outputTensorName, size };
}

/**
 * Validates a parsed manifest.
 * @param json the parsed JSON
 * @param sourcePath the manifest's path, named in errors
 * @returns the manifest with defaults filled in (window "hann-periodic", center false, mel scale/norm
 *   "slaney", power 2, normalise none, patchHop = patch length, l2normalised false, maxPatchesPerUnit 8)
 * @throws ModelError ("invalid_manifest") listing every problem as `json.path: expected X, got Y`
 */
export function parseModelManifest(json: unknown, sourcePath: string): ModelManifest {
  const r = new ManifestReader();
  const top = r.object(json, "manifest", TOP_KEYS);
  let manifest: ModelManifest | undefined;
  if (top) {
    const name = r.string(top, "name", "manifest");
    const version = r.number(top, "version", "manifest", { integer: true, min: 0 });
    const file = readOnnxFileName(r, top, "manifest");
    const licence = r.string(top, "licence", "manifest", true);
    const description = r.string(top, "description", "manifest", true);
    let input: ModelInputSpec | undefined;
    const rawInput = top["input"];
    const inputKind = rawInput !== null && typeof rawInput === "object" ? (rawInput as Record<string, unknown>)["kind"] : undefined;
    if (inputKind === "logmel") {
      const record = r.object(rawInput, "input", LOGMEL_KEYS);
      if (record) input = readLogMelInput(r, record);
    } else if (inputKind === "waveform") {
      const record = r.object(rawInput, "input", WAVEFORM_KEYS);
      if (record) input = readWaveformInput(r, record);
    } else if (r.object(rawInput, "input", undefined)) {
      r.problem("input.kind", `expected "logmel" | "waveform", got ${inputKind === undefined ? "nothing" : describe(inputKind)}`);
    }
    const outputRecord = r.object(top["output"], "output", OUTPUT_KEYS);
    let output: ModelOutputSpec | undefined;
    if (outputRecord) {
      const tensorName = r.string(outputRecord, "tensorName", "output");
      const size = r.number(outputRecord, "size", "output", { integer: true, min: 1, max: 1 << 20 });
      const layout = r.choice(outputRecord, "layout", "output", ["BE"] as const, "BE");
      const l2normalised = r.boolean(outputRecord, "l2normalised", "output", false);
      if (tensorName !== undefined && size !== undefined && layout && l2normalised !== undefined) {
        output = { tensorName, size, layout, l2normalised };
      }
    }
    const pooling = r.choice<Pooling>(top, "pooling", "manifest", POOLINGS);
    const maxPatchesPerUnit = r.number(top, "maxPatchesPerUnit", "manifest", { integer: true, min: 1, max: 4096, fallback: DEFAULT_MAX_PATCHES_PER_UNIT });
    const head = top["head"] === undefined ? undefined : readHead(r, top["head"]);
    if (name !== undefined && version !== undefined && file !== undefined && input && output && pooling && maxPatchesPerUnit !== undefined) {
      manifest = { name, version, file, licence, description, input, output, pooling, maxPatchesPerUnit, ...(head ? { head } : {}) };
    }
  }
  if (r.problems.length > 0 || !manifest) {
    throw new ModelError(sourcePath, "invalid_manifest", `invalid model manifest: ${r.problems.join("; ")}`);
  }
  return manifest;
}

/** A manifest read from a model folder, with the absolute paths of its files. */
export interface ModelFiles {
  readonly manifest: ModelManifest;
  readonly manifestPath: string;
  readonly modelPath: string;
  /** The unit head's ONNX file, when the manifest has a head. */
  readonly headPath?: string;
}

/**
 * Reads and validates `<modelDir>/manifest.json` and checks that its ONNX file exists.
 * @throws ModelError: "missing" (no folder, manifest or .onnx file), "invalid_manifest" (not JSON, or a bad field)
 */
export async function readModelManifest(modelDir: string): Promise<ModelFiles> {
  const manifestPath = join(modelDir, MANIFEST_FILE_NAME);
  let text: string;
  try {
    text = await readFile(manifestPath, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const detail =
      code === "ENOENT" ? `no ${MANIFEST_FILE_NAME} here (a model folder holds manifest.json next to its .onnx file; see docs/models/README.md)` : `cannot read: ${(error as Error).message}`;
    throw new ModelError(manifestPath, "missing", detail, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ModelError(manifestPath, "invalid_manifest", `not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  const manifest = parseModelManifest(json, manifestPath);
  const modelPath = join(modelDir, manifest.file);
  if (!(await isFile(modelPath))) throw new ModelError(modelPath, "missing", `model file not found (named by ${manifestPath}, field "file")`);
  if (!manifest.head) return { manifest, manifestPath, modelPath };
  const headPath = join(modelDir, manifest.head.file);
  if (!(await isFile(headPath))) throw new ModelError(headPath, "missing", `unit head file not found (named by ${manifestPath}, field "head.file")`);
  return { manifest, manifestPath, modelPath, headPath };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** Length of one pooled patch vector: the output size, doubled for "mean+std" pooling. */
export function pooledVectorSize(manifest: ModelManifest): number {
  return manifest.pooling === "mean+std" ? 2 * manifest.output.size : manifest.output.size;
}

/** Length of one unit vector: the head's size, else the pooled patch vector's. */
export function unitVectorSize(manifest: ModelManifest): number {
  return manifest.head ? manifest.head.size : pooledVectorSize(manifest);
}

/** `<package root>/models/<DEFAULT_MODEL_NAME>`. */
export function defaultModelDir(): string {
  return join(packageRoot(), "models", DEFAULT_MODEL_NAME);
}

/**
 * A `--model` value -> a model folder: a path (anything with a slash or starting with ".") as given, else
 * the name of a folder under `<package root>/models/`; undefined -> the default model.
 * @throws ModelError ("missing") for a name with no such folder, listing the models there are
 */
export function resolveModelDir(nameOrDir: string | undefined): string {
  if (nameOrDir === undefined || nameOrDir === "") return defaultModelDir();
  if (nameOrDir.includes("/") || nameOrDir.includes("\\") || nameOrDir.startsWith(".")) return nameOrDir;
  const modelsDir = join(packageRoot(), "models");
  const dir = join(modelsDir, nameOrDir);
  if (!existsSync(dir)) {
    const available = existsSync(modelsDir)
      ? readdirSync(modelsDir, { withFileTypes: true })
          .filter((e) => e.isDirectory() && existsSync(join(modelsDir, e.name, MANIFEST_FILE_NAME)))
          .map((e) => e.name)
      : [];
    throw new ModelError(
      dir,
      "missing",
      `no model named "${nameOrDir}" (models here: ${available.join(", ") || "none"}; or give a folder path holding manifest.json)`,
    );
  }
  return dir;
}
