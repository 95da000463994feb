/**
 * Peak safety for the rendered mix: a look-ahead limiter (default) or whole-file normalisation.
 *
 * Limiter: the gain needed at each frame, min(1, ceiling / peak over channels), is passed through a
 * running minimum over +-L frames and then a moving average over the same +-L frames. Every frame of the
 * average's window lies within L of the frame itself, so the smoothed gain never exceeds the gain a peak
 * needs: no output sample exceeds the ceiling, and gain changes are spread over 2L frames (no clicks).
 * Only the regions within 2L of a frame over the ceiling are touched.
 */
import { ParameterError } from "../errors.js";

export type PeakMode = "limit" | "normalize" | "off";

/** Default ceiling: -0.3 dBFS, headroom for inter-sample peaks after conversion to integers. */
export const DEFAULT_PEAK_CEILING = Math.pow(10, -0.3 / 20);

/**
 * Makes planar audio peak-safe in place.
 * @param channels planar audio, same length each.
 * @param mode limit | normalize | off.
 * @param lookaheadFrames L: half the limiter's gain-smoothing window (e.g. 5 ms), integer >= 1.
 * @param ceiling largest absolute sample value allowed, in (0, 1].
 * @returns the smallest gain applied (1 when nothing was over the ceiling).
 * @throws ParameterError on a bad ceiling or look-ahead.
 */
export function makePeakSafe(channels: Float32Array[], mode: PeakMode, lookaheadFrames: number, ceiling = DEFAULT_PEAK_CEILING): number {
  if (!(ceiling > 0 && ceiling <= 1)) throw new ParameterError(`peak ceiling must be in (0, 1], got ${ceiling}`);
  if (!Number.isInteger(lookaheadFrames) || lookaheadFrames < 1) throw new ParameterError(`limiter look-ahead must be an integer >= 1, got ${lookaheadFrames}`);
  const frames = channels[0]?.length ?? 0;
  if (mode === "off" || frames === 0) return 1;
  // Per-frame peak over channels, then the gain each frame needs.
  const needed = new Float32Array(frames);
  for (const data of channels) {
    for (let n = 0; n < frames; n++) {
      const v = Math.abs(data[n]!);
      if (v > needed[n]!) needed[n] = v;
    }
  }
  let peak = 0;
  for (let n = 0; n < frames; n++) {
    const a = needed[n]!;
    if (a > peak) peak = a;
    needed[n] = a > ceiling ? ceiling / a : 1;
  }
  if (peak <= ceiling) return 1;
  if (mode === "normalize") {
    const g = ceiling / peak;
    for (const data of channels) for (let n = 0; n < frames; n++) data[n] = data[n]! * g;
    return g;
  }
  // Frames further than 2L from every frame over the ceiling keep gain 1 exactly (their running minimum
  // and its average are 1), so only the regions around peaks are processed.
  const L = lookaheadFrames;
  let lowest = 1;
  let n = 0;
  while (n < frames) {
    if (needed[n]! >= 1) {
      n++;
      continue;
    }
    let lastOver = n;
    for (let m = n + 1; m < frames && m <= lastOver + 4 * L; m++) if (needed[m]! < 1) lastOver = m;
    const regionEnd = Math.min(frames, lastOver + 2 * L + 1);
    const low = limitRegion(channels, needed, Math.max(0, n - 2 * L), regionEnd, L);
    if (low < lowest) lowest = low;
    n = regionEnd;
  }
  return lowest;
}

/** Applies the smoothed limiter gain to frames [start, end); returns the smallest gain applied. */
function limitRegion(channels: Float32Array[], needed: Float32Array, start: number, end: number, L: number): number {
  const frames = needed.length;
  // Needed gains of [start - 2L, end + 2L) (1 outside the signal) -> running minimum of [start - L, end + L).
  const extStart = start - 2 * L;
  const ext = new Float32Array(end - start + 4 * L).fill(1);
  const from = Math.max(0, extStart);
  const to = Math.min(frames, end + 2 * L);
  ext.set(needed.subarray(from, to), from - extStart);
  const minimum = runningMinimum(ext, L); // minimum[i] belongs to frame extStart + i
  const at = (q: number): number => minimum[q - extStart]!;
  // Moving average over [n - L, n + L] within the signal (the window is cut at the signal's edges).
  let sum = 0;
  let count = 0;
  for (let q = Math.max(0, start - L); q <= Math.min(frames - 1, start + L); q++) {
    sum += at(q);
    count++;
  }
  let lowest = 1;
  for (let n = start; n < end; n++) {
    if (n > start) {
      const add = n + L;
      if (add < frames) {
        sum += at(add);
        count++;
      }
      const drop = n - L - 1;
      if (drop >= 0) {
        sum -= at(drop);
        count--;
      }
    }
    const g = Math.min(needed[n]!, sum / count);
    if (g < lowest) lowest = g;
    for (const data of channels) data[n] = data[n]! * g;
  }
  return lowest;
}

/**
 * Minimum over [n - L, n + L] of every frame (van Herk / Gil-Werman: block prefix and suffix minima,
 * three comparisons per frame whatever L is). Frames outside the signal count as 1 (no reduction).
 */
function runningMinimum(values: Float32Array, L: number): Float32Array {
  const frames = values.length;
  const width = 2 * L + 1;
  const padded = frames + 2 * L;
  // Padded copy: L frames of 1 on each side.
  const x = new Float32Array(padded).fill(1);
  x.set(values, L);
  const prefix = new Float32Array(padded);
  const suffix = new Float32Array(padded);
  for (let blockStart = 0; blockStart < padded; blockStart += width) {
    const blockEnd = Math.min(padded, blockStart + width);
    let running = x[blockStart]!;
    prefix[blockStart] = running;
    for (let i = blockStart + 1; i < blockEnd; i++) {
      const v = x[i]!;
      if (v < running) running = v;
      prefix[i] = running;
    }
    running = x[blockEnd - 1]!;
    suffix[blockEnd - 1] = running;
    for (let i = blockEnd - 2; i >= blockStart; i--) {
      const v = x[i]!;
      if (v < running) running = v;
      suffix[i] = running;
    }
  }
  const out = new Float32Array(frames);
  // Window of frame n in padded coordinates: [n, n + 2L].
  for (let n = 0; n < frames; n++) {
    const a = suffix[n]!;
    const b = prefix[n + width - 1]!;
    out[n] = a < b ? a : b;
  }
  return out;
}
