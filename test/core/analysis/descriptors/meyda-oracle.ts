/**
 * Shared by the descriptor tests: meyda 5.6.3 configured as the oracle (bufferSize 1024, 22050 Hz, "hanning",
 * 13 MFCCs), known-answer frames, and our spectrum front end (meyda-hanning window + RealFft amplitude).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import decode from "audio-decode";
import meydaModule from "meyda";
import { RealFft } from "../../../../src/core/dsp/fft.js";
import { hannWindow } from "../../../../src/core/dsp/window.js";
import { createSeededRandom as seededRandom } from "../../../../src/core/select/seeded-random.js";

/** meyda's d.ts declares an ES default export but ships CommonJS `module.exports = Meyda`. */
type MeydaApi = typeof meydaModule.default;
const meydaAny = meydaModule as unknown as { default?: MeydaApi };
export const Meyda: MeydaApi = meydaAny.default ?? (meydaModule as unknown as MeydaApi);

export const SAMPLE_RATE_HZ = 22050;
export const FRAME_SIZE = 1024;
export const BIN_COUNT = FRAME_SIZE / 2;
export const BIN_HZ = SAMPLE_RATE_HZ / FRAME_SIZE;

Meyda.bufferSize = FRAME_SIZE;
Meyda.sampleRate = SAMPLE_RATE_HZ;
Meyda.windowingFunction = "hanning";
Meyda.numberOfMFCCCoefficients = 13;

const require = createRequire(import.meta.url);
/** meyda's own table builders (createMelFilterBank, createChromaFilterBank, createBarkScale). */
export const meydaUtilities = require("meyda/dist/node/utilities.js") as {
  createMelFilterBank(bands: number, sampleRate: number, bufferSize: number): number[][];
  createChromaFilterBank(bands: number, sampleRate: number, bufferSize: number): number[][];
  createBarkScale(length: number, sampleRate: number, bufferSize: number): Float32Array;
};
/** The `dct` package meyda's MFCC uses. */
export const meydaDct = require("dct") as (signal: number[], scale?: number) => number[];

/** mulberry32 seeded PRNG in [0, 1): one implementation, `src/core/select/seeded-random.ts`. */
export { seededRandom };

/** Sum of sines `amplitude * sin(2 pi f t + phase)` over one frame at 22050 Hz. */
export function sines(partials: readonly { hz: number; amplitude: number; phase?: number }[], length = FRAME_SIZE): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    let v = 0;
    for (const p of partials) v += p.amplitude * Math.sin((2 * Math.PI * p.hz * i) / SAMPLE_RATE_HZ + (p.phase ?? 0));
    out[i] = v;
  }
  return out;
}

/** Uniform white noise in [-amplitude, amplitude), seeded. */
export function whiteNoise(seed: number, amplitude: number, length = FRAME_SIZE): Float32Array {
  const random = seededRandom(seed);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = amplitude * (2 * random() - 1);
  return out;
}

const here = fileURLToPath(new URL(".", import.meta.url));
export const CORPUS_DIR = resolve(here, "../../../..", "../shared/corpus/sonic-pi");

/**
 * Channel 0 of a CC0 corpus file, every other sample (44.1 kHz -> 22.05 kHz without a low-pass: the oracle
 * only needs real-world frames, the same ones for meyda and for us).
 */
export async function corpusSignal(fileName: string): Promise<Float32Array> {
  const audio = await decode(readFileSync(resolve(CORPUS_DIR, fileName)));
  const channel = audio.channelData[0]!;
  const out = new Float32Array(Math.floor(channel.length / 2));
  for (let i = 0; i < out.length; i++) out[i] = channel[2 * i]!;
  return out;
}

const window = hannWindow(FRAME_SIZE);
const fft = new RealFft(FRAME_SIZE);
const windowed = new Float32Array(FRAME_SIZE);

/** Our front end: |FFT| of the meyda-"hanning"-windowed frame, bins 0 .. 511 (a fresh array). */
export function amplitudeOf(frame: Float32Array): Float32Array {
  for (let i = 0; i < FRAME_SIZE; i++) windowed[i] = frame[i]! * window[i]!;
  const amplitude = new Float32Array(BIN_COUNT);
  fft.amplitude(windowed, amplitude);
  return amplitude;
}
