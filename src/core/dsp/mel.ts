/**
 * Mel filter banks and log compression for model front ends, value for value as librosa 0.10
 * (`librosa.filters.mel`, `hz_to_mel`, `mel_to_hz`, `mel_frequencies`, `power_to_db`): the Slaney scale
 * (linear below 1 kHz, logarithmic above; Slaney's Auditory Toolbox) or the HTK scale
 * `2595 log10(1 + f / 700)`, triangles on `bands + 2` edges equally spaced in mel between fmin and fmax,
 * evaluated at the FFT bin frequencies `k sampleRate / fftSize`, optionally area-normalised ("slaney":
 * each triangle scaled by `2 / (f[m + 2] - f[m])`, so it integrates to 1 over Hz).
 *
 * This is the front end of embedding models (manifest `input.mel`); the MFCC descriptors keep meyda's own
 * bank (`core/analysis/descriptors/mel-filter-bank.ts`).
 */

import { ParameterError } from "../errors.js";

/** Mel scale: "slaney" (librosa's default, `htk=False`) or "htk". */
export type MelScale = "slaney" | "htk";
/** Filter normalisation: "slaney" (unit area in Hz, librosa's default) or "none" (unit peak). */
export type MelNorm = "slaney" | "none";

/** Slaney scale: 200/3 Hz per mel below the break frequency. */
const SLANEY_HZ_PER_MEL = 200 / 3;
/** Slaney scale: linear below 1000 Hz, logarithmic above. */
const SLANEY_BREAK_HZ = 1000;
/** Mel value at the break frequency: 1000 / (200/3) = 15. */
const SLANEY_BREAK_MEL = SLANEY_BREAK_HZ / SLANEY_HZ_PER_MEL;
/** Slaney log region: 27 mels per factor 6.4 in frequency. */
const SLANEY_LOG_STEP = Math.log(6.4) / 27;

/**
 * Frequency -> mel (librosa `hz_to_mel`).
 * @param frequencyHz >= 0
 * @param scale "slaney" (15 mel at 1 kHz) or "htk" (`2595 log10(1 + f/700)`)
 */
export function hzToMel(frequencyHz: number, scale: MelScale): number {
  if (scale === "htk") return 2595 * Math.log10(1 + frequencyHz / 700);
  if (frequencyHz >= SLANEY_BREAK_HZ) return SLANEY_BREAK_MEL + Math.log(frequencyHz / SLANEY_BREAK_HZ) / SLANEY_LOG_STEP;
  return frequencyHz / SLANEY_HZ_PER_MEL;
}

/**
 * Mel -> frequency in Hz (librosa `mel_to_hz`), the inverse of {@link hzToMel}.
 * @param mel >= 0
 * @param scale "slaney" or "htk"
 */
export function melToHz(mel: number, scale: MelScale): number {
  if (scale === "htk") return 700 * (Math.pow(10, mel / 2595) - 1);
  if (mel >= SLANEY_BREAK_MEL) return SLANEY_BREAK_HZ * Math.exp(SLANEY_LOG_STEP * (mel - SLANEY_BREAK_MEL));
  return SLANEY_HZ_PER_MEL * mel;
}

/**
 * `count` frequencies (Hz) equally spaced in mel from `fminHz` to `fmaxHz` inclusive (librosa
 * `mel_frequencies`, with numpy `linspace` arithmetic: `min + i * step`, the last one exactly `max`).
 * @throws ParameterError unless count >= 2 and 0 <= fminHz < fmaxHz
 */
export function melFrequencies(count: number, fminHz: number, fmaxHz: number, scale: MelScale): Float64Array {
  if (!Number.isInteger(count) || count < 2) throw new ParameterError(`melFrequencies: count must be an integer >= 2, got ${count}`);
  if (!(fminHz >= 0 && fmaxHz > fminHz)) {
    throw new ParameterError(`melFrequencies: need 0 <= fminHz < fmaxHz, got ${fminHz} and ${fmaxHz}`);
  }
  const minMel = hzToMel(fminHz, scale);
  const maxMel = hzToMel(fmaxHz, scale);
  const step = (maxMel - minMel) / (count - 1);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = melToHz(i === count - 1 ? maxMel : minMel + i * step, scale);
  return out;
}

/** Options of {@link createMelFilterBank} (the manifest's `input.mel` plus the STFT geometry). */
export interface MelFilterBankOptions {
  readonly sampleRateHz: number;
  /** FFT size N: the bank reads bins 0 .. N/2. */
  readonly fftSize: number;
  readonly bands: number;
  readonly fminHz: number;
  /** <= sampleRateHz / 2. */
  readonly fmaxHz: number;
  readonly scale: MelScale;
  readonly norm: MelNorm;
}

/**
 * A triangular filter bank stored as one contiguous run of bins per band (a mel triangle has no holes):
 * band `m` weights bins `firstBin[m] .. firstBin[m] + binCount[m] - 1` with
 * `weights[offset[m] .. offset[m] + binCount[m] - 1]`. A band narrower than one bin has `binCount` 0
 * (librosa warns "empty filters" and leaves the row at zero; so do we).
 */
export interface MelFilterBank {
  readonly bandCount: number;
  /** Spectrum bins the bank reads: fftSize / 2 + 1. */
  readonly spectrumBins: number;
  readonly firstBin: Int32Array;
  readonly binCount: Int32Array;
  readonly offset: Int32Array;
  readonly weights: Float64Array;
  /** Centre frequency of each band in Hz (the triangle's peak). */
  readonly centreHz: Float64Array;
}

/**
 * Builds the mel bank of `librosa.filters.mel(sr, n_fft, n_mels=bands, fmin, fmax, htk=scale=="htk",
 * norm=("slaney" | None))`: `W[m, k] = max(0, min((f_k - f_m) / (f_{m+1} - f_m), (f_{m+2} - f_k) / (f_{m+2} - f_{m+1})))`,
 * times `2 / (f_{m+2} - f_m)` for "slaney" norm, with `f_k = k sr / n_fft` and `f_m` the band edges from
 * {@link melFrequencies}. Build-time only: allocates.
 * @throws ParameterError on a bad size, band count or frequency range
 */
export function createMelFilterBank(options: MelFilterBankOptions): MelFilterBank {
  const { sampleRateHz, fftSize, bands, fminHz, fmaxHz, scale, norm } = options;
  if (!(sampleRateHz > 0)) throw new ParameterError(`mel bank: sampleRateHz must be > 0, got ${sampleRateHz}`);
  if (!Number.isInteger(fftSize) || fftSize < 2 || fftSize % 2 !== 0) {
    throw new ParameterError(`mel bank: fftSize must be an even integer >= 2, got ${fftSize}`);
  }
  if (!Number.isInteger(bands) || bands < 1) throw new ParameterError(`mel bank: bands must be an integer >= 1, got ${bands}`);
  if (!(fminHz >= 0 && fmaxHz > fminHz && fmaxHz <= sampleRateHz / 2)) {
    throw new ParameterError(`mel bank: need 0 <= fminHz < fmaxHz <= ${sampleRateHz / 2} Hz, got ${fminHz} and ${fmaxHz}`);
  }
  const spectrumBins = fftSize / 2 + 1;
  const edges = melFrequencies(bands + 2, fminHz, fmaxHz, scale);
  const binHz = sampleRateHz / fftSize;
  const firstBin = new Int32Array(bands);
  const binCount = new Int32Array(bands);
  const offset = new Int32Array(bands);
  const centreHz = new Float64Array(bands);
  const runs: number[][] = [];
  let total = 0;
  for (let m = 0; m < bands; m++) {
    const lowHz = edges[m]!;
    const peakHz = edges[m + 1]!;
    const highHz = edges[m + 2]!;
    const scaleFactor = norm === "slaney" ? 2 / (highHz - lowHz) : 1;
    const run: number[] = [];
    let first = -1;
    for (let k = 0; k < spectrumBins; k++) {
      const fk = k * binHz; // numpy rfftfreq: k * sr / n_fft
      const lower = (fk - lowHz) / (peakHz - lowHz);
      const upper = (highHz - fk) / (highHz - peakHz);
      const weight = Math.max(0, Math.min(lower, upper));
      if (weight > 0) {
        if (first < 0) first = k;
        run.push(weight * scaleFactor);
      } else if (first >= 0) {
        break; // past the triangle
      }
    }
    firstBin[m] = first < 0 ? 0 : first;
    binCount[m] = run.length;
    offset[m] = total;
    centreHz[m] = peakHz;
    total += run.length;
    runs.push(run);
  }
  const weights = new Float64Array(total);
  for (let m = 0; m < bands; m++) weights.set(runs[m]!, offset[m]!);
  return { bandCount: bands, spectrumBins, firstBin, binCount, offset, weights, centreHz };
}

/**
 * `out[outOffset + m * outStride] = sum_k W[m, k] * spectrum[k]` for every band. Allocation-free.
 * @param spectrum power (or magnitude) spectrum, at least `bank.spectrumBins` values
 * @param out receives `bank.bandCount` values at `outOffset`, `outOffset + outStride`, ...
 * @throws ParameterError when `spectrum` is too short
 */
export function applyMelFilterBank(
  bank: MelFilterBank,
  spectrum: Float64Array | Float32Array,
  out: Float32Array | Float64Array,
  outOffset = 0,
  outStride = 1,
): void {
  if (spectrum.length < bank.spectrumBins) {
    throw new ParameterError(`applyMelFilterBank: spectrum has ${spectrum.length} bins, the bank reads ${bank.spectrumBins}`);
  }
  const { firstBin, binCount, offset, weights } = bank;
  for (let m = 0; m < bank.bandCount; m++) {
    const k0 = firstBin[m]!;
    const w0 = offset[m]!;
    const n = binCount[m]!;
    let sum = 0;
    for (let j = 0; j < n; j++) sum += weights[w0 + j]! * spectrum[k0 + j]!;
    out[outOffset + m * outStride] = sum;
  }
}

/**
 * {@link applyMelFilterBank} of the power spectrum `magnitude[k]^2`, squaring on the fly (no power array;
 * the square of a float32 is exact in double precision, so the sums equal those over a stored power spectrum).
 * @param magnitude magnitude spectrum, at least `bank.spectrumBins` values
 * @param out receives `bank.bandCount` values
 * @throws ParameterError when `magnitude` is too short
 */
export function applyMelFilterBankToSquares(bank: MelFilterBank, magnitude: Float32Array, out: Float32Array | Float64Array): void {
  if (magnitude.length < bank.spectrumBins) {
    throw new ParameterError(`applyMelFilterBankToSquares: spectrum has ${magnitude.length} bins, the bank reads ${bank.spectrumBins}`);
  }
  const { firstBin, binCount, offset, weights } = bank;
  const bands = bank.bandCount;
  // two bands at a time: each band's sum keeps its own order, but the two dependency chains overlap
  let m = 0;
  for (; m + 1 < bands; m += 2) {
    const k0 = firstBin[m]!;
    const w0 = offset[m]!;
    const n0 = binCount[m]!;
    const k1 = firstBin[m + 1]!;
    const w1 = offset[m + 1]!;
    const n1 = binCount[m + 1]!;
    const common = n0 < n1 ? n0 : n1;
    let sum0 = 0;
    let sum1 = 0;
    let j = 0;
    for (; j < common; j++) {
      const a0 = magnitude[k0 + j]!;
      const a1 = magnitude[k1 + j]!;
      sum0 += weights[w0 + j]! * (a0 * a0);
      sum1 += weights[w1 + j]! * (a1 * a1);
    }
    for (let i = j; i < n0; i++) {
      const a = magnitude[k0 + i]!;
      sum0 += weights[w0 + i]! * (a * a);
    }
    for (let i = j; i < n1; i++) {
      const a = magnitude[k1 + i]!;
      sum1 += weights[w1 + i]! * (a * a);
    }
    out[m] = sum0;
    out[m + 1] = sum1;
  }
  if (m < bands) {
    const k0 = firstBin[m]!;
    const w0 = offset[m]!;
    const n = binCount[m]!;
    let sum = 0;
    for (let j = 0; j < n; j++) {
      const a = magnitude[k0 + j]!;
      sum += weights[w0 + j]! * (a * a);
    }
    out[m] = sum;
  }
}

/**
 * Log compression of mel energies (the manifest's `input.log`):
 * - "ln": `ln(x + offset)`; "log10": `log10(x + offset)`;
 * - "db": `10 log10(max(x, offset))` (librosa `power_to_db` with `amin = offset`), then per model input
 *   patch: `ref: "max"` subtracts the patch maximum, `topDb` floors at `max - topDb` (kapre's
 *   `amplitude_to_decibel` as OpenL3 uses it: ref max, dynamic range 80 dB).
 */
export interface LogCompression {
  readonly kind: "ln" | "log10" | "db";
  /** Added before the log ("ln", "log10") or the floor ("db"); > 0. */
  readonly offset: number;
  /** "db" only: dynamic range in dB below the patch maximum; undefined = no floor. */
  readonly topDb?: number | undefined;
  /** "db" only: reference, 1 (default, absolute dB) or "max" (0 dB = patch maximum). */
  readonly ref?: 1 | "max" | undefined;
}

/**
 * The frame-local part of {@link LogCompression} for one mel energy (patch-level "db" options are applied by
 * the patch builder).
 * @param energy mel energy >= 0
 */
export function logCompress(energy: number, log: LogCompression): number {
  switch (log.kind) {
    case "ln":
      return Math.log(energy + log.offset);
    case "log10":
      return Math.log10(energy + log.offset);
    case "db":
      return 10 * Math.log10(energy > log.offset ? energy : log.offset);
  }
}
