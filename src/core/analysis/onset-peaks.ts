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

export const DEFAULT_ONSET_PEAK_OPTIONS: OnsetPeakOptions = {
  threshold: 3.5,
  meanRatio: 3,
  minInterOnsetMs: 30,
  silenceGateDb: -70,
  preMaxMs: 30,
  postMaxMs: 30,
  preAvgMs: 100,
  postAvgMs: 70,
};

/** One tunable parameter, declared as data (drives CLI flags, OSC options and docs). */
export interface ParameterSpec {
  readonly name: string;
  readonly default: number | string | boolean;
  /** Inclusive range for numbers. */
  readonly min?: number;
  readonly max?: number;
  /** Allowed values for strings. */
  readonly choices?: readonly string[];
  /** Unit of the value ("ms", "dB", "" for plain numbers). */
  readonly unit: string;
  readonly doc: string;
}

/** The onset peak-picking parameters, in `OnsetPeakOptions` order. */
export const ONSET_PARAMETERS: readonly ParameterSpec[] = [
  {
    name: "threshold",
    default: DEFAULT_ONSET_PEAK_OPTIONS.threshold,
    min: 0,
    max: 20,
    unit: "",
    doc: "Onset sensitivity: how far a novelty peak must rise above meanRatio x its local mean. Lower finds more onsets.",
  },
  {
    name: "meanRatio",
    default: DEFAULT_ONSET_PEAK_OPTIONS.meanRatio,
    min: 0,
    max: 20,
    unit: "",
    doc: "A novelty peak must exceed this multiple of the local mean novelty (plus threshold). Higher ignores ripples inside busy sounds.",
  },
  {
    name: "minInterOnsetMs",
    default: DEFAULT_ONSET_PEAK_OPTIONS.minInterOnsetMs,
    min: 0,
    max: 1000,
    unit: "ms",
    doc: "Minimum time between two onsets.",
  },
  {
    name: "silenceGateDb",
    default: DEFAULT_ONSET_PEAK_OPTIONS.silenceGateDb,
    min: -120,
    max: 0,
    unit: "dB",
    doc: "Frames quieter than this (RMS, dBFS) never start an onset.",
  },
  {
    name: "preMaxMs",
    default: DEFAULT_ONSET_PEAK_OPTIONS.preMaxMs,
    min: 0,
    max: 500,
    unit: "ms",
    doc: "A peak must be the largest novelty over this much time before it.",
  },
  {
    name: "postMaxMs",
    default: DEFAULT_ONSET_PEAK_OPTIONS.postMaxMs,
    min: 0,
    max: 500,
    unit: "ms",
    doc: "A peak must be the largest novelty over this much time after it (adds latency).",
  },
  {
    name: "preAvgMs",
    default: DEFAULT_ONSET_PEAK_OPTIONS.preAvgMs,
    min: 0,
    max: 1000,
    unit: "ms",
    doc: "Time before a peak averaged into its adaptive threshold.",
  },
  {
    name: "postAvgMs",
    default: DEFAULT_ONSET_PEAK_OPTIONS.postAvgMs,
    min: 0,
    max: 500,
    unit: "ms",
    doc: "Time after a peak averaged into its adaptive threshold (adds latency).",
  },
];

/** Checks a value against its spec; throws ParameterError naming `owner` and the parameter. */
export function checkParameter(owner: string, spec: ParameterSpec, value: unknown): void {
  if (typeof spec.default === "number") {
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new ParameterError(`${owner}: ${spec.name} must be a finite number, got ${String(value)}`);
    }
    if ((spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max)) {
      throw new ParameterError(`${owner}: ${spec.name} must be in [${spec.min}, ${spec.max}] ${spec.unit}, got ${value}`);
    }
  } else if (typeof spec.default === "boolean") {
    if (typeof value !== "boolean") throw new ParameterError(`${owner}: ${spec.name} must be true or false, got ${String(value)}`);
  } else if (typeof value !== "string" || (spec.choices !== undefined && !spec.choices.includes(value))) {
    throw new ParameterError(`${owner}: ${spec.name} must be one of ${spec.choices?.join(", ")}, got ${String(value)}`);
  }
}

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
   * @throws ParameterError when an option is out of its `ONSET_PARAMETERS` range
   */
  constructor(sampleRateHz: number, hopSizeSamples: number, options: Partial<OnsetPeakOptions> = {}) {
    if (!(sampleRateHz > 0)) throw new ParameterError(`OnsetPeakPicker: sampleRateHz must be > 0, got ${sampleRateHz}`);
    if (!(hopSizeSamples > 0)) throw new ParameterError(`OnsetPeakPicker: hopSizeSamples must be > 0, got ${hopSizeSamples}`);
    const opts: OnsetPeakOptions = { ...DEFAULT_ONSET_PEAK_OPTIONS, ...options };
    for (const spec of ONSET_PARAMETERS) checkParameter("onset", spec, opts[spec.name as keyof OnsetPeakOptions]);
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
