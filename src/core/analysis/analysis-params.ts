/**
 * The analysis options as data: segmentation mode, unit lengths, onset sensitivity and silence gate.
 * CLI flags (`analyze`, `index`, `regen`), OSC options and the README table come from this table.
 */
import { ParameterError } from "../errors.js";
import { resolveParams, type EnumParam, type NumberParam, type BooleanParam, type ParamValues } from "../params.js";
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
    defaultValue: 50,
    min: 5,
    max: 10_000,
    unit: "ms",
    doc: "shorter units are merged with their neighbour",
  } satisfies NumberParam,
  maxUnitMs: {
    key: "maxUnitMs",
    flag: "max-ms",
    kind: "number",
    defaultValue: 2000,
    min: 20,
    max: 600_000,
    unit: "ms",
    doc: "longer units are split at their strongest novelty (onset mode)",
  } satisfies NumberParam,
  onsetThreshold: {
    key: "onsetThreshold",
    flag: "onset-threshold",
    kind: "number",
    defaultValue: 1,
    min: 0,
    max: 100,
    unit: "",
    doc: "onset sensitivity: novelty above the local average needed for an onset (higher = fewer onsets)",
  } satisfies NumberParam,
  minInterOnsetMs: {
    key: "minInterOnsetMs",
    flag: "min-ioi-ms",
    kind: "number",
    defaultValue: 30,
    min: 0,
    max: 5000,
    unit: "ms",
    doc: "minimum time between two onsets",
  } satisfies NumberParam,
  silenceGateDb: {
    key: "silenceGateDb",
    flag: "silence-db",
    kind: "number",
    defaultValue: -60,
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
  if (options.minUnitMs >= options.maxUnitMs) {
    throw new ParameterError(`minUnitMs (${options.minUnitMs} ms) must be below maxUnitMs (${options.maxUnitMs} ms)`);
  }
  return options;
}

export const DEFAULT_ANALYSIS_OPTIONS: AnalysisOptions = resolveAnalysisOptions();
