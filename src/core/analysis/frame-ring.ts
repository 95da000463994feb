/**
 * A growable ring of per-frame feature rows, addressed by absolute frame index. The streaming analyser
 * appends one row per STFT frame and drops rows the segmenter no longer needs, so memory is bounded by
 * the longest open unit, not by the file.
 */
import { FRAME_FEATURE_COUNT } from "./frame-features.js";

export class FrameRing {
  private data: Float32Array;
  private capacityFrames: number;
  private firstFrame = 0;
  private endFrame = 0;

  /** @param initialCapacityFrames rows to allocate up front (grows by doubling when needed). */
  constructor(initialCapacityFrames = 1024) {
    this.capacityFrames = Math.max(16, initialCapacityFrames);
    this.data = new Float32Array(this.capacityFrames * FRAME_FEATURE_COUNT);
  }

  /** Oldest frame still held. */
  get oldestFrame(): number {
    return this.firstFrame;
  }

  /** One past the newest frame held. */
  get frameEnd(): number {
    return this.endFrame;
  }

  /** Rows currently allocated (for memory accounting). */
  get capacity(): number {
    return this.capacityFrames;
  }

  /**
   * Reserves the row of the next frame and returns the offset of its first value in `values`.
   * The row must be filled by the caller before the next `append`.
   */
  append(): number {
    if (this.endFrame - this.firstFrame >= this.capacityFrames) this.grow();
    const slot = this.endFrame % this.capacityFrames;
    this.endFrame++;
    return slot * FRAME_FEATURE_COUNT;
  }

  /** The backing array; row offsets come from `append` and `offsetOf`. */
  get values(): Float32Array {
    return this.data;
  }

  /**
   * Offset of frame `frameIndex`'s row in `values`.
   * @throws RangeError when the frame was dropped or not yet appended.
   */
  offsetOf(frameIndex: number): number {
    if (frameIndex < this.firstFrame || frameIndex >= this.endFrame) {
      throw new RangeError(`frame ${frameIndex} is not held (held: ${this.firstFrame}..${this.endFrame - 1})`);
    }
    return (frameIndex % this.capacityFrames) * FRAME_FEATURE_COUNT;
  }

  /** Forgets every frame before `frameIndex`. */
  dropBefore(frameIndex: number): void {
    if (frameIndex > this.firstFrame) this.firstFrame = Math.min(frameIndex, this.endFrame);
  }

  /** Forgets everything (new stream). */
  reset(): void {
    this.firstFrame = 0;
    this.endFrame = 0;
  }

  private grow(): void {
    const oldCapacity = this.capacityFrames;
    const newCapacity = oldCapacity * 2;
    const next = new Float32Array(newCapacity * FRAME_FEATURE_COUNT);
    for (let f = this.firstFrame; f < this.endFrame; f++) {
      const from = (f % oldCapacity) * FRAME_FEATURE_COUNT;
      const to = (f % newCapacity) * FRAME_FEATURE_COUNT;
      next.set(this.data.subarray(from, from + FRAME_FEATURE_COUNT), to);
    }
    this.data = next;
    this.capacityFrames = newCapacity;
  }
}
