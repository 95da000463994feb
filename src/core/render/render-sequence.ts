/**
 * Renders a chosen sequence: each unit is transposed (optional), fitted into its slot, gain-matched to the
 * target unit's level, overlap-added with crossfades, mixed with the original (wet/dry) and made peak-safe.
 * Everything here is at the output rate; the caller reads and resamples sources beforehand.
 */
import { ParameterError } from "../errors.js";
import { fitToSlotSteps, type FitMode, type FitResult } from "./fit.js";
import { addPlacementRange, placementSpan, type Placement, type PlacementSpan } from "./overlap-add.js";
import { makePeakSafe, type PeakMode } from "./peak-limit.js";
import type { RenderWorkspace } from "./render-workspace.js";
import { varispeed } from "./varispeed.js";
import { WSOLA_STEP_FRAMES } from "./wsola.js";

/** Gain-match limits: -40 dB .. +24 dB (a quiet source is not blown up into noise). */
const MIN_GAIN_DB = -40;
const MAX_GAIN_DB = 24;
/** Limiter look-ahead: 5 ms. */
const LIMITER_LOOKAHEAD_SEC = 0.005;

export interface RenderUnit {
  /** Slot in output frames. */
  readonly slotStartFrame: number;
  readonly slotFrames: number;
  /** Source audio at the output rate: margin + unit + margin frames; null leaves the slot silent. */
  readonly source: readonly Float32Array[] | null;
  /** Transposition in semitones (0 = none). */
  readonly semitones: number;
  /** True when the unit continues the previous one in the same recording (seamless join). */
  readonly continuesPrevious: boolean;
}

export interface RenderOptions {
  readonly sampleRateHz: number;
  readonly channelCount: number;
  /** Context frames on each side of every source (half the crossfade). */
  readonly marginFrames: number;
  readonly fit: FitMode;
  /** 0..1: how far each unit's level is moved to the target unit's level (0 = source level). */
  readonly dynamics: number;
  /** 0..1: share of the resynthesis in the output (1 = resynthesis only, 0 = the original). */
  readonly wet: number;
  readonly peak: PeakMode;
}

export interface RenderedUnit {
  readonly gainDb: number;
  readonly stretch: number;
  readonly repeats: number;
}

export interface RenderResult {
  readonly channels: Float32Array[];
  /** Per unit, in the order given. */
  readonly units: RenderedUnit[];
  /** Smallest gain the peak stage applied (1 = untouched). */
  readonly peakGain: number;
}

function slotRms(channels: readonly Float32Array[], from: number, length: number): number {
  let sum = 0;
  let count = 0;
  for (const data of channels) {
    const end = Math.min(data.length, from + length);
    for (let n = Math.max(0, from); n < end; n++) sum += data[n]! * data[n]!;
    count += Math.max(0, end - Math.max(0, from));
  }
  return count > 0 ? Math.sqrt(sum / count) : 0;
}

/** Buffers a renderer takes from a workspace instead of allocating them. */
export interface RendererBuffers {
  readonly workspace: RenderWorkspace;
  /** Workspace name of the output channels (`<name>.0`, ...): distinct for outputs alive at the same time. */
  readonly outputName: string;
}

/** The unit being placed: fitted (possibly over several steps), then added in pieces. */
interface PendingUnit {
  readonly index: number;
  readonly unit: RenderUnit;
  fitting: Generator<void, FitResult> | null;
  fitted: FitResult | null;
  placement: Placement | null;
  span: PlacementSpan | null;
  gainDb: number;
  /** Next output frame to add. */
  position: number;
}

/**
 * Renders a sequence unit by unit, so that a caller can spread the work over several event-loop turns:
 * `step(frames)` does about that many frames of work (fitting, gain matching, overlap-adding; a long unit
 * takes several steps), `next()` places one whole unit; when `done`, `finish()` mixes wet/dry and applies
 * the peak stage. `renderSequence` runs it to the end at once; all give the same samples.
 */
export class SequenceRenderer {
  private readonly target: readonly Float32Array[];
  private readonly units: readonly RenderUnit[];
  private readonly options: RenderOptions;
  private readonly out: Float32Array[];
  /** Output frames [0, cleared) are zeroed (workspace buffers are cleared just before they are written). */
  private cleared: number;
  private readonly rendered: RenderedUnit[] = [];
  /** Per unit: the unit placed before / after it (the nearest with a source), -1 when none. */
  private readonly previousPlaced: Int32Array;
  private readonly nextPlaced: Int32Array;
  /** Fitting output, reused unit after unit: as many channels and frames as the largest unit needs. */
  private readonly scratch: Float32Array[];
  private placed = 0;
  private i = 0;
  private pending: PendingUnit | null = null;

  /**
   * @param target planar target audio at the output rate (for gain matching and the dry signal).
   * @param units slots sorted by start, with their sources.
   * @param buffers take the output and fitting buffers from a workspace (the result's channels are then
   *   views of it) instead of allocating them.
   * @throws ParameterError on bad options.
   */
  constructor(target: readonly Float32Array[], units: readonly RenderUnit[], options: RenderOptions, buffers?: RendererBuffers) {
    for (const key of ["dynamics", "wet"] as const) {
      const v = options[key];
      if (!(v >= 0 && v <= 1)) throw new ParameterError(`${key}: expected a number in [0, 1], got ${v}`);
    }
    if (!Number.isInteger(options.channelCount) || options.channelCount < 1) throw new ParameterError(`channelCount must be >= 1, got ${options.channelCount}`);
    this.target = target;
    this.units = units;
    this.options = options;
    const outputFrames = target[0]?.length ?? 0;
    if (buffers) {
      this.out = buffers.workspace.channels(buffers.outputName, options.channelCount, outputFrames);
      this.cleared = 0;
    } else {
      this.out = Array.from({ length: options.channelCount }, () => new Float32Array(outputFrames));
      this.cleared = outputFrames;
    }
    this.previousPlaced = new Int32Array(units.length);
    this.nextPlaced = new Int32Array(units.length);
    let last = -1;
    for (let u = 0; u < units.length; u++) {
      this.previousPlaced[u] = last;
      if (units[u]!.source) last = u;
    }
    last = -1;
    let channels = 0;
    let frames = 0;
    for (let u = units.length - 1; u >= 0; u--) {
      const unit = units[u]!;
      this.nextPlaced[u] = last;
      if (!unit.source) continue;
      last = u;
      channels = Math.max(channels, unit.source.length);
      frames = Math.max(frames, unit.slotFrames + 2 * options.marginFrames);
    }
    this.scratch = buffers
      ? buffers.workspace.channels("render.scratch", channels, frames)
      : Array.from({ length: channels }, () => new Float32Array(frames));
  }

  /** True when every unit has been placed. */
  get done(): boolean {
    return this.i >= this.units.length && this.pending === null;
  }

  /**
   * Fits, gain-matches and overlap-adds the next unit (the rest of it, when `step` began it).
   * @throws ParameterError on a malformed or unsorted unit.
   */
  next(): void {
    const placing = this.pending?.index ?? this.i;
    while (!this.done && (this.pending?.index ?? this.i) === placing) this.work(Number.POSITIVE_INFINITY, true);
  }

  /**
   * Does about `frameBudget` frames of work (at least a little): units are fitted and overlap-added in
   * pieces, so that no call takes much longer than its budget, however long a unit is.
   * @throws ParameterError on a malformed or unsorted unit.
   */
  step(frameBudget: number): void {
    this.work(Math.max(1, frameBudget), false);
  }

  private work(frameBudget: number, oneUnit: boolean): void {
    let budget = frameBudget;
    while (budget > 0 && !this.done) {
      const pending = this.pending ?? this.begin();
      if (!pending) {
        budget -= 1;
        if (oneUnit) return;
        continue;
      }
      if (pending.fitting) {
        const step = pending.fitting.next();
        budget -= WSOLA_STEP_FRAMES;
        if (step.done) {
          pending.fitting = null;
          pending.fitted = step.value;
          this.place(pending, step.value);
          budget -= pending.unit.slotFrames;
        }
        continue;
      }
      const span = pending.span!;
      const to = Math.min(span.to, pending.position + budget);
      if (to > this.cleared) {
        for (const data of this.out) data.fill(0, this.cleared, to);
        this.cleared = to;
      }
      addPlacementRange(this.out, pending.placement!, span, pending.position, to);
      budget -= Math.max(1, to - pending.position);
      pending.position = to;
      if (to >= span.to) {
        this.rendered.push({ gainDb: pending.gainDb, stretch: pending.fitted!.stretch, repeats: pending.fitted!.repeats });
        this.pending = null;
        if (oneUnit) return;
      }
    }
  }

  /** Starts the next unit: null (and listed) when its slot stays silent, else a pending unit to fit. */
  private begin(): PendingUnit | null {
    const u = this.i;
    const unit = this.units[u]!;
    this.i++;
    if (!unit.source) {
      this.rendered.push({ gainDb: -Infinity, stretch: 1, repeats: 0 });
      return null;
    }
    const options = this.options;
    const m = options.marginFrames;
    const source = unit.semitones === 0 ? unit.source : transposeWithMargins(unit.source, m, unit.semitones);
    this.pending = {
      index: u,
      unit,
      fitting: fitToSlotSteps(source, m, unit.slotFrames, options.fit, options.sampleRateHz, this.scratch),
      fitted: null,
      placement: null,
      span: null,
      gainDb: 0,
      position: 0,
    };
    return this.pending;
  }

  /** Gain-matches a fitted unit and works out where it goes. */
  private place(pending: PendingUnit, fitted: FitResult): void {
    const { unit, index: u } = pending;
    const options = this.options;
    const m = options.marginFrames;
    let gainDb = 0;
    if (options.dynamics > 0) {
      const want = slotRms(this.target, unit.slotStartFrame, unit.slotFrames);
      const have = slotRms(fitted.channels, m, unit.slotFrames);
      if (have > 0 && want > 0) {
        const ratioDb = 20 * Math.log10(want / have);
        gainDb = Math.min(MAX_GAIN_DB, Math.max(MIN_GAIN_DB, options.dynamics * ratioDb));
      } else if (have > 0) {
        gainDb = options.dynamics * MIN_GAIN_DB;
      }
    }
    const placement: Placement = {
      slotStartFrame: unit.slotStartFrame,
      slotFrames: unit.slotFrames,
      channels: fitted.channels,
      gain: Math.pow(10, gainDb / 20),
      continuesPrevious: unit.continuesPrevious,
    };
    const previous = this.previousPlaced[u]!;
    const next = this.nextPlaced[u]!;
    const span = placementSpan(this.out[0]?.length ?? 0, placement, previous >= 0 ? this.units[previous] : undefined, next >= 0 ? this.units[next] : undefined, m, this.placed++);
    pending.placement = placement;
    pending.span = span;
    pending.gainDb = gainDb;
    pending.position = span.from;
  }

  /**
   * Wet/dry mix and peak stage over the placed units (call when `done`).
   * @returns `options.channelCount` planar arrays as long as the target, plus what was applied per unit.
   */
  finish(): RenderResult {
    const { out, target, options } = this;
    const outputFrames = out[0]?.length ?? 0;
    if (this.cleared < outputFrames) {
      for (const data of out) data.fill(0, this.cleared);
      this.cleared = outputFrames;
    }
    if (options.wet < 1 && target.length > 0) {
      const wet = options.wet;
      const dry = 1 - wet;
      for (let c = 0; c < out.length; c++) {
        const data = out[c]!;
        const original = target[c % target.length]!;
        for (let n = 0; n < outputFrames; n++) data[n] = wet * data[n]! + dry * original[n]!;
      }
    }
    const lookahead = Math.max(1, Math.round(LIMITER_LOOKAHEAD_SEC * options.sampleRateHz));
    const peakGain = makePeakSafe(out, options.peak, lookahead);
    return { channels: out, units: this.rendered, peakGain };
  }

  /**
   * Zeroes about `frameBudget` more frames of the output not written yet (workspace buffers), so that
   * `finish` has little left to clear. @returns true when the whole output is cleared or written.
   */
  clearAhead(frameBudget: number): boolean {
    const frames = this.out[0]?.length ?? 0;
    if (!this.done || this.cleared >= frames) return this.cleared >= frames;
    const to = Math.min(frames, this.cleared + Math.max(1, frameBudget));
    for (const data of this.out) data.fill(0, this.cleared, to);
    this.cleared = to;
    return to >= frames;
  }
}

/**
 * Renders units into a new clip of the target's length.
 * @param target planar target audio at the output rate (for gain matching and the dry signal).
 * @param units slots sorted by start, with their sources.
 * @returns `options.channelCount` planar arrays as long as the target, plus what was applied per unit.
 * @throws ParameterError on bad options or unsorted / malformed units.
 */
export function renderSequence(target: readonly Float32Array[], units: readonly RenderUnit[], options: RenderOptions): RenderResult {
  const renderer = new SequenceRenderer(target, units, options);
  while (!renderer.done) renderer.next();
  return renderer.finish();
}

/** Transposes the unit and keeps `margin` frames of context on each side (the margins are transposed too). */
function transposeWithMargins(source: readonly Float32Array[], margin: number, semitones: number): Float32Array[] {
  const shifted = varispeed(source, semitones);
  const rate = Math.pow(2, semitones / 12);
  // Margins shrink / grow with the rate; re-centre so each side again has exactly `margin` frames.
  const from = Math.round(margin / rate) - margin;
  const unitFrames = Math.max(1, Math.round(((source[0]?.length ?? 0) - 2 * margin) / rate));
  const length = unitFrames + 2 * margin;
  return shifted.map((data) => {
    const out = new Float32Array(length);
    for (let i = 0; i < length; i++) {
      const j = from + i;
      if (j >= 0 && j < data.length) out[i] = data[j]!;
    }
    return out;
  });
}
