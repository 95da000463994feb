/**
 * `npm run bench -- analysis [--json] [--quick]`: throughput of decode + onsets + all descriptors on one
 * core (WAV, FLAC, MP3), side by side with Meyda.extract on the same frames and aubioonset on the same
 * file, and the peak RSS of a 2-hour 44.1 kHz stereo file analysed streaming (in a child process).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { analyzeFile } from "../src/io/analyze-file.js";
import { openAudioFile } from "../src/io/audio-reader.js";
import { encodeWav } from "../src/io/wav-writer.js";
import { detectOnsets } from "../src/core/analysis/onset-detect.js";
import { mixdownToMono } from "../src/core/dsp/mixdown.js";
import { pffftEngineFactory } from "../src/io/pffft-engine.js";
import { benchDescriptorsVsMeyda } from "./descriptors-bench.js";
import { CC0_CORPUS_DIR, medianSeconds, seededRandom, writeLongWav, type BenchFigure } from "./bench-util.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const CORPUS_DIR = CC0_CORPUS_DIR;
const ONE_SHOT_PREFIXES = ["bd_", "sn_", "drum_", "elec_", "perc_", "tabla_", "glitch_", "bass_"];
const SOURCE_RATE_HZ = 44100;

/** Planar stereo one-shots from the CC0 corpus, at 44.1 kHz. */
async function loadOneShots(limit: number): Promise<Float32Array[][]> {
  const names = (await readdir(CORPUS_DIR)).filter((n) => n.endsWith(".flac") && ONE_SHOT_PREFIXES.some((p) => n.startsWith(p)));
  const out: Float32Array[][] = [];
  for (const name of names.slice(0, limit)) {
    const reader = await openAudioFile(join(CORPUS_DIR, name));
    try {
      if (reader.info.sampleRateHz !== SOURCE_RATE_HZ) continue;
      const frames = Math.min(reader.info.frameCount ?? SOURCE_RATE_HZ, SOURCE_RATE_HZ);
      const range = await reader.readRange(0, frames);
      out.push(range.length === 1 ? [range[0]!, range[0]!] : [range[0]!, range[1]!]);
    } finally {
      await reader.close();
    }
  }
  return out;
}

/** A `seconds`-long stereo sequence of one-shots at seeded random times and gains (realistic material). */
export async function makeSequence(seconds: number, seed: number): Promise<Float32Array[]> {
  const shots = await loadOneShots(60);
  const random = seededRandom(seed);
  const frames = Math.round(seconds * SOURCE_RATE_HZ);
  const left = new Float32Array(frames);
  const right = new Float32Array(frames);
  let t = 0;
  while (t < frames) {
    const shot = shots[Math.floor(random() * shots.length)]!;
    const gain = Math.pow(10, (-18 * random()) / 20) * 0.5;
    const length = Math.min(shot[0]!.length, frames - t);
    for (let i = 0; i < length; i++) {
      left[t + i] = left[t + i]! + gain * shot[0]![i]!;
      right[t + i] = right[t + i]! + gain * shot[1]![i]!;
    }
    t += Math.round((0.1 + 0.4 * random()) * SOURCE_RATE_HZ);
  }
  return [left, right];
}

function which(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`]).status === 0;
}

async function realtimeFactor(paths: readonly string[], runs: number): Promise<{ factor: number; audioSec: number; units: number }> {
  let audioSec = 0;
  let units = 0;
  for (let pass = 0; pass < 2; pass++) for (const path of paths.slice(0, 3)) await analyzeFile(path); // warm-up: JIT, WASM
  const seconds = await medianSeconds(runs, async () => {
    audioSec = 0;
    units = 0;
    for (const path of paths) {
      const analysis = await analyzeFile(path);
      audioSec += analysis.audioSec;
      units += analysis.units.length;
    }
  });
  return { factor: audioSec / seconds, audioSec, units };
}

async function encodeMp3(channels: Float32Array[], path: string): Promise<boolean> {
  try {
    const lame = (await import("@breezystack/lamejs")) as unknown as {
      Mp3Encoder: new (channels: number, rate: number, kbps: number) => {
        encodeBuffer(left: Int16Array, right: Int16Array): Int8Array | Uint8Array;
        flush(): Int8Array | Uint8Array;
      };
    };
    const encoder = new lame.Mp3Encoder(2, SOURCE_RATE_HZ, 192);
    const toInt16 = (x: Float32Array) => Int16Array.from(x, (v) => Math.round(Math.max(-1, Math.min(1, v)) * 32767));
    const left = toInt16(channels[0]!);
    const right = toInt16(channels[1]!);
    const parts: Buffer[] = [];
    const block = 1152 * 20;
    for (let i = 0; i < left.length; i += block) {
      parts.push(Buffer.from(encoder.encodeBuffer(left.subarray(i, i + block), right.subarray(i, i + block))));
    }
    parts.push(Buffer.from(encoder.flush()));
    await writeFile(path, Buffer.concat(parts));
    return true;
  } catch {
    return false;
  }
}

/** Peak RSS (MB) of a child process analysing `path` streaming. */
function childPeakRssMb(path: string): { rssMb: number; units: number; seconds: number } {
  const child = join(here, "rss-child.js");
  const output = execFileSync(process.execPath, [child, path], { encoding: "utf8", maxBuffer: 1 << 20 });
  return JSON.parse(output.trim().split("\n").pop()!) as { rssMb: number; units: number; seconds: number };
}

export async function runAnalysisBench(options: { quick?: boolean } = {}): Promise<{ figures: BenchFigure[]; json: Record<string, unknown> }> {
  const quick = options.quick ?? false;
  const dir = await mkdtemp(join(tmpdir(), "mass-audio-bench-"));
  const figures: BenchFigure[] = [];
  const json: Record<string, unknown> = {};
  try {
    const sequence = await makeSequence(quick ? 20 : 60, 7);
    const wavPath = join(dir, "sequence.wav");
    await writeFile(wavPath, encodeWav(sequence, SOURCE_RATE_HZ, "int16"));
    const runs = quick ? 1 : 5;

    const wav = await realtimeFactor([wavPath], runs);
    figures.push({ name: "WAV 16-bit stereo 44.1 kHz: decode+onsets+descriptors", value: wav.factor, unit: "x realtime", goal: ">= 400", pass: wav.factor >= 400 });
    json["wavRealtimeFactor"] = wav.factor;

    const flacs = (await readdir(CORPUS_DIR)).filter((n) => n.endsWith(".flac")).map((n) => join(CORPUS_DIR, n));
    const flac = await realtimeFactor(quick ? flacs.slice(0, 30) : flacs, runs);
    figures.push({ name: `FLAC (CC0 corpus, ${flac.audioSec.toFixed(0)} s): decode+onsets+descriptors`, value: flac.factor, unit: "x realtime", goal: ">= 200", pass: flac.factor >= 200 });
    json["flacRealtimeFactor"] = flac.factor;

    const mp3Path = join(dir, "sequence.mp3");
    if (await encodeMp3(sequence, mp3Path)) {
      const mp3 = await realtimeFactor([mp3Path], runs);
      figures.push({ name: "MP3 192 kbps stereo: decode+onsets+descriptors", value: mp3.factor, unit: "x realtime", goal: ">= 200", pass: mp3.factor >= 200 });
      json["mp3RealtimeFactor"] = mp3.factor;
    } else {
      json["mp3Note"] = "no MP3 encoder (@breezystack/lamejs) installed: MP3 skipped";
    }

    const meyda = benchDescriptorsVsMeyda(quick ? 500 : 3000);
    figures.push({ name: "descriptors per frame: ours", value: meyda.oursUsPerFrame, unit: "us" });
    figures.push({ name: "descriptors per frame: Meyda.extract (same frames)", value: meyda.meydaUsPerFrame, unit: "us" });
    figures.push({ name: "speed-up over Meyda.extract", value: meyda.ratio, unit: "x", goal: ">= 10", pass: meyda.ratio >= 10 });
    json["meyda"] = meyda;

    const reader = await openAudioFile(wavPath);
    const frames = reader.info.frameCount!;
    const stereo = await reader.readRange(0, frames);
    await reader.close();
    const mono = new Float32Array(frames);
    const fftEngine = pffftEngineFactory();
    detectOnsets(stereo[0]!.subarray(0, SOURCE_RATE_HZ), SOURCE_RATE_HZ, {}, fftEngine); // warm-up
    const oursOnsetSec = await medianSeconds(runs, async () => {
      const r = await openAudioFile(wavPath);
      const channels = await r.readRange(0, frames);
      await r.close();
      mixdownToMono(channels, frames, mono);
      detectOnsets(mono, SOURCE_RATE_HZ, {}, fftEngine);
    });
    const audioSec = frames / SOURCE_RATE_HZ;
    figures.push({ name: "onsets only (decode+resample+FFT+novelty+peaks)", value: audioSec / oursOnsetSec, unit: "x realtime" });
    json["oursOnsetRealtimeFactor"] = audioSec / oursOnsetSec;
    if (which("aubioonset")) {
      const aubioSec = await medianSeconds(runs, () => {
        execFileSync("aubioonset", ["-i", wavPath], { stdio: ["ignore", "ignore", "ignore"] });
      });
      figures.push({ name: "onsets only: aubioonset (C, same file)", value: audioSec / aubioSec, unit: "x realtime" });
      figures.push({ name: "our onset speed / aubio's", value: aubioSec / oursOnsetSec, unit: "x", goal: ">= 1", pass: aubioSec / oursOnsetSec >= 1 });
      json["aubioOnsetRealtimeFactor"] = audioSec / aubioSec;
      json["onsetSpeedRatioVsAubio"] = aubioSec / oursOnsetSec;
    } else {
      json["aubioNote"] = "aubioonset not installed (apt-get install aubio-tools): onset speed comparison skipped";
    }

    const longSeconds = quick ? 10 * 60 : 2 * 3600;
    const longPath = join(dir, "long.wav");
    await writeLongWav(longPath, SOURCE_RATE_HZ, 2, longSeconds * SOURCE_RATE_HZ, (channels, start, count) => {
      const period = sequence[0]!.length;
      for (let i = 0; i < count; i++) {
        const k = (start + i) % period;
        channels[0]![i] = sequence[0]![k]!;
        channels[1]![i] = sequence[1]![k]!;
      }
    });
    const longSize = (await stat(longPath)).size;
    const rss = childPeakRssMb(longPath);
    figures.push({
      name: `peak RSS, ${(longSeconds / 3600).toFixed(2)} h 44.1 kHz stereo WAV (${(longSize / 2 ** 30).toFixed(2)} GiB)`,
      value: rss.rssMb,
      unit: "MB",
      goal: "<= 300",
      pass: rss.rssMb <= 300,
    });
    figures.push({ name: "  of which analysis speed", value: longSeconds / rss.seconds, unit: "x realtime" });
    json["longFile"] = { seconds: longSeconds, bytes: longSize, peakRssMb: rss.rssMb, units: rss.units, analysisSec: rss.seconds };
    return { figures, json };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
