/**
 * Summarising a unit's frames into its descriptor vector (`DESCRIPTOR_COLUMNS` order): mean and
 * standard deviation of every per-frame feature, start/end values of level and brightness, peak level,
 * a confidence-weighted pitch, attack time and duration.
 */
import { FRAME, FRAME_FEATURES } from "./frame-features.js";
import { DESCRIPTOR_COUNT, EDGE_FEATURES, SUMMARISED_FEATURES, descriptorIndex } from "./schema.js";
import type { FrameRing } from "./frame-ring.js";

/** Frames averaged for a start/end value: 3 hops = 35 ms at 22.05 kHz / hop 256. */
export const EDGE_FRAMES = 3;
/** Frames whose YIN confidence is below this do not vote for the unit's pitch. */
export const VOICED_CONFIDENCE = 0.5;

const SUMMARISED_ROW_INDEX = Int32Array.from(SUMMARISED_FEATURES.map((name) => FRAME_FEATURES.indexOf(name)));
const EDGE_ROW_INDEX = Int32Array.from(EDGE_FEATURES.map((name) => FRAME_FEATURES.indexOf(name)));
const EDGE_COLUMN = descriptorIndex(`${EDGE_FEATURES[0]}.start`);
const PEAK_COLUMN = descriptorIndex("peakDb");
const PITCH_COLUMN = descriptorIndex("pitchMidi");
const PITCH_CONFIDENCE_COLUMN = descriptorIndex("pitchConfidence");
const ATTACK_COLUMN = descriptorIndex("attackTimeSec");
const DURATION_COLUMN = descriptorIndex("durationSec");

/** Running sums for one unit; reusable (call `reset`). Lets whole-file units be summarised without buffering frames. */
export class UnitAccumulator {
  private readonly sum = new Float64Array(SUMMARISED_ROW_INDEX.length);
  private readonly sumSquares = new Float64Array(SUMMARISED_ROW_INDEX.length);
  private readonly startSum = new Float64Array(EDGE_ROW_INDEX.length);
  /** Last EDGE_FRAMES rows of the edge features, as a small ring. */
  private readonly tail = new Float64Array(EDGE_ROW_INDEX.length * EDGE_FRAMES);
  private frames = 0;
  private peakDb = -Infinity;
  private peakFrame = 0;
  private pitchWeighted = 0;
  private pitchWeight = 0;
  private confidenceSum = 0;

  reset(): void {
    this.sum.fill(0);
    this.sumSquares.fill(0);
    this.startSum.fill(0);
    this.tail.fill(0);
    this.frames = 0;
    this.peakDb = -Infinity;
    this.peakFrame = 0;
    this.pitchWeighted = 0;
    this.pitchWeight = 0;
    this.confidenceSum = 0;
  }

  /** Number of frames added since the last reset. */
  get frameCount(): number {
    return this.frames;
  }

  /** Adds one frame row (`values[offset .. offset + FRAME_FEATURE_COUNT)`). Allocation-free. */
  add(values: Float32Array, offset: number): void {
    const n = SUMMARISED_ROW_INDEX.length;
    for (let i = 0; i < n; i++) {
      const v = values[offset + SUMMARISED_ROW_INDEX[i]!]!;
      this.sum[i] = this.sum[i]! + v;
      this.sumSquares[i] = this.sumSquares[i]! + v * v;
    }
    const e = EDGE_ROW_INDEX.length;
    const tailSlot = (this.frames % EDGE_FRAMES) * e;
    for (let i = 0; i < e; i++) {
      const v = values[offset + EDGE_ROW_INDEX[i]!]!;
      if (this.frames < EDGE_FRAMES) this.startSum[i] = this.startSum[i]! + v;
      this.tail[tailSlot + i] = v;
    }
    const level = values[offset + FRAME.rmsDb]!;
    if (level > this.peakDb) {
      this.peakDb = level;
      this.peakFrame = this.frames;
    }
    const confidence = values[offset + FRAME.pitchConfidence]!;
    this.confidenceSum += confidence;
    if (confidence >= VOICED_CONFIDENCE) {
      this.pitchWeighted += confidence * values[offset + FRAME.f0Midi]!;
      this.pitchWeight += confidence;
    }
    this.frames++;
  }

  /**
   * Writes the unit's descriptor vector.
   * @param out `DESCRIPTOR_COUNT` values, written from index 0.
   * @param hopSec seconds between frames (for the attack time).
   * @param durationSec the unit's length in seconds (from its sample boundaries).
   */
  write(out: Float32Array, hopSec: number, durationSec: number): void {
    if (out.length < DESCRIPTOR_COUNT) throw new RangeError(`descriptor vector needs ${DESCRIPTOR_COUNT} values`);
    const frames = Math.max(1, this.frames);
    const n = SUMMARISED_ROW_INDEX.length;
    for (let i = 0; i < n; i++) {
      const mean = this.sum[i]! / frames;
      const variance = Math.max(0, this.sumSquares[i]! / frames - mean * mean);
      out[2 * i] = mean;
      out[2 * i + 1] = Math.sqrt(variance);
    }
    const e = EDGE_ROW_INDEX.length;
    const edgeFrames = Math.min(EDGE_FRAMES, frames);
    for (let i = 0; i < e; i++) {
      let tailSum = 0;
      for (let k = 0; k < edgeFrames; k++) tailSum += this.tail[k * e + i]!;
      out[EDGE_COLUMN + 2 * i] = this.startSum[i]! / edgeFrames;
      out[EDGE_COLUMN + 2 * i + 1] = tailSum / edgeFrames;
    }
    out[PEAK_COLUMN] = this.frames > 0 ? this.peakDb : -120;
    out[PITCH_COLUMN] = this.pitchWeight > 0 ? this.pitchWeighted / this.pitchWeight : 0;
    out[PITCH_CONFIDENCE_COLUMN] = this.confidenceSum / frames;
    out[ATTACK_COLUMN] = this.peakFrame * hopSec;
    out[DURATION_COLUMN] = durationSec;
  }
}

/**
 * Summarises frames `[startFrame, endFrame)` held in `ring` into `out` (see `UnitAccumulator.write`).
 * @throws RangeError when a frame of the range is no longer held.
 */
export function summariseFrames(
  ring: FrameRing,
  startFrame: number,
  endFrame: number,
  accumulator: UnitAccumulator,
  out: Float32Array,
  hopSec: number,
  durationSec: number,
): void {
  accumulator.reset();
  const values = ring.values;
  for (let f = startFrame; f < Math.max(endFrame, startFrame + 1); f++) {
    if (f >= ring.frameEnd) break;
    accumulator.add(values, ring.offsetOf(f));
  }
  accumulator.write(out, hopSec, durationSec);
}

