import { describe, expect, it } from "vitest";
import { createStandaloneSpectrumKernels } from "../../../src/core/dsp/spectrum-simd.js";
import { seededRandom } from "../../helpers/signals.js";

describe("spectrum SIMD kernels", () => {
  const made = createStandaloneSpectrumKernels(1 << 20);

  it("assemble and validate on this runtime", () => {
    expect(made).not.toBeNull();
  });

  it("window by float32 and float64 windows and take magnitudes bit-identically to the JavaScript expressions", () => {
    const { memory, kernels } = made!;
    const f32 = new Float32Array(memory.buffer);
    const f64 = new Float64Array(memory.buffer);
    const n = 1024;
    // float32 indices: src 0, float32 window 4096, output 32768; float64 window at float64 index 8192
    const [window32, window64, output] = [4096, 8192, 32768];
    const random = seededRandom(11);
    let mismatches = 0;
    for (let trial = 0; trial < 20; trial++) {
      for (let i = 0; i < n; i++) {
        f32[i] = (random() - 0.5) * Math.pow(2, Math.floor(40 * random() - 20));
        f32[window32 + i] = random();
        f64[window64 + i] = random();
      }
      kernels.window32(0, 4 * window32, 4 * output, n);
      for (let i = 0; i < n; i++) if (f32[output + i] !== Math.fround(f32[i]! * f32[window32 + i]!)) mismatches++;
      kernels.window64(0, 8 * window64, 4 * output, n);
      for (let i = 0; i < n; i++) if (f32[output + i] !== Math.fround(f32[i]! * f64[window64 + i]!)) mismatches++;
      kernels.magnitude(0, 4 * output, n / 2);
      for (let k = 0; k < n / 2; k++) {
        const re = f32[2 * k]!;
        const im = f32[2 * k + 1]!;
        if (f32[output + k] !== Math.fround(Math.sqrt(re * re + im * im))) mismatches++;
      }
    }
    expect(mismatches).toBe(0);
  });
});
