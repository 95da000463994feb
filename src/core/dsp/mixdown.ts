/**
 * Multichannel -> mono mixdown, the first step of the analysis front end. Stereo blocks go through a
 * WebAssembly SIMD kernel (`mixdown-simd.ts`, the same values) where available.
 */

import { ParameterError } from "../errors.js";
import { createStereoMixKernel, type StereoMixKernel } from "./mixdown-simd.js";

/** Stereo mixes shorter than this stay in JavaScript (copying in and out costs more than it saves): 256 frames. */
const MIN_KERNEL_FRAMES = 256;
/** Frames the stereo kernel mixes per call: 16384 (its memory: 3 x 64 KiB). */
const KERNEL_BLOCK_FRAMES = 16384;
/** This thread's stereo kernel: undefined until first needed, null without WebAssembly SIMD. */
let kernelOfThread: StereoMixKernel | null | undefined;

function stereoKernel(): StereoMixKernel | null {
  if (kernelOfThread === undefined) kernelOfThread = createStereoMixKernel(KERNEL_BLOCK_FRAMES);
  return kernelOfThread;
}

/**
 * `out[i] = (1/C) * sum_c channels[c][i]` for `i < frameCount`: the mean of the channels, so a signal
 * identical in every channel keeps its level. One channel is copied unchanged. Allocation-free.
 * @param channels C >= 1 planar channels, each at least `frameCount` samples
 * @param frameCount number of sample frames to mix (integer >= 0)
 * @param out receives `frameCount` mono samples; may alias `channels[0]`
 * @throws ParameterError when there are no channels, or a channel or `out` is shorter than `frameCount`
 */
export function mixdownToMono(channels: readonly Float32Array[], frameCount: number, out: Float32Array): void {
  const channelCount = channels.length;
  if (channelCount === 0) throw new ParameterError("mixdownToMono: at least one channel is required");
  if (!Number.isInteger(frameCount) || frameCount < 0) {
    throw new ParameterError(`mixdownToMono: frameCount must be an integer >= 0, got ${frameCount}`);
  }
  if (out.length < frameCount) {
    throw new ParameterError(`mixdownToMono: out holds ${out.length} samples, ${frameCount} needed`);
  }
  for (let c = 0; c < channelCount; c++) {
    if (channels[c]!.length < frameCount) {
      throw new ParameterError(
        `mixdownToMono: channel ${c} holds ${channels[c]!.length} samples, ${frameCount} needed`,
      );
    }
  }
  const first = channels[0]!;
  if (channelCount === 1) {
    if (out !== first) out.set(first.subarray(0, frameCount));
    return;
  }
  if (channelCount === 2) {
    const second = channels[1]!;
    let done = 0;
    const kernel = frameCount >= MIN_KERNEL_FRAMES ? stereoKernel() : null;
    if (kernel !== null) {
      // blocks through WebAssembly (the same values), the last < 4 samples below
      while (frameCount - done >= 4) {
        const count = Math.min(kernel.capacity, (frameCount - done) & ~3);
        kernel.left.set(first.subarray(done, done + count));
        kernel.right.set(second.subarray(done, done + count));
        kernel.run(count);
        out.set(count === kernel.capacity ? kernel.out : kernel.out.subarray(0, count), done);
        done += count;
      }
    }
    for (let i = done; i < frameCount; i++) out[i] = 0.5 * (first[i]! + second[i]!);
    return;
  }
  const scale = 1 / channelCount;
  for (let i = 0; i < frameCount; i++) {
    let sum = 0;
    for (let c = 0; c < channelCount; c++) sum += channels[c]![i]!;
    out[i] = sum * scale;
  }
}
