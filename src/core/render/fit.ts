/**
 * Fitting a source unit into its slot. The source arrives with `marginFrames` of its own context before
 * and after the unit (zeros where the file has none), so the crossfades at the slot edges blend real
 * audio. The result has `slotFrames + 2 * marginFrames` frames with the slot's start at `marginFrames`:
 *
 * - trim: the unit plays from its start; cut at the slot end when longer, followed by silence (after a
 *   short fade) when shorter.
 * - loop: like trim, but a shorter unit repeats, each repeat crossfaded (equal power) with the previous.
 * - stretch: WSOLA time stretch to the slot length (pitch kept); factors beyond [1/4, 4] are clamped and
 *   the rest trimmed / padded.
 */
import { ParameterError } from "../errors.js";
import { applyFade } from "./fades.js";
import { runSteps } from "../steps.js";
import { wsolaStretchSteps } from "./wsola.js";

export type FitMode = "trim" | "loop" | "stretch";

/** Stretch factors within this of 1 are not stretched (inaudible, and exact copies stay exact). */
const STRETCH_TOLERANCE = 0.01;
/** Stretch factor limits for quality. */
const MIN_STRETCH = 0.25;
const MAX_STRETCH = 4;

export interface FitResult {
  /** Planar audio, `slotFrames + 2 * marginFrames` frames, slot start at `marginFrames`. */
  readonly channels: Float32Array[];
  /** Stretch factor applied (1 = none). */
  readonly stretch: number;
  /** Times the unit was played (loop mode; 1 otherwise). */
  readonly repeats: number;
}

/** `channels[c][from, from + length)` (zeros outside) into `scratch[c]` when given, else into new arrays. */
function copyWindow(channels: readonly Float32Array[], from: number, length: number, scratch?: readonly Float32Array[]): Float32Array[] {
  return channels.map((input, c) => {
    const out = scratch ? scratch[c]!.subarray(0, length) : new Float32Array(length);
    const start = Math.max(0, from);
    const end = Math.min(input.length, from + length);
    if (end > start) {
      if (scratch) {
        out.fill(0, 0, start - from);
        out.fill(0, end - from);
      }
      out.set(input.subarray(start, end), start - from);
    } else if (scratch) {
      out.fill(0);
    }
    return out;
  });
}

/**
 * Fits one unit (with its margins) into a slot.
 * @param channels planar source: `marginFrames` + unit + `marginFrames` frames.
 * @param marginFrames context frames on each side (>= 0, integer).
 * @param slotFrames slot length in frames (integer >= 1).
 * @param mode trim | loop | stretch.
 * @param sampleRateHz rate of the audio (WSOLA frame size).
 * @param scratch optional output buffers, one per source channel, each at least `slotFrames + 2 *
 *   marginFrames` long: the result's channels are then views of them (valid until their next use).
 * @throws ParameterError on bad lengths, too short scratch buffers or an unknown mode.
 */
export function fitToSlot(
  channels: readonly Float32Array[],
  marginFrames: number,
  slotFrames: number,
  mode: FitMode,
  sampleRateHz: number,
  scratch?: readonly Float32Array[],
): FitResult {
  return runSteps(fitToSlotSteps(channels, marginFrames, slotFrames, mode, sampleRateHz, scratch));
}

/**
 * `fitToSlot` in pieces: a generator that pauses within long time stretches (see `wsolaStretchSteps`), so
 * that a long unit can be fitted over several event-loop turns, and returns the same result.
 * @throws ParameterError as `fitToSlot` (on the first `next()`).
 */
export function* fitToSlotSteps(
  channels: readonly Float32Array[],
  marginFrames: number,
  slotFrames: number,
  mode: FitMode,
  sampleRateHz: number,
  scratch?: readonly Float32Array[],
): Generator<void, FitResult> {
  const total = channels[0]?.length ?? 0;
  const unitFrames = total - 2 * marginFrames;
  if (!Number.isInteger(marginFrames) || marginFrames < 0) throw new ParameterError(`fit: marginFrames must be an integer >= 0, got ${marginFrames}`);
  if (!Number.isInteger(slotFrames) || slotFrames < 1) throw new ParameterError(`fit: slotFrames must be an integer >= 1, got ${slotFrames}`);
  if (unitFrames < 1) throw new ParameterError(`fit: source has ${total} frames, fewer than its margins plus one`);
  const outFrames = slotFrames + 2 * marginFrames;
  const fadeFrames = Math.max(1, 2 * marginFrames);
  if (scratch && (scratch.length < channels.length || scratch.some((data, c) => c < channels.length && data.length < outFrames))) {
    throw new ParameterError(`fit: scratch needs ${channels.length} buffers of at least ${outFrames} frames`);
  }

  if (mode === "stretch") {
    const wanted = slotFrames / unitFrames;
    if (Math.abs(wanted - 1) > STRETCH_TOLERANCE) {
      const factor = Math.min(MAX_STRETCH, Math.max(MIN_STRETCH, wanted));
      const stretchedFrames = Math.max(1, Math.round(total * factor));
      const stretched = yield* wsolaStretchSteps(channels, stretchedFrames, sampleRateHz);
      // Slot start = the unit's stretched start, shifted back by the (unstretched) margin.
      const from = Math.round(marginFrames * factor) - marginFrames;
      const out = copyWindow(stretched, from, outFrames, scratch);
      const end = stretchedFrames - from;
      if (end < outFrames) for (const data of out) applyFade(data, end - fadeFrames, fadeFrames, "out", "equal-power");
      return { channels: out, stretch: factor, repeats: 1 };
    }
    return yield* fitToSlotSteps(channels, marginFrames, slotFrames, "trim", sampleRateHz, scratch);
  }
  if (mode === "trim" || unitFrames >= slotFrames || unitFrames < 2 * fadeFrames) {
    const out = copyWindow(channels, 0, outFrames, scratch);
    if (total < outFrames) for (const data of out) applyFade(data, total - fadeFrames, fadeFrames, "out", "equal-power");
    return { channels: out, stretch: 1, repeats: 1 };
  }
  if (mode !== "loop") throw new ParameterError(`fit: unknown mode "${String(mode)}"`);
  // Copy k (all of unit + margins) starts at k * unitFrames: its tail (last unit margin + after-margin)
  // crossfades with the head (before-margin + first unit margin) of copy k + 1, centred on the loop point.
  const out = channels.map((_, c) => (scratch ? scratch[c]!.subarray(0, outFrames).fill(0) : new Float32Array(outFrames)));
  let repeats = 0;
  for (let offset = 0; offset < outFrames; offset += unitFrames) {
    const isFirst = offset === 0;
    const isLast = offset + unitFrames >= outFrames - 2 * marginFrames;
    for (let c = 0; c < channels.length; c++) {
      const piece = channels[c]!.slice();
      if (!isFirst) applyFade(piece, 0, fadeFrames, "in", "equal-power");
      if (!isLast) applyFade(piece, total - fadeFrames, fadeFrames, "out", "equal-power");
      const target = out[c]!;
      const n = Math.min(total, outFrames - offset);
      for (let i = 0; i < n; i++) target[offset + i] = target[offset + i]! + piece[i]!;
    }
    repeats++;
    if (isLast) break;
  }
  return { channels: out, stretch: 1, repeats };
}
