/**
 * Every supported format decodes to the same audio as the committed 16-bit reference WAV
 * (test/fixtures/formats, made by make-fixtures.sh from CC0 Sonic Pi samples).
 *
 * Lossless: sample-exact (tolerance 1e-6, far below 1 LSB = 3.05e-5 at 16 bits).
 * Lossy: aligned by cross-correlation (all decoders land at lag 0: encoder delay and pre-skip removed),
 * then two bounds measured on these fixtures, each with its failure mode checked by a negative control:
 * - pooled L/R SNR >= 9 dB (measured 10.9 AAC .. 13.3 Vorbis; swapped channels 6-7 dB, wrong rate < 0 dB,
 *   silence 0 dB);
 * - side-signal (L-R)/2 SNR >= 0 dB (measured 2.0 .. 3.9 dB: joint stereo coarsens the side; swapped
 *   channels negate it: <= -4.7 dB).
 */

import { describe, it, expect, beforeAll } from "vitest";
import { fileURLToPath } from "node:url";
import { join, resolve } from "node:path";
import { readFile } from "node:fs/promises";
import decodeAudio from "audio-decode";
import { openAudioFile, readWholeFile } from "../../src/io/audio-reader.js";
import type { AudioFormat } from "../../src/io/audio-info.js";
import { bestLag, collectBlocks, maxAbsDiff, resampleSinc, snrDb } from "./helpers/audio-compare.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const fixtures = join(here, "../fixtures/formats");
const corpus = resolve(here, "../../..", "shared/corpus/sonic-pi");

/** Lossless tolerance: 1e-6 (1 LSB at 16 bits is 3.05e-5, at 24 bits 1.2e-7). */
const EXACT = 1e-6;
/** Pooled L/R SNR floor for lossy decodes (dB). */
const MIN_SNR_DB = 9;
/** Side-signal SNR floor (dB). */
const MIN_SIDE_SNR_DB = 0;
/** Largest alignment searched (frames): 2048 ~ 46 ms, beyond any codec delay. */
const MAX_LAG = 2048;

let reference: Float32Array[];

beforeAll(async () => {
  reference = (await readWholeFile(join(fixtures, "reference.wav"))).channels;
});

function side(channels: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(channels[0]!.length);
  for (let i = 0; i < out.length; i++) out[i] = (channels[0]![i]! - channels[1]![i]!) / 2;
  return out;
}

describe("lossless formats decode sample-exact", () => {
  it("reference.wav is 1.5 s of 44.1 kHz stereo 16-bit", async () => {
    const reader = await openAudioFile(join(fixtures, "reference.wav"));
    expect(reader.info).toMatchObject({ format: "wav", sampleRateHz: 44100, channelCount: 2, frameCount: 66150, bitDepth: 16, durationSec: 1.5 });
    await reader.close();
    expect(reference[0]!.length).toBe(66150);
  });

  const cases: [string, AudioFormat][] = [
    ["reference.aiff", "aiff"],
    ["reference.flac", "flac"],
  ];
  for (const [file, format] of cases) {
    it(`${file} (${format}) equals the reference WAV`, async () => {
      const { info, channels } = await readWholeFile(join(fixtures, file));
      expect(info).toMatchObject({ format, sampleRateHz: 44100, channelCount: 2, frameCount: 66150, bitDepth: 16 });
      expect(maxAbsDiff(channels[0]!, reference[0]!)).toBeLessThan(EXACT);
      expect(maxAbsDiff(channels[1]!, reference[1]!)).toBeLessThan(EXACT);
    });
  }

  it("a 24-bit corpus FLAC equals ffmpeg's 24-bit EXTENSIBLE WAV of it", async () => {
    const flac = await readWholeFile(join(corpus, "perc_swash.flac"));
    const wav = await readWholeFile(join(fixtures, "perc_swash-24bit.wav"));
    expect(flac.info).toMatchObject({ format: "flac", bitDepth: 24, channelCount: 2, frameCount: 14090 });
    expect(wav.info).toMatchObject({ format: "wav", bitDepth: 24, channelCount: 2, frameCount: 14090 });
    expect(maxAbsDiff(flac.channels[0]!, wav.channels[0]!)).toBeLessThan(EXACT);
    expect(maxAbsDiff(flac.channels[1]!, wav.channels[1]!)).toBeLessThan(EXACT);
  });

  for (const name of ["loop_garzul.flac", "misc_burp.flac", "bd_808.flac"]) {
    it(`corpus ${name} streams to the same samples as audio-decode's whole-file decode (within 1 LSB)`, async () => {
      const path = join(corpus, name);
      const reader = await openAudioFile(path);
      const streamed = await collectBlocks(reader, 10000);
      await reader.close();
      const whole = await decodeAudio(await readFile(path));
      const lsb = 2 ** (1 - (reader.info.bitDepth ?? 16));
      expect(streamed.channels.length).toBe(whole.channelData.length);
      expect(streamed.channels[0]!.length).toBe(reader.info.frameCount);
      streamed.channels.forEach((ch, c) => {
        // audio-decode scales by 1/(2^(N-1)-1), we by 1/2^(N-1): they differ by < 1 LSB.
        expect(maxAbsDiff(ch, whole.channelData[c]!)).toBeLessThanOrEqual(lsb);
      });
    });
  }
});

interface LossyCase {
  file: string;
  format: AudioFormat;
  rateHz: number;
}

const LOSSY: LossyCase[] = [
  { file: "reference.mp3", format: "mp3", rateHz: 44100 },
  { file: "reference.ogg", format: "ogg-vorbis", rateHz: 44100 },
  { file: "reference.opus", format: "opus", rateHz: 48000 },
  { file: "reference.m4a", format: "m4a", rateHz: 44100 },
];

describe("lossy formats decode within codec tolerance", () => {
  for (const c of LOSSY) {
    it(`${c.file} (${c.format}) aligns at lag 0 and clears the SNR bounds; swapped channels, wrong rate and silence do not`, async () => {
      const { info, channels } = await readWholeFile(join(fixtures, c.file));
      const expectedFrames = Math.round(1.5 * c.rateHz);
      expect(info).toMatchObject({ format: c.format, sampleRateHz: c.rateHz, channelCount: 2, frameCount: expectedFrames, bitDepth: undefined });
      expect(channels[0]!.length).toBe(expectedFrames);

      const atRefRate = c.rateHz === 44100 ? channels : channels.map((ch) => resampleSinc(ch, c.rateHz, 44100));
      const lag = bestLag(reference, atRefRate, MAX_LAG);
      expect(lag).toBe(0);
      const snr = snrDb(reference, atRefRate, lag);
      const sideSnr = snrDb([side(reference)], [side(atRefRate)], lag);
      expect(snr).toBeGreaterThanOrEqual(MIN_SNR_DB);
      expect(sideSnr).toBeGreaterThanOrEqual(MIN_SIDE_SNR_DB);

      const swapped = [atRefRate[1]!, atRefRate[0]!];
      expect(snrDb(reference, swapped, lag)).toBeLessThan(MIN_SNR_DB);
      expect(snrDb([side(reference)], [side(swapped)], lag)).toBeLessThan(MIN_SIDE_SNR_DB);

      // Wrong rate: 48 kHz samples taken as 44.1 kHz (or 44.1 kHz as 48 kHz), best alignment allowed.
      const wrongRate = channels.map((ch) => resampleSinc(ch, c.rateHz === 48000 ? 44100 : 48000, 44100));
      expect(snrDb(reference, wrongRate, bestLag(reference, wrongRate, MAX_LAG, 4096))).toBeLessThan(MIN_SNR_DB);

      const silence = channels.map((ch) => new Float32Array(ch.length));
      expect(snrDb(reference, silence, 0)).toBeLessThan(MIN_SNR_DB);
    });
  }

  it("mono.mp3 decodes to one channel matching the reference's left channel", async () => {
    const { info, channels } = await readWholeFile(join(fixtures, "mono.mp3"));
    expect(info).toMatchObject({ format: "mp3", channelCount: 1, sampleRateHz: 44100, frameCount: 22050 });
    expect(channels).toHaveLength(1);
    const left = [reference[0]!.subarray(0, 22050)];
    const lag = bestLag(left, channels, MAX_LAG, 8192);
    expect(lag).toBe(0);
    expect(snrDb(left, channels, lag)).toBeGreaterThanOrEqual(MIN_SNR_DB);
  });
});
