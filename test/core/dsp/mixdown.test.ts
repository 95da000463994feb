import { describe, expect, it } from "vitest";
import { mixdownToMono } from "../../../src/core/dsp/mixdown.js";
import { ParameterError } from "../../../src/core/errors.js";

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
