import { describe, expect, it } from "vitest";
import { LogMelFramer } from "../../../src/core/dsp/log-mel-framer.js";
import { LogMelPatchBuilder, WaveformPatchBuilder, type LogMelPatchConfig } from "../../../src/core/dsp/model-patches.js";
import { CONTRACT_FRONT_END } from "../../helpers/contract-front-end.js";
import { seededRandom } from "../../helpers/signals.js";

const CONFIG: LogMelPatchConfig = {
  ...CONTRACT_FRONT_END,
  patchFrames: 32,
  patchHopFrames: 16,
  layout: "B1MT",
  normalise: { kind: "global", mean: -8, std: 4 },
};

function noise(length: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length }, () => 0.5 * (2 * random() - 1));
}

describe("patch counts (CONTRACTS A: starts every hop before the unit end, at least one, at most maxPatches)", () => {
  const builder = new LogMelPatchBuilder(CONFIG);
  it("counts patches starting before the end", () => {
    expect(builder.patchHopSamples).toBe(4096);
    expect(builder.patchCount(1, 4096, 8)).toBe(1);
    expect(builder.patchCount(4096, 4096, 8)).toBe(1);
    expect(builder.patchCount(4097, 4096, 8)).toBe(2);
    expect(builder.patchCount(22050, 4096, 8)).toBe(6);
    expect(builder.patchCount(10 * 22050, 4096, 8)).toBe(8);
  });

  it("rejects a hop that is not a multiple of the STFT hop", () => {
    expect(() => builder.patchCount(1000, 1000, 8)).toThrow(/multiple of 256/);
  });
});

describe("LogMelPatchBuilder", () => {
  const signal = noise(30000, 3);

  it("B1MT patch p holds frames p*16 .. p*16+31 band-major, normalised (x - mean) / std", () => {
    const builder = new LogMelPatchBuilder(CONFIG);
    const framer = new LogMelFramer(CONFIG);
    const frames = new Float32Array(48 * 64);
    framer.computeFrames(signal, 0, signal.length, 0, 48, frames);
    const out = new Float32Array(3 * builder.patchValues);
    builder.writePatches(signal, 0, signal.length, 4096, 0, 2, out, 1);
    expect(out.subarray(0, builder.patchValues).every((v) => v === 0)).toBe(true); // slot 0 untouched
    for (const p of [0, 1]) {
      for (const [m, t] of [
        [0, 0],
        [5, 31],
        [63, 17],
      ] as const) {
        const expected = (frames[(p * 16 + t) * 64 + m]! + 8) / 4;
        expect(out[(1 + p) * 2048 + m * 32 + t]).toBeCloseTo(expected, 5);
      }
    }
  });

  it("BTM1 holds the same values frame-major; tensor shapes follow the layout", () => {
    const a = new LogMelPatchBuilder(CONFIG);
    const b = new LogMelPatchBuilder({ ...CONFIG, layout: "BTM1" });
    expect(a.tensorShape(5)).toEqual([5, 1, 64, 32]);
    expect(b.tensorShape(5)).toEqual([5, 32, 64, 1]);
    expect(new LogMelPatchBuilder({ ...CONFIG, layout: "BMT" }).tensorShape(2)).toEqual([2, 64, 32]);
    expect(new LogMelPatchBuilder({ ...CONFIG, layout: "B1TM" }).tensorShape(2)).toEqual([2, 1, 32, 64]);
    const outA = new Float32Array(2048);
    const outB = new Float32Array(2048);
    a.writePatches(signal, 100, 20000, 4096, 1, 1, outA, 0);
    b.writePatches(signal, 100, 20000, 4096, 1, 1, outB, 0);
    for (let m = 0; m < 64; m++) for (let t = 0; t < 32; t++) expect(outB[t * 64 + m]).toBe(outA[m * 32 + t]);
  });

  it("a unit shorter than a patch is padded with normalised silence after its last frame", () => {
    const builder = new LogMelPatchBuilder(CONFIG);
    const out = new Float32Array(2048);
    builder.writePatches(signal, 1000, 1000 + 2048, 4096, 0, 1, out, 0); // frames 0..4 touch the unit
    const silence = (Math.log(1e-6) + 8) / 4;
    for (let m = 0; m < 64; m++) {
      expect(out[m * 32 + 4]).not.toBeCloseTo(silence, 3); // frame 4 starts at 1024 < 2048
      for (let t = 8; t < 32; t++) expect(out[m * 32 + t]).toBeCloseTo(silence, 5); // frame 8 starts at 2048
    }
  });

  it("patches computed one at a time equal patches computed together (shared frames)", () => {
    const builder = new LogMelPatchBuilder(CONFIG);
    const together = new Float32Array(4 * 2048);
    builder.writePatches(signal, 0, signal.length, 4096, 0, 4, together, 0);
    const single = new Float32Array(2048);
    for (let p = 0; p < 4; p++) {
      builder.writePatches(signal, 0, signal.length, 4096, p, 1, single, 0);
      expect(Array.from(single)).toEqual(Array.from(together.subarray(p * 2048, (p + 1) * 2048)));
    }
    // a hop longer than a patch (no shared frames) also works
    const sparse = new Float32Array(2 * 2048);
    builder.writePatches(signal, 0, signal.length, 32 * 256 * 2, 0, 2, sparse, 0);
    builder.writePatches(signal, 0, signal.length, 32 * 256, 2, 1, single, 0);
    expect(Array.from(sparse.subarray(2048))).toEqual(Array.from(single));
  });

  it("per-band normalisation uses each band's mean and std", () => {
    const mean = Array.from({ length: 64 }, (_, m) => -m / 10);
    const std = Array.from({ length: 64 }, (_, m) => 1 + m / 100);
    const global = new LogMelPatchBuilder({ ...CONFIG, normalise: { kind: "none" } });
    const perBand = new LogMelPatchBuilder({ ...CONFIG, normalise: { kind: "per-band", mean, std } });
    const raw = new Float32Array(2048);
    const out = new Float32Array(2048);
    global.writePatches(signal, 0, signal.length, 4096, 0, 1, raw, 0);
    perBand.writePatches(signal, 0, signal.length, 4096, 0, 1, out, 0);
    for (const m of [0, 31, 63]) expect(out[m * 32 + 7]).toBeCloseTo((raw[m * 32 + 7]! - mean[m]!) / std[m]!, 5);
    expect(() => new LogMelPatchBuilder({ ...CONFIG, normalise: { kind: "per-band", mean: [0], std: [1] } })).toThrow(/64 means/);
  });

  it("dB with ref max and topDb: the patch maximum becomes 0 dB and nothing is below -topDb", () => {
    const builder = new LogMelPatchBuilder({ ...CONFIG, log: { kind: "db", offset: 1e-10, ref: "max", topDb: 80 }, normalise: { kind: "none" } });
    const out = new Float32Array(2048);
    const quiet = new Float32Array(8192);
    quiet.set(signal.subarray(0, 2000)); // then silence: -100 dB before the floor
    builder.writePatches(quiet, 0, quiet.length, 4096, 0, 1, out, 0);
    expect(Math.max(...out)).toBe(0);
    expect(Math.min(...out)).toBeCloseTo(-80, 4);
  });

  it("writeSilence fills a slot with the normalised silence value", () => {
    const builder = new LogMelPatchBuilder(CONFIG);
    const out = new Float32Array(2 * 2048);
    builder.writeSilence(out, 1);
    expect(out[0]).toBe(0);
    expect(out[2048]).toBeCloseTo((Math.log(1e-6) + 8) / 4, 5);
    expect(out[4095]).toBeCloseTo((Math.log(1e-6) + 8) / 4, 5);
  });
});

describe("WaveformPatchBuilder", () => {
  it("copies patch samples from the unit start every hop, zero beyond the unit end", () => {
    const builder = new WaveformPatchBuilder({ patchSamples: 100, patchHopSamples: 50, layout: "B1T" });
    expect(builder.tensorShape(3)).toEqual([3, 1, 100]);
    const signal = Float32Array.from({ length: 1000 }, (_, i) => i);
    expect(builder.patchCount(120, 50, 8)).toBe(3);
    const out = new Float32Array(3 * 100);
    builder.writePatches(signal, 200, 320, 50, 0, 3, out, 0);
    expect(out[0]).toBe(200);
    expect(out[99]).toBe(299);
    expect(out[100]).toBe(250);
    expect(out[169]).toBe(319);
    expect(out[170]).toBe(0); // sample 320 is past the unit
    expect(out[200]).toBe(300);
    expect(out[219]).toBe(319);
    expect(out.subarray(220).every((v) => v === 0)).toBe(true);
  });

  it("reads zeros past the end of the signal", () => {
    const builder = new WaveformPatchBuilder({ patchSamples: 8, patchHopSamples: 8, layout: "BT" });
    const out = new Float32Array(8).fill(9);
    builder.writePatches(new Float32Array([1, 2, 3]), 0, 100, 8, 0, 1, out, 0);
    expect(Array.from(out)).toEqual([1, 2, 3, 0, 0, 0, 0, 0]);
  });
});
