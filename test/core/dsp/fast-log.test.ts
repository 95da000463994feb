import { describe, expect, it } from "vitest";
import { Float32LogBatch } from "../../../src/core/dsp/fast-log.js";
import { seededRandom } from "../../helpers/signals.js";

/** Arguments spread over every regime: near 1 from both sides, the full double range, log-compression inputs. */
function argumentsOf(count: number, seed: number): Float64Array {
  const random = seededRandom(seed);
  const values = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const r = random();
    switch (i % 5) {
      case 0:
        values[i] = 1 + r * Math.pow(10, -16 + 20 * random());
        break;
      case 1:
        values[i] = 1 - r * Math.pow(10, -16 + 16 * random());
        break;
      case 2:
        values[i] = Math.pow(10, 600 * (r - 0.5));
        break;
      case 3:
        values[i] = r * 2;
        break;
      default:
        values[i] = 1 + 3000 * r * random();
    }
  }
  return values;
}

describe.each([
  ["WebAssembly", true],
  ["JavaScript", false],
])("Float32LogBatch (%s loop)", (_, wasm) => {
  it("takes the loop it was asked for", () => {
    expect(new Float32LogBatch(4, { wasm }).accelerated).toBe(wasm);
  });

  it("gives exactly Math.fround(Math.log10(x)) and Math.fround(Math.log(x)) on 400,000 seeded arguments", () => {
    const batch = new Float32LogBatch(100_000, { wasm });
    const out = new Float32Array(100_000);
    let mismatches = 0;
    for (let round = 0; round < 4; round++) {
      batch.args.set(argumentsOf(100_000, round + 1));
      const decimal = round % 2 === 0;
      if (decimal) batch.log10(100_000, out);
      else batch.ln(100_000, out);
      for (let i = 0; i < 100_000; i++) {
        const x = batch.args[i]!;
        if (!Object.is(out[i], Math.fround(decimal ? Math.log10(x) : Math.log(x)))) mismatches++;
      }
    }
    expect(mismatches).toBe(0);
  });

  it("matches Math.log* on the special values: 0, -0, negatives, NaN, infinities, subnormals, 1 and its neighbours", () => {
    const specials = [0, -0, -1, Number.NaN, Infinity, -Infinity, 5e-324, 1e-310, 2.2250738585072014e-308, 1, 1 + 2 ** -52, 1 - 2 ** -53, 2, 0.5, 10, 1e-3, Number.MAX_VALUE];
    const batch = new Float32LogBatch(specials.length, { wasm });
    const out = new Float32Array(specials.length + 3);
    batch.args.set(specials);
    batch.log10(specials.length, out, 3);
    specials.forEach((x, i) => expect(Object.is(out[3 + i], Math.fround(Math.log10(x))), `log10(${x})`).toBe(true));
    batch.ln(specials.length, out, 3);
    specials.forEach((x, i) => expect(Object.is(out[3 + i], Math.fround(Math.log(x))), `ln(${x})`).toBe(true));
  });
});
