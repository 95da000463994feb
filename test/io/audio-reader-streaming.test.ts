/**
 * Streaming and range reads: blocks concatenate to the full signal with exact block sizes and start
 * frames; readRange equals the same slice of a full read at random positions (inside blocks, across
 * block boundaries, past the end), for the seekable PCM reader and the decode-from-start readers.
 */

import { describe, it, expect, afterAll, beforeAll } from "vitest";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { openAudioFile, readWholeFile, type AudioFileReader } from "../../src/io/audio-reader.js";
import { encodeWav } from "../../src/io/wav-writer.js";
import { ParameterError } from "../../src/core/errors.js";
import { collectBlocks } from "./helpers/audio-compare.js";
import { buildAiff, encodeFrames, makeTempDir, randomInts, seededRandom } from "./helpers/pcm-builders.js";

const fixtures = join(fileURLToPath(new URL(".", import.meta.url)), "../fixtures/formats");
const tmp = makeTempDir("streaming");
afterAll(() => tmp.cleanup());

/** 150001 frames of 3-channel seeded noise: > 2 default blocks, not a multiple of any block size used. */
const FRAMES = 150001;
let wavPath: string;
let aiffPath: string;
let expected: Float32Array[];

beforeAll(() => {
  const ints = randomInts(3, FRAMES, -32768, 32767, 42);
  expected = ints.map((ch) => Float32Array.from(ch, (v) => v / 32768));
  wavPath = tmp.file("noise.wav", encodeWav(expected, 44100, "int16"));
  aiffPath = tmp.file("noise.aiff", buildAiff({ aifc: true, compression: "sowt", channels: 3, bits: 16, sampleRateHz: 44100, data: encodeFrames(ints, { kind: "int", bytes: 2, littleEndian: true }) }));
});

function expectEqualArrays(actual: readonly Float32Array[], wanted: readonly Float32Array[], label: string): void {
  expect(actual.length, label).toBe(wanted.length);
  actual.forEach((ch, c) => {
    expect(ch.length, `${label} ch ${c} length`).toBe(wanted[c]!.length);
    for (let i = 0; i < ch.length; i++) {
      if (ch[i] !== wanted[c]![i]) throw new Error(`${label}: channel ${c} frame ${i}: ${ch[i]} != ${wanted[c]![i]}`);
    }
  });
}

function sliceWithZeros(full: readonly Float32Array[], start: number, end: number): Float32Array[] {
  return full.map((ch) => {
    const out = new Float32Array(end - start);
    if (start < ch.length) out.set(ch.subarray(start, Math.min(end, ch.length)));
    return out;
  });
}

/** Random ranges: inside, across 65536-frame and 1000-frame boundaries, touching/past the end, empty. */
function rangesFor(frameCount: number, seed: number): [number, number][] {
  const rnd = seededRandom(seed);
  const ranges: [number, number][] = [
    [0, 1],
    [65535, 65537],
    [65536 - 10, 2 * 65536 + 10],
    [frameCount - 5, frameCount + 20],
    [frameCount + 100, frameCount + 200],
    [1234, 1234],
    [0, frameCount],
  ];
  for (let i = 0; i < 12; i++) {
    const start = Math.floor(rnd() * (frameCount + 500));
    ranges.push([start, start + 1 + Math.floor(rnd() * 90000)]);
  }
  return ranges;
}

describe.each([
  ["WAV", () => wavPath],
  ["AIFF-C sowt", () => aiffPath],
])("PCM reader (%s)", (_label, pathOf) => {
  for (const blockFrames of [undefined, 1000, 65536, 1, 200000]) {
    it(`blocks(${blockFrames ?? "default"}) concatenate to the full signal with consecutive start frames`, async () => {
      const reader = await openAudioFile(pathOf());
      const size = blockFrames ?? 65536;
      if (size === 1) {
        // Frame-by-frame is slow: check only the first 500 blocks.
        let n = 0;
        for await (const block of reader.blocks(1)) {
          expect(block.frameCount).toBe(1);
          expect(block.startFrame).toBe(n);
          expect(block.channels[2]![0]).toBe(expected[2]![n]);
          if (++n === 500) break;
        }
        await reader.close();
        return;
      }
      const { channels, blockSizes, startFrames } = await collectBlocks(reader, blockFrames);
      await reader.close();
      expectEqualArrays(channels, expected, "blocks");
      const count = Math.ceil(FRAMES / size);
      expect(blockSizes).toHaveLength(count);
      blockSizes.forEach((n, i) => expect(n).toBe(i < count - 1 ? size : FRAMES - size * (count - 1)));
      startFrames.forEach((s, i) => expect(s).toBe(i * size));
    });
  }

  it("readRange equals the slice of the full signal, zero past the end, in any order", async () => {
    const reader = await openAudioFile(pathOf());
    for (const [start, end] of rangesFor(FRAMES, 7)) {
      expectEqualArrays(await reader.readRange(start, end), sliceWithZeros(expected, start, end), `[${start}, ${end})`);
    }
    await reader.close();
  });

  it("concurrent readRange calls and an iteration in progress do not disturb each other", async () => {
    const reader = await openAudioFile(pathOf());
    const iterator = reader.blocks(4096)[Symbol.asyncIterator]();
    const first = await iterator.next();
    const ranges = await Promise.all([reader.readRange(100, 5000), reader.readRange(140000, 150500), reader.readRange(0, 10)]);
    expectEqualArrays(ranges[1]!, sliceWithZeros(expected, 140000, 150500), "concurrent range");
    const second = await iterator.next();
    expect(first.done).toBe(false);
    expect(second.value.startFrame).toBe(4096);
    expect(second.value.channels[0]![0]).toBe(expected[0]![4096]);
    await iterator.return?.();
    await reader.close();
  });
});

describe("decode-from-start readers (FLAC, MP3, Vorbis, Opus) and the whole-file reader (M4A)", () => {
  for (const file of ["reference.flac", "reference.mp3", "reference.ogg", "reference.opus", "reference.m4a"]) {
    it(`${file}: readRange matches the full decode forwards, backwards and past the end; blocks are exact-size`, async () => {
      const path = join(fixtures, file);
      const full = (await readWholeFile(path)).channels;
      const frameCount = full[0]!.length;
      const reader: AudioFileReader = await openAudioFile(path);
      const { channels, blockSizes } = await collectBlocks(reader, 4096);
      expectEqualArrays(channels, full, "blocks(4096)");
      blockSizes.slice(0, -1).forEach((n) => expect(n).toBe(4096));
      const ranges: [number, number][] = [
        [1000, 2000],
        [4095, 4097 + 8192],
        [30000, 30001],
        [500, 600], // backwards: restarts the decoder
        [frameCount - 10, frameCount + 10],
        [frameCount + 5, frameCount + 6],
        [0, frameCount],
      ];
      for (const [start, end] of ranges) {
        expectEqualArrays(await reader.readRange(start, end), sliceWithZeros(full, start, end), `${file} [${start}, ${end})`);
      }
      // Concurrent calls are serialised internally and still correct.
      const [a, b] = await Promise.all([reader.readRange(20000, 20100), reader.readRange(100, 200)]);
      expectEqualArrays(a!, sliceWithZeros(full, 20000, 20100), "concurrent a");
      expectEqualArrays(b!, sliceWithZeros(full, 100, 200), "concurrent b");
      await reader.close();
    });
  }

  it("breaking out of blocks() early frees the decoder and the reader stays usable", async () => {
    const reader = await openAudioFile(join(fixtures, "reference.flac"));
    for await (const block of reader.blocks(1024)) {
      expect(block.startFrame).toBe(0);
      break;
    }
    const again = await collectBlocks(reader, 65536);
    expect(again.channels[0]!.length).toBe(66150);
    await reader.close();
  });
});

describe("argument checks", () => {
  it("rejects bad block sizes and ranges with ParameterError", async () => {
    const reader = await openAudioFile(wavPath);
    await expect(reader.readRange(-1, 10)).rejects.toThrow(ParameterError);
    await expect(reader.readRange(10, 5)).rejects.toThrow(ParameterError);
    await expect(reader.readRange(0.5, 5)).rejects.toThrow(ParameterError);
    await expect(collectBlocks(reader, 0)).rejects.toThrow(ParameterError);
    await expect(collectBlocks(reader, 1.5)).rejects.toThrow(ParameterError);
    await reader.close();
  });
});
