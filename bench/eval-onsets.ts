/**
 * Onset-detection quality on real material, against aubio's `aubioonset` (default options) when it is
 * installed. Sequences of CC0 one-shots (sonic-pi drums, electronic, percussion, tabla, glitch) are
 * placed at seeded random times (gaps 120-600 ms, gains -20..0 dB, each sound cut to its gap with a 5 ms
 * fade), at 44.1 kHz; the truth is the placement times. Both detectors read the same 16-bit WAV content.
 *
 * Run: `node dist/bench/eval-onsets.js [sequences] [seed]` (prints JSON).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { performance } from "node:perf_hooks";
import { ANALYSIS_RATE_HZ, HOP_SIZE_SAMPLES } from "../src/core/analysis/analysis-config.js";
import { analyseOnsets, detectOnsets, onsetFMeasure } from "../src/core/analysis/onset-detect.js";
import type { OnsetPeakOptions } from "../src/core/analysis/onset-peaks.js";
import { Segmenter, type Segment } from "../src/core/analysis/segmenter.js";
import { mixdownToMono } from "../src/core/dsp/mixdown.js";
import { resampleAll } from "../src/core/dsp/resample.js";
import { readWholeFile } from "../src/io/audio-reader.js";
import { encodeWav } from "../src/io/wav-writer.js";
import { CC0_CORPUS_DIR } from "./bench-util.js";
import { framesToSeconds } from "../src/core/dsp/time.js";
import { createSeededRandom as seededRandom } from "../src/core/select/seeded-random.js";

/** Rate of the generated sequences: 44.1 kHz (the corpus rate). */
const SEQUENCE_RATE_HZ = 44100;
/** Match tolerance: ±30 ms. */
const TOLERANCE_SEC = 0.03;
const MIN_GAP_SEC = 0.12;
const MAX_GAP_SEC = 0.6;
const MIN_GAIN_DB = -20;
/** Fade at the cut end of each truncated sound: 5 ms. */
const FADE_SEC = 0.005;
/** Silence after the last sound: 0.5 s. */
const TAIL_SEC = 0.5;
const EVENTS_PER_SEQUENCE = 40;
const CATEGORY_PREFIXES = ["bd_", "sn_", "drum_", "elec_", "perc_", "tabla_", "glitch_"];

export interface DetectorScore {
  precision: number;
  recall: number;
  f: number;
  /** Median of detected minus true time over matched onsets, ms. */
  medianErrorMs: number;
}

export interface EvalOnsetsResult {
  ours: DetectorScore;
  aubio?: DetectorScore;
  aubioNote?: string;
  /** Seconds of processing per second of audio (onset detection alone: resample + STFT + novelty + peaks). */
  oursSecondsPerAudioSec: number;
  /** Wall time of the `aubioonset` process (decode + analysis + process start-up) per second of audio. */
  aubioSecondsPerAudioSec?: number;
  /** The same minus the process start-up (timed on a 0.1 s file): aubio's decode + analysis alone. */
  aubioAnalysisSecondsPerAudioSec?: number;
  onsets: number;
  audioSec: number;
  /**
   * Onset-mode units (default segmenter) against the true attacks: for every true onset, the unit start
   * nearest to it within 50 ms. `leadMs` = attack - unit start (positive: the unit starts before the attack).
   */
  units: { matched: number; medianLeadMs: number; lateFraction: number; worstLateMs: number };
}

/** Unit starts of the default onset-mode pipeline, in seconds. */
function unitStartsSec(signal: Float32Array, sampleRateHz: number): number[] {
  const mono = resampleAll(signal, sampleRateHz, ANALYSIS_RATE_HZ);
  const analysis = analyseOnsets(mono);
  const segmenter = new Segmenter(ANALYSIS_RATE_HZ, HOP_SIZE_SAMPLES, {});
  const frames = analysis.novelty.length;
  const reports = new Map(analysis.onsetFrames.map((onset) => [onset + analysis.delayFrames, onset]));
  const segments: Segment[] = [];
  for (let i = 0; i < frames; i++) {
    segments.push(...segmenter.push(i, analysis.novelty[i]!, analysis.rmsDb[i]!, reports.get(i) ?? -1));
  }
  const late = analysis.onsetFrames.filter((onset) => onset + analysis.delayFrames >= frames);
  segments.push(...segmenter.finish(frames, late, mono.length));
  return segments.map((s) => framesToSeconds(s.startFrame, HOP_SIZE_SAMPLES, ANALYSIS_RATE_HZ));
}

/** mulberry32 seeded PRNG in [0, 1): one implementation, `src/core/select/seeded-random.ts`. */
export { seededRandom };

/** The evaluation's one-shots, mono at 44.1 kHz, in file-name order. */
export async function loadSounds(dir: string = CC0_CORPUS_DIR): Promise<{ names: string[]; sounds: Float32Array[] }> {
  const names = readdirSync(dir)
    .filter((name) => name.endsWith(".flac") && CATEGORY_PREFIXES.some((prefix) => name.startsWith(prefix)))
    .sort();
  const sounds: Float32Array[] = [];
  for (const name of names) {
    const { info, channels } = await readWholeFile(path.join(dir, name));
    const mono = new Float32Array(channels[0]!.length);
    mixdownToMono(channels, mono.length, mono);
    sounds.push(info.sampleRateHz === SEQUENCE_RATE_HZ ? mono : resampleAll(mono, info.sampleRateHz, SEQUENCE_RATE_HZ));
  }
  return { names, sounds };
}

/**
 * The decoded corpus, loaded once per process: repeated whole-corpus decodes in one process occasionally
 * never resolved (audio-decode's FLAC path, seen on the third load in ~1 of 5 runs).
 */
let soundCache: Promise<{ names: string[]; sounds: Float32Array[] }> | undefined;

/** One sequence: the 16-bit-quantised signal, the true onset times and which sound starts at each. */
export function buildSequence(
  sounds: Float32Array[],
  random: () => number,
): { signal: Float32Array; truthSec: number[]; soundIndices: number[] } {
  const soundIndices: number[] = [];
  const truthSec: number[] = [];
  const gapsSec: number[] = [];
  let time = 0.2 + 0.3 * random();
  for (let i = 0; i < EVENTS_PER_SEQUENCE; i++) {
    truthSec.push(time);
    const gap = MIN_GAP_SEC + (MAX_GAP_SEC - MIN_GAP_SEC) * random();
    gapsSec.push(gap);
    time += gap;
  }
  const signal = new Float32Array(Math.ceil((time + TAIL_SEC) * SEQUENCE_RATE_HZ));
  const fadeSamples = Math.round(FADE_SEC * SEQUENCE_RATE_HZ);
  for (let i = 0; i < truthSec.length; i++) {
    const soundIndex = Math.floor(random() * sounds.length);
    soundIndices.push(soundIndex);
    const sound = sounds[soundIndex]!;
    const gain = Math.pow(10, (MIN_GAIN_DB * random()) / 20);
    const start = Math.round(truthSec[i]! * SEQUENCE_RATE_HZ);
    truthSec[i] = start / SEQUENCE_RATE_HZ;
    const gapSamples = Math.round(gapsSec[i]! * SEQUENCE_RATE_HZ);
    const length = Math.min(sound.length, gapSamples);
    const truncated = sound.length > gapSamples;
    for (let n = 0; n < length; n++) {
      const fade = truncated && n >= length - fadeSamples ? (length - n) / fadeSamples : 1;
      signal[start + n]! += sound[n]! * gain * fade;
    }
  }
  for (let n = 0; n < signal.length; n++) {
    const value = Math.max(-32768, Math.min(32767, Math.round(signal[n]! * 32767)));
    signal[n] = value / 32767;
  }
  return { signal, truthSec, soundIndices };
}

/** Minimal 16-bit PCM mono WAV writer (the samples are already quantised to 16 bits). */
function aubioAvailable(): boolean {
  const probe = spawnSync("aubioonset", ["--help"], { encoding: "utf8" });
  return probe.error === undefined;
}

/** Shortest of 3 runs of `aubioonset` on 0.1 s of silence: the process start-up time. */
function aubioStartupSec(folder: string): number {
  const file = path.join(folder, "startup.wav");
  writeFileSync(file, encodeWav([new Float32Array(Math.round(0.1 * SEQUENCE_RATE_HZ))], SEQUENCE_RATE_HZ, "int16"));
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    spawnSync("aubioonset", ["-i", file], { encoding: "utf8" });
    best = Math.min(best, (performance.now() - started) / 1000);
  }
  return best;
}

class ScoreAccumulator {
  private tp = 0;
  private fp = 0;
  private fn = 0;
  private readonly errors: number[] = [];
  add(detected: number[], truth: number[]): void {
    const score = onsetFMeasure(detected, truth, TOLERANCE_SEC);
    this.tp += score.truePositives;
    this.fp += score.falsePositives;
    this.fn += score.falseNegatives;
    this.errors.push(...score.errorsSec);
  }
  result(): DetectorScore {
    const precision = this.tp + this.fp === 0 ? 0 : this.tp / (this.tp + this.fp);
    const recall = this.tp + this.fn === 0 ? 0 : this.tp / (this.tp + this.fn);
    const f = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    const sorted = [...this.errors].sort((a, b) => a - b);
    const medianErrorMs = sorted.length === 0 ? 0 : sorted[sorted.length >> 1]! * 1000;
    return { precision, recall, f, medianErrorMs };
  }
}

/**
 * Builds `sequences` seeded sequences and scores our detector (and aubio's when on PATH) at ±30 ms.
 * @param options.sequences number of sequences (40 onsets each)
 * @param options.seed RNG seed; the same seed gives the same sequences
 * @param options.peakOptions overrides of our peak-picking defaults (for tuning)
 * @param options.detector replaces our detector entirely (for tuning)
 */
export async function evalOnsets(options: {
  sequences: number;
  seed: number;
  peakOptions?: Partial<OnsetPeakOptions>;
  /** Replaces our detector (for tuning experiments); default `detectOnsets`. */
  detector?: (mono: Float32Array, sampleRateHz: number) => number[];
}): Promise<EvalOnsetsResult> {
  const detector = options.detector ?? ((mono, rate) => detectOnsets(mono, rate, options.peakOptions));
  soundCache ??= loadSounds();
  const { sounds } = await soundCache;
  const random = seededRandom(options.seed);
  const useAubio = aubioAvailable();
  const folder = useAubio ? mkdtempSync(path.join(tmpdir(), "mass-audio-onsets-")) : "";
  const ours = new ScoreAccumulator();
  const aubio = new ScoreAccumulator();
  let oursSec = 0;
  let aubioSec = 0;
  let audioSec = 0;
  let onsets = 0;
  let startupSec = 0;
  const leadsMs: number[] = [];
  try {
    if (useAubio) startupSec = aubioStartupSec(folder);
    for (let s = 0; s < options.sequences; s++) {
      const { signal, truthSec } = buildSequence(sounds, random);
      audioSec += signal.length / SEQUENCE_RATE_HZ;
      onsets += truthSec.length;
      const started = performance.now();
      const detected = detector(signal, SEQUENCE_RATE_HZ);
      oursSec += (performance.now() - started) / 1000;
      ours.add(detected, truthSec);
      const starts = unitStartsSec(signal, SEQUENCE_RATE_HZ);
      for (const truth of truthSec) {
        let best = Number.POSITIVE_INFINITY;
        for (const start of starts) if (Math.abs(truth - start) < Math.abs(best)) best = truth - start;
        if (Math.abs(best) <= 0.05) leadsMs.push(best * 1000);
      }
      if (useAubio) {
        const file = path.join(folder, `sequence-${s}.wav`);
        writeFileSync(file, encodeWav([signal], SEQUENCE_RATE_HZ, "int16"));
        const aubioStarted = performance.now();
        const run = spawnSync("aubioonset", ["-i", file], { encoding: "utf8" });
        aubioSec += (performance.now() - aubioStarted) / 1000;
        if (run.status !== 0) throw new Error(`aubioonset failed on ${file}: ${run.stderr}`);
        const times = run.stdout
          .split(/\s+/)
          .filter((line) => line.length > 0)
          .map(Number)
          .filter((value) => Number.isFinite(value));
        aubio.add(times, truthSec);
      }
    }
  } finally {
    if (useAubio) rmSync(folder, { recursive: true, force: true });
  }
  const result: EvalOnsetsResult = {
    ours: ours.result(),
    oursSecondsPerAudioSec: oursSec / audioSec,
    onsets,
    audioSec,
    units: {
      matched: leadsMs.length,
      medianLeadMs: [...leadsMs].sort((a, b) => a - b)[leadsMs.length >> 1] ?? 0,
      lateFraction: leadsMs.filter((lead) => lead < 0).length / Math.max(1, leadsMs.length),
      worstLateMs: Math.max(0, ...leadsMs.map((lead) => -lead)),
    },
  };
  if (useAubio) {
    result.aubio = aubio.result();
    result.aubioSecondsPerAudioSec = aubioSec / audioSec;
    result.aubioAnalysisSecondsPerAudioSec = Math.max(0, aubioSec - options.sequences * startupSec) / audioSec;
  } else {
    result.aubioNote = "aubioonset not found on PATH: aubio comparison skipped (apt-get install aubio-tools)";
  }
  return result;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const sequences = Number(process.argv[2] ?? 10);
  const seed = Number(process.argv[3] ?? 1);
  console.log(JSON.stringify(await evalOnsets({ sequences, seed }), null, 2));
}
