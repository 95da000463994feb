import { describe, expect, it } from "vitest";
import { StftFramer } from "../../../src/core/dsp/framer.js";
import { ParameterError } from "../../../src/core/errors.js";
import { createSeededRandom as seededRandom } from "../../../src/core/select/seeded-random.js";


/** A ramp whose value at sample i is i + 1 (so zero padding is distinguishable). */
function ramp(length: number): Float32Array {
  const x = new Float32Array(length);
  for (let i = 0; i < length; i++) x[i] = i + 1;
  return x;
}

/** Runs the framer over `signal` in blocks of the given sizes (cycled), flushes, returns copies of all frames. */
function frameAll(signal: Float32Array, frameSize: number, hop: number, blockSizes: readonly number[]): Float32Array[] {
  const framer = new StftFramer(frameSize, hop);
  const frames: Float32Array[] = [];
  const indices: number[] = [];
  const onFrame = (frame: Float32Array, index: number): void => {
    frames.push(frame.slice());
    indices.push(index);
  };
  let offset = 0;
  let b = 0;
  while (offset < signal.length) {
    const size = Math.min(blockSizes[b++ % blockSizes.length]!, signal.length - offset);
    framer.push(signal.subarray(offset, offset + size), size, onFrame);
    offset += size;
  }
  framer.flush(onFrame);
  expect(indices).toEqual(frames.map((_, i) => i));
  expect(framer.samplesPushed).toBe(signal.length);
  return frames;
}

describe("StftFramer", () => {
  it("frame i holds samples [i*hop, i*hop + frameSize) and a known sample lands in the right frames", () => {
    const frameSize = 1024;
    const hop = 256;
    const frames = frameAll(ramp(5000), frameSize, hop, [5000]);
    for (let i = 0; i < frames.length; i++) {
      for (let j = 0; j < frameSize; j++) {
        const position = i * hop + j;
        expect(frames[i]![j]).toBe(position < 5000 ? position + 1 : 0);
      }
    }
    // sample 3000 lies in frames 8..11 (3000 = 8*256 + 952 = 11*256 + 184), at offsets 952, 696, 440, 184
    const spike = new Float32Array(5000);
    spike[3000] = 1;
    const spikeFrames = frameAll(spike, frameSize, hop, [5000]);
    const holding = spikeFrames.flatMap((frame, i) => (frame.indexOf(1) >= 0 ? [[i, frame.indexOf(1)]] : []));
    expect(holding).toEqual([
      [8, 952],
      [9, 696],
      [10, 440],
      [11, 184],
    ]);
  });

  it("flush zero-pads the tail so every sample lies in at least one frame, and no more frames", () => {
    // 5000 samples: complete frames 0..15 (15*256 + 1024 = 4864); frames 16 (to 5120) covers the rest
    const frames = frameAll(ramp(5000), 1024, 256, [5000]);
    expect(frames.length).toBe(17);
    const last = frames[16]!;
    expect(last[0]).toBe(16 * 256 + 1);
    expect(last[5000 - 16 * 256 - 1]).toBe(5000);
    expect(last[5000 - 16 * 256]).toBe(0);
    // a stream exactly covered by complete frames needs no padded frame
    expect(frameAll(ramp(4864), 1024, 256, [4864]).length).toBe(16);
    // a stream shorter than one frame gives one zero-padded frame; an empty stream none
    const short = frameAll(ramp(10), 1024, 256, [10]);
    expect(short.length).toBe(1);
    expect(short[0]![9]).toBe(10);
    expect(short[0]![10]).toBe(0);
    expect(frameAll(new Float32Array(0), 1024, 256, [1]).length).toBe(0);
  });

  it("random push sizes give exactly the frames of one push", () => {
    const random = seededRandom(42);
    const signal = new Float32Array(20_000);
    for (let i = 0; i < signal.length; i++) signal[i] = 2 * random() - 1;
    const reference = frameAll(signal, 1024, 256, [signal.length]);
    const blockSizes = Array.from({ length: 50 }, () => 1 + Math.floor(random() * 3000));
    expect(frameAll(signal, 1024, 256, blockSizes)).toEqual(reference);
    expect(frameAll(signal, 1024, 256, [1, 0, 7])).toEqual(reference);
  });

  it("supports hop == frame size (no overlap) and callbacks that write into the frame", () => {
    const framer = new StftFramer(4, 4);
    const seen: number[][] = [];
    framer.push(ramp(10), 10, (frame) => {
      seen.push(Array.from(frame));
      frame.fill(-1);
    });
    framer.flush((frame) => seen.push(Array.from(frame)));
    expect(seen).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
      [9, 10, 0, 0],
    ]);
  });

  it("reset starts a new stream at frame 0; push after flush is refused", () => {
    const framer = new StftFramer(4, 2);
    const noop = (): void => {};
    framer.push(ramp(6), 6, noop);
    framer.flush(noop);
    expect(() => framer.push(ramp(2), 2, noop)).toThrow(ParameterError);
    framer.reset();
    const indices: number[] = [];
    const first: number[] = [];
    framer.push(ramp(4), 4, (frame, index) => {
      indices.push(index);
      first.push(frame[0]!);
    });
    expect(indices).toEqual([0]);
    expect(first).toEqual([1]);
    expect(framer.samplesPushed).toBe(4);
  });

  it("rejects bad sizes and lengths", () => {
    expect(() => new StftFramer(0, 1)).toThrow(ParameterError);
    expect(() => new StftFramer(8, 9)).toThrow(ParameterError);
    expect(() => new StftFramer(8, 0)).toThrow(ParameterError);
    expect(() => new StftFramer(8, 2).push(new Float32Array(4), 5, () => {})).toThrow(ParameterError);
  });
});
