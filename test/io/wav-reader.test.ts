/**
 * WAV reading from hand-built headers: every sample format the reader supports, EXTENSIBLE, RF64, chunk
 * skipping with odd-size padding, and the "data chunk longer than the file" recovery. Expected floats are
 * the stored integers divided by 2^(N-1) (unsigned 8-bit: (k - 128) / 128), exactly.
 */

import { describe, it, expect, afterAll } from "vitest";
import { openAudioFile, readWholeFile } from "../../src/io/audio-reader.js";
import { buildWav, ds64Chunk, encodeFrames, fmtChunk, makeTempDir, randomInts, simpleWav, type WavFmt } from "./helpers/pcm-builders.js";

const tmp = makeTempDir("wav-reader");
afterAll(() => tmp.cleanup());

let counter = 0;
function writeTemp(bytes: Uint8Array): string {
  return tmp.file(`case-${counter++}.wav`, bytes);
}

function expectSamples(actual: Float32Array[], expected: number[][], scale: (v: number) => number): void {
  expect(actual).toHaveLength(expected.length);
  expected.forEach((ch, c) => {
    expect(actual[c]!.length).toBe(ch.length);
    for (let i = 0; i < ch.length; i++) {
      if (actual[c]![i] !== Math.fround(scale(ch[i]!))) {
        throw new Error(`channel ${c} frame ${i}: got ${actual[c]![i]}, expected ${Math.fround(scale(ch[i]!))} from stored ${ch[i]}`);
      }
    }
  });
}

describe("integer PCM WAV", () => {
  const cases: { name: string; bits: number; channels: number; min: number; max: number; coding: Parameters<typeof encodeFrames>[1]; scale: (v: number) => number }[] = [
    { name: "8-bit unsigned", bits: 8, channels: 1, min: 0, max: 255, coding: { kind: "u8" }, scale: (v) => (v - 128) / 128 },
    { name: "16-bit", bits: 16, channels: 2, min: -32768, max: 32767, coding: { kind: "int", bytes: 2, littleEndian: true }, scale: (v) => v / 32768 },
    { name: "24-bit", bits: 24, channels: 3, min: -8388608, max: 8388607, coding: { kind: "int", bytes: 3, littleEndian: true }, scale: (v) => v / 8388608 },
    { name: "32-bit", bits: 32, channels: 2, min: -2147483648, max: 2147483647, coding: { kind: "int", bytes: 4, littleEndian: true }, scale: (v) => v / 2147483648 },
  ];
  for (const c of cases) {
    it(`${c.name}, ${c.channels} ch: every stored value maps to value / 2^(N-1), extremes included`, async () => {
      const ints = randomInts(c.channels, 1001, c.min, c.max, c.bits);
      ints[0]![0] = c.min;
      ints[0]![1] = c.max;
      const path = writeTemp(simpleWav({ formatTag: 1, channels: c.channels, sampleRateHz: 22050, bitsPerSample: c.bits }, encodeFrames(ints, c.coding)));
      const { info, channels } = await readWholeFile(path);
      expect(info).toMatchObject({ format: "wav", sampleRateHz: 22050, channelCount: c.channels, frameCount: 1001, bitDepth: c.bits });
      expect(info.durationSec).toBeCloseTo(1001 / 22050, 12);
      expectSamples(channels, ints, c.scale);
    });
  }

  it("8-bit: 0 -> -1, 128 -> 0, 255 -> 127/128", async () => {
    const path = writeTemp(simpleWav({ formatTag: 1, channels: 1, sampleRateHz: 8000, bitsPerSample: 8 }, Uint8Array.from([0, 128, 255])));
    const { channels } = await readWholeFile(path);
    expect(Array.from(channels[0]!)).toEqual([-1, 0, 127 / 128]);
  });
});

describe("IEEE float WAV", () => {
  it("float32 stereo is returned bit-exact", async () => {
    const values = [[0, 0.5, -0.25, 1, -1, 1.5, 1e-30], [0.125, -0.75, 0.3, -0.3, 2, -2, 0]];
    const path = writeTemp(simpleWav({ formatTag: 3, channels: 2, sampleRateHz: 48000, bitsPerSample: 32 }, encodeFrames(values, { kind: "float", bytes: 4, littleEndian: true }), { between: [{ id: "fact", body: new Uint8Array(4) }] }));
    const { info, channels } = await readWholeFile(path);
    expect(info).toMatchObject({ format: "wav", bitDepth: 32, channelCount: 2 });
    expectSamples(channels, values, (v) => v);
  });

  it("float64 mono is converted to the nearest float32", async () => {
    const values = [[0.1, -0.2, 0.3333333333333333, -1, 1]];
    const path = writeTemp(simpleWav({ formatTag: 3, channels: 1, sampleRateHz: 96000, bitsPerSample: 64 }, encodeFrames(values, { kind: "float", bytes: 8, littleEndian: true })));
    const { info, channels } = await readWholeFile(path);
    expect(info).toMatchObject({ bitDepth: 64, sampleRateHz: 96000 });
    expectSamples(channels, values, (v) => v);
  });
});

describe("WAVE_FORMAT_EXTENSIBLE", () => {
  it("24 valid bits in 32-bit containers (sub-format PCM) read as value / 2^23", async () => {
    const ints = randomInts(2, 300, -8388608, 8388607, 7);
    const fmt: WavFmt = { formatTag: 0xfffe, channels: 2, sampleRateHz: 44100, bitsPerSample: 32, extensible: { validBits: 24, channelMask: 3, subFormatTag: 1 } };
    const path = writeTemp(simpleWav(fmt, encodeFrames(ints, { kind: "int", bytes: 4, littleEndian: true, shift: 8 })));
    const { info, channels } = await readWholeFile(path);
    expect(info).toMatchObject({ bitDepth: 24, channelCount: 2, frameCount: 300 });
    expectSamples(channels, ints, (v) => v / 8388608);
  });

  it("6-channel 16-bit (sub-format PCM) keeps channel order", async () => {
    const ints = Array.from({ length: 6 }, (_, c) => Array.from({ length: 50 }, (_, i) => c * 1000 + i));
    const fmt: WavFmt = { formatTag: 0xfffe, channels: 6, sampleRateHz: 48000, bitsPerSample: 16, extensible: { validBits: 16, channelMask: 0x3f, subFormatTag: 1 } };
    const { channels } = await readWholeFile(writeTemp(simpleWav(fmt, encodeFrames(ints, { kind: "int", bytes: 2, littleEndian: true }))));
    expectSamples(channels, ints, (v) => v / 32768);
  });

  it("float32 sub-format is read as float", async () => {
    const values = [[0.5, -0.5, 0.25]];
    const fmt: WavFmt = { formatTag: 0xfffe, channels: 1, sampleRateHz: 44100, bitsPerSample: 32, extensible: { validBits: 32, channelMask: 4, subFormatTag: 3 } };
    const { channels } = await readWholeFile(writeTemp(simpleWav(fmt, encodeFrames(values, { kind: "float", bytes: 4, littleEndian: true }))));
    expectSamples(channels, values, (v) => v);
  });
});

describe("chunk layout", () => {
  const ints = [[1, -2, 3, -4, 5], [100, 200, -300, 400, -32768]];
  const data = encodeFrames(ints, { kind: "int", bytes: 2, littleEndian: true });
  const fmt: WavFmt = { formatTag: 1, channels: 2, sampleRateHz: 44100, bitsPerSample: 16 };

  it("skips unknown chunks before and after fmt, including odd-sized ones with their pad byte", async () => {
    const path = writeTemp(
      simpleWav(fmt, data, {
        before: [{ id: "JUNK", body: new Uint8Array(27) }],
        between: [{ id: "LIST", body: Uint8Array.from("INFOISFT\x03\x00\x00\x00ab\x00", (ch) => ch.charCodeAt(0)) }, { id: "bext", body: new Uint8Array(601) }],
        after: [{ id: "id3 ", body: new Uint8Array(11) }],
      }),
    );
    const { info, channels } = await readWholeFile(path);
    expect(info.frameCount).toBe(5);
    expectSamples(channels, ints, (v) => v / 32768);
  });

  it("finds fmt when it comes after data", async () => {
    const path = writeTemp(buildWav([{ id: "data", body: data }, fmtChunk(fmt)]));
    const { channels } = await readWholeFile(path);
    expectSamples(channels, ints, (v) => v / 32768);
  });

  it("reads an odd-length 8-bit data chunk followed by a pad byte and another chunk", async () => {
    const path = writeTemp(buildWav([fmtChunk({ formatTag: 1, channels: 1, sampleRateHz: 8000, bitsPerSample: 8 }), { id: "data", body: Uint8Array.from([0, 64, 255]) }, { id: "cue ", body: new Uint8Array(4) }]));
    const { info, channels } = await readWholeFile(path);
    expect(info.frameCount).toBe(3);
    expect(Array.from(channels[0]!)).toEqual([-1, -0.5, 127 / 128]);
  });

  it("ignores a wrong RIFF size field", async () => {
    const path = writeTemp(buildWav([fmtChunk(fmt), { id: "data", body: data }], { riffSize: 12345678 }));
    expect((await readWholeFile(path)).info.frameCount).toBe(5);
  });

  it("reads RF64 with the data size from ds64", async () => {
    const path = writeTemp(
      buildWav([ds64Chunk(0, data.length, 5), fmtChunk(fmt), { id: "data", body: data, declaredSize: 0xffffffff }], { riffId: "RF64", riffSize: 0xffffffff }),
    );
    const { info, channels } = await readWholeFile(path);
    expect(info).toMatchObject({ format: "wav", frameCount: 5 });
    expectSamples(channels, ints, (v) => v / 32768);
  });

  it("a data chunk claiming more bytes than the file has is read up to the last whole frame", async () => {
    const partial = new Uint8Array([...data, 0x11]); // 5 frames + 1 stray byte
    const path = writeTemp(buildWav([fmtChunk(fmt), { id: "data", body: partial, declaredSize: 1_000_000 }]));
    const reader = await openAudioFile(path);
    expect(reader.info.frameCount).toBe(5);
    const range = await reader.readRange(3, 8);
    await reader.close();
    expect(Array.from(range[0]!)).toEqual([-4 / 32768, 5 / 32768, 0, 0, 0]);
    expect((await readWholeFile(path)).channels[1]![4]).toBe(-1);
  });

  it("a data size of 0 with samples after it (recorder never patched the header) reads to the end of the file", async () => {
    const path = writeTemp(buildWav([fmtChunk(fmt), { id: "data", body: data, declaredSize: 0 }], { riffSize: 0 }));
    const { info, channels } = await readWholeFile(path);
    expect(info.frameCount).toBe(5);
    expectSamples(channels, ints, (v) => v / 32768);
  });
});
