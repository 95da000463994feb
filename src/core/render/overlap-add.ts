/**
 * Overlap-add of fitted units on the output timeline. Each placement carries `marginFrames` of context on
 * both sides of its slot. Where two placements meet (or overlap), they crossfade over 2 x margin frames
 * centred on the later one's start: equal gain when the later continues the earlier in the same recording
 * (then the sum restores the original exactly), equal power otherwise. An edge next to silence fades within
 * the margin outside the slot, so the slot itself plays at full level. No edge is ever a hard cut
 * (unless the margin is 0).
 */
import { ParameterError } from "../errors.js";
import { fadeInGain, type FadeShape } from "./fades.js";

export interface Placement {
  /** First output frame of the slot. */
  readonly slotStartFrame: number;
  /** Slot length in output frames (>= 1). */
  readonly slotFrames: number;
  /** Fitted audio, `slotFrames + 2 * marginFrames` frames; mono sources are copied to every output channel. */
  readonly channels: readonly Float32Array[];
  /** Linear gain. */
  readonly gain: number;
  /** True when this placement continues the previous one in the same recording (equal-gain join). */
  readonly continuesPrevious: boolean;
}

/** A fade at one end of a placement: output frames [start, start + length). */
export interface PlacementFade {
  readonly start: number;
  readonly length: number;
  readonly shape: FadeShape;
}

function edgeGain(n: number, edge: PlacementFade | null, direction: "in" | "out"): number {
  if (!edge || edge.length <= 0) return 1;
  const x = (n - edge.start + 0.5) / edge.length;
  if (direction === "in") return x <= 0 ? 0 : x >= 1 ? 1 : fadeInGain(x, edge.shape);
  return x <= 0 ? 1 : x >= 1 ? 0 : fadeInGain(1 - x, edge.shape);
}

/** Where a placement's neighbour sits: what its crossfades depend on. */
export interface PlacementEdge {
  readonly slotStartFrame: number;
  readonly slotFrames: number;
  readonly continuesPrevious: boolean;
}

/** The output frames a placement writes and where its fades lie (see `addPlacement`). */
export interface PlacementSpan {
  /** Output frames written: [from, to). */
  readonly from: number;
  readonly to: number;
  /** Frames between the fades, played at the placement's gain: [flatFrom, flatTo). */
  readonly flatFrom: number;
  readonly flatTo: number;
  /** Output frame of the placement's first source frame (slot start minus the margin). */
  readonly origin: number;
  readonly fadeIn: PlacementFade;
  readonly fadeOut: PlacementFade;
}

/**
 * Where a placement goes on an output of `outputFrames` frames, with crossfades shaped by its neighbours.
 * @throws ParameterError when the placement has the wrong length or starts before `previous`.
 */
export function placementSpan(
  outputFrames: number,
  placement: Placement,
  previous: PlacementEdge | undefined,
  next: PlacementEdge | undefined,
  marginFrames: number,
  index = 0,
): PlacementSpan {
  const m = marginFrames;
  const start = placement.slotStartFrame;
  const end = start + placement.slotFrames;
  if ((placement.channels[0]?.length ?? 0) !== placement.slotFrames + 2 * m) {
    throw new ParameterError(`overlapAdd: placement ${index} has ${placement.channels[0]?.length ?? 0} frames, expected ${placement.slotFrames + 2 * m}`);
  }
  if (previous && previous.slotStartFrame > start) throw new ParameterError("overlapAdd: placements must be sorted by start");
  const joinsPrevious = previous !== undefined && previous.slotStartFrame + previous.slotFrames >= start;
  const joinsNext = next !== undefined && next.slotStartFrame <= end;
  const fadeIn: PlacementFade = joinsPrevious
    ? { start: start - m, length: 2 * m, shape: placement.continuesPrevious ? "equal-gain" : "equal-power" }
    : { start: start - m, length: m, shape: "equal-power" };
  const boundary = joinsNext ? next.slotStartFrame : end;
  const fadeOut: PlacementFade = joinsNext
    ? { start: boundary - m, length: 2 * m, shape: next.continuesPrevious ? "equal-gain" : "equal-power" }
    : { start: end, length: m, shape: "equal-power" };
  const from = Math.max(0, start - m);
  const to = Math.min(outputFrames, (joinsNext ? boundary : end) + m);
  // Full gain between the fades; the fade regions evaluate the curves (once per frame for all channels).
  const flatFrom = Math.min(to, Math.max(from, fadeIn.start + fadeIn.length));
  const flatTo = Math.max(flatFrom, Math.min(to, fadeOut.start));
  return { from, to, flatFrom, flatTo, origin: start - m, fadeIn, fadeOut };
}

/**
 * Mixes output frames [rangeFrom, rangeTo) of a placement into the output (its whole span by default), so
 * that a long placement can be added in pieces; the samples are the same as in one call.
 * @param out the output buffers (`channelCount` planar arrays).
 * @param span the placement's `placementSpan`.
 */
export function addPlacementRange(out: readonly Float32Array[], placement: Placement, span: PlacementSpan, rangeFrom: number, rangeTo: number): void {
  const channelCount = out.length;
  const { fadeIn, fadeOut, origin } = span;
  const from = Math.max(span.from, rangeFrom);
  const to = Math.min(span.to, rangeTo);
  const flatFrom = Math.min(to, Math.max(from, span.flatFrom));
  const flatTo = Math.max(flatFrom, Math.min(to, span.flatTo));
  const sources = placement.channels;
  const sourceCount = sources.length;
  const gain = placement.gain;
  for (let n = from; n < flatFrom; n++) {
    const g = gain * edgeGain(n, fadeIn, "in") * edgeGain(n, fadeOut, "out");
    for (let c = 0; c < channelCount; c++) {
      const data = out[c]!;
      data[n] = data[n]! + g * sources[c % sourceCount]![n - origin]!;
    }
  }
  for (let c = 0; c < channelCount; c++) {
    const data = out[c]!;
    const input = sources[c % sourceCount]!;
    for (let n = flatFrom; n < flatTo; n++) data[n] = data[n]! + gain * input[n - origin]!;
  }
  for (let n = Math.max(flatTo, from); n < to; n++) {
    const g = gain * edgeGain(n, fadeIn, "in") * edgeGain(n, fadeOut, "out");
    for (let c = 0; c < channelCount; c++) {
      const data = out[c]!;
      data[n] = data[n]! + g * sources[c % sourceCount]![n - origin]!;
    }
  }
}

/**
 * Mixes one placement into the output, with crossfades shaped by its neighbours (placements are added one
 * by one in start order; `overlapAdd` does all of them).
 * @param out the output buffers (`channelCount` planar arrays).
 * @param previous the placement before it (undefined for the first); next the one after it.
 * @param index the placement's position (for error messages).
 * @throws ParameterError when the placement has the wrong length or starts before `previous`.
 */
export function addPlacement(
  out: readonly Float32Array[],
  placement: Placement,
  previous: PlacementEdge | undefined,
  next: PlacementEdge | undefined,
  marginFrames: number,
  index = 0,
): void {
  const span = placementSpan(out[0]?.length ?? 0, placement, previous, next, marginFrames, index);
  addPlacementRange(out, placement, span, span.from, span.to);
}

/**
 * Mixes placements (sorted by `slotStartFrame`) into new output buffers.
 * @param placements the fitted units; each with `slotFrames + 2 * marginFrames` frames.
 * @param outputFrames length of the output.
 * @param channelCount output channels (>= 1).
 * @param marginFrames context on each side of every placement, half the crossfade length.
 * @returns `channelCount` planar arrays of `outputFrames` frames.
 * @throws ParameterError when placements are unsorted or have the wrong length.
 */
export function overlapAdd(
  placements: readonly Placement[],
  outputFrames: number,
  channelCount: number,
  marginFrames: number,
): Float32Array[] {
  const out = Array.from({ length: channelCount }, () => new Float32Array(outputFrames));
  for (let p = 0; p < placements.length; p++) {
    addPlacement(out, placements[p]!, p > 0 ? placements[p - 1]! : undefined, p + 1 < placements.length ? placements[p + 1]! : undefined, marginFrames, p);
  }
  return out;
}
