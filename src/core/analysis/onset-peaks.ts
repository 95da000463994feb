/**
 * Streaming peak picking of an onset novelty function (the SuperFlux paper's rule, madmom
 * `peak_picking` + `combine_events(..., "left")`): frame `n` is an onset when
 *
 * 1. its novelty is the maximum of `[n - preMax, n + postMax]`,
 * 2. its novelty is at least `threshold` above the mean of `[n - preAvg, n + postAvg]`,
 * 3. it is at least `minInterOnsetMs` after the previous onset,
 * 4. the frame is not below the silence gate.
 *
 * Novelty values before the first frame and after the last are zero. The decision for frame `n` needs
 * `max(postMax, postAvg)` later frames, so onsets are confirmed with that fixed delay.
 */
import { ParameterError } from "../errors.js";
import { resolveParams, type NumberParam } from "../params.js";
import { samplesToSeconds } from "../dsp/time.js";

/** Options of `OnsetPeakPicker`. */
export interface OnsetPeakOptions {
  /** How far (in novelty units, SuperFlux: sum of log10 magnitude increases) a peak must exceed `meanRatio` x the local mean. */
  threshold: number;
  /** A peak must exceed this multiple of the local mean novelty (plus `threshold`); 1 = madmom's rule. */
  meanRatio: number;
  /** Minimum time between two onsets, in ms; of two closer peaks the first is kept. */
  minInterOnsetMs: number;
  /** Frames whose RMS is below this level (dBFS) never hold an onset. */
  silenceGateDb: number;
  /** The peak must be the maximum over this much time before it, in ms. */
  preMaxMs: number;
  /** ... and this much time after it, in ms (adds latency). */
  postMaxMs: number;
  /** Time before the peak included in the local mean, in ms. */
  preAvgMs: number;
  /** Time after the peak included in the local mean, in ms (adds latency). */
  postAvgMs: number;
}

/** The onset peak-picking parameters as data (shared format of `core/params.ts`: CLI flags, OSC, docs). */
export const ONSET_PARAMETERS = {
  threshold: {
    key: "threshold",
    flag: "onset-threshold",
    kind: "number",
    defaultValue: 3.5,
    min: 0,
    max: 20,
    unit: "",
    doc: "onset sensitivity: how far a novelty peak must rise above meanRatio x its local mean (lower = more onsets)",
  },
  meanRatio: {
    key: "meanRatio",
    flag: "onset-mean-ratio",
    kind: "number",
    defaultValue: 3,
    min: 0,
    max: 20,
    unit: "",
    doc: "a novelty peak must exceed this multiple of the local mean novelty (higher ignores ripples inside busy sounds)",
  },
  minInterOnsetMs: {
    key: "minInterOnsetMs",
    flag: "min-ioi-ms",
    kind: "number",
    defaultValue: 30,
    min: 0,
    max: 1000,
    unit: "ms",
    doc: "minimum time between two onsets",
  },
  silenceGateDb: {
    key: "silenceGateDb",
    flag: "silence-db",
    kind: "number",
    defaultValue: -70,
    min: -120,
    max: 0,
    unit: "dB",
    doc: "frames quieter than this (RMS, dBFS) never hold an onset",
  },
  preMaxMs: {
    key: "preMaxMs",
    flag: "onset-pre-max-ms",
    kind: "number",
    defaultValue: 30,
    min: 0,
    max: 500,
    unit: "ms",
    doc: "a peak must be the largest novelty over this much time before it",
  },
  postMaxMs: {
    key: "postMaxMs",
    flag: "onset-post-max-ms",
    kind: "number",
    defaultValue: 30,
    min: 0,
    max: 500,
    unit: "ms",
    doc: "a peak must be the largest novelty over this much time after it (adds latency)",
  },
  preAvgMs: {
    key: "preAvgMs",
    flag: "onset-pre-avg-ms",
    kind: "number",
    defaultValue: 100,
    min: 0,
    max: 1000,
    unit: "ms",
    doc: "time before a peak averaged into its adaptive threshold",
  },
  postAvgMs: {
    key: "postAvgMs",
    flag: "onset-post-avg-ms",
    kind: "number",
    defaultValue: 70,
    min: 0,
    max: 500,
    unit: "ms",
    doc: "time after a peak averaged into its adaptive threshold (adds latency)",
  },
} as const satisfies Record<keyof OnsetPeakOptions, NumberParam>;

/**
 * Defaults, tuned on `bench/eval-onsets.ts` (sonic-pi one-shot sequences, F at ±30 ms) together with the
 * SuperFlux λ = 30, while keeping F >= 0.95 on click and noise-burst trains: the paper's windows
 * (30/30 ms max, 100/70 ms mean) and a peak >= 3 x local mean + 3.5 (the paper's rule is mean + 1.1).
 */
export const DEFAULT_ONSET_PEAK_OPTIONS: OnsetPeakOptions = resolveParams(ONSET_PARAMETERS);

function msToFrames(ms: number, sampleRateHz: number, hopSizeSamples: number): number {
  return Math.round(ms / 1000 / samplesToSeconds(hopSizeSamples, sampleRateHz));
}

/**
 * Streaming adaptive-threshold peak picker with a fixed decision delay.
 * Allocates its history once; `push` is allocation-free.
 */
export class OnsetPeakPicker {
  /** Frames of look-ahead before a frame is decided: `max(postMax, postAvg)` in frames. */
  readonly delayFrames: number;
  readonly options: Readonly<OnsetPeakOptions>;
  private readonly preMax: number;
  private readonly postMax: number;
  private readonly preAvg: number;
  private readonly postAvg: number;
  private readonly minInterOnsetFrames: number;
  private readonly novelty: Float32Array;
  private readonly rmsDb: Float32Array;
  private readonly mask: number;
  private nextFrame = 0;
  private lastOnset = Number.NEGATIVE_INFINITY;
  private readonly flushed: number[] = [];

  /**
   * @param sampleRateHz analysis rate (Hz, > 0)
   * @param hopSizeSamples hop between novelty frames (samples, > 0)
   * @throws ParameterError on an unknown option or one out of its `ONSET_PARAMETERS` range
   */
  constructor(sampleRateHz: number, hopSizeSamples: number, options: Partial<OnsetPeakOptions> = {}) {
    if (!(sampleRateHz > 0)) throw new ParameterError(`OnsetPeakPicker: sampleRateHz must be > 0, got ${sampleRateHz}`);
    if (!(hopSizeSamples > 0)) throw new ParameterError(`OnsetPeakPicker: hopSizeSamples must be > 0, got ${hopSizeSamples}`);
    const opts: OnsetPeakOptions = resolveParams(ONSET_PARAMETERS, options);
    this.options = opts;
    this.preMax = msToFrames(opts.preMaxMs, sampleRateHz, hopSizeSamples);
    this.postMax = msToFrames(opts.postMaxMs, sampleRateHz, hopSizeSamples);
    this.preAvg = msToFrames(opts.preAvgMs, sampleRateHz, hopSizeSamples);
    this.postAvg = msToFrames(opts.postAvgMs, sampleRateHz, hopSizeSamples);
    this.minInterOnsetFrames = opts.minInterOnsetMs / 1000 / samplesToSeconds(hopSizeSamples, sampleRateHz);
    this.delayFrames = Math.max(this.postMax, this.postAvg);
    const span = Math.max(this.preMax, this.preAvg) + this.delayFrames + 1;
    let capacity = 8;
    while (capacity < span) capacity *= 2;
    this.novelty = new Float32Array(capacity);
    this.rmsDb = new Float32Array(capacity);
    this.mask = capacity - 1;
  }

  /**
   * Feed the next frame.
   * @param novelty the frame's onset novelty (>= 0)
   * @param rmsDb the frame's RMS level in dBFS
   * @param frameIndex the frame's index; frames must arrive in order 0, 1, 2, ...
   * @returns the index of an onset frame confirmed now (always `frameIndex - delayFrames`), or -1
   * @throws ParameterError when frames arrive out of order
   */
  push(novelty: number, rmsDb: number, frameIndex: number): number {
    if (frameIndex !== this.nextFrame) {
      throw new ParameterError(`OnsetPeakPicker: expected frame ${this.nextFrame}, got ${frameIndex}`);
    }
    const slot = frameIndex & this.mask;
    this.novelty[slot] = novelty > 0 ? novelty : 0;
    this.rmsDb[slot] = rmsDb;
    this.nextFrame++;
    const candidate = frameIndex - this.delayFrames;
    if (candidate < 0) return -1;
    return this.decide(candidate, frameIndex) ? candidate : -1;
  }

  /**
   * End of stream: decides the last `delayFrames` frames (later frames count as zero novelty).
   * @returns the onset frames confirmed now, in order (an array reused by the next call)
   */
  flush(): number[] {
    const out = this.flushed;
    out.length = 0;
    const last = this.nextFrame - 1;
    for (let candidate = Math.max(0, last - this.delayFrames + 1); candidate <= last; candidate++) {
      if (this.decide(candidate, last)) out.push(candidate);
    }
    return out;
  }

  /** Ready for a new stream starting at frame 0. */
  reset(): void {
    this.nextFrame = 0;
    this.lastOnset = Number.NEGATIVE_INFINITY;
    this.novelty.fill(0);
    this.rmsDb.fill(0);
  }

  private valueAt(frame: number, last: number): number {
    return frame < 0 || frame > last ? 0 : this.novelty[frame & this.mask]!;
  }

  private decide(candidate: number, last: number): boolean {
    const value = this.valueAt(candidate, last);
    if (value <= 0) return false;
    if (this.rmsDb[candidate & this.mask]! < this.options.silenceGateDb) return false;
    for (let f = candidate - this.preMax; f <= candidate + this.postMax; f++) {
      if (this.valueAt(f, last) > value) return false;
    }
    let sum = 0;
    for (let f = candidate - this.preAvg; f <= candidate + this.postAvg; f++) sum += this.valueAt(f, last);
    const mean = sum / (this.preAvg + this.postAvg + 1);
    if (value < mean * this.options.meanRatio + this.options.threshold) return false;
    if (candidate - this.lastOnset < this.minInterOnsetFrames) return false;
    this.lastOnset = candidate;
    return true;
  }
}
