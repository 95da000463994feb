import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { openAudioFile } from "../../src/io/audio-reader.js";
import { openByteSource } from "../../src/io/byte-source.js";
import { findMpegSync, id3v2Size } from "../../src/io/format-detect.js";
import { Mp3Seeker } from "../../src/io/mp3-seek.js";
import { countedReader as countedStreamReader, expectSameRange, sequentialDecode, shuffledRanges } from "./helpers/seek-helpers.js";
import { seededRandom } from "./helpers/pcm-builders.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const fixtures = join(here, "../fixtures/mp3-seek");

/** MPEG-1 Layer III fixtures (made by make-fixtures.sh) and whether they carry a Xing/Info + LAME tag. */
const FIXTURES: Record<string, { spf: number; lameTag: boolean }> = {
  "cbr128-lame.mp3": { spf: 1152, lameTag: true },
  "vbr-lame.mp3": { spf: 1152, lameTag: true },
  "vbr48k.mp3": { spf: 1152, lameTag: true },
  "cbr96-notag.mp3": { spf: 1152, lameTag: false },
  "mono32.mp3": { spf: 1152, lameTag: false },
  "ffmpeg-vbr.mp3": { spf: 1152, lameTag: true },
};

/** File offset of the first MPEG frame (after an ID3v2 tag). */
function firstFrameOffset(path: string): number {
  const bytes = new Uint8Array(readFileSync(path));
  const tag = id3v2Size(bytes);
  return findMpegSync(bytes, tag, 4096);
}

/** A DecodedStreamReader over `path` whose reads are counted. */
function countedReader(path: string, seek = true): ReturnType<typeof countedStreamReader> {
  return countedStreamReader(path, "mp3", firstFrameOffset(path), seek);
}

/** First and last frames, frame edges, short and long ranges anywhere, in a seeded random order. */
function testRanges(total: number, spf: number, seed: number, randomCount: number): Array<[number, number]> {
  const random = seededRandom(seed);
  const pick = (n: number): number => Math.floor(random() * n);
  const clamp = (a: number, b: number): [number, number] => [Math.max(0, Math.min(a, total)), Math.max(0, Math.min(b, total))];
  const ranges: Array<[number, number]> = [
    [0, 1],
    [0, spf],
    clamp(total - 1, total),
    clamp(total - spf - 3, total),
    clamp(total - 5000, total + 3000), // past the end: the tail is zeros
  ];
  const frames = Math.max(1, Math.floor(total / spf));
  for (let k = 0; k < randomCount; k++) {
    const kind = k % 3;
    const edge = pick(frames) * spf;
    if (kind === 0) ranges.push(clamp(edge - 1 - pick(40), edge + 1 + pick(3 * spf)));
    else if (kind === 1) {
      const a = pick(total);
      ranges.push(clamp(a, a + 1 + pick(300)));
    } else {
      const a = pick(total);
      ranges.push(clamp(a, a + 1 + pick(44100)));
    }
  }
  return shuffledRanges(ranges, pick);
}

describe("Mp3Seeker frame index", () => {
  for (const [file, expected] of Object.entries(FIXTURES)) {
    it(`${file}: its length is the sequential gapless decode's, frames are ${expected.spf} samples`, async () => {
      const path = join(fixtures, file);
      const reference = await sequentialDecode(path);
      const source = await openByteSource(path);
      try {
        const seeker = await Mp3Seeker.open(source, firstFrameOffset(path));
        expect(seeker).toBeDefined();
        expect(seeker!.samplesPerFrame).toBe(expected.spf);
        expect(seeker!.totalSamples).toBe(reference[0]!.length);
        if (expected.lameTag) expect(seeker!.skipSamples).toBeGreaterThan(529);
        else {
          expect(seeker!.skipSamples).toBe(0);
          expect(seeker!.totalSamples).toBe(seeker!.frameCount * expected.spf);
        }
      } finally {
        await source.close();
      }
    });
  }
});

describe("MP3 range reads that seek", () => {
  for (const [index, [file, expected]] of Object.entries(FIXTURES).entries()) {
    it(`${file}: bit-identical to a sequential decode over seeded random ranges in random order`, async () => {
      const path = join(fixtures, file);
      const reference = await sequentialDecode(path);
      const total = reference[0]!.length;
      const { reader } = await countedReader(path);
      try {
        for (const [a, b] of testRanges(total, expected.spf, 500 + index, 60)) {
          expectSameRange(await reader.readRange(a, b), reference, a, b, file);
        }
      } finally {
        await reader.close();
      }
      // The same through openAudioFile (small files decode from the bytes already read).
      const opened = await openAudioFile(path);
      try {
        for (const [a, b] of testRanges(total, expected.spf, 900 + index, 20)) {
          expectSameRange(await opened.readRange(a, b), reference, a, b, file);
        }
      } finally {
        await opened.close();
      }
    }, 20_000);
  }

  it("every fixture: a range read behind the decoder reads a few frames after the index is built", async () => {
    for (const file of Object.keys(FIXTURES)) {
      const path = join(fixtures, file);
      const { reader, source } = await countedReader(path);
      try {
        const total = reader.info.frameCount ?? (await sequentialDecode(path))[0]!.length;
        await reader.readRange(total - 2000, total - 1000); // builds the frame index
        const before = source.bytesRead;
        await reader.readRange(Math.floor(total / 2), Math.floor(total / 2) + 1000);
        // Pre-roll (>= 10 frames and 2 KiB, rounded down to 4 frames) + the first 32 KiB input chunk.
        expect(source.bytesRead - before, file).toBeLessThanOrEqual(32 * 1024);
        // Decoding from the start would read the whole stream (in one 256 KiB chunk for these files).
        expect(source.bytesRead - before, file).toBeLessThan(source.sizeBytes - firstFrameOffset(path));
      } finally {
        await reader.close();
      }
    }
  });

  it("a range near the end after a later one reads a few frames, not the file from the start", async () => {
    const path = join(fixtures, "cbr128-lame.mp3");
    const reference = await sequentialDecode(path);
    const total = reference[0]!.length;
    const { reader, source } = await countedReader(path);
    try {
      // The first seek builds the frame index (one pass over the file).
      expectSameRange(await reader.readRange(total - 2000, total - 1000), reference, total - 2000, total - 1000, "last");
      const before = source.bytesRead;
      expectSameRange(await reader.readRange(total - 30000, total - 29000), reference, total - 30000, total - 29000, "behind");
      // 128 kbps: 418 bytes per frame; pre-roll 10 frames + a 32 KiB first chunk.
      expect(source.bytesRead - before).toBeLessThan(40 * 1024);
    } finally {
      await reader.close();
    }
    const { reader: forward, source: forwardSource } = await countedReader(path, false);
    try {
      await forward.readRange(total - 2000, total - 1000);
      const before = forwardSource.bytesRead;
      await forward.readRange(total - 30000, total - 29000);
      expect(forwardSource.bytesRead - before).toBeGreaterThan(100 * 1024); // from frame 0 again
    } finally {
      await forward.close();
    }
  });
});

describe("MP3 streams the seeker does not trust decode from the start", () => {
  async function withFile(bytes: Uint8Array, run: (path: string) => Promise<void>): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), "mp3-seek-"));
    try {
      const path = join(dir, "x.mp3");
      await writeFile(path, bytes);
      await run(path);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  const original = new Uint8Array(readFileSync(join(fixtures, "cbr96-notag.mp3")));
  const cases: Array<[string, Uint8Array]> = [
    ["MPEG-2 (576-sample frames)", new Uint8Array(readFileSync(join(fixtures, "mpeg2-mono32.mp3")))],
    ["garbage after the last frame", Uint8Array.from([...original, ...new Uint8Array(300).fill(0x55)])],
    ["a last frame cut short", original.subarray(0, original.length - 100)],
    ["a Xing frame count that differs from the frames found", (() => {
      const b = Uint8Array.from(readFileSync(join(fixtures, "cbr128-lame.mp3")));
      // MPEG-1 stereo: "Info" at 4 + 32, flags at +4, frame count at +8 (big-endian).
      expect(String.fromCharCode(...b.subarray(36, 40))).toBe("Info");
      b[47] = b[47]! - 3;
      return b;
    })()],
    ["a damaged header in the middle", (() => {
      const b = Uint8Array.from(original);
      // Frame 40 of 96 kbps frames (313 or 314 bytes): find its sync and break it.
      const at = findMpegSync(b, 40 * 313, 1000);
      b[at] = 0;
      return b;
    })()],
  ];
  for (const [label, bytes] of cases) {
    it(`${label}: no seeker, ranges still equal the sequential decode`, async () => {
      await withFile(bytes, async (path) => {
        const source = await openByteSource(path);
        try {
          expect(await Mp3Seeker.open(source, 0)).toBeUndefined();
        } finally {
          await source.close();
        }
        const reference = await sequentialDecode(path);
        const reader = await openAudioFile(path);
        try {
          for (const [a, b] of testRanges(reference[0]!.length, 1152, 77, 12)) {
            expectSameRange(await reader.readRange(a, b), reference, a, b, label);
          }
        } finally {
          await reader.close();
        }
      });
    });
  }
});
