/**
 * The analysis options as data: segmentation mode, unit lengths, onset sensitivity and silence gate.
 * CLI flags (`analyze`, `index`, `regen`), OSC options and the README table come from this table. The
 * declarations themselves live with the code they drive (`SEGMENTER_PARAMETERS`, `ONSET_PARAMETERS`); this
 * table picks the user-facing ones under their option keys.
 */
import { ParameterError } from "../errors.js";
import { resolveParams, type ParamValues } from "../params.js";
import { ONSET_PARAMETERS } from "./onset-peaks.js";
import { SEGMENTER_PARAMETERS } from "./segmenter.js";

export const ANALYSIS_PARAMETERS = {
  segment: { ...SEGMENTER_PARAMETERS.mode, key: "segment" },
  gridMs: SEGMENTER_PARAMETERS.gridMs,
  gridOverlap: SEGMENTER_PARAMETERS.gridOverlap,
  minUnitMs: SEGMENTER_PARAMETERS.minUnitMs,
  maxUnitMs: SEGMENTER_PARAMETERS.maxUnitMs,
  onsetThreshold: { ...ONSET_PARAMETERS.threshold, key: "onsetThreshold" },
  minInterOnsetMs: ONSET_PARAMETERS.minInterOnsetMs,
  silenceGateDb: SEGMENTER_PARAMETERS.silenceGateDb,
  keepSilent: SEGMENTER_PARAMETERS.keepSilent,
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
