/** Shared by the seeking tests (FLAC, MP3): counted reads, the sequential reference, range comparison. */
import { expect } from "vitest";
import { openAudioFile } from "../../../src/io/audio-reader.js";
import { openByteSource, type ByteSource } from "../../../src/io/byte-source.js";
import { DecodedStreamReader } from "../../../src/io/decoded-stream-reader.js";
import type { StreamCodecFormat } from "../../../src/io/stream-codecs.js";
import { collectBlocks } from "./audio-compare.js";

/** A ByteSource that counts the bytes read through it (to see that a seek skipped most of the file). */
export async function countingSource(path: string): Promise<ByteSource & { bytesRead: number }> {
  const inner = await openByteSource(path);
  const counter = {
    path: inner.path,
    sizeBytes: inner.sizeBytes,
    bytesRead: 0,
    async readInto(target: Uint8Array, targetOffset: number, length: number, position: number): Promise<number> {
      const n = await inner.readInto(target, targetOffset, length, position);
      counter.bytesRead += n;
      return n;
    },
    async readAt(position: number, length: number): Promise<Uint8Array> {
      const bytes = await inner.readAt(position, length);
      counter.bytesRead += bytes.length;
      return bytes;
    },
    close: () => inner.close(),
  };
  return counter;
}

/** The whole file decoded block by block from the start (the reference every range must match). */
export async function sequentialDecode(path: string): Promise<Float32Array[]> {
  const reader = await openAudioFile(path);
  try {
    return (await collectBlocks(reader)).channels;
  } finally {
    await reader.close();
  }
}

/** A DecodedStreamReader over `path` (stream from `streamOffset`) whose reads are counted. */
export async function countedReader(
  path: string,
  format: StreamCodecFormat,
  streamOffset: number,
  seek = true,
): Promise<{ reader: DecodedStreamReader; source: ByteSource & { bytesRead: number } }> {
  const probe = await openAudioFile(path);
  const info = probe.info;
  await probe.close();
  const source = await countingSource(path);
  return { reader: new DecodedStreamReader(source, info, format, streamOffset, undefined, { seek }), source };
}

/** Shuffles `ranges` in place with `pick(n)` in [0, n) and drops empty ones. */
export function shuffledRanges(ranges: Array<[number, number]>, pick: (n: number) => number): Array<[number, number]> {
  for (let i = ranges.length - 1; i > 0; i--) {
    const j = pick(i + 1);
    [ranges[i], ranges[j]] = [ranges[j]!, ranges[i]!];
  }
  return ranges.filter(([a, b]) => a < b);
}

/** `got` equals `reference[start, end)` in every channel, bit for bit (zeros past the reference's end). */
export function expectSameRange(got: Float32Array[], reference: Float32Array[], start: number, end: number, label: string): void {
  expect(got.length, label).toBe(reference.length);
  for (let c = 0; c < reference.length; c++) {
    const g = got[c]!;
    let firstDiff = -1;
    for (let i = 0; i < end - start; i++) {
      const want = start + i < reference[c]!.length ? reference[c]![start + i]! : 0;
      if (g[i] !== want) {
        firstDiff = i;
        break;
      }
    }
    expect(firstDiff, `${label} [${start}, ${end}) channel ${c}: first differing frame`).toBe(-1);
  }
}
