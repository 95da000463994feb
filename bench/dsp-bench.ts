/**
 * DSP building-block timings: resampler, RealFft.amplitude, YinPitch.process. Each function returns the
 * median over several runs of the per-call time in microseconds, a realtime factor, and the same figure
 * for a reference implementation measured in the same run (JS loops for the resampler, meyda's FFT,
 * a direct O(N * tau) YIN difference function). Importing this file prints nothing; running it directly
 * (`node dist/bench/dsp-bench.js`) prints a table and then the JSON.
 */
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import meydaModule from "meyda";
import { YinPitch } from "../src/core/analysis/pitch-yin.js";
import { RealFft } from "../src/core/dsp/fft.js";
import { StreamingResampler, type ResamplerOptions } from "../src/core/dsp/resample.js";
import { hannWindow } from "../src/core/dsp/window.js";
import { median, printFigures, seededRandom, type BenchFigure } from "./bench-util.js";

/** meyda's d.ts declares an ES default export but ships CommonJS `module.exports = Meyda`. */
type MeydaApi = typeof meydaModule.default;
const Meyda: MeydaApi =
  (meydaModule as unknown as { default?: MeydaApi }).default ?? (meydaModule as unknown as MeydaApi);

/** One timing: the median per-call cost, what a call is, and a realtime factor. */
export interface DspTiming {
  readonly name: string;
  /** Median wall time of one call, microseconds. */
  readonly microsecondsPerCall: number;
  /** Median CPU time (user + system) of one call, microseconds: steadier than wall time on a shared machine. */
  readonly cpuMicrosecondsPerCall: number;
  /** What one call processes. */
  readonly call: string;
  /** Seconds of mono audio handled per second of CPU (analysis hop 256 at 22.05 kHz for per-frame work). */
  readonly realtimeFactor: number;
  /** The reference implementation's per-call time measured in the same run, and our speed-up over it. */
  readonly referenceMicrosecondsPerCall: number;
  readonly speedup: number;
}

/** Frames per second of audio at the analysis hop (256 samples at 22.05 kHz). */
const FRAMES_PER_SECOND = 22050 / 256;

/**
 * Runs `fn` (which performs `callsPerRun` calls) `runs` times after a warm-up; median wall and CPU
 * microseconds per call.
 */
function timePerCall(runs: number, callsPerRun: number, fn: () => void): { wall: number; cpu: number } {
  for (let i = 0; i < 3; i++) fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < runs; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    wall.push(((performance.now() - t0) * 1000) / callsPerRun);
    const used = process.cpuUsage(c0);
    cpu.push((used.user + used.system) / callsPerRun);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

function noise(length: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  const x = new Float32Array(length);
  for (let i = 0; i < length; i++) x[i] = random() - 0.5;
  return x;
}

function resamplerSecond(inputRateHz: number, outputRateHz: number, options?: ResamplerOptions): () => void {
  const input = noise(inputRateHz, 1);
  const resampler = new StreamingResampler(inputRateHz, outputRateHz, options);
  const blockSamples = 4096;
  const output = new Float32Array(resampler.maxOutputFor(blockSamples));
  return () => {
    for (let offset = 0; offset < input.length; offset += blockSamples) {
      const count = Math.min(blockSamples, input.length - offset);
      resampler.process(input.subarray(offset, offset + count), count, output);
    }
  };
}

/**
 * Resampling one second of mono noise in 4096-sample blocks (high quality), against the JS fallback.
 * @param runs number of timed runs (median taken)
 */
export function benchResampler(inputRateHz: number, outputRateHz: number, runs = 15): DspTiming {
  const ours = timePerCall(runs, 1, resamplerSecond(inputRateHz, outputRateHz));
  const reference = timePerCall(runs, 1, resamplerSecond(inputRateHz, outputRateHz, { simd: false }));
  return {
    name: `resample ${inputRateHz} -> ${outputRateHz} Hz`,
    microsecondsPerCall: ours.wall,
    cpuMicrosecondsPerCall: ours.cpu,
    call: "1 s of mono audio",
    realtimeFactor: 1e6 / ours.wall,
    referenceMicrosecondsPerCall: reference.wall,
    speedup: reference.wall / ours.wall,
  };
}

/**
 * RealFft.amplitude of a Hann-windowed frame (N/2 bins, as the descriptors use it), against meyda's
 * `extract("amplitudeSpectrum")` on the raw frame (its Hann window + `fftjs` FFT + magnitudes).
 */
export function benchRealFftAmplitude(sizeSamples = 1024, runs = 15): DspTiming {
  const frame = noise(sizeSamples, 2);
  const window = hannWindow(sizeSamples);
  for (let i = 0; i < sizeSamples; i++) frame[i] = frame[i]! * window[i]!;
  const fft = new RealFft(sizeSamples);
  const amplitude = new Float32Array(sizeSamples / 2);
  const calls = 2000;
  const ours = timePerCall(runs, calls, () => {
    for (let c = 0; c < calls; c++) fft.amplitude(frame, amplitude);
  });
  const raw = noise(sizeSamples, 2);
  Meyda.bufferSize = sizeSamples;
  Meyda.windowingFunction = "hanning";
  const referenceCalls = 200;
  const reference = timePerCall(runs, referenceCalls, () => {
    for (let c = 0; c < referenceCalls; c++) Meyda.extract("amplitudeSpectrum", raw);
  });
  return {
    name: `RealFft.amplitude N=${sizeSamples}`,
    microsecondsPerCall: ours.wall,
    cpuMicrosecondsPerCall: ours.cpu,
    call: "1 frame",
    realtimeFactor: 1e6 / (ours.wall * FRAMES_PER_SECOND),
    referenceMicrosecondsPerCall: reference.wall,
    speedup: reference.wall / ours.wall,
  };
}

/** The YIN difference function computed directly (O(W * tauMax)), the reference for the FFT version. */
function directDifference(frame: Float32Array, windowSamples: number, maxLag: number, out: Float64Array): void {
  for (let tau = 1; tau <= maxLag; tau++) {
    let sum = 0;
    for (let j = 0; j < windowSamples; j++) {
      const d = frame[j]! - frame[j + tau]!;
      sum += d * d;
    }
    out[tau] = sum;
  }
}

/** YinPitch.process on a 1024-sample frame at 22.05 kHz (default 40 Hz .. 2.5 kHz), vs the direct d(tau). */
export function benchYinPitch(runs = 15): DspTiming {
  const frameSize = 1024;
  const rateHz = 22050;
  const frame = new Float32Array(frameSize);
  const random = seededRandom(3);
  for (let i = 0; i < frameSize; i++) frame[i] = 0.5 * Math.sin((2 * Math.PI * 196 * i) / rateHz) + 0.05 * (random() - 0.5);
  const yin = new YinPitch(frameSize, rateHz);
  const calls = 1000;
  const ours = timePerCall(runs, calls, () => {
    for (let c = 0; c < calls; c++) yin.process(frame);
  });
  const difference = new Float64Array(yin.maxLagSamples + 2);
  const referenceCalls = 50;
  const reference = timePerCall(runs, referenceCalls, () => {
    for (let c = 0; c < referenceCalls; c++) directDifference(frame, yin.windowSamples, yin.maxLagSamples + 1, difference);
  });
  return {
    name: "YinPitch.process N=1024 @ 22.05 kHz",
    microsecondsPerCall: ours.wall,
    cpuMicrosecondsPerCall: ours.cpu,
    call: "1 frame",
    realtimeFactor: 1e6 / (ours.wall * FRAMES_PER_SECOND),
    referenceMicrosecondsPerCall: reference.wall,
    speedup: reference.wall / ours.wall,
  };
}

/** All DSP timings of this file. */
export function runDspBench(runs = 15): DspTiming[] {
  return [
    benchResampler(44100, 22050, runs),
    benchResampler(48000, 22050, runs),
    benchRealFftAmplitude(1024, runs),
    benchYinPitch(runs),
  ];
}

/** The timings as table rows for `printFigures`. */
export function dspFigures(timings: readonly DspTiming[]): BenchFigure[] {
  return timings.flatMap((t) => [
    { name: `${t.name}: us per ${t.call}`, value: t.microsecondsPerCall, unit: "us" },
    { name: `${t.name}: CPU us per ${t.call}`, value: t.cpuMicrosecondsPerCall, unit: "us" },
    { name: `${t.name}: realtime factor`, value: t.realtimeFactor, unit: "x" },
    { name: `${t.name}: speed-up over reference`, value: t.speedup, unit: "x" },
  ]);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const timings = runDspBench();
  printFigures("DSP building blocks", dspFigures(timings));
  process.stdout.write(`${JSON.stringify(timings, null, 2)}\n`);
}
