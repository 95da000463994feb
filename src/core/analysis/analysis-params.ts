/**
 * The analysis options as data: segmentation mode, unit lengths, onset sensitivity and silence gate.
 * CLI flags (`analyze`, `index`, `regen`), OSC options and the README table come from this table.
 */
import { ParameterError } from "../errors.js";
import { resolveParams, type EnumParam, type NumberParam, type BooleanParam, type ParamValues } from "../params.js";
import { DEFAULT_ONSET_PEAK_OPTIONS } from "./onset-peaks.js";
import { DEFAULT_SEGMENTER_OPTIONS } from "./segmenter.js";
import type { SegmentMode } from "./unit.js";

export const ANALYSIS_PARAMETERS = {
  segment: {
    key: "segment",
    flag: "segment",
    kind: "enum",
    values: ["onset", "grid", "whole"],
    defaultValue: "onset",
    unit: "",
    doc: "how files are cut into units: at onsets, on a fixed grid, or one unit per file (one-shots)",
  } satisfies EnumParam<SegmentMode>,
  gridMs: {
    key: "gridMs",
    flag: "grid-ms",
    kind: "number",
    defaultValue: 250,
    min: 10,
    max: 60_000,
    unit: "ms",
    doc: "grid mode: length of each unit",
  } satisfies NumberParam,
  gridOverlap: {
    key: "gridOverlap",
    flag: "grid-overlap",
    kind: "number",
    defaultValue: 0,
    min: 0,
    max: 0.9,
    unit: "",
    doc: "grid mode: overlap between consecutive units (0 = none, 0.5 = half)",
  } satisfies NumberParam,
  minUnitMs: {
    key: "minUnitMs",
    flag: "min-ms",
    kind: "number",
    defaultValue: DEFAULT_SEGMENTER_OPTIONS.minUnitMs,
    min: 5,
    max: 10_000,
    unit: "ms",
    doc: "shorter units are merged with their neighbour",
  } satisfies NumberParam,
  maxUnitMs: {
    key: "maxUnitMs",
    flag: "max-ms",
    kind: "number",
    defaultValue: DEFAULT_SEGMENTER_OPTIONS.maxUnitMs,
    min: 20,
    max: 600_000,
    unit: "ms",
    doc: "longer units are split at their strongest novelty (onset mode)",
  } satisfies NumberParam,
  onsetThreshold: {
    key: "onsetThreshold",
    flag: "onset-threshold",
    kind: "number",
    defaultValue: DEFAULT_ONSET_PEAK_OPTIONS.threshold,
    min: 0,
    max: 20,
    unit: "",
    doc: "onset sensitivity: SuperFlux novelty a peak needs above its local mean (lower = more onsets)",
  } satisfies NumberParam,
  minInterOnsetMs: {
    key: "minInterOnsetMs",
    flag: "min-ioi-ms",
    kind: "number",
    defaultValue: DEFAULT_ONSET_PEAK_OPTIONS.minInterOnsetMs,
    min: 0,
    max: 1000,
    unit: "ms",
    doc: "minimum time between two onsets",
  } satisfies NumberParam,
  silenceGateDb: {
    key: "silenceGateDb",
    flag: "silence-db",
    kind: "number",
    defaultValue: DEFAULT_SEGMENTER_OPTIONS.silenceGateDb,
    min: -120,
    max: 0,
    unit: "dBFS",
    doc: "frames below this level are silence: no onsets there, silent units are dropped",
  } satisfies NumberParam,
  keepSilent: {
    key: "keepSilent",
    flag: "keep-silent",
    kind: "boolean",
    defaultValue: false,
    unit: "",
    doc: "keep silent units (marked silent) instead of dropping them",
  } satisfies BooleanParam,
} as const;

export type AnalysisOptions = ParamValues<typeof ANALYSIS_PARAMETERS>;

/**
 * Validates partial analysis options and fills the defaults.
 * @throws ParameterError on an unknown option or a value out of range.
 */
export function resolveAnalysisOptions(given: Partial<Record<keyof AnalysisOptions, unknown>> = {}): AnalysisOptions {
  const options = resolveParams(ANALYSIS_PARAMETERS, given);
  if (options.maxUnitMs < 2 * options.minUnitMs) {
    throw new ParameterError(`maxUnitMs (${options.maxUnitMs} ms) must be at least twice minUnitMs (${options.minUnitMs} ms)`);
  }
  return options;
}

export const DEFAULT_ANALYSIS_OPTIONS: AnalysisOptions = resolveAnalysisOptions();
