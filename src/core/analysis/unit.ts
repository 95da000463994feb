/**
 * A unit: one short segment of one audio file (an onset-to-onset slice, a grid cell, or the whole file),
 * addressed in the file's own sample frames, with its descriptor vector in `DESCRIPTOR_SCHEMA` order.
 */

export type SegmentMode = "onset" | "grid" | "whole";

export interface Unit {
  /** Position of the unit within its file, 0-based, in time order. */
  readonly index: number;
  /** First sample frame of the unit, in the file's own sample rate. */
  readonly startFrame: number;
  /** One past the last sample frame, in the file's own sample rate. */
  readonly endFrame: number;
  /** `startFrame` in seconds. */
  readonly startSec: number;
  /** `endFrame` in seconds. */
  readonly endSec: number;
  /** True when the unit is below the silence gate (kept only when asked for). */
  readonly silent: boolean;
  /** Descriptor vector, `DESCRIPTOR_COUNT` values in `DESCRIPTOR_COLUMNS` order. */
  readonly vector: Float32Array;
}
