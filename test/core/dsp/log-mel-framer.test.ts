import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LogMelFramer, modelWindow, type LogMelFramerConfig } from "../../../src/core/dsp/log-mel-framer.js";
import { pffftEngineFactory } from "../../../src/io/pffft-engine.js";
import { CONTRACT_FRONT_END } from "../../helpers/contract-front-end.js";
import { REPO_ROOT } from "../../helpers/corpus.js";

interface TinyReference {
  logmel: { frameCount: number; logmelNormalised: number[][]; lastFrame: number[] };
}
const tiny = JSON.parse(readFileSync(join(REPO_ROOT, "test/fixtures/embed/tiny-reference.json"), "utf8")) as TinyReference;

/** The contract's example front end (CONTRACTS A), as the tiny fixture model uses it. */
const CONFIG: LogMelFramerConfig = CONTRACT_FRONT_END;
const MEAN = -8;
const STD = 4;

/** The contract's reference signal: float64 then float32. */
function referenceSignal(sampleRateHz: number, length: number): Float32Array {
  const x = new Float32Array(length);
  for (let n = 0; n < length; n++) {
    x[n] = 0.5 * Math.sin((2 * Math.PI * 440 * n) / sampleRateHz) + 0.25 * Math.sin((2 * Math.PI * 3000 * n) / sampleRateHz) * (n / sampleRateHz);
  }
  return x;
}

describe("model windows", () => {
  it("periodic Hann is 0.5 - 0.5 cos(2 pi n / N): zero at 0, one at N/2, symmetric about N/2", () => {
    const w = modelWindow("hann-periodic", 1024);
    expect(w[0]).toBe(0);
    expect(w[512]).toBeCloseTo(1, 15);
    for (let n = 1; n < 512; n++) expect(w[n]).toBeCloseTo(w[1024 - n]!, 14);
  });

  it("symmetric Hann ends at zero on both sides; periodic Hamming starts at 0.08", () => {
    const s = modelWindow("hann-symmetric", 400);
    expect(s[0]).toBe(0);
    expect(s[399]).toBeCloseTo(0, 15);
    expect(modelWindow("hamming-periodic", 400)[0]).toBeCloseTo(0.08, 15);
    expect(modelWindow("rectangular", 8).every((v) => v === 1)).toBe(true);
  });
});

describe("LogMelFramer", () => {
  const signal = referenceSignal(22050, 22050);

  for (const [label, engine] of [
    ["fft.js (double)", undefined],
    ["PFFFT (float32)", pffftEngineFactory()],
  ] as const) {
    it(`first 32 frames of the reference signal match the float64 NumPy log-mel within 1e-4 after normalisation (${label})`, () => {
      const framer = new LogMelFramer(CONFIG, engine);
      const out = new Float32Array(32 * 64);
      framer.computeFrames(signal, 0, signal.length, 0, 32, out);
      let worst = 0;
      for (let m = 0; m < 64; m++) {
        for (let t = 0; t < 32; t++) {
          const ours = (out[t * 64 + m]! - MEAN) / STD;
          worst = Math.max(worst, Math.abs(ours - tiny.logmel.logmelNormalised[m]![t]!));
        }
      }
      expect(worst).toBeLessThan(1e-4);
    });
  }

  it("the last, zero-padded frame matches the reference (frame 83 of 84 covers samples 21248..22271)", () => {
    expect(tiny.logmel.frameCount).toBe(84);
    const framer = new LogMelFramer(CONFIG);
    const out = new Float32Array(64);
    framer.computeFrames(signal, 0, signal.length, 83, 1, out);
    for (let m = 0; m < 64; m++) expect((out[m]! - MEAN) / STD).toBeCloseTo(tiny.logmel.lastFrame[m]!, 4);
  });

  it("a segment is its own signal: frames of [s, e) equal frames of a copy of those samples", () => {
    const framer = new LogMelFramer(CONFIG);
    const a = new Float32Array(10 * 64);
    const b = new Float32Array(10 * 64);
    framer.computeFrames(signal, 5000, 7000, 0, 10, a);
    const copy = signal.slice(5000, 7000);
    framer.computeFrames(copy, 0, copy.length, 0, 10, b);
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  it("frames starting at or after the segment end are the silence value ln(offset)", () => {
    const framer = new LogMelFramer(CONFIG);
    const out = new Float32Array(3 * 64);
    framer.computeFrames(signal, 0, 1000, 4, 3, out); // frame 4 starts at sample 1024
    expect(framer.silenceValue).toBeCloseTo(Math.log(1e-6), 12);
    for (const v of out) expect(v).toBe(Math.fround(framer.silenceValue));
  });

  it("centring puts frame i's window centre on sample i * hop (an impulse there is seen by frame i at full window gain)", () => {
    const framer = new LogMelFramer({ ...CONFIG, center: true, log: { kind: "db", offset: 1e-10 } });
    expect(framer.windowLeadSamples).toBe(512);
    const impulse = new Float32Array(4096);
    impulse[2048] = 1; // frame 8's centre
    const out = new Float32Array(17 * 64);
    framer.computeFrames(impulse, 0, impulse.length, 0, 17, out);
    const energy = (f: number): number => out.subarray(f * 64, f * 64 + 64).reduce((s, v) => s + Math.pow(10, v / 10), 0);
    const energies = Array.from({ length: 17 }, (_, f) => energy(f));
    expect(energies.indexOf(Math.max(...energies))).toBe(8);
    // frames 6 and 10 see the impulse at w[512 +- 512] = 0 (the window's ends)
    expect(energies[6]!).toBeLessThan(1e-6 * energies[8]!);
    expect(energies[10]!).toBeLessThan(1e-6 * energies[8]!);
  });

  it("allocates nothing per frame: the same output for repeated calls", () => {
    const framer = new LogMelFramer(CONFIG);
    const a = new Float32Array(4 * 64);
    const b = new Float32Array(4 * 64);
    framer.computeFrames(signal, 0, signal.length, 10, 4, a);
    framer.computeFrames(signal, 0, signal.length, 10, 4, b);
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  it("rejects a window longer than the FFT and a bad segment", () => {
    expect(() => new LogMelFramer({ ...CONFIG, windowSamples: 2048 })).toThrow(/windowSamples/);
    const framer = new LogMelFramer(CONFIG);
    expect(() => framer.computeFrames(signal, 10, 5, 0, 1, new Float32Array(64))).toThrow(/startSample/);
    expect(() => framer.computeFrames(signal, 0, 10, 0, 2, new Float32Array(64))).toThrow(/128 needed/);
  });
});
