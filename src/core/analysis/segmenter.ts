/**
 * Streaming segmentation: turns per-frame novelty, level and confirmed onsets into unit boundaries.
 *
 * Positions are STFT frame indices at the analysis hop, used as a grid: a segment `[startFrame, endFrame)`
 * addresses the samples `[startFrame * hop, endFrame * hop)` at the analysis rate (the caller clamps the
 * end to the stream length; at the end of the stream `endFrame` may exceed the frame count by up to
 * `frameSize / hop - 1`, so that the last frame's samples are covered).
 *
 * Modes:
 * - "onset": a unit starts at every onset (placed `preRollMs` before the estimated attack, floored to the
 *   hop grid, so the transient is never cut) and at the start of sound after silence (frame 0 when the
 *   stream starts with sound); it ends at the next unit's start or where the level stays below
 *   `silenceGateDb` for `minSilenceMs` (trailing silence is not part of a unit). A piece shorter than
 *   `minUnitMs` joins the next piece of the same sound (a flam's unit starts at its first hit), the last
 *   piece of a sound joins the previous one, and a short sound on its own is extended into the following
 *   silence to `minUnitMs` (never into the next sound). Units longer
 *   than `maxUnitMs` are split at the strongest novelty between `minUnitMs` and `maxUnitMs` after their
 *   start (repeatedly, each part >= `minUnitMs`; left to right, so memory stays bounded on endless drones).
 * - "grid": cells of `gridMs` every `gridMs * (1 - gridOverlap)`; a cell whose frames are all below the
 *   gate is silent.
 * - "whole": one unit from the first to the last sounding frame (silence trimmed at both ends).
 *
 * Silent stretches become segments with `silent: true` only when `keepSilent` is set (default: dropped).
 * The result depends only on the frames and onsets, not on when an onset is reported (within
 * `onsetDelayFrames` of its frame).
 */
import { FRAME_SIZE_SAMPLES } from "./analysis-config.js";
import { DEFAULT_ONSET_PEAK_OPTIONS, OnsetPeakPicker } from "./onset-peaks.js";
import { onsetFrameToSample } from "./onset-novelty.js";
import type { SegmentMode } from "./unit.js";
import { ParameterError } from "../errors.js";
import { resolveParams, type BooleanParam, type EnumParam, type NumberParam } from "../params.js";
import { msToSamples } from "../dsp/time.js";

/** Options of `Segmenter`. */
export interface SegmenterOptions {
  mode: SegmentMode;
  /** Grid mode: cell length in ms. */
  gridMs: number;
  /** Grid mode: overlap of consecutive cells, 0 .. 0.9 (cell hop = gridMs * (1 - overlap)). */
  gridOverlap: number;
  /** Shortest unit in ms; shorter pieces merge with a neighbour. */
  minUnitMs: number;
  /** Longest unit in ms; longer ones are split at the strongest novelty. Must be >= 2 * minUnitMs. */
  maxUnitMs: number;
  /** Frames below this RMS level (dBFS) are silence. */
  silenceGateDb: number;
  /** Onset mode: a unit starts this long before the estimated attack (then floored to the hop grid). */
  preRollMs: number;
  /** Onset mode: silence must last this long (frames' span) to end a unit. */
  minSilenceMs: number;
  /** Emit silent stretches as `silent: true` segments instead of dropping them. */
  keepSilent: boolean;
  /** Analysis frame length in samples (not a user parameter; default `FRAME_SIZE_SAMPLES`). */
  frameSizeSamples?: number;
  /**
   * Largest delay, in frames, between an onset frame and the `push` that reports it (not a user parameter;
   * default: the delay of an `OnsetPeakPicker` with default options at this rate and hop).
   */
  onsetDelayFrames?: number;
}

/** The user-facing segmentation parameters as data (shared format of `core/params.ts`). */
export const SEGMENTER_PARAMETERS = {
  mode: {
    key: "mode",
    flag: "segment",
    kind: "enum",
    values: ["onset", "grid", "whole"],
    defaultValue: "onset",
    unit: "",
    doc: "how files are cut into units: at onsets, on a fixed grid, or one unit per file",
  } satisfies EnumParam<SegmentMode>,
  gridMs: {
    key: "gridMs",
    flag: "grid-ms",
    kind: "number",
    defaultValue: 250,
    min: 10,
    max: 60_000,
    unit: "ms",
    doc: "grid mode: length of a cell",
  } satisfies NumberParam,
  gridOverlap: {
    key: "gridOverlap",
    flag: "grid-overlap",
    kind: "number",
    defaultValue: 0,
    min: 0,
    max: 0.9,
    unit: "",
    doc: "grid mode: overlap of consecutive cells (0 = none, 0.5 = half a cell)",
  } satisfies NumberParam,
  minUnitMs: {
    key: "minUnitMs",
    flag: "min-ms",
    kind: "number",
    defaultValue: 50,
    min: 5,
    max: 10_000,
    unit: "ms",
    doc: "shortest unit; shorter pieces join a neighbour",
  } satisfies NumberParam,
  maxUnitMs: {
    key: "maxUnitMs",
    flag: "max-ms",
    kind: "number",
    defaultValue: 2000,
    min: 20,
    max: 600_000,
    unit: "ms",
    doc: "longest unit; longer ones are split at the strongest onset novelty inside (at least 2 x minUnitMs)",
  } satisfies NumberParam,
  silenceGateDb: {
    key: "silenceGateDb",
    flag: "silence-db",
    kind: "number",
    defaultValue: -60,
    min: -120,
    max: 0,
    unit: "dB",
    doc: "frames quieter than this (RMS, dBFS) are silence: trimmed from units, never a unit of their own",
  } satisfies NumberParam,
  preRollMs: {
    key: "preRollMs",
    flag: "pre-roll-ms",
    kind: "number",
    defaultValue: 10,
    min: 0,
    max: 100,
    unit: "ms",
    doc: "onset mode: units start this long before the detected attack (then on the 11.6 ms hop grid)",
  } satisfies NumberParam,
  minSilenceMs: {
    key: "minSilenceMs",
    flag: "min-silence-ms",
    kind: "number",
    defaultValue: 50,
    min: 0,
    max: 5000,
    unit: "ms",
    doc: "onset mode: a unit ends where the sound stays below the silence gate this long",
  } satisfies NumberParam,
  keepSilent: {
    key: "keepSilent",
    flag: "keep-silent",
    kind: "boolean",
    defaultValue: false,
    unit: "",
    doc: "keep silent stretches as units marked silent (default: drop them)",
  } satisfies BooleanParam,
} as const;

type SegmenterParameterName = keyof typeof SEGMENTER_PARAMETERS;

export const DEFAULT_SEGMENTER_OPTIONS: SegmenterOptions = resolveParams(SEGMENTER_PARAMETERS);

/** A unit boundary pair on the analysis hop grid, `[startFrame, endFrame)`. */
export interface Segment {
  readonly startFrame: number;
  readonly endFrame: number;
  readonly silent: boolean;
}

/** Capacity of the pending-onset queue (onsets within the report delay): far more than can occur. */
const ONSET_QUEUE_CAPACITY = 256;

function nextPowerOfTwo(value: number): number {
  let capacity = 16;
  while (capacity < value) capacity *= 2;
  return capacity;
}

/**
 * Streaming segmenter; see the file comment for the rules. Buffers are allocated in the constructor;
 * `push` allocates only the `Segment` objects it emits.
 */
export class Segmenter {
  readonly options: Readonly<SegmenterOptions>;
  private readonly hop: number;
  private readonly frameSize: number;
  /** Frames one frame's samples span on the hop grid: ceil(frameSize / hop). */
  private readonly windowFrames: number;
  private readonly minUnit: number;
  private readonly maxUnit: number;
  private readonly gateDb: number;
  private readonly out: Segment[] = [];
  private readonly rms: Float32Array;
  private readonly novelty: Float32Array;
  private readonly ringMask: number;
  private nextFrame = 0;
  private finished = false;

  // onset mode
  private readonly preRollSamples: number;
  /** Onset frame -> boundary: boundary = onsetFrame + shift (onset offset minus pre-roll, floored). */
  private readonly shift: number;
  private readonly lag: number;
  private readonly silenceHoldFrames: number;
  private readonly queue = new Int32Array(ONSET_QUEUE_CAPACITY);
  private queueHead = 0;
  private queueTail = 0;
  private lastQueued = -1;
  private cursor = 0;
  private inRegion = false;
  private regionFirst = -1;
  private pendingStart = -1;
  private pendingDeadline = -1;
  private openStart = -1;
  private silentRunStart = -1;
  private dipBoundary = -1;
  private heldStart = -1;
  private heldEnd = -1;
  private heldPadding = false;
  /** Start of a short piece waiting to join the next piece, or -1. */
  private shortStart = -1;
  private gapStart = 0;

  // grid mode
  private readonly cellHopSamples: number;
  private readonly cellSamples: number;
  private nextCell = 0;

  // whole mode
  private firstSounding = -1;
  private lastSounding = -1;

  /**
   * @param sampleRateHz analysis rate (Hz, > 0)
   * @param hopSizeSamples analysis hop (samples, > 0)
   * @param options segmentation options; missing ones take `DEFAULT_SEGMENTER_OPTIONS`
   * @throws ParameterError on an unknown option, one out of its `SEGMENTER_PARAMETERS` range, or
   *   maxUnitMs < 2 * minUnitMs
   */
  constructor(sampleRateHz: number, hopSizeSamples: number, options: Partial<SegmenterOptions> = {}) {
    if (!(sampleRateHz > 0)) throw new ParameterError(`Segmenter: sampleRateHz must be > 0, got ${sampleRateHz}`);
    if (!Number.isInteger(hopSizeSamples) || hopSizeSamples <= 0) {
      throw new ParameterError(`Segmenter: hopSizeSamples must be a positive integer, got ${hopSizeSamples}`);
    }
    const { frameSizeSamples, onsetDelayFrames, ...userOptions } = options;
    const opts: SegmenterOptions = {
      ...resolveParams(SEGMENTER_PARAMETERS, userOptions as Partial<Record<SegmenterParameterName, unknown>>),
      frameSizeSamples,
      onsetDelayFrames,
    };
    if (opts.maxUnitMs < 2 * opts.minUnitMs) {
      throw new ParameterError(
        `segmenter: maxUnitMs (${opts.maxUnitMs}) must be at least 2 x minUnitMs (${opts.minUnitMs})`,
      );
    }
    this.options = opts;
    this.hop = hopSizeSamples;
    this.frameSize = opts.frameSizeSamples ?? FRAME_SIZE_SAMPLES;
    if (!Number.isInteger(this.frameSize) || this.frameSize < hopSizeSamples) {
      throw new ParameterError(`Segmenter: frameSizeSamples must be an integer >= the hop, got ${this.frameSize}`);
    }
    this.windowFrames = Math.ceil(this.frameSize / hopSizeSamples);
    this.minUnit = Math.max(1, Math.round(msToSamples(opts.minUnitMs, sampleRateHz) / hopSizeSamples));
    this.maxUnit = Math.max(2 * this.minUnit, Math.round(msToSamples(opts.maxUnitMs, sampleRateHz) / hopSizeSamples));
    this.gateDb = opts.silenceGateDb;
    this.preRollSamples = msToSamples(opts.preRollMs, sampleRateHz);
    this.shift = Math.floor((onsetFrameToSample(0, hopSizeSamples, this.frameSize) - this.preRollSamples) / hopSizeSamples);
    const delay =
      opts.onsetDelayFrames ?? new OnsetPeakPicker(sampleRateHz, hopSizeSamples, DEFAULT_ONSET_PEAK_OPTIONS).delayFrames;
    if (!Number.isInteger(delay) || delay < 0) {
      throw new ParameterError(`Segmenter: onsetDelayFrames must be an integer >= 0, got ${delay}`);
    }
    // The cursor must lag far enough that every boundary at or before it has been reported.
    this.lag = Math.max(0, delay - this.shift) + 1;
    const quietSamples = msToSamples(opts.minSilenceMs, sampleRateHz);
    this.silenceHoldFrames = Math.max(1, 1 + Math.ceil((quietSamples - this.frameSize) / hopSizeSamples));
    this.cellSamples = msToSamples(opts.gridMs, sampleRateHz);
    this.cellHopSamples = Math.max(hopSizeSamples, Math.round(this.cellSamples * (1 - opts.gridOverlap)));
    const cellFrames = Math.ceil(this.cellSamples / hopSizeSamples);
    const capacity =
      opts.mode === "grid"
        ? nextPowerOfTwo(cellFrames + 2 * this.windowFrames + 8)
        : nextPowerOfTwo(2 * this.maxUnit + 3 * this.minUnit + this.lag + 2 * this.windowFrames + Math.abs(this.shift) + 16);
    this.rms = new Float32Array(capacity);
    this.novelty = new Float32Array(capacity);
    this.ringMask = capacity - 1;
  }

  /**
   * Readies the segmenter for a new stream (frame 0 next), with the same options and buffers: it then
   * segments exactly as a new instance would.
   */
  reset(): void {
    this.out.length = 0;
    this.rms.fill(0);
    this.novelty.fill(0);
    this.nextFrame = 0;
    this.finished = false;
    this.queue.fill(0);
    this.queueHead = 0;
    this.queueTail = 0;
    this.lastQueued = -1;
    this.cursor = 0;
    this.inRegion = false;
    this.regionFirst = -1;
    this.pendingStart = -1;
    this.pendingDeadline = -1;
    this.openStart = -1;
    this.silentRunStart = -1;
    this.dipBoundary = -1;
    this.heldStart = -1;
    this.heldEnd = -1;
    this.heldPadding = false;
    this.shortStart = -1;
    this.gapStart = 0;
    this.nextCell = 0;
    this.firstSounding = -1;
    this.lastSounding = -1;
  }

  /** Oldest frame index the segmenter may still put into a future segment (earlier frame rows can be dropped). */
  get oldestNeededFrame(): number {
    const mode = this.options.mode;
    if (mode === "grid") return Math.min(this.nextFrame, this.cellStart(this.nextCell));
    if (mode === "whole") return this.firstSounding >= 0 ? this.firstSounding : this.nextFrame;
    let oldest = this.cursor;
    if (this.heldStart >= 0 && this.heldStart < oldest) oldest = this.heldStart;
    if (this.openStart >= 0 && this.openStart < oldest) oldest = this.openStart;
    if (this.shortStart >= 0 && this.shortStart < oldest) oldest = this.shortStart;
    if (this.pendingStart >= 0 && this.regionFirst < oldest) oldest = this.regionFirst;
    if (this.options.keepSilent && this.gapStart < oldest) oldest = this.gapStart;
    return Math.max(0, oldest);
  }

  /**
   * Feed the next frame.
   * @param frameIndex the frame's index; frames must arrive in order 0, 1, 2, ...
   * @param novelty the frame's onset novelty (>= 0)
   * @param rmsDb the frame's RMS level in dBFS
   * @param onsetFrame an onset frame confirmed by the peak picker at this step (at most `onsetDelayFrames`
   *   old, increasing from call to call), or -1
   * @returns segments closed by this frame, in time order (an array reused by the next call)
   * @throws ParameterError when frames arrive out of order or after `finish`
   */
  push(frameIndex: number, novelty: number, rmsDb: number, onsetFrame: number): readonly Segment[] {
    if (this.finished) throw new ParameterError("Segmenter.push after finish");
    if (frameIndex !== this.nextFrame) {
      throw new ParameterError(`Segmenter: expected frame ${this.nextFrame}, got ${frameIndex}`);
    }
    const out = this.out;
    out.length = 0;
    const slot = frameIndex & this.ringMask;
    this.rms[slot] = rmsDb;
    this.novelty[slot] = novelty;
    this.nextFrame++;
    const mode = this.options.mode;
    if (mode === "onset") {
      if (onsetFrame >= 0) this.enqueueOnset(onsetFrame);
      while (this.cursor <= frameIndex - this.lag) this.step(this.cursor++);
    } else if (mode === "grid") {
      this.emitCells(this.nextFrame, Number.POSITIVE_INFINITY);
    } else if (rmsDb >= this.gateDb) {
      if (this.firstSounding < 0) this.firstSounding = frameIndex;
      this.lastSounding = frameIndex;
    }
    return out;
  }

  /**
   * End of stream: closes and returns the remaining segments.
   * @param totalFrames number of frames in the stream (>= frames pushed; missing frames count as silence)
   * @param remainingOnsets onset frames still pending in the peak picker (`OnsetPeakPicker.flush()`)
   * @param totalSamples optional stream length in samples at the analysis rate: segments then end at
   *   `ceil(totalSamples / hop)` at most instead of `totalFrames - 1 + ceil(frameSize / hop)`
   * @returns the remaining segments in time order
   * @throws ParameterError when called twice or with fewer frames than pushed
   */
  finish(totalFrames: number, remainingOnsets: readonly number[] = [], totalSamples?: number): readonly Segment[] {
    if (this.finished) throw new ParameterError("Segmenter.finish called twice");
    if (!Number.isInteger(totalFrames) || totalFrames < this.nextFrame) {
      throw new ParameterError(`Segmenter.finish: totalFrames ${totalFrames} < frames pushed (${this.nextFrame})`);
    }
    this.finished = true;
    const out = this.out;
    out.length = 0;
    const endGrid =
      totalFrames === 0
        ? 0
        : totalSamples !== undefined
          ? Math.min(Math.ceil(totalSamples / this.hop), totalFrames - 1 + this.windowFrames)
          : totalFrames - 1 + this.windowFrames;
    const mode = this.options.mode;
    if (mode === "onset") {
      for (const onset of remainingOnsets) this.enqueueOnset(onset);
      while (this.cursor < totalFrames) this.step(this.cursor++);
      if (this.inRegion) this.endRegion(this.silentRunStart >= 0 ? this.silentRunStart : endGrid);
      if (this.heldStart >= 0) this.releaseHeld(Math.min(this.heldStart + this.minUnit, endGrid));
      if (this.options.keepSilent) this.emitGap(this.gapStart, endGrid);
    } else if (mode === "grid") {
      this.emitCells(totalFrames, endGrid);
    } else {
      this.finishWhole(totalFrames, endGrid);
    }
    return out;
  }

  // ---- onset mode ----

  private enqueueOnset(onsetFrame: number): void {
    const boundary = Math.max(0, onsetFrame + this.shift);
    if (boundary <= this.lastQueued) return;
    if (this.queueTail - this.queueHead >= ONSET_QUEUE_CAPACITY) this.queueHead++;
    this.queue[this.queueTail++ % ONSET_QUEUE_CAPACITY] = boundary;
    this.lastQueued = boundary;
  }

  /** Processes grid position / frame `c`: all boundaries <= c are known. */
  private step(c: number): void {
    let isBoundary = false;
    while (this.queueHead < this.queueTail && this.queue[this.queueHead % ONSET_QUEUE_CAPACITY]! <= c) {
      this.queueHead++;
      isBoundary = true;
    }
    const rmsDb = c < this.nextFrame ? this.rms[c & this.ringMask]! : Number.NEGATIVE_INFINITY;
    const sounding = rmsDb >= this.gateDb;
    if (!this.inRegion) {
      if (this.heldPadding && (sounding || c + 1 >= this.heldStart + this.minUnit)) {
        this.releaseHeld(sounding ? Math.min(c, this.heldStart + this.minUnit) : this.heldStart + this.minUnit);
      }
      if (!sounding) {
        if (this.options.keepSilent && !this.heldPadding && c + 1 - this.gapStart >= this.maxUnit + this.minUnit) {
          this.emit(this.gapStart, this.gapStart + this.maxUnit, true);
        }
        return;
      }
      this.inRegion = true;
      this.regionFirst = c;
      this.silentRunStart = -1;
      this.dipBoundary = -1;
      if (c === 0) {
        this.openUnit(0);
      } else {
        // Frame c - 1 was quiet over its whole span, up to sample (c - 1) * hop + frameSize.
        const quietUntil = (c - 1) * this.hop + this.frameSize - this.preRollSamples;
        this.pendingStart = Math.max(c, Math.floor(quietUntil / this.hop));
        this.pendingDeadline = c + this.windowFrames;
      }
    }
    if (this.pendingStart >= 0) {
      if (isBoundary) {
        this.openUnit(c);
        isBoundary = false;
      } else if (c >= this.pendingDeadline) {
        this.openUnit(this.pendingStart);
      }
    }
    if (sounding) {
      if (this.silentRunStart >= 0) {
        this.silentRunStart = -1;
        if (this.dipBoundary >= 0) this.cut(this.dipBoundary);
        this.dipBoundary = -1;
      }
      if (isBoundary) this.cut(c);
    } else {
      if (this.silentRunStart < 0) this.silentRunStart = c;
      if (isBoundary && this.dipBoundary < 0) this.dipBoundary = c;
      if (c - this.silentRunStart + 1 >= this.silenceHoldFrames) {
        this.endRegion(this.silentRunStart);
        return;
      }
    }
    if (this.openStart >= 0 && c + 1 - this.openStart >= this.maxUnit + this.minUnit) {
      this.cut(this.strongestBoundary(this.openStart + this.minUnit, this.openStart + this.maxUnit));
    }
  }

  private cut(at: number): void {
    if (this.openStart < 0 || at <= this.openStart) return;
    this.closeUnit(this.openStart, at, false);
    this.openStart = at;
  }

  /** The first unit of a sound starts at `start`: the silence before it is complete. */
  private openUnit(start: number): void {
    this.openStart = start;
    this.pendingStart = -1;
    if (this.options.keepSilent) this.emitGap(this.gapStart, start);
  }

  private endRegion(end: number): void {
    if (this.pendingStart >= 0) this.openUnit(this.pendingStart);
    if (this.openStart >= 0) this.closeUnit(this.openStart, Math.max(end, this.openStart + 1), true);
    this.openStart = -1;
    this.inRegion = false;
    this.silentRunStart = -1;
    this.dipBoundary = -1;
  }

  /**
   * A raw piece `[start, end)` of the current sound is complete. A piece shorter than minUnit joins the
   * piece after it (so a flam's unit starts at its first hit); the last piece of a sound joins the one
   * before it. The latest full-length piece is held until no short piece can join it any more.
   */
  private closeUnit(start: number, end: number, lastOfSound: boolean): void {
    let pieceStart = start;
    if (this.shortStart >= 0) {
      pieceStart = this.shortStart;
      this.shortStart = -1;
    }
    if (end - pieceStart < this.minUnit && !lastOfSound) {
      this.shortStart = pieceStart;
      return;
    }
    if (this.heldStart < 0) {
      this.heldStart = pieceStart;
      this.heldEnd = end;
    } else if (end - pieceStart < this.minUnit) {
      this.heldEnd = end;
    } else {
      this.emit(this.heldStart, this.heldEnd, false);
      this.heldStart = pieceStart;
      this.heldEnd = end;
    }
    while (this.heldEnd - this.heldStart > this.maxUnit) {
      const at = this.strongestBoundary(
        this.heldStart + this.minUnit,
        Math.min(this.heldStart + this.maxUnit, this.heldEnd - this.minUnit),
      );
      this.emit(this.heldStart, at, false);
      this.heldStart = at;
    }
    if (lastOfSound) {
      if (this.heldEnd - this.heldStart < this.minUnit) this.heldPadding = true;
      else this.releaseHeld(this.heldEnd);
    }
  }

  private releaseHeld(end: number): void {
    this.emit(this.heldStart, Math.max(end, this.heldEnd), false);
    this.heldStart = -1;
    this.heldEnd = -1;
    this.heldPadding = false;
  }

  /** The boundary in `[from, to]` whose onset frame has the highest novelty (first on ties). */
  private strongestBoundary(from: number, to: number): number {
    let best = from;
    let bestValue = Number.NEGATIVE_INFINITY;
    for (let x = from; x <= to; x++) {
      const frame = x - this.shift;
      const value = frame >= 0 && frame < this.nextFrame ? this.novelty[frame & this.ringMask]! : 0;
      if (value > bestValue) {
        bestValue = value;
        best = x;
      }
    }
    return best;
  }

  private emit(start: number, end: number, silent: boolean): void {
    if (!silent && this.options.keepSilent) this.emitGap(this.gapStart, start);
    if (!silent || this.options.keepSilent) this.out.push({ startFrame: start, endFrame: end, silent });
    this.gapStart = end;
  }

  /** Silent segments covering `[from, to)`: pieces of at most maxUnit, nothing shorter than minUnit. */
  private emitGap(from: number, to: number): void {
    const length = to - from;
    if (length < this.minUnit) return;
    const pieces = Math.ceil(length / this.maxUnit);
    for (let i = 0; i < pieces; i++) {
      const start = from + Math.round((i * length) / pieces);
      const end = from + Math.round(((i + 1) * length) / pieces);
      this.out.push({ startFrame: start, endFrame: end, silent: true });
    }
    this.gapStart = to;
  }

  // ---- grid mode ----

  private cellStart(cell: number): number {
    return Math.round((cell * this.cellHopSamples) / this.hop);
  }

  private cellEnd(cell: number): number {
    return Math.round((cell * this.cellHopSamples + this.cellSamples) / this.hop);
  }

  /** Emits the cells whose frames are all known (`end <= framesKnown`), then, at the end, the rest up to `endGrid`. */
  private emitCells(framesKnown: number, endGrid: number): void {
    const centre = Math.floor(this.windowFrames / 2);
    while (true) {
      const start = this.cellStart(this.nextCell);
      let end = this.cellEnd(this.nextCell);
      if (Number.isFinite(endGrid)) {
        if (start >= endGrid) return;
        if (end > endGrid) end = endGrid;
        if (end - start < this.minUnit && this.nextCell > 0) return;
      } else if (end > framesKnown) {
        return;
      }
      // A cell is sounding when a frame centred inside it reaches the gate.
      let silent = true;
      const firstFrame = Math.max(0, start - centre);
      const lastFrame = Math.min(this.nextFrame, end - centre);
      for (let f = firstFrame; f < lastFrame; f++) {
        if (this.rms[f & this.ringMask]! >= this.gateDb) {
          silent = false;
          break;
        }
      }
      if (!silent || this.options.keepSilent) this.out.push({ startFrame: start, endFrame: end, silent });
      this.nextCell++;
    }
  }

  // ---- whole mode ----

  private finishWhole(totalFrames: number, endGrid: number): void {
    if (this.firstSounding < 0) {
      if (this.options.keepSilent && endGrid > 0) this.out.push({ startFrame: 0, endFrame: endGrid, silent: true });
      return;
    }
    const first = this.firstSounding;
    const start =
      first === 0 ? 0 : Math.max(0, Math.floor(((first - 1) * this.hop + this.frameSize - this.preRollSamples) / this.hop));
    let end = this.lastSounding + 1 < totalFrames ? this.lastSounding + 1 : endGrid;
    if (end - start < this.minUnit) end = Math.min(start + this.minUnit, endGrid);
    if (end <= start) end = start + 1;
    this.out.push({ startFrame: start, endFrame: end, silent: false });
  }
}
