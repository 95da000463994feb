/** Shared helpers for benchmarks: timing with medians, seeded RNG, material generation, output. */
import { open } from "node:fs/promises";
import { join } from "node:path";
import { packageRoot } from "../src/cli/paths.js";
import { performance } from "node:perf_hooks";
import { createSeededRandom as seededRandom } from "../src/core/select/seeded-random.js";
import { readWholeFile } from "../src/io/audio-reader.js";

/** The CC0 corpus beside the repository (`<repo>/../shared/corpus/sonic-pi`, as in CI), or `$MASS_AUDIO_CC0_DIR`. */
export const CC0_CORPUS_DIR = process.env["MASS_AUDIO_CC0_DIR"] ?? join(packageRoot(), "..", "shared", "corpus", "sonic-pi");

/** Median of a list of numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Runs `fn` `runs` times, returns the median wall time in seconds. */
export async function medianSeconds(runs: number, fn: () => Promise<unknown> | unknown): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push((performance.now() - t0) / 1000);
  }
  return median(times);
}

/** mulberry32 seeded PRNG in [0, 1): one implementation, `src/core/select/seeded-random.ts`. */
export { seededRandom };

/**
 * Streams a 16-bit PCM WAV of `totalFrames` frames to disk without holding it in memory;
 * `fill(channels, startFrame, count)` writes the planar samples of each block.
 */
export async function writeLongWav(
  path: string,
  sampleRateHz: number,
  channelCount: number,
  totalFrames: number,
  fill: (channels: Float32Array[], startFrame: number, count: number) => void,
): Promise<void> {
  const blockFrames = 1 << 16;
  const handle = await open(path, "w");
  try {
    const dataBytes = totalFrames * channelCount * 2;
    const header = Buffer.alloc(44);
    header.write("RIFF", 0, "ascii");
    header.writeUInt32LE(36 + dataBytes, 4);
    header.write("WAVE", 8, "ascii");
    header.write("fmt ", 12, "ascii");
    header.writeUInt32LE(16, 16);
    header.writeUInt16LE(1, 20);
    header.writeUInt16LE(channelCount, 22);
    header.writeUInt32LE(sampleRateHz, 24);
    header.writeUInt32LE(sampleRateHz * channelCount * 2, 28);
    header.writeUInt16LE(channelCount * 2, 32);
    header.writeUInt16LE(16, 34);
    header.write("data", 36, "ascii");
    header.writeUInt32LE(dataBytes, 40);
    await handle.write(header, 0, 44, 0);
    const channels = Array.from({ length: channelCount }, () => new Float32Array(blockFrames));
    const bytes = Buffer.alloc(blockFrames * channelCount * 2);
    let position = 44;
    for (let start = 0; start < totalFrames; start += blockFrames) {
      const count = Math.min(blockFrames, totalFrames - start);
      for (const channel of channels) channel.fill(0);
      fill(channels, start, count);
      for (let i = 0; i < count; i++) {
        for (let c = 0; c < channelCount; c++) {
          const v = Math.max(-1, Math.min(1, channels[c]![i]!));
          bytes.writeInt16LE(Math.round(v * 32767), (i * channelCount + c) * 2);
        }
      }
      const length = count * channelCount * 2;
      await handle.write(bytes, 0, length, position);
      position += length;
    }
  } finally {
    await handle.close();
  }
}

/** A result line for the human table: name, value, unit, and optionally a goal. */
export interface BenchFigure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly goal?: string;
  readonly pass?: boolean;
}

/** Prints figures as an aligned table. */
export function printFigures(title: string, figures: readonly BenchFigure[]): void {
  process.stdout.write(`\n${title}\n`);
  const width = Math.max(...figures.map((f) => f.name.length));
  for (const f of figures) {
    const value = Math.abs(f.value) >= 100 ? f.value.toFixed(0) : Math.abs(f.value) >= 1 ? f.value.toFixed(2) : f.value.toPrecision(3);
    const goal = f.goal ? `   goal ${f.goal}${f.pass === undefined ? "" : f.pass ? "  PASS" : "  MISS"}` : "";
    process.stdout.write(`  ${f.name.padEnd(width)}  ${value.padStart(10)} ${f.unit}${goal}\n`);
  }
}

/**
 * A stereo regeneration target of `seconds`: the given CC0 files (their start) back to back, mono files on
 * both channels, silence after the last one. Shared by the regen and OSC benchmarks.
 */
export async function concatenatedTarget(fileNames: readonly string[], seconds: number): Promise<{ channels: Float32Array[]; sampleRateHz: number }> {
  const parts = await Promise.all(fileNames.map((name) => readWholeFile(join(CC0_CORPUS_DIR, name))));
  const rate = parts[0]!.info.sampleRateHz;
  const frames = Math.round(seconds * rate);
  const channels = [new Float32Array(frames), new Float32Array(frames)];
  let offset = 0;
  for (const part of parts) {
    const n = Math.min(part.channels[0]!.length, frames - offset);
    for (let c = 0; c < 2; c++) channels[c]!.set(part.channels[c % part.channels.length]!.subarray(0, n), offset);
    offset += n;
  }
  return { channels, sampleRateHz: rate };
}
