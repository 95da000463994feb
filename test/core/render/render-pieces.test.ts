import { describe, expect, it } from "vitest";
import { fitToSlot, fitToSlotSteps } from "../../../src/core/render/fit.js";
import { addPlacement, addPlacementRange, placementSpan, type Placement } from "../../../src/core/render/overlap-add.js";
import { makePeakSafe, PeakSafety } from "../../../src/core/render/peak-limit.js";
import { renderSequence, SequenceRenderer, type RenderOptions, type RenderUnit } from "../../../src/core/render/render-sequence.js";
import { RenderWorkspace } from "../../../src/core/render/render-workspace.js";
import { spectralResidual, spectralResidualSteps } from "../../../src/core/render/spectral-residual.js";
import { createSeededRandom } from "../../../src/core/select/seeded-random.js";

const RATE = 44100;

function sameBits(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function noise(seed: number, frames: number, amplitude = 1): Float32Array {
  const random = createSeededRandom(seed);
  return Float32Array.from({ length: frames }, () => amplitude * (random() - 0.5));
}

/** Runs a generator to its end, counting its pauses. */
function drain<T>(steps: Generator<void, T>): { value: T; pauses: number } {
  let pauses = 0;
  for (;;) {
    const step = steps.next();
    if (step.done) return { value: step.value, pauses };
    pauses++;
  }
}

describe("RenderWorkspace", () => {
  it("hands out views of one growing buffer per name: the same memory render after render", () => {
    const workspace = new RenderWorkspace();
    const a = workspace.floats("x", 1000);
    a[999] = 7;
    const b = workspace.floats("x", 800);
    expect(b.buffer).toBe(a.buffer);
    expect(b).toHaveLength(800);
    const grown = workspace.floats("x", 200_000);
    expect(grown).toHaveLength(200_000);
    expect(workspace.floats("x", 10).buffer).toBe(grown.buffer);
    const [left, right] = workspace.channels("out", 2, 500);
    expect(left!.buffer).not.toBe(right!.buffer);
    const bytes = workspace.bytes(100);
    expect(bytes.byteOffset).toBe(0);
    expect(workspace.bytes(50).buffer).toBe(bytes.buffer);
    expect(workspace.heldBytes).toBeGreaterThanOrEqual(200_000 * 4 + 2 * 500 * 4 + 100);
    expect(() => workspace.floats("x", -1)).toThrow(/length/);
  });
});

describe("rendering in pieces", () => {
  it("addPlacementRange over consecutive pieces equals addPlacement in one call, fades included", () => {
    const m = 64;
    const placement: Placement = { slotStartFrame: 300, slotFrames: 5000, channels: [noise(1, 5000 + 2 * m), noise(2, 5000 + 2 * m)], gain: 0.7, continuesPrevious: false };
    const previous = { slotStartFrame: 0, slotFrames: 300, continuesPrevious: false };
    const next = { slotStartFrame: 5300, slotFrames: 1000, continuesPrevious: true };
    const once = [noise(3, 7000), noise(4, 7000)];
    const pieces = once.map((data) => data.slice());
    addPlacement(once, placement, previous, next, m);
    const span = placementSpan(7000, placement, previous, next, m);
    for (let from = 0; from < 7000; from += 37) addPlacementRange(pieces, placement, span, from, from + 37);
    for (let c = 0; c < 2; c++) expect(sameBits(pieces[c]!, once[c]!)).toBe(true);
  });

  it("a long stretch pauses every few thousand frames and gives the samples of one call", () => {
    const source = [noise(5, 40_000 + 200)];
    const { value, pauses } = drain(fitToSlotSteps(source, 100, 60_000, "stretch", RATE));
    const once = fitToSlot(source, 100, 60_000, "stretch", RATE);
    expect(pauses).toBeGreaterThan(5);
    expect(value.stretch).toBe(once.stretch);
    expect(sameBits(value.channels[0]!, once.channels[0]!)).toBe(true);
  });

  it("the spectral residual in pieces equals one call", () => {
    const target = [noise(6, 30_000)];
    const placed = [noise(7, 30_000, 0.5)];
    const { value, pauses } = drain(spectralResidualSteps(target, placed));
    expect(pauses).toBeGreaterThan(3);
    expect(sameBits(value, spectralResidual(target, placed))).toBe(true);
  });

  it("step(budget) into a dirty reused workspace gives exactly the samples of renderSequence, for every fit", () => {
    const m = 110;
    const slots: [number, number, boolean, boolean][] = [[0, 3000, true, false], [3000, 2000, false, false], [5000, 26_000, true, false], [31_000, 2500, true, true], [33_500, 4500, true, false]];
    const target = [noise(8, 38_000, 0.4), noise(9, 38_000, 0.4)];
    const workspace = new RenderWorkspace();
    for (const fit of ["trim", "loop", "stretch"] as const) {
      const units: RenderUnit[] = slots.map(([start, frames, placed, continues], i) => ({
        slotStartFrame: start,
        slotFrames: frames,
        source: placed ? [noise(10 + i, Math.round(frames * (fit === "trim" ? 1 : 0.6)) + 2 * m), noise(20 + i, Math.round(frames * (fit === "trim" ? 1 : 0.6)) + 2 * m)] : null,
        semitones: i === 4 ? 3 : 0,
        continuesPrevious: continues,
      }));
      const options: RenderOptions = { sampleRateHz: RATE, channelCount: 2, marginFrames: m, fit, dynamics: 0.7, wet: 0.8, peak: "limit" };
      const expected = renderSequence(target, units, options);
      // Leave garbage in the buffers the renderer will reuse.
      for (const data of workspace.channels("layer1", 2, 38_000)) data.fill(0.25);
      for (const data of workspace.channels("render.scratch", 2, 30_000)) data.fill(-3);
      const renderer = new SequenceRenderer(target, units, options, { workspace, outputName: "layer1" });
      let steps = 0;
      while (!renderer.done) {
        renderer.step(1000);
        steps++;
      }
      const result = renderer.finish();
      expect(steps).toBeGreaterThan(30);
      expect(result.units).toEqual(expected.units);
      expect(result.peakGain).toBe(expected.peakGain);
      for (let c = 0; c < 2; c++) expect(sameBits(result.channels[c]!, expected.channels[c]!)).toBe(true);
    }
  });

  it("the limiter with reused (dirty) workspace buffers gives the samples and gain of a fresh one", () => {
    const workspace = new RenderWorkspace();
    workspace.floats("peak.needed", 60_000).fill(0.1);
    workspace.floats("peak.regions", 300_000).fill(5);
    for (const mode of ["limit", "normalize"] as const) {
      const once = [noise(30, 50_000, 3), noise(31, 50_000, 1)];
      const reused = once.map((data) => data.slice());
      const gain = makePeakSafe(once, mode, 220);
      const stage = new PeakSafety(reused, mode, 220, undefined, workspace);
      while (!stage.run(2000));
      expect(stage.gain).toBe(gain);
      for (let c = 0; c < 2; c++) expect(sameBits(reused[c]!, once[c]!)).toBe(true);
    }
  });
});
