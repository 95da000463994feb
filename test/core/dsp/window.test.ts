import { describe, expect, it } from "vitest";
import meydaModule from "meyda";
import {
  applyWindow,
  blackmanWindow,
  hammingWindow,
  hannWindow,
  sineWindow,
} from "../../../src/core/dsp/window.js";
import { ParameterError } from "../../../src/core/errors.js";

/** meyda's d.ts declares an ES default export but ships CommonJS `module.exports = Meyda`. */
type MeydaApi = typeof meydaModule.default;
const Meyda: MeydaApi =
  (meydaModule as unknown as { default?: MeydaApi }).default ?? (meydaModule as unknown as MeydaApi);

/** Meyda applies its window to a buffer of ones -> the window itself. */
function meydaWindow(name: "hanning" | "hamming" | "blackman" | "sine", size: number): Float32Array {
  const ones = new Float32Array(size).fill(1);
  return Float32Array.from(Meyda.windowing(ones, name) as ArrayLike<number>);
}

describe("windows", () => {
  it.each([
    ["hanning", hannWindow],
    ["hamming", hammingWindow],
    ["blackman", blackmanWindow],
    ["sine", sineWindow],
  ] as const)("%s equals meyda's window bit for bit (sizes 16, 511, 1024)", (name, make) => {
    for (const size of [16, 511, 1024]) {
      expect(make(size)).toEqual(meydaWindow(name, size));
    }
  });

  it("hann is symmetric, zero at both ends and 1 at the centre of an odd length", () => {
    const w = hannWindow(513);
    expect(w[0]).toBe(0);
    expect(w[512]).toBeCloseTo(0, 7);
    expect(w[256]).toBe(1);
    for (let i = 0; i < 513; i++) expect(w[i]).toBeCloseTo(w[512 - i]!, 6);
  });

  it("applyWindow multiplies sample by sample, in place too", () => {
    const w = hannWindow(8);
    const x = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]);
    const out = new Float32Array(8);
    applyWindow(x, w, out);
    for (let i = 0; i < 8; i++) expect(out[i]).toBe(Math.fround(x[i]! * w[i]!));
    applyWindow(x, w, x);
    expect(x).toEqual(out);
  });

  it("rejects sizes below 2 and short buffers", () => {
    expect(() => hannWindow(1)).toThrow(ParameterError);
    expect(() => hannWindow(10.5)).toThrow(ParameterError);
    expect(() => applyWindow(new Float32Array(4), hannWindow(8), new Float32Array(8))).toThrow(ParameterError);
  });
});
