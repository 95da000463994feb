/**
 * Range reads from a long FLAC: random unit-sized ranges (0.05-2 s, seeded, random order) read with
 * seeking (SEEKTABLE, or bisection when the table is hidden) and without (the decode-forward-only path, a
 * range before the previous one restarts from frame 0). Prints one JSON line per case: ms per read.
 *
 * `node dist/bench/flac-seek-bench.js [--minutes N] [file.flac]`: with no file it writes an N-minute
 * (default 60) 44.1 kHz 16-bit stereo FLAC to a temporary folder with the small encoder below (FIXED
 * order-2 prediction, Rice residual, 4096-frame blocks, a SEEKTABLE point every 10 s) and a copy whose
 * SEEKTABLE is turned into PADDING. The encoder's frames decode faster than libFLAC's LPC frames, so for
 * figures on encoder output, pass a file made by `flac`.
 */
import { copyFile, mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { openAudioFile } from "../src/io/audio-reader.js";
import { openByteSource } from "../src/io/byte-source.js";
import { DecodedStreamReader } from "../src/io/decoded-stream-reader.js";
import { FLAC_CRC8_TABLE } from "../src/io/flac-decoder.js";
import { median, seededRandom, type BenchFigure } from "./bench-util.js";

const SAMPLE_RATE_HZ = 44100;
/** Frames per FLAC block of the generated file (~93 ms). */
const BLOCK_FRAMES = 4096;
/** Seek point spacing of the generated SEEKTABLE: 10 s. */
const SEEK_POINT_SEC = 10;

/** Big-endian bit writer over a growable byte buffer. */
class BitWriter {
  bytes = new Uint8Array(1 << 16);
  length = 0;
  private acc = 0;
  private count = 0;

  /** Appends the low `n` bits of `value` (n <= 24). */
  write(value: number, n: number): void {
    this.acc = (this.acc << n) | (value & ((1 << n) - 1));
    this.count += n;
    while (this.count >= 8) {
      this.count -= 8;
      this.push((this.acc >>> this.count) & 0xff);
    }
    this.acc &= (1 << this.count) - 1;
  }

  align(): void {
    if (this.count > 0) this.write(0, 8 - this.count);
  }

  push(byte: number): void {
    if (this.length === this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes[this.length++] = byte;
  }

  reset(): void {
    this.length = 0;
    this.acc = 0;
    this.count = 0;
  }
}

function crc16(bytes: Uint8Array, end: number): number {
  let crc = 0;
  for (let i = 0; i < end; i++) {
    crc ^= bytes[i]! << 8;
    for (let b = 0; b < 8; b++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x8005) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** FLAC's UTF-8-like coded frame number. */
function writeCodedNumber(w: BitWriter, n: number): void {
  if (n < 0x80) return w.write(n, 8);
  let bytes = 2;
  while (n >= 2 ** (5 * bytes + 1)) bytes++;
  w.write(((0xff << (8 - bytes)) & 0xff) | Math.floor(n / 2 ** (6 * (bytes - 1))), 8);
  for (let i = bytes - 2; i >= 0; i--) w.write(0x80 | (Math.floor(n / 2 ** (6 * i)) & 0x3f), 8);
}

/** One FIXED order-2 subframe of 16-bit samples with a Rice residual (one partition). */
function writeSubframe(w: BitWriter, s: Int16Array, n: number): void {
  w.write(0x14, 8); // FIXED, order 2
  w.write(s[0]!, 16);
  w.write(s[1]!, 16);
  let sum = 0;
  for (let i = 2; i < n; i++) sum += Math.abs(s[i]! - 2 * s[i - 1]! + s[i - 2]!);
  const mean = sum / Math.max(1, n - 2);
  const k = Math.min(14, Math.max(0, Math.floor(Math.log2(mean + 1))));
  w.write(0, 2); // Rice, 4-bit parameters
  w.write(0, 4); // partition order 0
  w.write(k, 4);
  for (let i = 2; i < n; i++) {
    const r = s[i]! - 2 * s[i - 1]! + s[i - 2]!;
    const u = r >= 0 ? 2 * r : -2 * r - 1;
    let q = u >>> k;
    while (q >= 24) {
      w.write(0, 24);
      q -= 24;
    }
    w.write(1, q + 1);
    if (k > 0) w.write(u & ((1 << k) - 1), k);
  }
}

/**
 * Writes `minutes` of a stereo test signal (three drifting tones per channel + seeded noise at -54 dBFS)
 * as native FLAC with a SEEKTABLE, then a copy whose SEEKTABLE block is PADDING.
 * @returns the two paths.
 */
async function writeLongFlac(dir: string, minutes: number): Promise<{ withTable: string; withoutTable: string }> {
  const totalFrames = Math.round(minutes * 60 * SAMPLE_RATE_HZ);
  const frames = Math.ceil(totalFrames / BLOCK_FRAMES);
  const pointEvery = Math.round((SEEK_POINT_SEC * SAMPLE_RATE_HZ) / BLOCK_FRAMES);
  const points: Array<{ sample: number; offset: number }> = [];
  const pointCount = Math.ceil(frames / pointEvery);
  const path = join(dir, "long.flac");
  const handle = await open(path, "w");
  try {
    const head = new Uint8Array(4 + 4 + 34 + 4 + pointCount * 18);
    head.set([0x66, 0x4c, 0x61, 0x43, 0x00, 0, 0, 34]);
    const si = head.subarray(8, 42);
    si[0] = BLOCK_FRAMES >> 8;
    si[2] = BLOCK_FRAMES >> 8;
    si[10] = SAMPLE_RATE_HZ >> 12;
    si[11] = (SAMPLE_RATE_HZ >> 4) & 0xff;
    si[12] = ((SAMPLE_RATE_HZ & 15) << 4) | (1 << 1) | 0; // 2 channels, bps-1 = 15 (high bit 0)
    si[13] = (15 << 4) | Math.floor(totalFrames / 2 ** 32);
    new DataView(si.buffer, si.byteOffset + 14, 4).setUint32(0, totalFrames % 2 ** 32);
    const tableLength = pointCount * 18;
    head.set([0x83, tableLength >> 16, (tableLength >> 8) & 0xff, tableLength & 0xff], 42);
    await handle.write(head, 0, head.length, 0);
    let position = head.length;
    const random = seededRandom(4);
    const left = new Int16Array(BLOCK_FRAMES);
    const right = new Int16Array(BLOCK_FRAMES);
    const w = new BitWriter();
    for (let frame = 0; frame < frames; frame++) {
      const start = frame * BLOCK_FRAMES;
      const n = Math.min(BLOCK_FRAMES, totalFrames - start);
      for (let i = 0; i < n; i++) {
        const t = (start + i) / SAMPLE_RATE_HZ;
        const drift = 1 + 0.05 * Math.sin(t * 0.01);
        const tone = 2000 * Math.sin(2 * Math.PI * 220 * drift * t) + 1200 * Math.sin(2 * Math.PI * 331 * t) + 700 * Math.sin(2 * Math.PI * 1250 * drift * t);
        left[i] = Math.round(tone + (random() - 0.5) * 128);
        right[i] = Math.round(0.8 * tone + (random() - 0.5) * 128);
      }
      if (frame % pointEvery === 0) points.push({ sample: start, offset: position - head.length });
      w.reset();
      w.write(0xfff8, 16);
      w.write(n === BLOCK_FRAMES ? 12 : 7, 4); // 4096 frames, or 16-bit (n - 1) after the number
      w.write(9, 4); // 44.1 kHz
      w.write(1, 4); // 2 independent channels
      w.write(4, 3); // 16 bits
      w.write(0, 1);
      writeCodedNumber(w, frame);
      if (n !== BLOCK_FRAMES) w.write(n - 1, 16);
      let crc8 = 0;
      for (let i = 0; i < w.length; i++) crc8 = FLAC_CRC8_TABLE[crc8 ^ w.bytes[i]!]!;
      w.write(crc8, 8);
      writeSubframe(w, left, n);
      writeSubframe(w, right, n);
      w.align();
      const crc = crc16(w.bytes, w.length);
      w.push(crc >> 8);
      w.push(crc & 0xff);
      await handle.write(w.bytes, 0, w.length, position);
      position += w.length;
    }
    const table = new Uint8Array(tableLength);
    const view = new DataView(table.buffer);
    points.forEach((p, k) => {
      view.setUint32(k * 18, Math.floor(p.sample / 2 ** 32));
      view.setUint32(k * 18 + 4, p.sample % 2 ** 32);
      view.setUint32(k * 18 + 8, Math.floor(p.offset / 2 ** 32));
      view.setUint32(k * 18 + 12, p.offset % 2 ** 32);
      view.setUint16(k * 18 + 16, BLOCK_FRAMES);
    });
    await handle.write(table, 0, table.length, 46);
  } finally {
    await handle.close();
  }
  const withoutTable = join(dir, "long-no-seektable.flac");
  await copyFile(path, withoutTable);
  const copy = await open(withoutTable, "r+");
  try {
    await copy.write(new Uint8Array([0x81]), 0, 1, 42); // SEEKTABLE -> PADDING (last block)
  } finally {
    await copy.close();
  }
  return { withTable: path, withoutTable };
}

/** Seeded ranges of 0.05-2 s anywhere in the file. */
function unitRanges(totalFrames: number, count: number, seed: number): Array<[number, number]> {
  const random = seededRandom(seed);
  const ranges: Array<[number, number]> = [];
  for (let k = 0; k < count; k++) {
    const length = Math.round((0.05 + random() * 1.95) * SAMPLE_RATE_HZ);
    const start = Math.floor(random() * (totalFrames - length));
    ranges.push([start, start + length]);
  }
  return ranges;
}

export interface RangeBench {
  reads: number;
  msPerReadMean: number;
  msPerReadMedian: number;
  msPerReadMax: number;
}

async function benchRanges(path: string, ranges: ReadonlyArray<[number, number]>, seek: boolean, keep?: Float32Array[][]): Promise<RangeBench> {
  const probe = await openAudioFile(path);
  const info = probe.info;
  await probe.close();
  const reader = new DecodedStreamReader(await openByteSource(path), info, "flac", 0, undefined, { seek });
  const times: number[] = [];
  try {
    for (const [a, b] of ranges) {
      const t0 = performance.now();
      const out = await reader.readRange(a, b);
      times.push(performance.now() - t0);
      keep?.push(out);
    }
  } finally {
    await reader.close();
  }
  return {
    reads: times.length,
    msPerReadMean: times.reduce((s, t) => s + t, 0) / times.length,
    msPerReadMedian: median(times),
    msPerReadMax: Math.max(...times),
  };
}

function identical(a: readonly Float32Array[][], b: readonly Float32Array[][]): boolean {
  return a.every((channels, k) => channels.every((ch, c) => ch.length === b[k]![c]!.length && ch.every((v, i) => v === b[k]![c]![i])));
}

export interface FlacSeekBenchResult {
  readonly file: string;
  readonly audioSec: number;
  readonly seeking: RangeBench;
  readonly decodeForwardOnly: RangeBench;
  /** decodeForwardOnly / seeking, mean ms per read. */
  readonly speedup: number;
  /** The ranges read both ways gave the same samples. */
  readonly sameSamples: boolean;
}

/** Reads the first 4 of 40 seeded unit ranges without seeking, then (after 10 warm-up reads) all 40 with seeking, from `file`. */
export async function benchFlacSeek(file: string): Promise<FlacSeekBenchResult> {
  const probe = await openAudioFile(file);
  const total = probe.info.frameCount!;
  await probe.close();
  const ranges = unitRanges(total, 40, 11);
  const seeking: Float32Array[][] = [];
  const forward: Float32Array[][] = [];
  // The old path decodes up to the whole file per read: a few reads are enough to see its cost. Run first,
  // it also warms up the decoder (JIT) and the page cache for the seeking reads.
  const before = await benchRanges(file, ranges.slice(0, 4), false, forward);
  await benchRanges(file, unitRanges(total, 10, 5), true);
  const after = await benchRanges(file, ranges, true, seeking);
  const sameSamples = identical(seeking.slice(0, forward.length), forward);
  return { file, audioSec: total / SAMPLE_RATE_HZ, seeking: after, decodeForwardOnly: before, speedup: before.msPerReadMean / after.msPerReadMean, sameSamples };
}

/**
 * `BenchRun` shape of bench/main.ts: a generated 60-minute FLAC (`quick`: 5 minutes), with and without
 * its SEEKTABLE. Writing the 60-minute file takes ~1-2 min.
 */
export async function runFlacSeekBench(options: { quick: boolean }): Promise<{ figures: BenchFigure[]; json: Record<string, unknown> }> {
  const minutes = options.quick ? 5 : 60;
  const dir = await mkdtemp(join(tmpdir(), "mass-audio-flac-seek-bench-"));
  try {
    const { withTable, withoutTable } = await writeLongFlac(dir, minutes);
    const withSeekTable = await benchFlacSeek(withTable);
    const bisection = await benchFlacSeek(withoutTable);
    const figures: BenchFigure[] = [
      { name: `${minutes}-min FLAC, SEEKTABLE: ms per unit read`, value: withSeekTable.seeking.msPerReadMean, unit: "ms", pass: withSeekTable.sameSamples },
      { name: `${minutes}-min FLAC, bisection: ms per unit read`, value: bisection.seeking.msPerReadMean, unit: "ms", pass: bisection.sameSamples },
      { name: `${minutes}-min FLAC, decode forward only (before)`, value: bisection.decodeForwardOnly.msPerReadMean, unit: "ms" },
      { name: "speedup (bisection vs before)", value: bisection.speedup, unit: "x" },
    ];
    return { figures, json: { minutes, withSeekTable, bisection } };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(args: readonly string[]): Promise<void> {
  const minutesAt = args.indexOf("--minutes");
  const minutes = minutesAt >= 0 ? Number(args[minutesAt + 1]) : 60;
  const given = args.filter((a, i) => a !== "--minutes" && args[i - 1] !== "--minutes");
  const dir = await mkdtemp(join(tmpdir(), "mass-audio-flac-seek-bench-"));
  try {
    let files: string[] = given;
    if (files.length === 0) {
      const t0 = performance.now();
      const { withTable, withoutTable } = await writeLongFlac(dir, minutes);
      console.log(JSON.stringify({ generated: withTable, minutes, encodeSec: (performance.now() - t0) / 1000 }));
      files = [withTable, withoutTable];
    }
    for (const file of files) console.log(JSON.stringify(await benchFlacSeek(file)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main(process.argv.slice(2));
}
