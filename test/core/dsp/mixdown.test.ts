import { describe, expect, it } from "vitest";
import { mixdownToMono } from "../../../src/core/dsp/mixdown.js";
import { ParameterError } from "../../../src/core/errors.js";
import { seededRandom } from "../../helpers/signals.js";

describe("mixdownToMono", () => {
  it("copies a single channel unchanged", () => {
    const a = new Float32Array([0.1, -0.2, 0.3, 0.4]);
    const out = new Float32Array(4);
    mixdownToMono([a], 4, out);
    expect(out).toEqual(a);
  });

  it("averages two channels: opposite signals cancel, identical signals keep their level", () => {
    const left = new Float32Array([1, 0.5, -1, 0.25]);
    const right = new Float32Array([-1, 0.5, 1, 0.75]);
    const out = new Float32Array(4);
    mixdownToMono([left, right], 4, out);
    expect(Array.from(out)).toEqual([0, 0.5, 0, 0.5]);
  });

  it("averages C channels and writes only frameCount samples", () => {
    const channels = [new Float32Array([3, 3, 3]), new Float32Array([0, 6, 9]), new Float32Array([0, 0, 3])];
    const out = new Float32Array([7, 7, 7]);
    mixdownToMono(channels, 2, out);
    expect(Array.from(out)).toEqual([1, 3, 7]);
  });

  it("mixes long stereo blocks exactly as fround(0.5 * (left + right)) in double precision, into its first channel too", () => {
    const random = seededRandom(4);
    // lengths around the kernel's block (16384) and not multiples of 4; extremes of range and subnormals
    for (const frames of [257, 4099, 16384, 16387, 40001]) {
      const left = Float32Array.from({ length: frames }, (_, i) => [3e38, -3e38, 1e-40, -0, 1][i % 5]! * random() + (i % 7) * 0.25);
      const right = Float32Array.from({ length: frames }, (_, i) => [3e38, 1e-39, -1e-40, 0, -1][i % 5]! * random() - (i % 3) * 0.5);
      const expected = Float32Array.from(left, (l, i) => 0.5 * (l + right[i]!));
      const out = new Float32Array(frames + 2).fill(9);
      mixdownToMono([left, right], frames, out);
      expect(out.subarray(0, frames).every((v, i) => Object.is(v, expected[i]))).toBe(true);
      expect(out[frames]).toBe(9);
      mixdownToMono([left, right], frames, left);
      expect(left.every((v, i) => Object.is(v, expected[i]))).toBe(true);
    }
  });

  it("may write into its first channel", () => {
    const left = new Float32Array([1, 2]);
    const right = new Float32Array([3, 4]);
    mixdownToMono([left, right], 2, left);
    expect(Array.from(left)).toEqual([2, 3]);
  });

  it("rejects no channels and buffers shorter than frameCount", () => {
    expect(() => mixdownToMono([], 0, new Float32Array(0))).toThrow(ParameterError);
    expect(() => mixdownToMono([new Float32Array(2)], 3, new Float32Array(3))).toThrow(ParameterError);
    expect(() => mixdownToMono([new Float32Array(3)], 3, new Float32Array(2))).toThrow(ParameterError);
  });
});
