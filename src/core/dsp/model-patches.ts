/**
 * Model input patches cut from a signal segment, laid out as an embedding model expects them (the
 * manifest's `input`): log-mel patches of `patchFrames` frames, or raw waveform patches of `patchSamples`.
 *
 * Patch `p` of a segment starts `p * hopSamples` samples after the segment start; a segment of length L
 * has the patches starting before its end (`p * hopSamples < L`), at least one, at most `maxPatches`.
 * The segment is zero outside `[startSample, endSample)`: a unit shorter than a patch is padded with
 * silence (log-mel: the frames' log of zero energy, normalised; waveform: zeros).
 */

import { ParameterError } from "../errors.js";
import type { RealFftEngineFactory } from "./fft.js";
import { LogMelFramer, type LogMelFramerConfig } from "./log-mel-framer.js";

/**
 * Tensor layouts of a log-mel patch: B = batch, M = mel band, T = frame, 1 = a singleton channel axis.
 * Only the order of M and T matters for the memory layout; the rest is the tensor's rank.
 */
export type LogMelLayout = "B1MT" | "BMT" | "BMT1" | "B1TM" | "BTM" | "BTM1";
export const LOGMEL_LAYOUTS: readonly LogMelLayout[] = ["B1MT", "BMT", "BMT1", "B1TM", "BTM", "BTM1"];
/** Tensor layouts of a waveform patch: [batch, samples] or [batch, 1, samples]. */
export type WaveformLayout = "BT" | "B1T";
export const WAVEFORM_LAYOUTS: readonly WaveformLayout[] = ["BT", "B1T"];

/** Feature normalisation after the log: `(x - mean) / std`, global or per mel band. */
export type FeatureNormalisation =
  | { readonly kind: "none" }
  | { readonly kind: "global"; readonly mean: number; readonly std: number }
  | { readonly kind: "per-band"; readonly mean: readonly number[]; readonly std: readonly number[] };

/** Cuts model input patches from a segment; implemented for log-mel and waveform inputs. */
export interface PatchBuilder {
  /** Float values in one patch. */
  readonly patchValues: number;
  /** Patch starts must be multiples of this many samples (the STFT hop for log-mel, 1 for waveform). */
  readonly stepSamples: number;
  /** The model's own distance between patch starts, in samples. */
  readonly patchHopSamples: number;
  /** Samples from a patch's nominal start to its centre (used to centre timestamps). */
  readonly patchCentreSamples: number;
  /** Samples from a patch's nominal start to the end of the last sample it reads. */
  readonly patchSpanSamples: number;
  /** The input tensor's shape for `batch` patches. */
  tensorShape(batch: number): number[];
  /**
   * Patches of a segment of `lengthSamples`: starts 0, hop, 2 hop ... before the end, at least 1, at most `maxPatches`.
   * @throws ParameterError when `hopSamples` is not a positive multiple of `stepSamples`
   */
  patchCount(lengthSamples: number, hopSamples: number, maxPatches: number): number;
  /**
   * Writes patches `firstPatch .. firstPatch + count - 1` of the segment `signal[startSample, endSample)`
   * into `out`, patch j at `out[(outSlot + j) * patchValues ...]`.
   * @throws ParameterError on a bad range, hop, or an `out` too short
   */
  writePatches(
    signal: Float32Array,
    startSample: number,
    endSample: number,
    hopSamples: number,
    firstPatch: number,
    count: number,
    out: Float32Array,
    outSlot: number,
  ): void;
  /** Fills patch slot `slot` with silence (padding of a batch the model needs full). */
  writeSilence(out: Float32Array, slot: number): void;
}

function checkHop(hopSamples: number, stepSamples: number): void {
  if (!Number.isInteger(hopSamples) || hopSamples < stepSamples || hopSamples % stepSamples !== 0) {
    throw new ParameterError(`patch hop must be a positive multiple of ${stepSamples} samples, got ${hopSamples}`);
  }
}

function countPatches(lengthSamples: number, hopSamples: number, maxPatches: number): number {
  if (!Number.isInteger(maxPatches) || maxPatches < 1) throw new ParameterError(`maxPatches must be an integer >= 1, got ${maxPatches}`);
  const n = Math.max(1, Math.ceil(lengthSamples / hopSamples));
  return Math.min(n, maxPatches);
}

function checkWrite(startSample: number, endSample: number, firstPatch: number, count: number, out: Float32Array, end: number): void {
  if (!(Number.isInteger(startSample) && Number.isInteger(endSample) && startSample >= 0 && endSample >= startSample)) {
    throw new ParameterError(`writePatches: need integers 0 <= startSample <= endSample, got ${startSample} and ${endSample}`);
  }
  if (!(Number.isInteger(firstPatch) && Number.isInteger(count) && firstPatch >= 0 && count >= 0)) {
    throw new ParameterError(`writePatches: firstPatch and count must be integers >= 0, got ${firstPatch} and ${count}`);
  }
  if (out.length < end) throw new ParameterError(`writePatches: out holds ${out.length} values, ${end} needed`);
}

/** Options of {@link LogMelPatchBuilder}: the front end, the patch geometry, the patch-level scaling. */
export interface LogMelPatchConfig extends LogMelFramerConfig {
  readonly patchFrames: number;
  readonly patchHopFrames: number;
  readonly layout: LogMelLayout;
  readonly normalise: FeatureNormalisation;
}

/**
 * Log-mel patches `[bands x patchFrames]` (or transposed, per layout). Frames shared by overlapping patches
 * of one call are computed once. Allocation-free once its frame buffer has grown to the largest request.
 */
export class LogMelPatchBuilder implements PatchBuilder {
  readonly patchValues: number;
  readonly stepSamples: number;
  readonly patchHopSamples: number;
  readonly patchCentreSamples: number;
  readonly patchSpanSamples: number;
  readonly framer: LogMelFramer;
  private readonly bands: number;
  private readonly patchFrames: number;
  private readonly bandMajor: boolean;
  private readonly layout: LogMelLayout;
  /** Per value of a patch in layout order: the normalisation's scale and shift (x * scale + shift). */
  private readonly scale: Float64Array;
  private readonly shift: Float64Array;
  private readonly dbRefMax: boolean;
  private readonly topDb: number | undefined;
  private frames: Float32Array;

  /**
   * @param engineFactory optional accelerated FFT for the frames
   * @throws ParameterError on bad sizes, layout or normalisation
   */
  constructor(config: LogMelPatchConfig, engineFactory?: RealFftEngineFactory) {
    const { patchFrames, patchHopFrames } = config;
    if (!Number.isInteger(patchFrames) || patchFrames < 1) throw new ParameterError(`patchFrames must be an integer >= 1, got ${patchFrames}`);
    if (!Number.isInteger(patchHopFrames) || patchHopFrames < 1) {
      throw new ParameterError(`patchHopFrames must be an integer >= 1, got ${patchHopFrames}`);
    }
    if (!LOGMEL_LAYOUTS.includes(config.layout)) throw new ParameterError(`log-mel layout must be one of ${LOGMEL_LAYOUTS.join(", ")}, got ${config.layout}`);
    this.framer = new LogMelFramer(config, engineFactory);
    this.bands = config.mel.bands;
    this.patchFrames = patchFrames;
    this.layout = config.layout;
    this.bandMajor = config.layout.indexOf("M") < config.layout.indexOf("T");
    this.patchValues = this.bands * patchFrames;
    this.stepSamples = config.hopSamples;
    this.patchHopSamples = patchHopFrames * config.hopSamples;
    this.patchSpanSamples = (patchFrames - 1) * config.hopSamples - this.framer.windowLeadSamples + config.windowSamples;
    // centred frames are centred on their nominal starts: the patch centre is halfway between its first and last
    this.patchCentreSamples = Math.round(config.center ? ((patchFrames - 1) * config.hopSamples) / 2 : this.patchSpanSamples / 2);
    this.scale = new Float64Array(this.patchValues);
    this.shift = new Float64Array(this.patchValues);
    this.fillNormalisation(config.normalise);
    this.dbRefMax = config.log.kind === "db" && config.log.ref === "max";
    this.topDb = config.log.kind === "db" ? config.log.topDb : undefined;
    this.frames = new Float32Array(patchFrames * this.bands);
  }

  private fillNormalisation(normalise: FeatureNormalisation): void {
    const bands = this.bands;
    const meanOf = (m: number): number =>
      normalise.kind === "global" ? normalise.mean : normalise.kind === "per-band" ? normalise.mean[m]! : 0;
    const stdOf = (m: number): number => (normalise.kind === "global" ? normalise.std : normalise.kind === "per-band" ? normalise.std[m]! : 1);
    if (normalise.kind === "per-band" && (normalise.mean.length !== bands || normalise.std.length !== bands)) {
      throw new ParameterError(`per-band normalisation needs ${bands} means and stds, got ${normalise.mean.length} and ${normalise.std.length}`);
    }
    for (let m = 0; m < bands; m++) {
      const std = stdOf(m);
      if (!(std > 0) || !Number.isFinite(meanOf(m))) throw new ParameterError(`normalisation of band ${m}: need a finite mean and std > 0`);
      for (let t = 0; t < this.patchFrames; t++) {
        const i = this.valueIndex(m, t);
        this.scale[i] = 1 / std;
        this.shift[i] = -meanOf(m) / std;
      }
    }
  }

  private valueIndex(band: number, frame: number): number {
    return this.bandMajor ? band * this.patchFrames + frame : frame * this.bands + band;
  }

  tensorShape(batch: number): number[] {
    const M = this.bands;
    const T = this.patchFrames;
    switch (this.layout) {
      case "B1MT":
        return [batch, 1, M, T];
      case "BMT":
        return [batch, M, T];
      case "BMT1":
        return [batch, M, T, 1];
      case "B1TM":
        return [batch, 1, T, M];
      case "BTM":
        return [batch, T, M];
      case "BTM1":
        return [batch, T, M, 1];
    }
  }

  patchCount(lengthSamples: number, hopSamples: number, maxPatches: number): number {
    checkHop(hopSamples, this.stepSamples);
    return countPatches(lengthSamples, hopSamples, maxPatches);
  }

  writePatches(
    signal: Float32Array,
    startSample: number,
    endSample: number,
    hopSamples: number,
    firstPatch: number,
    count: number,
    out: Float32Array,
    outSlot: number,
  ): void {
    checkHop(hopSamples, this.stepSamples);
    checkWrite(startSample, endSample, firstPatch, count, out, (outSlot + count) * this.patchValues);
    if (count === 0) return;
    const hopFrames = hopSamples / this.stepSamples;
    const patchFrames = this.patchFrames;
    const bands = this.bands;
    if (hopFrames < patchFrames) {
      // overlapping patches: the union of their frames once
      const firstFrame = firstPatch * hopFrames;
      const frameCount = (count - 1) * hopFrames + patchFrames;
      this.ensureFrames(frameCount);
      this.framer.computeFrames(signal, startSample, endSample, firstFrame, frameCount, this.frames, 0);
      for (let j = 0; j < count; j++) this.assemble(j * hopFrames * bands, out, outSlot + j);
    } else {
      for (let j = 0; j < count; j++) {
        this.framer.computeFrames(signal, startSample, endSample, (firstPatch + j) * hopFrames, patchFrames, this.frames, 0);
        this.assemble(0, out, outSlot + j);
      }
    }
  }

  writeSilence(out: Float32Array, slot: number): void {
    const base = slot * this.patchValues;
    const silence = this.framer.silenceValue;
    const n = this.patchValues;
    for (let i = 0; i < n; i++) out[base + i] = silence;
    this.finishPatch(out, base);
  }

  private ensureFrames(frameCount: number): void {
    const needed = frameCount * this.bands;
    if (this.frames.length < needed) this.frames = new Float32Array(needed);
  }

  /** Copies `patchFrames` frames starting at `frames[frameOffset]` into slot `slot` in layout order, then scales. */
  private assemble(frameOffset: number, out: Float32Array, slot: number): void {
    const frames = this.frames;
    const bands = this.bands;
    const patchFrames = this.patchFrames;
    const base = slot * this.patchValues;
    if (!this.dbRefMax && this.topDb === undefined) {
      // copy and normalise in one pass (the same values: frames are float32 already, so storing them first
      // and scaling the stored copy gives exactly x * scale + shift)
      const scale = this.scale;
      const shift = this.shift;
      if (this.bandMajor) {
        for (let t = 0; t < patchFrames; t++) {
          const src = frameOffset + t * bands;
          for (let m = 0; m < bands; m++) {
            const i = m * patchFrames + t;
            out[base + i] = frames[src + m]! * scale[i]! + shift[i]!;
          }
        }
      } else {
        const n = this.patchValues;
        for (let i = 0; i < n; i++) out[base + i] = frames[frameOffset + i]! * scale[i]! + shift[i]!;
      }
      return;
    }
    if (this.bandMajor) {
      for (let t = 0; t < patchFrames; t++) {
        const src = frameOffset + t * bands;
        for (let m = 0; m < bands; m++) out[base + m * patchFrames + t] = frames[src + m]!;
      }
    } else {
      const n = this.patchValues;
      for (let i = 0; i < n; i++) out[base + i] = frames[frameOffset + i]!;
    }
    this.finishPatch(out, base);
  }

  /** Patch-level dB reference / floor, then the normalisation. */
  private finishPatch(out: Float32Array, base: number): void {
    const n = this.patchValues;
    if (this.dbRefMax || this.topDb !== undefined) {
      let max = -Infinity;
      for (let i = 0; i < n; i++) if (out[base + i]! > max) max = out[base + i]!;
      const shift = this.dbRefMax ? max : 0;
      const floor = this.topDb === undefined ? -Infinity : max - shift - this.topDb;
      for (let i = 0; i < n; i++) {
        const v = out[base + i]! - shift;
        out[base + i] = v < floor ? floor : v;
      }
    }
    const scale = this.scale;
    const offset = this.shift;
    for (let i = 0; i < n; i++) out[base + i] = out[base + i]! * scale[i]! + offset[i]!;
  }
}

/** Options of {@link WaveformPatchBuilder}. */
export interface WaveformPatchConfig {
  readonly patchSamples: number;
  readonly patchHopSamples: number;
  readonly layout: WaveformLayout;
}

/** Raw waveform patches of `patchSamples` (PANNs, CLAP, OpenL3 waveform exports). Allocation-free. */
export class WaveformPatchBuilder implements PatchBuilder {
  readonly patchValues: number;
  readonly stepSamples = 1;
  readonly patchHopSamples: number;
  readonly patchCentreSamples: number;
  readonly patchSpanSamples: number;
  private readonly layout: WaveformLayout;

  /** @throws ParameterError on bad sizes or layout */
  constructor(config: WaveformPatchConfig) {
    if (!Number.isInteger(config.patchSamples) || config.patchSamples < 1) {
      throw new ParameterError(`patchSamples must be an integer >= 1, got ${config.patchSamples}`);
    }
    if (!Number.isInteger(config.patchHopSamples) || config.patchHopSamples < 1) {
      throw new ParameterError(`patchHopSamples must be an integer >= 1, got ${config.patchHopSamples}`);
    }
    if (!WAVEFORM_LAYOUTS.includes(config.layout)) throw new ParameterError(`waveform layout must be BT or B1T, got ${config.layout}`);
    this.patchValues = config.patchSamples;
    this.patchHopSamples = config.patchHopSamples;
    this.patchCentreSamples = Math.round(config.patchSamples / 2);
    this.patchSpanSamples = config.patchSamples;
    this.layout = config.layout;
  }

  tensorShape(batch: number): number[] {
    return this.layout === "BT" ? [batch, this.patchValues] : [batch, 1, this.patchValues];
  }

  patchCount(lengthSamples: number, hopSamples: number, maxPatches: number): number {
    checkHop(hopSamples, 1);
    return countPatches(lengthSamples, hopSamples, maxPatches);
  }

  writePatches(
    signal: Float32Array,
    startSample: number,
    endSample: number,
    hopSamples: number,
    firstPatch: number,
    count: number,
    out: Float32Array,
    outSlot: number,
  ): void {
    checkHop(hopSamples, 1);
    const n = this.patchValues;
    checkWrite(startSample, endSample, firstPatch, count, out, (outSlot + count) * n);
    const end = Math.min(endSample, signal.length);
    for (let j = 0; j < count; j++) {
      const from = startSample + (firstPatch + j) * hopSamples;
      const base = (outSlot + j) * n;
      const available = Math.max(0, Math.min(n, end - from));
      for (let i = 0; i < available; i++) out[base + i] = signal[from + i]!;
      out.fill(0, base + available, base + n);
    }
  }

  writeSilence(out: Float32Array, slot: number): void {
    out.fill(0, slot * this.patchValues, (slot + 1) * this.patchValues);
  }
}
