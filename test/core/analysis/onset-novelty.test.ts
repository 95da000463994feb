import { describe, expect, it } from "vitest";
import { seededRandom } from "../../helpers/signals.js";
import {
  DEFAULT_SUPERFLUX_OPTIONS,
  SuperFluxNovelty,
  onsetFrameToSample,
  superFluxDiffFrames,
} from "../../../src/core/analysis/onset-novelty.js";
import { ParameterError } from "../../../src/core/errors.js";

const RATE_HZ = 22050;
const FRAME = 1024;
const HOP = 256;
const BINS = FRAME / 2;

function flat(value: number): Float32Array {
  return new Float32Array(BINS).fill(value);
}

describe("SuperFluxNovelty", () => {
  it("gives zero novelty for silence", () => {
    const novelty = new SuperFluxNovelty(RATE_HZ, FRAME, HOP);
    for (let i = 0; i < 20; i++) expect(novelty.process(flat(0))).toBe(0);
  });

  it("sums log10(lambda * A + 1) over all bands when a flat spectrum of amplitude A follows silence", () => {
    const novelty = new SuperFluxNovelty(RATE_HZ, FRAME, HOP);
    novelty.process(flat(0));
    const amplitude = 3;
    const expected = novelty.bandCount * Math.log10(DEFAULT_SUPERFLUX_OPTIONS.logMultiplier * amplitude + 1);
    expect(novelty.process(flat(amplitude))).toBeCloseTo(expected, 2);
    // The filters have unit area, so a flat spectrum gives the same value in every band: no change, no novelty.
    expect(novelty.process(flat(amplitude))).toBeCloseTo(0, 4);
  });

  it("ignores decreases (half-wave rectification)", () => {
    const novelty = new SuperFluxNovelty(RATE_HZ, FRAME, HOP);
    novelty.process(flat(10));
    expect(novelty.process(flat(1))).toBe(0);
    expect(novelty.process(flat(0))).toBe(0);
  });

  it("suppresses a partial that moves by one band (vibrato), unlike plain spectral flux", () => {
    // Around 200 Hz the 24-per-octave bands are one FFT bin wide, so moving a partial by one bin moves it by
    // one band: the 3-band maximum filter of the previous frame still covers it.
    const run = (maxFilterBands: number): number => {
      const novelty = new SuperFluxNovelty(RATE_HZ, FRAME, HOP, { maxFilterBands });
      const before = flat(0);
      before[10] = 100;
      const after = flat(0);
      after[11] = 100;
      novelty.process(before);
      return novelty.process(after);
    };
    expect(run(3)).toBeLessThan(1e-6);
    expect(run(1)).toBeGreaterThan(2);
  });

  it("compares with the frame mu frames back (mu = 1 at 1024/256, 2 at 2048/220 like the paper)", () => {
    expect(superFluxDiffFrames(1024, 256)).toBe(1);
    expect(superFluxDiffFrames(2048, 220)).toBe(2);
    expect(superFluxDiffFrames(2048, 441)).toBe(1);
    const novelty = new SuperFluxNovelty(RATE_HZ, FRAME, HOP, { diffFrames: 2 });
    expect(novelty.diffFrames).toBe(2);
    novelty.process(flat(0));
    novelty.process(flat(0));
    const first = novelty.process(flat(5));
    // Frame 3 is compared with frame 1 (silence), so the step is seen twice.
    expect(novelty.process(flat(5))).toBeCloseTo(first, 4);
    expect(novelty.process(flat(5))).toBeCloseTo(0, 4);
  });

  it("starts over after reset", () => {
    const novelty = new SuperFluxNovelty(RATE_HZ, FRAME, HOP);
    const first = novelty.process(flat(2));
    novelty.process(flat(7));
    novelty.reset();
    expect(novelty.process(flat(2))).toBe(first);
  });

  it("rejects bad sizes and options with ParameterError", () => {
    expect(() => new SuperFluxNovelty(0, FRAME, HOP)).toThrow(ParameterError);
    expect(() => new SuperFluxNovelty(RATE_HZ, 1000.5, HOP)).toThrow(ParameterError);
    expect(() => new SuperFluxNovelty(RATE_HZ, FRAME, 0)).toThrow(ParameterError);
    expect(() => new SuperFluxNovelty(RATE_HZ, FRAME, HOP, { maxFilterBands: 2 })).toThrow(ParameterError);
    expect(() => new SuperFluxNovelty(RATE_HZ, FRAME, HOP, { minFrequencyHz: 5000, maxFrequencyHz: 5001 })).toThrow(
      ParameterError,
    );
  });
});

/** The SuperFlux novelty written plainly (madmom's steps, one loop each), for bit-exact comparison. */
function referenceNovelty(frames: Float32Array[], maxFilterBands: number): number[] {
  const probe = new SuperFluxNovelty(22050, 1024, 256, { maxFilterBands });
  const internals = probe as unknown as { starts: Int32Array; lengths: Int32Array; offsets: Int32Array; weights: Float32Array };
  const bands = probe.bandCount;
  const half = (maxFilterBands - 1) / 2;
  let previous = new Float32Array(bands);
  const out: number[] = [];
  for (const amplitude of frames) {
    const current = new Float32Array(bands);
    for (let b = 0; b < bands; b++) {
      let sum = 0;
      for (let i = 0; i < internals.lengths[b]!; i++) sum += internals.weights[internals.offsets[b]! + i]! * amplitude[internals.starts[b]! + i]!;
      current[b] = Math.log10(30 * sum + 1);
    }
    let novelty = 0;
    for (let b = 0; b < bands; b++) {
      const diff = current[b]! - previous[b]!;
      if (diff > 0) novelty += diff;
    }
    const filtered = new Float32Array(bands);
    for (let b = 0; b < bands; b++) {
      let max = -Infinity;
      for (let k = Math.max(0, b - half); k <= Math.min(bands - 1, b + half); k++) max = Math.max(max, current[k]!);
      filtered[b] = max;
    }
    previous = filtered;
    out.push(novelty);
  }
  return out;
}

describe("SuperFluxNovelty, optimised loops", () => {
  it("equals the plain algorithm bit for bit (3-band and 5-band maximum filters, seeded spectra with silence)", () => {
    const random = seededRandom(21);
    const frames = Array.from({ length: 40 }, (_, f) =>
      Float32Array.from({ length: 512 }, (_, k) => (f % 7 === 3 ? 0 : (100 * random() * random()) / (1 + k / 20))),
    );
    for (const maxFilterBands of [3, 5]) {
      const novelty = new SuperFluxNovelty(22050, 1024, 256, { maxFilterBands });
      const actual = frames.map((amplitude) => novelty.process(amplitude));
      expect(actual).toEqual(referenceNovelty(frames, maxFilterBands));
    }
  });
});

describe("onsetFrameToSample", () => {
  it("places the attack at a fixed offset inside the frame, 0.7 frame (717 samples) at 1024/256", () => {
    expect(onsetFrameToSample(0, HOP, FRAME)).toBe(717);
    expect(onsetFrameToSample(10, HOP, FRAME)).toBe(10 * HOP + 717);
  });
});
