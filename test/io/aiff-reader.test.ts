/**
 * AIFF / AIFF-C reading from hand-built files: big-endian integers of every width, AIFF-C NONE, sowt
 * (little-endian), fl32/FL32, fl64, the 80-bit extended sample rate, the SSND offset field, and the
 * declared-frames-vs-data-present rule.
 */

import { describe, it, expect, afterAll } from "vitest";
import { openAudioFile, readWholeFile } from "../../src/io/audio-reader.js";
import { readExtended80 } from "../../src/io/aiff-header.js";
import { DecodeError } from "../../src/core/errors.js";
import { buildAiff, encodeFrames, extended80, makeTempDir, randomInts } from "./helpers/pcm-builders.js";

const tmp = makeTempDir("aiff-reader");
afterAll(() => tmp.cleanup());
let counter = 0;
const writeTemp = (bytes: Uint8Array): string => tmp.file(`case-${counter++}.aif`, bytes);

function expectScaled(actual: Float32Array[], expected: number[][], scale: number): void {
  expected.forEach((ch, c) => {
    expect(actual[c]!.length).toBe(ch.length);
    ch.forEach((v, i) => expect(actual[c]![i]).toBe(Math.fround(v / scale)));
  });
}

describe("80-bit extended sample rate", () => {
  it("decodes the standard rates exactly", () => {
    for (const rate of [8000, 11025, 22050, 44100, 48000, 88200, 96000, 176400, 192000, 384000]) {
      expect(readExtended80(extended80(rate), 0)).toBe(rate);
    }
  });
  it("decodes the literal bytes of 44100 Hz (40 0E AC 44 00 00 00 00 00 00)", () => {
    expect(readExtended80(Uint8Array.from([0x40, 0x0e, 0xac, 0x44, 0, 0, 0, 0, 0, 0]), 0)).toBe(44100);
  });
  it("decodes a fractional rate and zero", () => {
    expect(readExtended80(extended80(22254.54545), 0)).toBeCloseTo(22254.54545, 6);
    expect(readExtended80(new Uint8Array(10), 0)).toBe(0);
  });
});

describe("AIFF (big-endian integer)", () => {
  const cases = [
    { bits: 8, bytes: 1 as const, min: -128, max: 127, scale: 128 },
    { bits: 16, bytes: 2 as const, min: -32768, max: 32767, scale: 32768 },
    { bits: 24, bytes: 3 as const, min: -8388608, max: 8388607, scale: 8388608 },
    { bits: 32, bytes: 4 as const, min: -2147483648, max: 2147483647, scale: 2147483648 },
  ];
  for (const c of cases) {
    it(`${c.bits}-bit signed stereo maps value -> value / 2^${c.bits - 1}`, async () => {
      const ints = randomInts(2, 777, c.min, c.max, c.bits + 100);
      ints[1]![0] = c.min;
      ints[1]![1] = c.max;
      const path = writeTemp(buildAiff({ channels: 2, bits: c.bits, sampleRateHz: 44100, data: encodeFrames(ints, { kind: "int", bytes: c.bytes, littleEndian: false }) }));
      const { info, channels } = await readWholeFile(path);
      expect(info).toMatchObject({ format: "aiff", channelCount: 2, sampleRateHz: 44100, frameCount: 777, bitDepth: c.bits });
      expectScaled(channels, ints, c.scale);
    });
  }

  it("12-bit samples left-justified in 16-bit containers read like 16-bit", async () => {
    const ints = [[-2048, 0, 2047]];
    const path = writeTemp(buildAiff({ channels: 1, bits: 12, sampleRateHz: 8000, data: encodeFrames(ints, { kind: "int", bytes: 2, littleEndian: false, shift: 4 }) }));
    const { info, channels } = await readWholeFile(path);
    expect(info.bitDepth).toBe(12);
    expectScaled(channels, ints, 2048);
  });

  it("honours the SSND offset field and skips unknown chunks", async () => {
    const ints = [[1, 2, 3], [-1, -2, -3]];
    const path = writeTemp(
      buildAiff({
        channels: 2,
        bits: 16,
        sampleRateHz: 48000,
        ssndOffset: 6,
        data: encodeFrames(ints, { kind: "int", bytes: 2, littleEndian: false }),
        extraBefore: [{ id: "NAME", body: Uint8Array.from("odd", (c) => c.charCodeAt(0)) }, { id: "MARK", body: new Uint8Array(2) }],
      }),
    );
    const { info, channels } = await readWholeFile(path);
    expect(info.sampleRateHz).toBe(48000);
    expectScaled(channels, ints, 32768);
  });

  it("reads only the declared frames when SSND holds more, and only the present ones when it holds fewer", async () => {
    const ints = [[10, 20, 30, 40]];
    const data = encodeFrames(ints, { kind: "int", bytes: 2, littleEndian: false });
    const fewer = await readWholeFile(writeTemp(buildAiff({ channels: 1, bits: 16, sampleRateHz: 44100, declaredFrames: 2, data })));
    expect(Array.from(fewer.channels[0]!)).toEqual([10 / 32768, 20 / 32768]);
    const reader = await openAudioFile(writeTemp(buildAiff({ channels: 1, bits: 16, sampleRateHz: 44100, declaredFrames: 1000, data })));
    expect(reader.info.frameCount).toBe(4);
    await reader.close();
  });
});

describe("AIFF-C", () => {
  it("NONE is big-endian integer", async () => {
    const ints = [[-32768, 5, 32767]];
    const { info, channels } = await readWholeFile(writeTemp(buildAiff({ aifc: true, compression: "NONE", channels: 1, bits: 16, sampleRateHz: 44100, data: encodeFrames(ints, { kind: "int", bytes: 2, littleEndian: false }) })));
    expect(info.format).toBe("aiff");
    expectScaled(channels, ints, 32768);
  });

  it("sowt is little-endian integer (16 and 24 bit)", async () => {
    const i16 = randomInts(2, 100, -32768, 32767, 3);
    const a = await readWholeFile(writeTemp(buildAiff({ aifc: true, compression: "sowt", channels: 2, bits: 16, sampleRateHz: 44100, data: encodeFrames(i16, { kind: "int", bytes: 2, littleEndian: true }) })));
    expectScaled(a.channels, i16, 32768);
    const i24 = randomInts(1, 100, -8388608, 8388607, 4);
    const b = await readWholeFile(writeTemp(buildAiff({ aifc: true, compression: "sowt", channels: 1, bits: 24, sampleRateHz: 44100, data: encodeFrames(i24, { kind: "int", bytes: 3, littleEndian: true }) })));
    expectScaled(b.channels, i24, 8388608);
  });

  for (const compression of ["fl32", "FL32"]) {
    it(`${compression} is big-endian float32, bit-exact`, async () => {
      const values = [[0.5, -0.125, 1, -1], [0.1, 0.2, 0.3, -0.4]];
      const { info, channels } = await readWholeFile(writeTemp(buildAiff({ aifc: true, compression, channels: 2, bits: 32, sampleRateHz: 96000, data: encodeFrames(values, { kind: "float", bytes: 4, littleEndian: false }) })));
      expect(info).toMatchObject({ bitDepth: 32, sampleRateHz: 96000, frameCount: 4 });
      expectScaled(channels, values, 1);
    });
  }

  it("fl64 is big-endian float64, rounded to float32", async () => {
    const values = [[0.1, -0.7, 1 / 3]];
    const { info, channels } = await readWholeFile(writeTemp(buildAiff({ aifc: true, compression: "fl64", channels: 1, bits: 64, sampleRateHz: 44100, data: encodeFrames(values, { kind: "float", bytes: 8, littleEndian: false }) })));
    expect(info.bitDepth).toBe(64);
    expectScaled(channels, values, 1);
  });

  it("compressed types (ima4) are refused as unsupported_codec naming the type", async () => {
    const path = writeTemp(buildAiff({ aifc: true, compression: "ima4", channels: 1, bits: 16, sampleRateHz: 44100, data: new Uint8Array(68) }));
    const error = await openAudioFile(path).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(DecodeError);
    expect((error as DecodeError).reason).toBe("unsupported_codec");
    expect((error as DecodeError).message).toContain("ima4");
  });
});
