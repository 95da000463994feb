/** Argument checks shared by every reader (block size, frame ranges). */

import { ParameterError } from "../core/errors.js";

/** Default frames per block for `blocks()`: 65536 frames (~1.5 s at 44.1 kHz). */
export const DEFAULT_BLOCK_FRAMES = 65536;
/** Largest block `blocks()` accepts: 2^24 frames (~6 min at 44.1 kHz; 64 MiB per channel of Float32). */
export const MAX_BLOCK_FRAMES = 1 << 24;

/** @throws ParameterError unless `blockFrames` is an integer in 1..MAX_BLOCK_FRAMES. */
export function checkBlockFrames(blockFrames: number): number {
  if (!Number.isInteger(blockFrames) || blockFrames < 1 || blockFrames > MAX_BLOCK_FRAMES) {
    throw new ParameterError(`blockFrames must be an integer in 1..${MAX_BLOCK_FRAMES}, got ${blockFrames}`);
  }
  return blockFrames;
}

/** @throws ParameterError unless 0 <= startFrame <= endFrame, both safe integers. */
export function checkFrameRange(startFrame: number, endFrame: number): void {
  if (!Number.isSafeInteger(startFrame) || !Number.isSafeInteger(endFrame) || startFrame < 0 || endFrame < startFrame) {
    throw new ParameterError(`frame range must satisfy 0 <= startFrame <= endFrame (integers), got [${startFrame}, ${endFrame})`);
  }
}

/** `count` zero-filled channels of `frames` samples. */
export function allocateChannels(count: number, frames: number): Float32Array[] {
  const channels: Float32Array[] = [];
  for (let c = 0; c < count; c++) channels.push(new Float32Array(frames));
  return channels;
}
