/**
 * Decode throughput of the audio readers: stream every block of a file (no analysis) and time it.
 * `node dist/bench/io-bench.js [files or folders...]` prints one JSON line per file, and for a folder one
 * line for all its audio files decoded one after another (total audio / total wall time: many short files
 * weigh decoder start-up); with no arguments it measures a generated 60 s 16-bit stereo WAV plus the
 * FLAC/MP3/Vorbis/Opus fixtures (short: their figures include decoder start-up).
 */
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { AUDIO_EXTENSIONS, openAudioFile } from "../src/io/audio-reader.js";
import { samplesToSeconds } from "../src/core/dsp/time.js";
import { seededRandom, writeLongWav } from "./bench-util.js";

export interface DecodeBenchResult {
  /** Wall time from open to close, seconds. */
  seconds: number;
  /** Audio decoded, seconds at the file's native rate. */
  audioSec: number;
  /** audioSec / seconds. */
  realtimeFactor: number;
  /** Process CPU time (user + system, all threads), seconds: steadier than wall time on a busy machine. */
  cpuSec: number;
}

/**
 * Opens `path`, streams all blocks (default block size) and closes it, timing the whole.
 * @throws DecodeError as `openAudioFile` and `blocks()`.
 */
export async function benchDecode(path: string): Promise<DecodeBenchResult> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const reader = await openAudioFile(path);
  let frames = 0;
  let checksum = 0;
  try {
    for await (const block of reader.blocks()) {
      frames += block.frameCount;
      checksum += block.channels[0]![block.frameCount - 1]!; // keep the work observable
    }
  } finally {
    await reader.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpuSec = cpuSeconds(process.cpuUsage(cpu0));
  const audioSec = samplesToSeconds(frames, reader.info.sampleRateHz);
  if (!Number.isFinite(checksum)) throw new Error("non-finite decode output");
  return { seconds, audioSec, realtimeFactor: audioSec / seconds, cpuSec };
}

function cpuSeconds(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1e6;
}

/**
 * Decodes `files` one after another (one warm-up pass over the first), timing the whole run.
 * @throws DecodeError as `benchDecode`.
 */
export async function benchDecodeMany(files: readonly string[]): Promise<DecodeBenchResult & { fileCount: number }> {
  if (files[0] !== undefined) await benchDecode(files[0]);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let audioSec = 0;
  for (const file of files) audioSec += (await benchDecode(file)).audioSec;
  const seconds = (performance.now() - t0) / 1000;
  const cpuSec = cpuSeconds(process.cpuUsage(cpu0));
  return { fileCount: files.length, seconds, audioSec, realtimeFactor: audioSec / seconds, cpuSec };
}

async function audioFilesIn(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).sort();
  return names.filter((n) => AUDIO_EXTENSIONS.some((ext) => n.toLowerCase().endsWith(ext))).map((n) => join(dir, n));
}

async function main(args: readonly string[]): Promise<void> {
  const here = fileURLToPath(new URL(".", import.meta.url));
  const repoRoot = resolve(here, here.includes(join("dist", "bench")) ? "../.." : "..");
  const fixtures = join(repoRoot, "test/fixtures/formats");
  const dir = await mkdtemp(join(tmpdir(), "mass-audio-io-bench-"));
  try {
    let files = [...args];
    if (files.length === 0) {
      const wav = join(dir, "noise-60s.wav");
      const random = seededRandom(1);
      await writeLongWav(wav, 44100, 2, 60 * 44100, (channels, _start, count) => {
        for (const ch of channels) for (let i = 0; i < count; i++) ch[i] = (random() * 2 - 1) * 0.5;
      });
      files = [wav, ...["reference.flac", "reference.mp3", "reference.ogg", "reference.opus"].map((f) => join(fixtures, f))];
    }
    for (const file of files) {
      if ((await stat(file)).isDirectory()) {
        console.log(JSON.stringify({ folder: file, ...(await benchDecodeMany(await audioFilesIn(file))) }));
        continue;
      }
      await benchDecode(file); // warm-up: WebAssembly compile, page cache
      const result = await benchDecode(file);
      console.log(JSON.stringify({ file, ...result }));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main(process.argv.slice(2));
}
