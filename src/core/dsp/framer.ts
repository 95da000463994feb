/**
 * Streaming STFT framing without centring (meyda/aubio style, unlike librosa's `center=True`): frame `i`
 * covers samples `[i * hop, i * hop + frameSize)` of the stream, whatever the sizes of the pushed blocks.
 */

import { ParameterError } from "../errors.js";

/** Receives each frame; `frame` is a buffer reused for every frame (copy what you keep; writing to it is safe). */
export type FrameCallback = (frame: Float32Array, frameIndex: number) => void;

/**
 * Cuts a stream of samples into overlapping frames. The frame passed to the callback is a copy of the
 * internal state, so callbacks may window it in place. Allocation-free after construction.
 */
export class StftFramer {
  /** Frame length in samples. */
  readonly frameSizeSamples: number;
  /** Distance between frame starts in samples. */
  readonly hopSizeSamples: number;
  /** The samples of the next frame gathered so far (its first `filled` samples). */
  private readonly pending: Float32Array;
  /** The buffer handed to callbacks. */
  private readonly frame: Float32Array;
  private filled = 0;
  private nextFrameIndex = 0;
  private pushed = 0;
  private finished = false;

  /**
   * @param frameSizeSamples frame length (integer >= 1)
   * @param hopSizeSamples hop (integer, 1 <= hop <= frame size, so that frames cover every sample)
   * @throws ParameterError when the sizes are out of range
   */
  constructor(frameSizeSamples: number, hopSizeSamples: number) {
    if (!Number.isInteger(frameSizeSamples) || frameSizeSamples < 1) {
      throw new ParameterError(`frame size must be an integer >= 1 sample, got ${frameSizeSamples}`);
    }
    if (!Number.isInteger(hopSizeSamples) || hopSizeSamples < 1 || hopSizeSamples > frameSizeSamples) {
      throw new ParameterError(
        `hop size must be an integer between 1 and the frame size (${frameSizeSamples}), got ${hopSizeSamples}`,
      );
    }
    this.frameSizeSamples = frameSizeSamples;
    this.hopSizeSamples = hopSizeSamples;
    this.pending = new Float32Array(frameSizeSamples);
    this.frame = new Float32Array(frameSizeSamples);
  }

  /** Number of samples pushed since construction or the last `reset()`. */
  get samplesPushed(): number {
    return this.pushed;
  }

  /** Number of frames emitted so far. */
  get framesEmitted(): number {
    return this.nextFrameIndex;
  }

  /**
   * Appends `input[0 .. inputLength)` and calls `onFrame` for every frame completed by it, in order.
   * @param input samples to append
   * @param inputLength how many samples of `input` to take (0 .. input.length)
   * @param onFrame called with the reused frame buffer and the frame's index
   * @throws ParameterError when `inputLength` is out of range or the stream was flushed (call `reset()`)
   */
  push(input: Float32Array, inputLength: number, onFrame: FrameCallback): void {
    if (this.finished) throw new ParameterError("StftFramer.push after flush: call reset() to start a new stream");
    if (!Number.isInteger(inputLength) || inputLength < 0 || inputLength > input.length) {
      throw new ParameterError(`StftFramer.push: inputLength ${inputLength} is outside 0..${input.length}`);
    }
    const frameSize = this.frameSizeSamples;
    const pending = this.pending;
    let offset = 0;
    while (offset < inputLength) {
      const take = Math.min(inputLength - offset, frameSize - this.filled);
      copySamples(input, offset, pending, this.filled, take);
      this.filled += take;
      offset += take;
      if (this.filled === frameSize) this.emit(onFrame);
    }
    this.pushed += inputLength;
  }

  /**
   * End of stream: emits the remaining frames, zero-padded past the last sample, until every pushed sample
   * lies in at least one frame (frame `i` is emitted while `(i - 1) * hop + frameSize < samplesPushed`).
   * Nothing is emitted for an empty stream. Afterwards only `reset()` may be called.
   * @param onFrame called with the reused frame buffer and the frame's index
   */
  flush(onFrame: FrameCallback): void {
    if (this.finished) return;
    this.finished = true;
    const pushed = this.pushed;
    while (this.coveredSamples() < pushed) {
      this.pending.fill(0, this.filled);
      this.filled = this.frameSizeSamples;
      this.emit(onFrame);
    }
  }

  /** Forgets all state: the next `push` starts a new stream at frame 0. */
  reset(): void {
    this.filled = 0;
    this.nextFrameIndex = 0;
    this.pushed = 0;
    this.finished = false;
    this.pending.fill(0);
  }

  /** End (exclusive) of the samples covered by the frames emitted so far. */
  private coveredSamples(): number {
    return this.nextFrameIndex === 0 ? 0 : (this.nextFrameIndex - 1) * this.hopSizeSamples + this.frameSizeSamples;
  }

  private emit(onFrame: FrameCallback): void {
    const frameSize = this.frameSizeSamples;
    const hop = this.hopSizeSamples;
    this.frame.set(this.pending);
    const index = this.nextFrameIndex++;
    this.pending.copyWithin(0, hop, frameSize);
    this.filled = frameSize - hop;
    onFrame(this.frame, index);
  }
}

/**
 * `to[toOffset + i] = from[fromOffset + i]` for i < count. A function of its own, not a loop inside `push`:
 * V8 compiled `push` on-stack at this loop during the first frame, before `emit` had ever run, and that
 * code then bailed out at `emit` on every later stream (42 deoptimisations in a cold pass over the corpus).
 */
function copySamples(from: Float32Array, fromOffset: number, to: Float32Array, toOffset: number, count: number): void {
  for (let i = 0; i < count; i++) to[toOffset + i] = from[fromOffset + i]!;
}
