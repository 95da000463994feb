/**
 * Byte -> float conversion for every encoding, on aligned sources (typed-array fast paths) and on sources
 * at an odd byte offset (byte-assembly/DataView paths): both must give identical, exactly known values.
 */

import { describe, it, expect } from "vitest";
import { bytesPerSample, convertInterleavedToPlanar, type NonFiniteReport, type PcmEncoding } from "../../src/io/pcm-convert.js";
import { encodeFrames, type SampleCoding } from "./helpers/pcm-builders.js";

interface Case {
  encoding: PcmEncoding;
  coding: SampleCoding;
  values: number[][];
  expected: (v: number) => number;
}

const ints16 = [[-32768, -1, 0, 1, 32767], [12345, -12345, 256, -256, 0]];
const ints24 = [[-8388608, -1, 0, 1, 8388607], [0x123456, -0x123456, 0x100, -0x10000, 42]];
const ints32 = [[-2147483648, -1, 0, 1, 2147483647], [0x12345678, -0x12345678, 0x100, -0x1000000, 7]];
const ints8 = [[-128, -1, 0, 1, 127], [100, -100, 50, -50, 0]];
const floats = [[0, 0.5, -1, 1e-20, -0.3], [0.1, 0.2, -0.75, 3, -3]];

const CASES: Case[] = [
  { encoding: "u8", coding: { kind: "u8" }, values: [[0, 127, 128, 129, 255], [1, 2, 3, 4, 5]], expected: (v) => (v - 128) / 128 },
  { encoding: "s8", coding: { kind: "int", bytes: 1, littleEndian: true }, values: ints8, expected: (v) => v / 128 },
  { encoding: "s16le", coding: { kind: "int", bytes: 2, littleEndian: true }, values: ints16, expected: (v) => v / 32768 },
  { encoding: "s16be", coding: { kind: "int", bytes: 2, littleEndian: false }, values: ints16, expected: (v) => v / 32768 },
  { encoding: "s24le", coding: { kind: "int", bytes: 3, littleEndian: true }, values: ints24, expected: (v) => v / 8388608 },
  { encoding: "s24be", coding: { kind: "int", bytes: 3, littleEndian: false }, values: ints24, expected: (v) => v / 8388608 },
  { encoding: "s32le", coding: { kind: "int", bytes: 4, littleEndian: true }, values: ints32, expected: (v) => v / 2147483648 },
  { encoding: "s32be", coding: { kind: "int", bytes: 4, littleEndian: false }, values: ints32, expected: (v) => v / 2147483648 },
  { encoding: "f32le", coding: { kind: "float", bytes: 4, littleEndian: true }, values: floats, expected: (v) => v },
  { encoding: "f32be", coding: { kind: "float", bytes: 4, littleEndian: false }, values: floats, expected: (v) => v },
  { encoding: "f64le", coding: { kind: "float", bytes: 8, littleEndian: true }, values: floats, expected: (v) => v },
  { encoding: "f64be", coding: { kind: "float", bytes: 8, littleEndian: false }, values: floats, expected: (v) => v },
];

function run(src: Uint8Array, encoding: PcmEncoding, channels: number, frames: number, outOffset = 0): { out: Float32Array[]; report: NonFiniteReport; bad: number } {
  const out = Array.from({ length: channels }, () => new Float32Array(frames + outOffset));
  const report: NonFiniteReport = { count: -1, firstFrame: -1, firstChannel: -1 };
  const bad = convertInterleavedToPlanar(src, encoding, channels, frames, out, outOffset, report);
  return { out, report, bad };
}

describe("convertInterleavedToPlanar", () => {
  for (const c of CASES) {
    it(`${c.encoding}: aligned and unaligned sources give the exact expected floats`, () => {
      const bytes = encodeFrames(c.values, c.coding);
      expect(bytes.length).toBe(c.values.length * c.values[0]!.length * bytesPerSample(c.encoding));
      const unalignedBuffer = new Uint8Array(bytes.length + 3);
      unalignedBuffer.set(bytes, 3);
      for (const src of [bytes, unalignedBuffer.subarray(3)]) {
        const { out, report, bad } = run(src, c.encoding, 2, 5, 2);
        expect(bad).toBe(0);
        expect(report.count).toBe(0);
        c.values.forEach((ch, ci) => {
          expect(Array.from(out[ci]!.subarray(2))).toEqual(ch.map((v) => Math.fround(c.expected(v))));
          expect(out[ci]![0]).toBe(0); // before outOffset untouched
        });
      }
    });
  }

  it("mono and 5-channel layouts deinterleave in channel order", () => {
    const planar = Array.from({ length: 5 }, (_, c) => Array.from({ length: 7 }, (_, i) => c * 100 + i));
    const { out } = run(encodeFrames(planar, { kind: "int", bytes: 2, littleEndian: true }), "s16le", 5, 7);
    planar.forEach((ch, c) => expect(Array.from(out[c]!)).toEqual(ch.map((v) => v / 32768)));
    const mono = run(encodeFrames([[5, -5]], { kind: "int", bytes: 2, littleEndian: true }), "s16le", 1, 2);
    expect(Array.from(mono.out[0]!)).toEqual([5 / 32768, -5 / 32768]);
  });

  for (const encoding of ["f32le", "f32be", "f64le", "f64be"] as const) {
    it(`${encoding}: NaN/Inf become 0 and are counted with the earliest frame and its channel`, () => {
      const values = [
        [0.5, 0.25, 0.1, Number.NaN, 0.3],
        [0, Number.NEGATIVE_INFINITY, 0, 0, Number.POSITIVE_INFINITY],
      ];
      const bytes = encodeFrames(values, { kind: "float", bytes: encoding.startsWith("f32") ? 4 : 8, littleEndian: encoding.endsWith("le") });
      const { out, report, bad } = run(bytes, encoding, 2, 5);
      expect(bad).toBe(3);
      expect(report).toEqual({ count: 3, firstFrame: 1, firstChannel: 1 });
      expect(Array.from(out[0]!)).toEqual([0.5, 0.25, Math.fround(0.1), 0, Math.fround(0.3)]);
      expect(Array.from(out[1]!)).toEqual([0, 0, 0, 0, 0]);
    });
  }
});
