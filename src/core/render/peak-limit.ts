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
import type { RenderWorkspace } from "./render-workspace.js";

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
  const stage = new PeakSafety(channels, mode, lookaheadFrames, ceiling);
  while (!stage.run(Number.POSITIVE_INFINITY));
  return stage.gain;
}

/**
 * `makePeakSafe` in pieces, so that a caller can spread it over several event-loop turns: `run(frames)`
 * does about that many frames of work (at least one limiter region) and returns true when finished;
 * `gain` is then the smallest gain applied. The samples are the same as `makePeakSafe`'s.
 */
export class PeakSafety {
  private readonly channels: Float32Array[];
  private readonly mode: PeakMode;
  private readonly lookahead: number;
  private readonly ceiling: number;
  private readonly frames: number;
  /** Per frame: the peak over channels while scanning, then the gain that frame needs. */
  private readonly needed: Float32Array;
  private phase: "scan" | "apply" | "done";
  private n = 0;
  private peak = 0;
  private lowest = 1;
  /** The limiter region being processed, if any. */
  private region: Generator<void, number> | null = null;
  private readonly buffers: RegionBuffers;
  /** `needed` comes from a workspace: cleared piece by piece just before it is scanned. */
  private readonly reused: boolean;

  /**
   * @param workspace take the per-frame gains and the limiter's work buffers from it (names `peak.*`)
   *   instead of allocating them.
   * @throws ParameterError on a bad ceiling or look-ahead.
   */
  constructor(channels: Float32Array[], mode: PeakMode, lookaheadFrames: number, ceiling = DEFAULT_PEAK_CEILING, workspace?: RenderWorkspace) {
    if (!(ceiling > 0 && ceiling <= 1)) throw new ParameterError(`peak ceiling must be in (0, 1], got ${ceiling}`);
    if (!Number.isInteger(lookaheadFrames) || lookaheadFrames < 1) throw new ParameterError(`limiter look-ahead must be an integer >= 1, got ${lookaheadFrames}`);
    this.channels = channels;
    this.mode = mode;
    this.lookahead = lookaheadFrames;
    this.ceiling = ceiling;
    this.frames = channels[0]?.length ?? 0;
    const idle = mode === "off" || this.frames === 0;
    this.reused = workspace !== undefined;
    this.needed = workspace ? workspace.floats("peak.needed", idle ? 0 : this.frames) : new Float32Array(idle ? 0 : this.frames);
    this.buffers = new RegionBuffers(workspace);
    this.phase = idle ? "done" : "scan";
  }

  /** The smallest gain applied so far (1 when nothing was over the ceiling). */
  get gain(): number {
    return this.lowest;
  }

  /**
   * Does about `frameBudget` frames of work.
   * @returns true when the audio is peak-safe.
   */
  run(frameBudget: number): boolean {
    const { channels, needed, frames, ceiling } = this;
    let budget = Math.max(1, frameBudget);
    while (budget > 0 && this.phase !== "done") {
      if (this.phase === "scan") {
        const from = this.n;
        const to = Math.min(frames, from + budget);
        if (this.reused) needed.fill(0, from, to);
        this.peak = scanPeaks(channels, needed, from, to, ceiling, this.peak);
        budget -= to - from;
        this.n = to;
        if (to < frames) continue;
        this.n = 0;
        this.phase = this.peak <= ceiling ? "done" : "apply";
        if (this.mode === "normalize" && this.peak > ceiling) this.lowest = ceiling / this.peak;
        continue;
      }
      if (this.mode === "normalize") {
        const g = this.lowest;
        const from = this.n;
        const to = Math.min(frames, from + budget);
        for (const data of channels) for (let n = from; n < to; n++) data[n] = data[n]! * g;
        budget -= to - from;
        this.n = to;
        if (to >= frames) this.phase = "done";
        continue;
      }
      // Frames further than 2L from every frame over the ceiling keep gain 1 exactly (their running
      // minimum and its average are 1), so only the regions around peaks are processed.
      const L = this.lookahead;
      if (this.region) {
        const step = this.region.next();
        budget -= REGION_STEP_FRAMES;
        if (step.done) {
          if (step.value < this.lowest) this.lowest = step.value;
          this.region = null;
        }
        continue;
      }
      let n = this.n;
      while (n < frames && budget > 0) {
        if (needed[n]! >= 1) {
          n++;
          budget--;
          continue;
        }
        let lastOver = n;
        for (let m = n + 1; m < frames && m <= lastOver + 4 * L; m++) if (needed[m]! < 1) lastOver = m;
        const regionEnd = Math.min(frames, lastOver + 2 * L + 1);
        this.region = limitRegion(channels, needed, Math.max(0, n - 2 * L), regionEnd, L, this.buffers);
        budget -= regionEnd - lastOver;
        n = regionEnd;
        break;
      }
      this.n = n;
      if (n >= frames && !this.region) this.phase = "done";
    }
    return this.phase === "done";
  }
}

/**
 * Per-frame peak over channels of frames [from, to), stored in `needed` as the gain each frame needs
 * (1, or ceiling / peak above the ceiling). @returns the larger of `peak` and the peaks seen.
 */
function scanPeaks(channels: readonly Float32Array[], needed: Float32Array, from: number, to: number, ceiling: number, peak: number): number {
  for (let c = 0; c < channels.length; c++) {
    const data = channels[c]!;
    for (let n = from; n < to; n++) {
      const v = Math.abs(data[n]!);
      if (v > needed[n]!) needed[n] = v;
    }
  }
  let highest = peak;
  for (let n = from; n < to; n++) {
    const a = needed[n]!;
    if (a > highest) highest = a;
    if (a > ceiling) needed[n] = ceiling / a;
    else needed[n] = 1;
  }
  return highest;
}

/** Frames of limiter work between two pause points of a long region: 16384 frames. */
const REGION_STEP_FRAMES = 16_384;

/**
 * Work buffer of the limiter regions: one allocation (or a workspace buffer), grown to the largest region,
 * reused region after region.
 */
class RegionBuffers {
  private store = new Float32Array(0);

  constructor(private readonly workspace: RenderWorkspace | undefined) {}

  /** A view of `length` values (contents undefined), valid until the next `take`. */
  take(length: number): Float32Array {
    if (this.workspace) return this.workspace.floats("peak.regions", length);
    if (length > this.store.length) this.store = new Float32Array(length);
    return this.store.subarray(0, length);
  }
}

/**
 * Applies the smoothed limiter gain to frames [start, end); returns the smallest gain applied. A generator
 * that pauses every `REGION_STEP_FRAMES` frames of work, so that one long region can be spread over
 * several calls of `PeakSafety.run` (the loops themselves are plain functions over frame ranges).
 *
 * The needed gains of [start - 2L, end + 2L) (1 outside the signal), padded with L frames of 1 on each
 * side, are read straight from `needed`; only the block prefix and suffix minima are stored, and the
 * running minimum of a frame is formed from them where the moving average needs it.
 */
function* limitRegion(
  channels: Float32Array[],
  needed: Float32Array,
  start: number,
  end: number,
  L: number,
  buffers: RegionBuffers,
): Generator<void, number> {
  const frames = needed.length;
  const width = 2 * L + 1;
  // Padded index j <-> frame origin + j; the minimum of frame q is min(suffix[q - origin - L], prefix[q - origin + L]).
  const origin = start - 3 * L;
  const padded = end - start + 6 * L;
  const both = buffers.take(2 * padded);
  const prefix = both.subarray(0, padded);
  const suffix = both.subarray(padded);
  const blocksPerStep = Math.max(1, Math.floor(REGION_STEP_FRAMES / width));
  for (let blockStart = 0; blockStart < padded; blockStart += blocksPerStep * width) {
    blockMinima(needed, origin, L, prefix, suffix, width, blockStart, Math.min(padded, blockStart + blocksPerStep * width));
    if (blockStart + blocksPerStep * width < padded) yield;
  }
  // Moving average over [n - L, n + L] within the signal (the window is cut at the signal's edges).
  const state: AverageState = { sum: 0, count: 0, lowest: 1 };
  const shift = -origin - L;
  for (let q = Math.max(0, start - L); q <= Math.min(frames - 1, start + L); q++) {
    const a = suffix[q + shift]!;
    const b = prefix[q + shift + width - 1]!;
    state.sum += a < b ? a : b;
    state.count++;
  }
  for (let n = start; n < end; n += REGION_STEP_FRAMES) {
    applyGains(channels, needed, prefix, suffix, shift, width, start, n, Math.min(end, n + REGION_STEP_FRAMES), L, state);
    if (n + REGION_STEP_FRAMES < end) yield;
  }
  return state.lowest;
}

interface AverageState {
  sum: number;
  count: number;
  lowest: number;
}

/**
 * Frames [from, to) of a region starting at `start`: the moving average of the running minima (frame q's
 * minimum is min(suffix[q + shift], prefix[q + shift + width - 1])), the gain, applied.
 */
function applyGains(
  channels: Float32Array[],
  needed: Float32Array,
  prefix: Float32Array,
  suffix: Float32Array,
  shift: number,
  width: number,
  start: number,
  from: number,
  to: number,
  L: number,
  state: AverageState,
): void {
  const frames = needed.length;
  let { sum, count, lowest } = state;
  for (let n = from; n < to; n++) {
    if (n > start) {
      const add = n + L;
      if (add < frames) {
        const a = suffix[add + shift]!;
        const b = prefix[add + shift + width - 1]!;
        sum += a < b ? a : b;
        count++;
      }
      const drop = n - L - 1;
      if (drop >= 0) {
        const a = suffix[drop + shift]!;
        const b = prefix[drop + shift + width - 1]!;
        sum -= a < b ? a : b;
        count--;
      }
    }
    const g = Math.min(needed[n]!, sum / count);
    if (g < lowest) lowest = g;
    for (const data of channels) data[n] = data[n]! * g;
  }
  state.sum = sum;
  state.count = count;
  state.lowest = lowest;
}

/**
 * Prefix and suffix minima (van Herk / Gil-Werman: three comparisons per frame whatever L is) of the
 * blocks of `width` values starting in [from, to), over the padded needed gains: padded index j is frame
 * origin + j, whose value is `needed` there, or 1 in the L-frame pads (j < L or j >= length - L) and
 * outside the signal.
 */
function blockMinima(
  needed: Float32Array,
  origin: number,
  L: number,
  prefix: Float32Array,
  suffix: Float32Array,
  width: number,
  from: number,
  to: number,
): void {
  const padded = prefix.length;
  const frames = needed.length;
  // Values come from `needed` for j in [low, high), else 1.
  const low = Math.max(L, -origin);
  const high = Math.min(padded - L, frames - origin);
  for (let blockStart = from; blockStart < to; blockStart += width) {
    const blockEnd = Math.min(padded, blockStart + width);
    let running = blockStart >= low && blockStart < high ? needed[origin + blockStart]! : 1;
    prefix[blockStart] = running;
    for (let i = blockStart + 1; i < blockEnd; i++) {
      const v = i >= low && i < high ? needed[origin + i]! : 1;
      if (v < running) running = v;
      prefix[i] = running;
    }
    running = blockEnd - 1 >= low && blockEnd - 1 < high ? needed[origin + blockEnd - 1]! : 1;
    suffix[blockEnd - 1] = running;
    for (let i = blockEnd - 2; i >= blockStart; i--) {
      const v = i >= low && i < high ? needed[origin + i]! : 1;
      if (v < running) running = v;
      suffix[i] = running;
    }
  }
}
