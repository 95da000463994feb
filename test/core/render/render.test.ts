import { describe, expect, it } from "vitest";
import { fitToSlot } from "../../../src/core/render/fit.js";
import { overlapAdd, type Placement } from "../../../src/core/render/overlap-add.js";
import { DEFAULT_PEAK_CEILING, makePeakSafe, PeakSafety } from "../../../src/core/render/peak-limit.js";
import { renderSequence, SequenceRenderer, type RenderUnit } from "../../../src/core/render/render-sequence.js";
import { varispeed } from "../../../src/core/render/varispeed.js";
import { wsolaStretch } from "../../../src/core/render/wsola.js";
import { createSeededRandom } from "../../../src/core/select/seeded-random.js";

const RATE = 44100;

function sine(freqHz: number, frames: number, amplitude = 0.5, phase = 0): Float32Array {
  return Float32Array.from({ length: frames }, (_, n) => amplitude * Math.sin(phase + (2 * Math.PI * freqHz * n) / RATE));
}

/** Frequency from positive-going zero crossings over the middle half. */
function frequencyOf(data: Float32Array): number {
  const from = Math.floor(data.length / 4);
  const to = Math.floor((3 * data.length) / 4);
  const crossings: number[] = [];
  for (let n = from + 1; n < to; n++) if (data[n - 1]! < 0 && data[n]! >= 0) crossings.push(n - data[n]! / (data[n]! - data[n - 1]!));
  return ((crossings.length - 1) * RATE) / (crossings[crossings.length - 1]! - crossings[0]!);
}

function rms(data: Float32Array, from = 0, to = data.length): number {
  let s = 0;
  for (let n = from; n < to; n++) s += data[n]! ** 2;
  return Math.sqrt(s / (to - from));
}

function maxJump(data: Float32Array): number {
  let m = 0;
  for (let n = 1; n < data.length; n++) m = Math.max(m, Math.abs(data[n]! - data[n - 1]!));
  return m;
}

describe("wsolaStretch", () => {
  it("stretches a sine to the exact length and keeps its pitch and level", () => {
    const input = sine(440, RATE / 2);
    for (const factor of [0.6, 1.5, 2.2]) {
      const frames = Math.round(input.length * factor);
      const [out] = wsolaStretch([input], frames, RATE);
      expect(out!.length).toBe(frames);
      expect(frequencyOf(out!)).toBeCloseTo(440, -0.5); // within +-1.6 Hz
      expect(Math.abs(frequencyOf(out!) - 440)).toBeLessThan(440 * 0.01);
      expect(rms(out!, Math.floor(frames / 4), Math.floor((3 * frames) / 4))).toBeCloseTo(0.5 / Math.SQRT2, 1);
    }
  });

  it("applies one alignment to every channel (stereo image kept)", () => {
    const left = sine(300, 20000);
    const right = sine(300, 20000, 0.25);
    const [l, r] = wsolaStretch([left, right], 30000, RATE);
    for (let n = 0; n < 30000; n += 97) expect(r![n]!).toBeCloseTo(l![n]! / 2, 5);
  });
});

describe("varispeed", () => {
  it("transposes an octave up: double frequency, half length", () => {
    const [out] = varispeed([sine(440, 44100)], 12);
    expect(out!.length).toBe(22050);
    expect(Math.abs(frequencyOf(out!) - 880)).toBeLessThan(2);
  });

  it("transposes seven semitones down", () => {
    const [out] = varispeed([sine(440, 44100)], -7);
    expect(Math.abs(frequencyOf(out!) - 440 * 2 ** (-7 / 12))).toBeLessThan(1);
  });
});

describe("fitToSlot", () => {
  const margin = 110;
  it("trim: a longer unit is cut to the slot (copy of its first frames)", () => {
    const source = sine(200, 5000 + 2 * margin);
    const fit = fitToSlot([source], margin, 3000, "trim", RATE);
    expect(fit.channels[0]!.length).toBe(3000 + 2 * margin);
    expect(Array.from(fit.channels[0]!)).toEqual(Array.from(source.subarray(0, 3000 + 2 * margin)));
  });

  it("trim: a shorter unit is padded with silence after a fade", () => {
    const source = sine(200, 1000 + 2 * margin);
    const [out] = fitToSlot([source], margin, 3000, "trim", RATE).channels;
    expect(rms(out!, 1000 + 2 * margin, out!.length)).toBe(0);
    expect(maxJump(out!)).toBeLessThan(0.05);
  });

  it("loop: a shorter unit repeats to fill the slot, without clicks", () => {
    const source = sine(200, 1000 + 2 * margin);
    const fit = fitToSlot([source], margin, 3500, "loop", RATE);
    expect(fit.repeats).toBe(4);
    const out = fit.channels[0]!;
    for (let from = margin; from + 500 <= 3500 + margin; from += 500) expect(rms(out, from, from + 500)).toBeGreaterThan(0.2);
    expect(maxJump(out)).toBeLessThan(0.06);
  });

  it("stretch: fills the slot at the source pitch", () => {
    const source = sine(440, 8000 + 2 * margin);
    const fit = fitToSlot([source], margin, 12000, "stretch", RATE);
    expect(fit.stretch).toBeCloseTo(1.5, 6);
    expect(fit.channels[0]!.length).toBe(12000 + 2 * margin);
    expect(Math.abs(frequencyOf(fit.channels[0]!) - 440)).toBeLessThan(5);
    expect(rms(fit.channels[0]!, margin + 1000, margin + 11000)).toBeGreaterThan(0.3);
  });

  it("stretch by less than 1 % is an exact copy", () => {
    const source = sine(440, 10000 + 2 * margin);
    const fit = fitToSlot([source], margin, 10050, "stretch", RATE);
    expect(fit.stretch).toBe(1);
    expect(fit.channels[0]!.subarray(0, 10000)).toEqual(source.subarray(0, 10000));
  });
});

describe("overlapAdd", () => {
  const margin = 110;
  it("continuous pieces of one recording sum back to the recording exactly (equal-gain joins)", () => {
    const random = createSeededRandom(7);
    const signal = Float32Array.from({ length: 20000 }, () => random() - 0.5);
    const bounds = [1000, 4000, 4500, 9000, 15000, 19000];
    const placements: Placement[] = [];
    for (let i = 0; i + 1 < bounds.length; i++) {
      const start = bounds[i]!;
      const frames = bounds[i + 1]! - start;
      placements.push({ slotStartFrame: start, slotFrames: frames, channels: [signal.slice(start - margin, start + frames + margin)], gain: 1, continuesPrevious: i > 0 });
    }
    const [out] = overlapAdd(placements, 20000, 1, margin);
    for (let n = 1000; n < 19000; n++) expect(Math.abs(out![n]! - signal[n]!)).toBeLessThan(1e-6);
  });

  it("joins unrelated sounds without a click: no sample-to-sample jump above the sounds' own", () => {
    const freqs = [220, 1000, 330, 700, 150];
    const slot = 3000;
    const placements: Placement[] = freqs.map((f, i) => ({
      slotStartFrame: i * slot,
      slotFrames: slot,
      channels: [sine(f, slot + 2 * margin, 0.8, i * 1.3)],
      gain: 1,
      continuesPrevious: false,
    }));
    const ownSlope = (2 * Math.PI * 1000 * 0.8) / RATE; // the steepest sine's largest step
    const [out] = overlapAdd(placements, freqs.length * slot, 1, margin);
    expect(maxJump(out!)).toBeLessThan(ownSlope * 1.1);
    const [hardCut] = overlapAdd(placements.map((p) => ({ ...p, channels: [p.channels[0]!.slice(margin, margin + slot)] })), freqs.length * slot, 1, 0);
    expect(maxJump(hardCut!)).toBeGreaterThan(ownSlope * 2); // the bound is meaningful
  });

  it("copies mono sources to every output channel", () => {
    const [l, r] = overlapAdd([{ slotStartFrame: 0, slotFrames: 100, channels: [new Float32Array(100).fill(0.5)], gain: 1, continuesPrevious: false }], 100, 2, 0);
    expect(Array.from(l!)).toEqual(Array.from(r!));
  });
});

describe("makePeakSafe", () => {
  it("limit: no sample above the ceiling, smooth gain, quiet parts untouched", () => {
    const data = sine(100, 44100, 0.5);
    for (let n = 20000; n < 22000; n++) data[n] = data[n]! * (1 + 3 * Math.sin((Math.PI * (n - 20000)) / 2000) ** 2); // smooth burst to 2.0
    const original = data.slice();
    makePeakSafe([data], "limit", 220);
    let peak = 0;
    for (const v of data) peak = Math.max(peak, Math.abs(v));
    expect(peak).toBeLessThanOrEqual(DEFAULT_PEAK_CEILING + 1e-6);
    for (let n = 0; n < 19000; n++) expect(data[n]).toBe(original[n]);
    expect(maxJump(data)).toBeLessThan(0.1);
  });

  it("limit equals the brute-force definition (min over +-L, then mean over +-L) on seeded bursts", () => {
    const random = createSeededRandom(21);
    const frames = 6000;
    const L = 40;
    const left = Float32Array.from({ length: frames }, () => (random() - 0.5) * 0.8);
    const right = Float32Array.from({ length: frames }, () => (random() - 0.5) * 0.8);
    for (const at of [100, 130, 3000, 5990]) left[at] = 1.5 + random();
    right[3100] = -2.5;
    const needed = Array.from({ length: frames }, (_, n) => {
      const a = Math.max(Math.abs(left[n]!), Math.abs(right[n]!));
      return a > DEFAULT_PEAK_CEILING ? DEFAULT_PEAK_CEILING / a : 1;
    });
    const minimum = needed.map((_, n) => Math.min(...needed.slice(Math.max(0, n - L), Math.min(frames, n + L + 1))));
    const gain = minimum.map((_, n) => {
      const window = minimum.slice(Math.max(0, n - L), Math.min(frames, n + L + 1));
      return Math.min(needed[n]!, window.reduce((a, b) => a + b, 0) / window.length);
    });
    const expectedLeft = left.map((v, n) => v * gain[n]!);
    makePeakSafe([left, right], "limit", L);
    for (let n = 0; n < frames; n++) expect(left[n]!).toBeCloseTo(expectedLeft[n]!, 5);
  });

  it("in small steps gives exactly the samples of one call, through long regions and both modes", () => {
    const random = createSeededRandom(8);
    const frames = 120_000;
    // A long loud passage (one limiter region of ~100k frames) plus isolated clicks.
    const make = (): Float32Array[] =>
      [0, 1].map(() => Float32Array.from({ length: frames }, (_, n) => (random() - 0.5) * (n > 9000 && n < 110_000 ? 2.4 : 0.6)));
    for (const mode of ["limit", "normalize"] as const) {
      const once = make();
      const stepped = once.map((data) => data.slice());
      const gain = makePeakSafe(once, mode, 220);
      const stage = new PeakSafety(stepped, mode, 220);
      let calls = 0;
      while (!stage.run(1000)) calls++;
      expect(calls).toBeGreaterThan(100);
      expect(stage.gain).toBe(gain);
      for (let c = 0; c < 2; c++) expect(Buffer.from(stepped[c]!.buffer).equals(Buffer.from(once[c]!.buffer))).toBe(true);
    }
  });

  it("normalize scales the whole signal; below the ceiling nothing changes", () => {
    const loud = [Float32Array.of(0.1, 2, -1)];
    expect(makePeakSafe(loud, "normalize", 1)).toBeCloseTo(DEFAULT_PEAK_CEILING / 2, 6);
    expect(loud[0]![1]).toBeCloseTo(DEFAULT_PEAK_CEILING, 6);
    const quiet = [Float32Array.of(0.1, 0.5)];
    expect(makePeakSafe(quiet, "limit", 1)).toBe(1);
    expect(Array.from(quiet[0]!)).toEqual([Math.fround(0.1), 0.5]);
  });
});

describe("renderSequence", () => {
  const margin = 110;
  const options = { sampleRateHz: RATE, channelCount: 1, marginFrames: margin, fit: "trim" as const, dynamics: 1, wet: 1, peak: "limit" as const };

  it("dynamics 1 matches each unit's level to the target unit's", () => {
    const target = [new Float32Array(8000)];
    target[0]!.set(sine(300, 4000, 0.1), 0);
    target[0]!.set(sine(300, 4000, 0.4), 4000);
    const units: RenderUnit[] = [0, 1].map((i) => ({ slotStartFrame: i * 4000, slotFrames: 4000, source: [sine(500, 4000 + 2 * margin, 0.8)], semitones: 0, continuesPrevious: false }));
    const result = renderSequence(target, units, options);
    expect(result.units[0]!.gainDb).toBeCloseTo(20 * Math.log10(0.1 / 0.8), 1);
    expect(rms(result.channels[0]!, 500, 3500)).toBeCloseTo(0.1 / Math.SQRT2, 2);
    expect(rms(result.channels[0]!, 4500, 7500)).toBeCloseTo(0.4 / Math.SQRT2, 2);
  });

  it("wet 0 returns the original; dynamics 0 keeps the source level", () => {
    const target = [sine(300, 4000, 0.3)];
    const units: RenderUnit[] = [{ slotStartFrame: 0, slotFrames: 4000, source: [sine(500, 4000 + 2 * margin, 0.6)], semitones: 0, continuesPrevious: false }];
    const dry = renderSequence(target, units, { ...options, wet: 0 });
    for (let n = 0; n < 4000; n++) expect(dry.channels[0]![n]).toBeCloseTo(target[0]![n]!, 6);
    const raw = renderSequence(target, units, { ...options, dynamics: 0 });
    expect(raw.units[0]!.gainDb).toBe(0);
    expect(rms(raw.channels[0]!, 500, 3500)).toBeCloseTo(0.6 / Math.SQRT2, 2);
  });

  it("unit by unit across silent slots equals one overlap-add of the placed units", () => {
    const random = createSeededRandom(4);
    const noise = (frames: number): Float32Array => Float32Array.from({ length: frames }, () => random() - 0.5);
    const target = [new Float32Array(12_000)];
    const slots: [number, number, boolean, boolean][] = [[0, 3000, true, false], [3000, 2000, false, false], [5000, 3000, true, false], [8000, 2500, true, true], [10_500, 1500, true, false]];
    const units: RenderUnit[] = slots.map(([start, frames, placed, continues]) => ({
      slotStartFrame: start,
      slotFrames: frames,
      source: placed ? [noise(frames + 2 * margin)] : null,
      semitones: 0,
      continuesPrevious: continues,
    }));
    const flat = { ...options, dynamics: 0, peak: "off" as const };
    const renderer = new SequenceRenderer(target, units, flat);
    let steps = 0;
    while (!renderer.done) {
      renderer.next();
      steps++;
    }
    const result = renderer.finish();
    expect(steps).toBe(units.length);
    expect(result.units.map((u) => u.gainDb)).toEqual([0, -Infinity, 0, 0, 0]);
    const placements: Placement[] = units
      .filter((u) => u.source)
      .map((u) => ({ slotStartFrame: u.slotStartFrame, slotFrames: u.slotFrames, channels: fitToSlot(u.source!, margin, u.slotFrames, "trim", RATE).channels, gain: 1, continuesPrevious: u.continuesPrevious }));
    const expected = overlapAdd(placements, 12_000, 1, margin);
    expect(Array.from(result.channels[0]!)).toEqual(Array.from(expected[0]!));
  });

  it("keeps stereo sources stereo and transposes on request", () => {
    const target = [sine(440, 8000, 0.3)];
    const source = [sine(440, 8000 + 2 * margin, 0.5), new Float32Array(8000 + 2 * margin)];
    const result = renderSequence(target, [{ slotStartFrame: 0, slotFrames: 8000, source, semitones: 12, continuesPrevious: false }], { ...options, channelCount: 2, fit: "stretch", dynamics: 0 });
    expect(result.channels).toHaveLength(2);
    expect(rms(result.channels[1]!)).toBe(0);
    expect(Math.abs(frequencyOf(result.channels[0]!) - 880)).toBeLessThan(10);
  });
});

describe("spectralResidual", () => {
  it("is the target itself when nothing is placed, and near silence when the target itself is placed", async () => {
    const { spectralResidual } = await import("../../../src/core/render/spectral-residual.js");
    const target = [sine(440, 20000, 0.5)];
    const same = spectralResidual(target, [new Float32Array(20000)]);
    for (let n = 0; n < 20000; n += 37) expect(same[n]!).toBeCloseTo(target[0]![n]!, 4);
    expect(rms(spectralResidual(target, target))).toBeLessThan(1e-6);
  });

  it("keeps what the placed sound lacks: a two-tone target minus one tone leaves the other", async () => {
    const { spectralResidual } = await import("../../../src/core/render/spectral-residual.js");
    const low = sine(300, 30000, 0.4);
    const high = sine(3000, 30000, 0.4);
    const target = [low.map((v, i) => v + high[i]!)];
    const residual = spectralResidual(target, [low]);
    expect(Math.abs(frequencyOf(residual) - 3000)).toBeLessThan(30);
    expect(rms(residual, 5000, 25000)).toBeCloseTo(0.4 / Math.SQRT2, 1);
  });
});
