import { describe, it, expect } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { join, resolve } from "node:path";
import { openAudioFile } from "../../src/io/audio-reader.js";
import { openByteSource } from "../../src/io/byte-source.js";
import { FlacSeeker } from "../../src/io/flac-seek.js";
import { FlacStreamDecoder } from "../../src/io/flac-decoder.js";
import { concatParts } from "./helpers/audio-compare.js";
import { countedReader as countedStreamReader, expectSameRange, sequentialDecode, shuffledRanges } from "./helpers/seek-helpers.js";
import { buildFlac } from "./helpers/flac-builder.js";
import { seededRandom } from "./helpers/pcm-builders.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const fixtures = join(here, "../fixtures/flac-seek");
const corpus = resolve(here, "../../..", "shared/corpus/sonic-pi");
const FIXTURES = ["tones-seektable.flac", "tones-no-seektable.flac", "tones-variable-blocksize.flac"];

/** A reader over `path` whose reads are counted (native FLAC at byte 0, as all files here). */
function countedReader(path: string): ReturnType<typeof countedStreamReader> {
  return countedStreamReader(path, "flac", 0);
}

/**
 * Ranges that test seeking: the first and last frames, ranges inside one block, across block edges, long
 * ones and random ones, in a seeded random order.
 */
function testRanges(totalFrames: number, blockFrames: number, seed: number, randomCount: number): Array<[number, number]> {
  const random = seededRandom(seed);
  const pick = (n: number): number => Math.floor(random() * n);
  const clamp = (a: number, b: number): [number, number] => [Math.max(0, Math.min(a, totalFrames)), Math.max(0, Math.min(b, totalFrames))];
  const ranges: Array<[number, number]> = [
    [0, Math.min(totalFrames, 1)],
    [0, Math.min(totalFrames, blockFrames)],
    clamp(totalFrames - 1, totalFrames),
    clamp(totalFrames - blockFrames - 7, totalFrames),
    clamp(totalFrames - 3 * blockFrames, totalFrames - 2 * blockFrames + 5),
  ];
  const blocks = Math.max(1, Math.floor(totalFrames / blockFrames));
  for (let k = 0; k < randomCount; k++) {
    const kind = k % 4;
    const blockStart = pick(blocks) * blockFrames;
    if (kind === 0) {
      const a = blockStart + pick(blockFrames);
      ranges.push(clamp(a, a + 1 + pick(blockStart + blockFrames - a))); // inside one block
    } else if (kind === 1) {
      ranges.push(clamp(blockStart - 1 - pick(64), blockStart + 1 + pick(3 * blockFrames))); // across edges
    } else if (kind === 2) {
      ranges.push(clamp(blockStart, blockStart + blockFrames)); // exactly one block
    } else {
      const a = pick(totalFrames);
      ranges.push(clamp(a, a + 1 + pick(2 * 44100))); // up to 2 s, anywhere
    }
  }
  return shuffledRanges(ranges, pick);
}

function nominalBlockFrames(path: string): number {
  const b = readFileSync(path);
  return (b[8 + 2]! << 8) | b[8 + 3]!; // STREAMINFO maximum block size
}

/** Feeds `bytes` to a fresh decoder in one piece and returns its output and error count. */
function decodeBytes(bytes: Uint8Array): { channels: Float32Array[]; errorCount: number } {
  const decoder = new FlacStreamDecoder();
  const parts: Float32Array[][] = [];
  let errorCount = 0;
  const take = (r: ReturnType<FlacStreamDecoder["decode"]>): void => {
    errorCount += r.errorCount;
    if (r.samplesDecoded > 0) parts.push(r.channelData.map((c) => c.slice(0, r.samplesDecoded)));
  };
  take(decoder.decode(bytes));
  while (decoder.hasPendingOutput) take(decoder.decode(new Uint8Array(0)));
  take(decoder.flush());
  while (decoder.hasPendingOutput) take(decoder.flush());
  return { channels: concatParts(parts), errorCount };
}

describe("FlacStreamDecoder keeps the frame numbering when a frame header is lost", () => {
  // Mono 16-bit VERBATIM frames of 1024 random samples: 42 bytes of metadata, then 2059 bytes per frame
  // (8-byte header, 1 + 2048 subframe bytes, 2-byte CRC-16).
  const frameBytes = 2059;
  const samples = new Int32Array(5 * 1024);
  const random = seededRandom(21);
  for (let i = 0; i < samples.length; i++) samples[i] = Math.floor(random() * 65536) - 32768;
  const flac = buildFlac({ sampleRateHz: 44100, bitsPerSample: 16, channels: [samples], blockFrames: 1024 });

  it("outputs silence of the lost frame's length (one error), the frames after it at their own positions", () => {
    expect(flac.length).toBe(42 + 5 * frameBytes);
    const damaged = Uint8Array.from(flac);
    damaged[42 + 2 * frameBytes + 7] = damaged[42 + 2 * frameBytes + 7]! ^ 0x01; // frame 2's CRC-8
    const { channels, errorCount } = decodeBytes(damaged);
    expect(channels[0]!.length).toBe(5 * 1024);
    expect(errorCount).toBe(1);
    for (let i = 0; i < 5 * 1024; i++) {
      const want = i >= 2048 && i < 3072 ? 0 : samples[i]! / 32768;
      if (channels[0]![i] !== want) expect(`${i}: ${channels[0]![i]}`).toBe(`${i}: ${want}`);
    }
  });

  it("a stream that starts at a later frame (cut from a longer one) gets no leading silence", () => {
    const cut = new Uint8Array(flac.length - frameBytes);
    cut.set(flac.subarray(0, 42));
    cut.set(flac.subarray(42 + frameBytes), 42);
    const { channels, errorCount } = decodeBytes(cut);
    expect(errorCount).toBe(0);
    expect(channels[0]!.length).toBe(4 * 1024);
    expect(channels[0]![0]).toBe(samples[1024]! / 32768);
  });
});

describe("FLAC range reads that seek", () => {
  it("give bit-identical samples to a sequential decode on every CC0 corpus file (seeded random ranges, random order)", async () => {
    const files = readdirSync(corpus)
      .filter((f) => f.endsWith(".flac"))
      .sort();
    expect(files.length).toBeGreaterThanOrEqual(165);
    let rangesChecked = 0;
    for (const [index, file] of files.entries()) {
      const path = join(corpus, file);
      const reference = await sequentialDecode(path);
      const total = reference[0]!.length;
      const reader = await openAudioFile(path);
      try {
        expect(reader.info.frameCount).toBe(total);
        for (const [a, b] of testRanges(total, nominalBlockFrames(path), 1000 + index, 7)) {
          expectSameRange(await reader.readRange(a, b), reference, a, b, file);
          rangesChecked++;
        }
      } finally {
        await reader.close();
      }
    }
    expect(rangesChecked).toBeGreaterThan(165 * 10);
  }, 60_000);

  it("skips most of the file for a range near the end of the longest corpus file (ambi_sauna.flac)", async () => {
    const path = join(corpus, "ambi_sauna.flac");
    const { reader, source } = await countedReader(path);
    try {
      const total = reader.info.frameCount!;
      const reference = await sequentialDecode(path);
      source.bytesRead = 0;
      const got = await reader.readRange(total - 5000, total - 1000);
      expectSameRange(got, reference, total - 5000, total - 1000, "ambi_sauna");
      expect(source.bytesRead).toBeLessThan(source.sizeBytes / 4);
    } finally {
      await reader.close();
    }
  });

  for (const name of FIXTURES) {
    it(`${name}: many ranges in random order equal the sequential decode, each read only a small part of the file`, async () => {
      const path = join(fixtures, name);
      const reference = await sequentialDecode(path);
      const total = reference[0]!.length;
      expect(total).toBe(17 * 44100);
      const { reader, source } = await countedReader(path);
      try {
        for (const [k, [a, b]] of testRanges(total, 1152, 7, 160).entries()) {
          const before = source.bytesRead;
          expectSameRange(await reader.readRange(a, b), reference, a, b, name);
          // After the first read (which also reads the metadata and the last frame), a short range (a unit)
          // costs a forward window or one seek: never the file from the start.
          if (k > 0 && b - a <= 8820) expect(source.bytesRead - before, `[${a}, ${b}) bytes read`).toBeLessThan(source.sizeBytes / 2);
        }
      } finally {
        await reader.close();
      }
    });

    it(`${name}: FlacSeeker.locate returns the frame holding each sample, and decoding from it matches`, async () => {
      const path = join(fixtures, name);
      const bytes = readFileSync(path);
      const reference = await sequentialDecode(path);
      const source = await openByteSource(path);
      try {
        const seeker = (await FlacSeeker.open(source, 0))!;
        expect(seeker).toBeDefined();
        expect(seeker.totalSamples).toBe(reference[0]!.length);
        const random = seededRandom(99);
        const decoder = new FlacStreamDecoder();
        for (let k = 0; k < 60; k++) {
          const sample = k === 0 ? seeker.totalSamples - 1 : Math.floor(random() * seeker.totalSamples);
          const frame = await seeker.locate(sample);
          expect(frame.firstSample).toBeLessThanOrEqual(sample);
          expect(sample).toBeLessThan(frame.firstSample + frame.blockFrames);
          // The frame decodes on its own (fLaC + STREAMINFO + its bytes) to the reference's samples there.
          decoder.reset();
          decoder.decode(seeker.decoderHead);
          const result = decoder.decode(bytes.subarray(frame.byteOffset, frame.byteOffset + 64 * 1024));
          const flushed = result.samplesDecoded > 0 ? result : decoder.flush();
          expect(flushed.errorCount).toBe(0);
          const got = concatParts([flushed.channelData.map((ch) => ch.slice(0, frame.blockFrames))]);
          expectSameRange(got, reference, frame.firstSample, frame.firstSample + frame.blockFrames, `${name} frame at ${frame.byteOffset}`);
        }
      } finally {
        await source.close();
      }
    });
  }

  /** Writes `bytes` to a temporary file, runs `body` on its path, removes it. */
  async function withTempFile(bytes: Uint8Array, body: (path: string) => Promise<void>): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), "mass-audio-flac-seek-"));
    try {
      const path = join(dir, "file.flac");
      await writeFile(path, bytes);
      await body(path);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Byte offset of the frame holding `sample` in `path` (the seeker, checked by the tests above). */
  async function frameOffset(path: string, sample: number): Promise<number> {
    const source = await openByteSource(path);
    try {
      return (await (await FlacSeeker.open(source, 0))!.locate(sample)).byteOffset;
    } finally {
      await source.close();
    }
  }

  it("damage inside a frame body in the middle: every range equals the sequential decode (seeking falls back to it)", async () => {
    const path0 = join(fixtures, "tones-no-seektable.flac");
    const damaged = Uint8Array.from(readFileSync(path0));
    // A frame inside a tone burst (8.6 s: bursts play 0.3 s of every 0.5 s) is long; bytes 40 and 200 of it are subframe data.
    const frameAt = await frameOffset(path0, Math.round(8.6 * 44100));
    damaged[frameAt + 40] = damaged[frameAt + 40]! ^ 0x24;
    damaged[frameAt + 200] = damaged[frameAt + 200]! ^ 0x01;
    await withTempFile(damaged, async (path) => {
      const reference = await sequentialDecode(path);
      const total = reference[0]!.length;
      expect(total).toBe(17 * 44100); // the damaged frame became silence of its block size
      const reader = await openAudioFile(path);
      try {
        // Around the damage, after a read far away (so this one seeks).
        await reader.readRange(total - 100, total);
        const at = Math.round(8.6 * 44100);
        expectSameRange(await reader.readRange(at - 3000, at + 3000), reference, at - 3000, at + 3000, "damaged frame");
        for (const [a, b] of testRanges(total, 1152, 3, 40)) expectSameRange(await reader.readRange(a, b), reference, a, b, "damaged");
      } finally {
        await reader.close();
      }
    });
  });

  for (const name of ["tones-no-seektable.flac", "tones-variable-blocksize.flac"]) {
    it(`${name} with a damaged frame header in the middle: the lost frame is silence in the sequential decode, and every range equals it`, async () => {
      const path0 = join(fixtures, name);
      const damaged = Uint8Array.from(readFileSync(path0));
      const sample = Math.round(8.6 * 44100);
      const source = await openByteSource(path0);
      const frame = await (await FlacSeeker.open(source, 0))!.locate(sample);
      await source.close();
      damaged[frame.byteOffset + 2] = damaged[frame.byteOffset + 2]! ^ 0x10; // header CRC-8 fails: the frame is lost
      await withTempFile(damaged, async (path) => {
        const reference = await sequentialDecode(path);
        const original = await sequentialDecode(path0);
        expect(reference[0]!.length).toBe(17 * 44100); // the next frame's number reveals the gap
        for (let c = 0; c < 2; c++) {
          expect(reference[c]!.subarray(frame.firstSample, frame.firstSample + frame.blockFrames).every((v) => v === 0)).toBe(true);
        }
        const after = frame.firstSample + frame.blockFrames;
        expectSameRange(reference.map((ch) => ch.subarray(after)), original.map((ch) => ch.subarray(after)), 0, original[0]!.length - after, "after the lost frame");
        const reader = await openAudioFile(path);
        try {
          for (const [a, b] of testRanges(reference[0]!.length, 1152, 4, 60)) expectSameRange(await reader.readRange(a, b), reference, a, b, "header damaged");
        } finally {
          await reader.close();
        }
      });
    });
  }

  it("does not seek in a stream whose last frame disagrees with STREAMINFO's length (cut short): ranges still match", async () => {
    const original = readFileSync(join(fixtures, "tones-seektable.flac"));
    const dir = await mkdtemp(join(tmpdir(), "mass-audio-flac-seek-"));
    try {
      const path = join(dir, "cut.flac");
      await writeFile(path, original.subarray(0, Math.floor(original.length * 0.8)));
      const source = await openByteSource(path);
      expect(await FlacSeeker.open(source, 0)).toBeUndefined();
      await source.close();
      const reference = await sequentialDecode(path);
      const reader = await openAudioFile(path);
      try {
        for (const [a, b] of testRanges(reference[0]!.length, 4096, 5, 12)) expectSameRange(await reader.readRange(a, b), reference, a, b, "cut");
      } finally {
        await reader.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
