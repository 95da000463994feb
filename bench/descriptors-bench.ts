/**
 * Per-frame descriptor cost, ours vs Meyda.extract, on the same real-audio frames (CC0 corpus, 22.05 kHz,
 * 1024-sample frames, hop 256).
 *   ours  = hann window + RealFft.amplitude + FrameDescriptorExtractor.process (all frame-row descriptors);
 *   meyda = Meyda.extract(["rms", "loudness", "spectralCentroid", "spectralSpread", "spectralFlatness",
 *           "spectralRolloff", "zcr", "mfcc", "chroma"], frame) (windows and FFTs inside).
 * Importing this module does nothing; `benchDescriptorsVsMeyda` runs the measurement.
 */
import { execFileSync } from "node:child_process";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import meydaModule from "meyda";
import { ANALYSIS_RATE_HZ, FRAME_SIZE_SAMPLES, HOP_SIZE_SAMPLES, SPECTRUM_BINS } from "../src/core/analysis/analysis-config.js";
import { FrameDescriptorExtractor } from "../src/core/analysis/descriptors/frame-descriptor-extractor.js";
import { FRAME_FEATURE_COUNT } from "../src/core/analysis/frame-features.js";
import { RealFft } from "../src/core/dsp/fft.js";
import { hannWindow } from "../src/core/dsp/window.js";
import { median } from "./bench-util.js";

/** meyda's d.ts declares an ES default export but ships CommonJS `module.exports = Meyda`. */
type MeydaApi = typeof meydaModule.default;
const Meyda: MeydaApi = (meydaModule as unknown as { default?: MeydaApi }).default ?? (meydaModule as unknown as MeydaApi);

const MEYDA_FEATURES: Parameters<MeydaApi["extract"]>[0] = [
  "rms",
  "loudness",
  "spectralCentroid",
  "spectralSpread",
  "spectralFlatness",
  "spectralRolloff",
  "zcr",
  "mfcc",
  "chroma",
];

const here = fileURLToPath(new URL(".", import.meta.url));
/** The repo root, from dist/bench or bench/. */
const repoRoot = resolve(here, here.includes(`${join("dist", "bench")}`) ? "../.." : "..");
const CORPUS_DIR = resolve(repoRoot, "../shared/corpus/sonic-pi");
/** Seconds taken from each corpus file, so the frames mix many sources. */
const SECONDS_PER_FILE = 1.5;
/** Alternating timed rounds of ours and meyda; the medians are reported. */
const ROUNDS = 5;

/**
 * Decodes corpus FLACs in a child Node (audio-decode is async; this keeps the benchmark synchronous):
 * channel 0 of each file, the first `SECONDS_PER_FILE`, pairs averaged (44.1 -> 22.05 kHz), concatenated
 * in file-name order up to `sampleCount` samples (cycling if the corpus is shorter).
 */
function loadCorpusAudio(sampleCount: number): Float32Array {
  const script = `
    import decode from "audio-decode";
    import { readFileSync, readdirSync } from "node:fs";
    import { join } from "node:path";
    const [dir, countText, secondsText] = process.argv.slice(1);
    const count = Number(countText);
    const names = readdirSync(dir).filter((n) => n.endsWith(".flac")).sort();
    const out = new Float32Array(count);
    let filled = 0;
    while (filled < count) {
      for (const name of names) {
        if (filled >= count) break;
        const audio = await decode(readFileSync(join(dir, name)));
        const step = Math.max(1, Math.round(audio.sampleRate / ${ANALYSIS_RATE_HZ}));
        const channel = audio.channelData[0];
        const take = Math.min(Math.floor(channel.length / step), Math.round(Number(secondsText) * ${ANALYSIS_RATE_HZ}), count - filled);
        for (let i = 0; i < take; i++) {
          let sum = 0;
          for (let j = 0; j < step; j++) sum += channel[i * step + j];
          out[filled + i] = sum / step;
        }
        filled += take;
      }
    }
    process.stdout.write(Buffer.from(out.buffer));
  `;
  const bytes = execFileSync(
    process.execPath,
    ["--input-type=module", "-e", script, CORPUS_DIR, String(sampleCount), String(SECONDS_PER_FILE)],
    { cwd: repoRoot, maxBuffer: sampleCount * 4 + 1024, stdio: ["ignore", "pipe", "inherit"] },
  );
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + sampleCount * 4));
}

/** Keeps results alive so no work is optimised away. */
let sink = 0;

/** CPU microseconds (user + system of this process) per frame for one pass over `frameCount` frames. */
function cpuMicrosecondsPerFrame(frameCount: number, perFrame: (frameIndex: number) => void): number {
  const start = process.cpuUsage();
  for (let i = 0; i < frameCount; i++) perFrame(i);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / frameCount;
}

/**
 * Median CPU microseconds per frame of our descriptor path and of Meyda.extract over the same `frameCount`
 * real frames, and the speed-up `meydaUsPerFrame / oursUsPerFrame`. After a warm-up pass of each, the two
 * are timed alternately for `ROUNDS` rounds, so both see the same machine load; CPU time rather than wall
 * time keeps other processes on a shared machine out of the figures (meyda's garbage collection, which runs
 * partly on helper threads, is counted: it is work meyda causes).
 * @param frameCount frames per round (>= 1).
 * @param audio mono samples at 22.05 kHz to frame instead of the corpus (at least
 *   `(frameCount - 1) * 256 + 1024` samples).
 */
export function benchDescriptorsVsMeyda(
  frameCount: number,
  audio?: Float32Array,
): { oursUsPerFrame: number; meydaUsPerFrame: number; ratio: number } {
  const sampleCount = (frameCount - 1) * HOP_SIZE_SAMPLES + FRAME_SIZE_SAMPLES;
  const samples = audio ?? loadCorpusAudio(sampleCount);
  if (samples.length < sampleCount) throw new RangeError(`benchDescriptorsVsMeyda: need ${sampleCount} samples, got ${samples.length}`);
  const frames = Array.from({ length: frameCount }, (_, i) => samples.subarray(i * HOP_SIZE_SAMPLES, i * HOP_SIZE_SAMPLES + FRAME_SIZE_SAMPLES));

  const window = hannWindow(FRAME_SIZE_SAMPLES);
  const windowed = new Float32Array(FRAME_SIZE_SAMPLES);
  const amplitude = new Float32Array(SPECTRUM_BINS);
  const fft = new RealFft(FRAME_SIZE_SAMPLES);
  const extractor = new FrameDescriptorExtractor(ANALYSIS_RATE_HZ, FRAME_SIZE_SAMPLES);
  const row = new Float32Array(FRAME_FEATURE_COUNT);
  const ours = (i: number): void => {
    const frame = frames[i]!;
    for (let n = 0; n < FRAME_SIZE_SAMPLES; n++) windowed[n] = frame[n]! * window[n]!;
    fft.amplitude(windowed, amplitude);
    extractor.process(frame, amplitude, row, 0);
    sink += row[0]!;
  };

  Meyda.bufferSize = FRAME_SIZE_SAMPLES;
  Meyda.sampleRate = ANALYSIS_RATE_HZ;
  Meyda.windowingFunction = "hanning";
  Meyda.numberOfMFCCCoefficients = 13;
  // Meyda caches its filter banks and does not rebuild them when only the rate changes.
  const meydaCache = Meyda as unknown as Record<string, unknown>;
  delete meydaCache["barkScale"];
  delete meydaCache["melFilterBank"];
  delete meydaCache["chromaFilterBank"];
  const meyda = (i: number): void => {
    const features = Meyda.extract(MEYDA_FEATURES, frames[i]!);
    sink += features?.rms ?? 0;
  };

  cpuMicrosecondsPerFrame(frameCount, ours);
  cpuMicrosecondsPerFrame(Math.min(frameCount, 300), meyda);
  const oursRounds: number[] = [];
  const meydaRounds: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    oursRounds.push(cpuMicrosecondsPerFrame(frameCount, ours));
    meydaRounds.push(cpuMicrosecondsPerFrame(frameCount, meyda));
  }
  const oursUsPerFrame = median(oursRounds);
  const meydaUsPerFrame = median(meydaRounds);
  return { oursUsPerFrame, meydaUsPerFrame, ratio: meydaUsPerFrame / oursUsPerFrame };
}

/** Read to keep `sink` observable (and the work it depends on alive). */
export function benchSink(): number {
  return sink;
}
