import { describe, expect, it } from "vitest";
import { analyseOnsets } from "../../../src/core/analysis/onset-detect.js";
import { onsetFrameToSample } from "../../../src/core/analysis/onset-novelty.js";
import {
  DEFAULT_SEGMENTER_OPTIONS,
  SEGMENTER_PARAMETERS,
  Segmenter,
  type Segment,
  type SegmenterOptions,
} from "../../../src/core/analysis/segmenter.js";
import { ParameterError } from "../../../src/core/errors.js";
import { createSeededRandom as seededRandom } from "../../../src/core/select/seeded-random.js";

const RATE_HZ = 22050;
const HOP = 256;
const FRAME = 1024;
/** Default onset report delay of the peak picker, in frames. */
const DELAY = 6;
const LOUD_DB = -20;
const QUIET_DB = -100;
/** Frames per ms at the analysis hop. */
const msToFrames = (ms: number): number => Math.round((ms / 1000) * (RATE_HZ / HOP));
const MIN_UNIT = msToFrames(DEFAULT_SEGMENTER_OPTIONS.minUnitMs);
const MAX_UNIT = msToFrames(DEFAULT_SEGMENTER_OPTIONS.maxUnitMs);


interface Stream {
  rmsDb: number[];
  novelty: number[];
  onsets: number[];
}

/** A stream of `length` frames: silent except `sounding` frame ranges; onsets get novelty 10. */
function stream(length: number, sounding: [number, number][], onsets: number[] = []): Stream {
  const rmsDb = Array.from({ length }, () => QUIET_DB);
  for (const [from, to] of sounding) for (let i = from; i < to; i++) rmsDb[i] = LOUD_DB;
  const novelty = Array.from({ length }, () => 0);
  for (const onset of onsets) novelty[onset] = 10;
  return { rmsDb, novelty, onsets };
}

/**
 * Feeds a stream frame by frame. `reportFrames[i]` is the frame at whose push onset i is reported
 * (default: onset + DELAY); onsets reported past the end are passed to `finish`.
 */
function segment(
  input: Stream,
  options: Partial<SegmenterOptions> = {},
  reportFrames?: number[],
): { segments: Segment[]; oldest: number[]; segmenter: Segmenter } {
  const segmenter = new Segmenter(RATE_HZ, HOP, options);
  const reports = new Map<number, number>();
  const late: number[] = [];
  input.onsets.forEach((onset, i) => {
    const at = reportFrames?.[i] ?? onset + DELAY;
    if (at >= input.rmsDb.length) late.push(onset);
    else reports.set(at, onset);
  });
  const segments: Segment[] = [];
  const oldest: number[] = [];
  for (let i = 0; i < input.rmsDb.length; i++) {
    segments.push(...segmenter.push(i, input.novelty[i]!, input.rmsDb[i]!, reports.get(i) ?? -1));
    oldest.push(segmenter.oldestNeededFrame);
  }
  segments.push(...segmenter.finish(input.rmsDb.length, late));
  return { segments, oldest, segmenter };
}

/** The boundary frame of an onset: the grid frame at or before (attack - pre-roll). */
function boundaryOf(onsetFrame: number): number {
  const preRollSamples = Math.round((DEFAULT_SEGMENTER_OPTIONS.preRollMs / 1000) * RATE_HZ);
  return Math.floor((onsetFrameToSample(onsetFrame, HOP, FRAME) - preRollSamples) / HOP);
}

function sounding(segments: Segment[]): Segment[] {
  return segments.filter((s) => !s.silent);
}

describe("Segmenter, onset mode", () => {
  it("starts a unit at the grid frame just before the attack minus the pre-roll", () => {
    const preRollSamples = Math.round(0.01 * RATE_HZ);
    for (const onset of [50, 51, 77]) {
      const start = boundaryOf(onset);
      const attack = onsetFrameToSample(onset, HOP, FRAME);
      expect(start * HOP).toBeLessThanOrEqual(attack - preRollSamples);
      expect(start * HOP).toBeGreaterThan(attack - preRollSamples - HOP);
    }
  });

  it("cuts a one-shot followed by 2 s of silence to the sound, not the silence", () => {
    // Sound in frames 100..129, then ~2 s of silence.
    const { segments } = segment(stream(330, [[100, 130]], [101]));
    expect(segments).toEqual([{ startFrame: boundaryOf(101), endFrame: 130, silent: false }]);
  });

  it("starts the first unit at frame 0 when the stream starts with sound", () => {
    const { segments } = segment(stream(200, [[0, 60]], [40]));
    expect(segments).toEqual([
      { startFrame: 0, endFrame: boundaryOf(40), silent: false },
      { startFrame: boundaryOf(40), endFrame: 60, silent: false },
    ]);
  });

  it("ends units at the next onset", () => {
    const { segments } = segment(stream(300, [[100, 250]], [101, 140, 190]));
    expect(segments).toEqual([
      { startFrame: boundaryOf(101), endFrame: boundaryOf(140), silent: false },
      { startFrame: boundaryOf(140), endFrame: boundaryOf(190), silent: false },
      { startFrame: boundaryOf(190), endFrame: 250, silent: false },
    ]);
  });

  it("joins a piece shorter than minUnitMs to the next piece, so a flam's unit starts at its first hit", () => {
    // Onsets 2 frames apart: the piece between them (23 ms) is too short.
    const { segments } = segment(stream(300, [[100, 250]], [101, 140, 142]));
    expect(segments).toEqual([
      { startFrame: boundaryOf(101), endFrame: boundaryOf(140), silent: false },
      { startFrame: boundaryOf(140), endFrame: 250, silent: false },
    ]);
  });

  it("joins a short last piece of a sound to the previous piece", () => {
    const { segments } = segment(stream(300, [[100, 200]], [101, 150, 197]));
    expect(segments).toEqual([
      { startFrame: boundaryOf(101), endFrame: boundaryOf(150), silent: false },
      { startFrame: boundaryOf(150), endFrame: 200, silent: false },
    ]);
  });

  it("joins a short first piece to the next one", () => {
    const { segments } = segment(stream(300, [[100, 250]], [101, 103, 160]));
    expect(segments).toEqual([
      { startFrame: boundaryOf(101), endFrame: boundaryOf(160), silent: false },
      { startFrame: boundaryOf(160), endFrame: 250, silent: false },
    ]);
  });

  it("extends a short isolated sound into the following silence up to minUnitMs", () => {
    const { segments } = segment(stream(300, [[100, 103]], [100]));
    expect(segments).toEqual([{ startFrame: boundaryOf(100), endFrame: boundaryOf(100) + MIN_UNIT, silent: false }]);
  });

  it("never lets a padded unit run into the next sound", () => {
    const { segments } = segment(stream(300, [[100, 101], [104, 140]], [100, 104]), { minSilenceMs: 0 });
    for (let i = 1; i < segments.length; i++) {
      expect(segments[i]!.startFrame).toBeGreaterThanOrEqual(segments[i - 1]!.endFrame);
    }
  });

  it("splits a unit longer than maxUnitMs at the strongest novelty inside", () => {
    // 2.9 s of sound with one onset at the start; novelty has a bump of 3 at frame 180 and 5 at frame 200.
    const input = stream(400, [[50, 300]], [50]);
    input.novelty[180] = 3;
    input.novelty[200] = 5;
    const { segments } = segment(input);
    expect(segments).toEqual([
      { startFrame: boundaryOf(50), endFrame: boundaryOf(200), silent: false },
      { startFrame: boundaryOf(200), endFrame: 300, silent: false },
    ]);
  });

  it("cuts an endless drone into parts between minUnitMs and maxUnitMs with bounded memory", () => {
    const length = 5000; // 58 s
    const input = stream(length, [[0, length]]);
    const random = seededRandom(3);
    for (let i = 0; i < length; i++) input.novelty[i] = random();
    const { segments, oldest } = segment(input);
    expect(segments[0]!.startFrame).toBe(0);
    expect(segments[segments.length - 1]!.endFrame).toBe(length - 1 + FRAME / HOP);
    for (let i = 0; i < segments.length; i++) {
      const length = segments[i]!.endFrame - segments[i]!.startFrame;
      expect(length).toBeGreaterThanOrEqual(MIN_UNIT);
      expect(length).toBeLessThanOrEqual(MAX_UNIT);
      if (i > 0) expect(segments[i]!.startFrame).toBe(segments[i - 1]!.endFrame);
    }
    oldest.forEach((frame, i) => expect(i - frame).toBeLessThan(2 * MAX_UNIT + 3 * MIN_UNIT + 2 * DELAY));
  });

  it("gives the same segments whenever each onset is reported (0 .. delay frames late)", () => {
    const random = seededRandom(9);
    const length = 3000;
    const ranges: [number, number][] = [];
    const onsets: number[] = [];
    let frame = 20;
    while (frame < length - 200) {
      const soundLength = 3 + Math.floor(random() * 250);
      ranges.push([frame, frame + soundLength]);
      for (let onset = frame; onset < frame + soundLength; onset += 2 + Math.floor(random() * 60)) {
        if (onsets.length === 0 || onset - onsets[onsets.length - 1]! > DELAY) onsets.push(onset);
      }
      frame += soundLength + 1 + Math.floor(random() * 100);
    }
    const input = stream(length, ranges, onsets);
    for (let i = 0; i < length; i++) input.novelty[i] = input.novelty[i]! + random();
    for (const keepSilent of [false, true]) {
      const reference = segment(input, { keepSilent }, onsets.map((onset) => onset + DELAY)).segments;
      expect(reference.length).toBeGreaterThan(20);
      for (const delay of [0, 2]) {
        expect(segment(input, { keepSilent }, onsets.map((onset) => onset + delay)).segments).toEqual(reference);
      }
      const jittered = onsets.map((onset) => onset + Math.floor(random() * (DELAY + 1)));
      expect(segment(input, { keepSilent }, jittered).segments).toEqual(reference);
    }
  });

  it("keeps silent stretches as silent segments only when asked, in pieces no longer than maxUnitMs", () => {
    const input = stream(800, [[100, 130], [600, 640]], [101, 601]);
    const dropped = segment(input).segments;
    expect(dropped.every((s) => !s.silent)).toBe(true);
    const kept = segment(input, { keepSilent: true }).segments;
    expect(sounding(kept)).toEqual(dropped);
    const silent = kept.filter((s) => s.silent);
    expect(silent[0]!.startFrame).toBe(0);
    expect(silent.some((s) => s.startFrame === 130)).toBe(true);
    for (const s of silent) expect(s.endFrame - s.startFrame).toBeLessThanOrEqual(MAX_UNIT);
    for (let i = 1; i < kept.length; i++) expect(kept[i]!.startFrame).toBe(kept[i - 1]!.endFrame);
  });

  for (const keepSilent of [false, true]) {
    it(`reports an oldest needed frame that never passes a segment still to come (keepSilent ${keepSilent})`, () => {
      const input = stream(1200, [[100, 500], [700, 1100]], [101, 300, 320, 701, 900]);
      const segmenter = new Segmenter(RATE_HZ, HOP, { keepSilent });
      const reports = new Map(input.onsets.map((onset) => [onset + DELAY, onset]));
      let oldest = 0;
      let emitted = 0;
      for (let i = 0; i < 1200; i++) {
        for (const s of segmenter.push(i, input.novelty[i]!, input.rmsDb[i]!, reports.get(i) ?? -1)) {
          expect(s.startFrame).toBeGreaterThanOrEqual(oldest);
          emitted++;
        }
        expect(segmenter.oldestNeededFrame).toBeGreaterThanOrEqual(oldest);
        oldest = segmenter.oldestNeededFrame;
      }
      for (const s of segmenter.finish(1200)) {
        expect(s.startFrame).toBeGreaterThanOrEqual(oldest);
        emitted++;
      }
      expect(emitted).toBeGreaterThan(3);
    });
  }

  it("places unit starts before every attack of a real click/burst signal", () => {
    const random = seededRandom(21);
    const signal = new Float32Array(RATE_HZ * 10);
    const attacks: number[] = [];
    let time = 0.3;
    while (time < 9.5) {
      const start = Math.round(time * RATE_HZ);
      attacks.push(start);
      const gain = Math.pow(10, (-20 * random()) / 20);
      for (let n = 0; n < 0.1 * RATE_HZ; n++) signal[start + n] = gain * (2 * random() - 1) * Math.exp(-n / (0.02 * RATE_HZ));
      time += 0.15 + 0.3 * random();
    }
    const analysis = analyseOnsets(signal);
    const segmenter = new Segmenter(RATE_HZ, HOP, {});
    const reports = new Map(analysis.onsetFrames.map((onset) => [onset + analysis.delayFrames, onset]));
    const segments: Segment[] = [];
    const frames = analysis.novelty.length;
    for (let i = 0; i < frames; i++) {
      segments.push(...segmenter.push(i, analysis.novelty[i]!, analysis.rmsDb[i]!, reports.get(i) ?? -1));
    }
    const late = analysis.onsetFrames.filter((onset) => onset + analysis.delayFrames >= frames);
    segments.push(...segmenter.finish(frames, late, signal.length));
    expect(segments.length).toBe(attacks.length);
    segments.forEach((s, i) => {
      const leadMs = ((attacks[i]! - s.startFrame * HOP) / RATE_HZ) * 1000;
      expect(leadMs).toBeGreaterThanOrEqual(0);
      expect(leadMs).toBeLessThan(30);
    });
  });
});

describe("Segmenter, grid mode", () => {
  it("cuts fixed cells and drops silent ones", () => {
    // 250 ms cells = 21.5 frames: boundaries at round(i * 21.53).
    const input = stream(200, [[0, 30], [100, 200]]);
    const { segments } = segment(input, { mode: "grid" });
    const cell = (i: number): number => Math.round((i * Math.round(0.25 * RATE_HZ)) / HOP);
    expect(segments.map((s) => s.startFrame)).toEqual([0, 1, 4, 5, 6, 7, 8, 9].map(cell));
    expect(segments.every((s) => !s.silent)).toBe(true);
    const kept = segment(input, { mode: "grid", keepSilent: true }).segments;
    expect(kept.filter((s) => s.silent).map((s) => s.startFrame)).toEqual([cell(2), cell(3)]);
  });

  it("overlaps cells by gridOverlap", () => {
    const { segments } = segment(stream(200, [[0, 200]]), { mode: "grid", gridMs: 200, gridOverlap: 0.5 });
    const cellSamples = Math.round(0.2 * RATE_HZ);
    segments.forEach((s, i) => {
      expect(s.startFrame).toBe(Math.round((i * cellSamples * 0.5) / HOP));
      if (s.endFrame <= 200) expect(s.endFrame).toBe(Math.round((i * cellSamples * 0.5 + cellSamples) / HOP));
    });
    expect(segments.length).toBeGreaterThan(20);
  });

  it("emits a cell as soon as its frames are known", () => {
    const segmenter = new Segmenter(RATE_HZ, HOP, { mode: "grid" });
    let firstAt = -1;
    for (let i = 0; i < 100 && firstAt < 0; i++) if (segmenter.push(i, 0, LOUD_DB, -1).length > 0) firstAt = i;
    expect(firstAt).toBe(Math.round(Math.round(0.25 * RATE_HZ) / HOP) - 1);
  });
});

describe("Segmenter, whole mode", () => {
  it("gives one unit from the first to the last sounding frame", () => {
    const { segments } = segment(stream(500, [[100, 120], [300, 350]], [101, 301]), { mode: "whole" });
    const start = Math.floor((99 * HOP + FRAME - Math.round(0.01 * RATE_HZ)) / HOP);
    expect(segments).toEqual([{ startFrame: start, endFrame: 350, silent: false }]);
  });

  it("gives nothing for silence, or one silent segment when keeping silence", () => {
    expect(segment(stream(100, []), { mode: "whole" }).segments).toEqual([]);
    expect(segment(stream(100, []), { mode: "whole", keepSilent: true }).segments).toEqual([
      { startFrame: 0, endFrame: 100 - 1 + FRAME / HOP, silent: true },
    ]);
  });
});

describe("Segmenter options", () => {
  it("rejects out-of-range options with ParameterError", () => {
    expect(() => new Segmenter(RATE_HZ, HOP, { minUnitMs: 600, maxUnitMs: 1000 })).toThrow(ParameterError);
    expect(() => new Segmenter(RATE_HZ, HOP, { gridOverlap: 0.95 })).toThrow(ParameterError);
    expect(() => new Segmenter(RATE_HZ, HOP, { mode: "beats" as SegmenterOptions["mode"] })).toThrow(ParameterError);
    expect(() => new Segmenter(RATE_HZ, 0, {})).toThrow(ParameterError);
  });

  it("segments a stream after reset exactly as a new segmenter, in every mode", () => {
    const first = stream(600, [[10, 250], [300, 590]], [10, 60, 140, 300, 420]);
    const second = stream(500, [[0, 200], [260, 480]], [0, 90, 260, 330]);
    const modes: Partial<SegmenterOptions>[] = [{}, { keepSilent: true }, { mode: "grid", gridMs: 300 }, { mode: "whole", keepSilent: true }];
    for (const options of modes) {
      const fresh = segment(second, options).segments;
      const { segmenter } = segment(first, options);
      // a second stream stopped in the middle of a sound (a failed file), then reset again
      segmenter.reset();
      for (let i = 0; i < 450; i++) segmenter.push(i, first.novelty[i]!, first.rmsDb[i]!, first.onsets.includes(i - DELAY) ? i - DELAY : -1);
      segmenter.reset();
      const reused: Segment[] = [];
      for (let i = 0; i < second.rmsDb.length; i++) {
        const onset = second.onsets.includes(i - DELAY) ? i - DELAY : -1;
        reused.push(...segmenter.push(i, second.novelty[i]!, second.rmsDb[i]!, onset));
      }
      const late = second.onsets.filter((onset) => onset + DELAY >= second.rmsDb.length);
      reused.push(...segmenter.finish(second.rmsDb.length, late));
      expect(reused).toEqual(fresh);
    }
  });

  it("rejects frames out of order and pushes after finish", () => {
    const segmenter = new Segmenter(RATE_HZ, HOP, {});
    segmenter.push(0, 0, QUIET_DB, -1);
    expect(() => segmenter.push(2, 0, QUIET_DB, -1)).toThrow(ParameterError);
    segmenter.finish(1);
    expect(() => segmenter.push(1, 0, QUIET_DB, -1)).toThrow(ParameterError);
  });

  it("declares every user option once in SEGMENTER_PARAMETERS with its default", () => {
    expect(Object.keys(SEGMENTER_PARAMETERS).sort()).toEqual(Object.keys(DEFAULT_SEGMENTER_OPTIONS).sort());
    for (const [name, def] of Object.entries(SEGMENTER_PARAMETERS)) {
      expect(def.key).toBe(name);
      expect(def.defaultValue).toBe(DEFAULT_SEGMENTER_OPTIONS[name as keyof SegmenterOptions]);
    }
  });
});
