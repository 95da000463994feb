/**
 * The options of `regen` as data: one declaration drives the CLI flags, OSC option parsing, device dials
 * and the README table. Filters (folders, categories, ranges) and group weights are shared with `find`
 * and declared there; segmentation options come from `ANALYSIS_PARAMETERS`.
 *
 * Defaults of stickiness, novelty and join were chosen with `npm run eval -- regen` (the 17 CC0 loops
 * against the CC0 corpus): at these values the engine is closer to the targets (log-mel distance) than
 * nearest-unit-only selection, with fewer repeats and fewer audible joins. The figure varies by about
 * +-0.5 dB between index builds, so small differences between settings are not significant.
 */
import { ParameterError } from "../errors.js";
import { resolveParams, type BooleanParam, type EnumParam, type NumberParam, type ParamValues } from "../params.js";
import type { FitMode } from "../render/fit.js";
import type { PeakMode } from "../render/peak-limit.js";
import { MAX_TRANSPOSE_SEMITONES } from "../render/varispeed.js";

export type PitchMode = "keep" | "follow" | "shift";
export type OutputBitDepth = "auto" | "16" | "24" | "32f";

export const REGEN_PARAMETERS = {
  seed: {
    key: "seed", flag: "seed", kind: "integer", defaultValue: 1, min: 0, max: 4294967295, unit: "",
    doc: "random seed: the same corpus, options and seed give a bit-identical file",
  } satisfies NumberParam,
  k: {
    key: "k", flag: "k", kind: "integer", defaultValue: 16, min: 1, max: 256, unit: "",
    doc: "candidates considered per target unit",
  } satisfies NumberParam,
  variety: {
    key: "variety", flag: "variety", kind: "number", defaultValue: 0, min: 0, max: 1, unit: "",
    doc: "controlled randomness of the selection (0 = always the best sequence)",
  } satisfies NumberParam,
  stickiness: {
    key: "stickiness", flag: "stickiness", kind: "number", defaultValue: 0, min: 0, max: 1, unit: "",
    doc: "preference for continuing the previous unit's own file (longer stretches of one source)",
  } satisfies NumberParam,
  novelty: {
    key: "novelty", flag: "novelty", kind: "number", defaultValue: 0.2, min: 0, max: 1, unit: "",
    doc: "avoidance of recently used units (boredom that decays over a few units)",
  } satisfies NumberParam,
  join: {
    key: "join", flag: "join", kind: "number", defaultValue: 0.25, min: 0, max: 4, unit: "",
    doc: "weight of smooth joins (level and timbre continuity) against closeness to the target",
  } satisfies NumberParam,
  maxUses: {
    key: "maxUses", flag: "max-uses", kind: "integer", defaultValue: 0, min: 0, max: 100_000, unit: "",
    doc: "most times one unit may be used (0 = unlimited)",
  } satisfies NumberParam,
  layers: {
    key: "layers", flag: "layers", kind: "integer", defaultValue: 1, min: 1, max: 4, unit: "",
    doc: "voices per target unit; each next layer matches the residual of the target after the layers placed",
  } satisfies NumberParam,
  fit: {
    key: "fit", flag: "fit", kind: "enum", values: ["trim", "loop", "stretch"], defaultValue: "trim", unit: "",
    doc: "fitting a unit into its slot: trim (cut / pad with silence), loop (repeat), stretch (WSOLA, pitch kept)",
  } satisfies EnumParam<FitMode>,
  pitch: {
    key: "pitch", flag: "pitch", kind: "enum", values: ["keep", "follow", "shift"], defaultValue: "keep", unit: "",
    doc: "transposition: keep, follow the target unit's pitch, or shift by --semitones (--pitch N = shift N)",
  } satisfies EnumParam<PitchMode>,
  semitones: {
    key: "semitones", flag: "semitones", kind: "number", defaultValue: 0, min: -MAX_TRANSPOSE_SEMITONES, max: MAX_TRANSPOSE_SEMITONES, unit: "st",
    doc: "transposition in semitones for --pitch shift (resampling: with --fit stretch the duration is kept)",
  } satisfies NumberParam,
  dynamics: {
    key: "dynamics", flag: "dynamics", kind: "number", defaultValue: 1, min: 0, max: 1, unit: "",
    doc: "how far each unit's level follows the target unit's level (0 = source levels)",
  } satisfies NumberParam,
  wet: {
    key: "wet", flag: "wet", kind: "number", defaultValue: 1, min: 0, max: 1, unit: "",
    doc: "share of the resynthesis in the output (0 = the original only)",
  } satisfies NumberParam,
  crossfadeMs: {
    key: "crossfadeMs", flag: "crossfade-ms", kind: "number", defaultValue: 5, min: 0, max: 100, unit: "ms",
    doc: "crossfade length at unit joins",
  } satisfies NumberParam,
  peak: {
    key: "peak", flag: "peak", kind: "enum", values: ["limit", "normalize", "off"], defaultValue: "limit", unit: "",
    doc: "peak safety: look-ahead limiter, whole-file normalisation, or off (may clip)",
  } satisfies EnumParam<PeakMode>,
  includeTarget: {
    key: "includeTarget", flag: "include-target", kind: "boolean", defaultValue: false, unit: "",
    doc: "allow units of the target's own file and its copies (excluded by default)",
  } satisfies BooleanParam,
  rateHz: {
    key: "rateHz", flag: "rate", kind: "integer", defaultValue: 0, min: 0, max: 384_000, unit: "Hz",
    doc: "output sample rate (0 = the target's)",
  } satisfies NumberParam,
  bitDepth: {
    key: "bitDepth", flag: "bit-depth", kind: "enum", values: ["auto", "16", "24", "32f"], defaultValue: "auto", unit: "",
    doc: "output sample format (auto = the target's: 16, 24 or 32-bit float)",
  } satisfies EnumParam<OutputBitDepth>,
  beamWidth: {
    key: "beamWidth", flag: "beam", kind: "integer", defaultValue: 32, min: 1, max: 1024, unit: "",
    doc: "hypotheses kept by the sequence search (wider = closer to the optimum, slower)",
  } satisfies NumberParam,
  cacheMb: {
    key: "cacheMb", flag: "cache-mb", kind: "number", defaultValue: 256, min: 1, max: 65_536, unit: "MB",
    doc: "memory limit of the decoded source-range cache",
  } satisfies NumberParam,
} as const;

export type RegenOptions = ParamValues<typeof REGEN_PARAMETERS>;

/**
 * Validates partial regen options and fills the defaults. `pitch` also takes a number of semitones
 * (`--pitch 3` = `--pitch shift --semitones 3`).
 * @throws ParameterError on an unknown option or a value out of range.
 */
export function resolveRegenOptions(given: Partial<Record<keyof RegenOptions, unknown>> = {}): RegenOptions {
  const raw: Record<string, unknown> = { ...given };
  const pitch = raw["pitch"];
  if ((typeof pitch === "number" || (typeof pitch === "string" && /^[-+]?\d+(\.\d+)?$/.test(pitch.trim()))) && pitch !== "") {
    if (raw["semitones"] !== undefined) throw new ParameterError("pitch: give either --pitch N or --pitch shift --semitones N, not both");
    raw["pitch"] = "shift";
    raw["semitones"] = typeof pitch === "number" ? pitch : Number(pitch);
  }
  return resolveParams(REGEN_PARAMETERS, raw);
}

export const DEFAULT_REGEN_OPTIONS: RegenOptions = resolveRegenOptions();
