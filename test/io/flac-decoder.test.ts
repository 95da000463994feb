import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join, resolve } from "node:path";
import { FLACDecoder } from "@wasm-audio-decoders/flac";
import { FlacStreamDecoder, peekFlacStreamInfo } from "../../src/io/flac-decoder.js";
import { buildFlac, type StereoMode } from "./helpers/flac-builder.js";
import { seededRandom } from "./helpers/pcm-builders.js";
import { concatParts } from "./helpers/audio-compare.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const fixtures = join(here, "../fixtures/formats");
const corpus = resolve(here, "../../..", "shared/corpus/sonic-pi");

interface Decoded {
  channels: Float32Array[];
  errorCount: number;
  calls: number;
}

/** Feeds `bytes` in `chunkBytes` pieces, draining pending output, and concatenates the result. */
function decodeAll(bytes: Uint8Array, chunkBytes = 256 * 1024, decoder = new FlacStreamDecoder()): Decoded {
  decoder.reset();
  const parts: Float32Array[][] = [];
  let errorCount = 0;
  let calls = 0;
  const take = (r: ReturnType<FlacStreamDecoder["decode"]>): void => {
    calls++;
    errorCount += r.errorCount;
    if (r.samplesDecoded > 0) parts.push(r.channelData.map((c) => c.slice(0, r.samplesDecoded)));
  };
  for (let o = 0; o < bytes.length; o += chunkBytes) {
    take(decoder.decode(bytes.subarray(o, o + chunkBytes)));
    while (decoder.hasPendingOutput) take(decoder.decode(new Uint8Array(0)));
  }
  take(decoder.flush());
  while (decoder.hasPendingOutput) take(decoder.flush());
  const channels = concatParts(parts);
  return { channels, errorCount, calls };
}

function randomSamples(channels: number, frames: number, bits: number, seed: number): Int32Array[] {
  const random = seededRandom(seed);
  const full = 2 ** bits;
  return Array.from({ length: channels }, () => {
    const ch = new Int32Array(frames);
    for (let i = 0; i < frames; i++) ch[i] = Math.floor(random() * full) - full / 2;
    ch[0] = -full / 2; // extremes
    ch[1] = full / 2 - 1;
    return ch;
  });
}

function expectExact(got: Float32Array[], want: Int32Array[], bits: number): void {
  expect(got.length).toBe(want.length);
  const scale = 2 ** (bits - 1);
  for (let c = 0; c < want.length; c++) {
    const g = got[c]!;
    const w = want[c]!;
    expect(g.length).toBe(w.length);
    let firstMismatch = -1;
    for (let i = 0; i < w.length && firstMismatch < 0; i++) if (g[i] !== Math.fround(w[i]! / scale)) firstMismatch = i;
    expect(firstMismatch, `channel ${c}: first differing frame`).toBe(-1);
  }
}

/** libFLAC (WebAssembly) decode of a whole file, rescaled to the WAV convention as stream-codecs does. */
async function libflac(bytes: Uint8Array): Promise<{ channels: Float32Array[]; bitDepth: number }> {
  const decoder = new FLACDecoder();
  await decoder.ready;
  const result = await decoder.decodeFile(bytes);
  decoder.free();
  const bits = result.bitDepth;
  const fullScale = 2 ** (bits - 1);
  const channels = result.channelData.map((ch) => Float32Array.from(ch.subarray(0, result.samplesDecoded), (v) => (bits <= 20 ? Math.round(v * (fullScale - 1)) / fullScale : (v * (fullScale - 1)) / fullScale)));
  return { channels, bitDepth: bits };
}

describe("FlacStreamDecoder on known-answer streams", () => {
  for (const bits of [8, 12, 16, 20, 24]) {
    it(`decodes ${bits}-bit samples to sample / 2^${bits - 1} exactly (verbatim + constant frames)`, () => {
      const samples = randomSamples(2, 5000, bits, bits);
      samples[0]!.fill(7, 4096, 5000); // a constant block
      const decoded = decodeAll(buildFlac({ sampleRateHz: 44100, bitsPerSample: bits, channels: samples }));
      expect(decoded.errorCount).toBe(0);
      expectExact(decoded.channels, samples, bits);
    });
  }
  for (const stereo of ["left-side", "side-right", "mid-side"] as StereoMode[]) {
    for (const bits of [16, 24]) {
      it(`undoes ${stereo} stereo exactly at ${bits} bits, extremes included`, () => {
        const samples = randomSamples(2, 3000, bits, 100 + bits);
        samples[1]![0] = 2 ** (bits - 1) - 1; // left min, right max: the largest side value
        const decoded = decodeAll(buildFlac({ sampleRateHz: 48000, bitsPerSample: bits, channels: samples, stereo, blockFrames: 1152 }));
        expect(decoded.errorCount).toBe(0);
        expectExact(decoded.channels, samples, bits);
      });
    }
  }
  it("decodes 1 and 8 channels at 8 kHz and 96 kHz", () => {
    for (const [channels, rate] of [
      [1, 8000],
      [8, 96000],
    ] as const) {
      const samples = randomSamples(channels, 2500, 16, channels);
      const bytes = buildFlac({ sampleRateHz: rate, bitsPerSample: 16, channels: samples, blockFrames: 1000 });
      expect(peekFlacStreamInfo(bytes)).toMatchObject({ sampleRateHz: rate, channelCount: channels, bitsPerSample: 16 });
      expectExact(decodeAll(bytes).channels, samples, 16);
    }
  });
  it("gives the same samples whatever the input chunking (1 byte .. whole file)", () => {
    const samples = randomSamples(2, 9000, 16, 5);
    const bytes = buildFlac({ sampleRateHz: 44100, bitsPerSample: 16, channels: samples, stereo: "mid-side", blockFrames: 576 });
    for (const chunk of [1, 7, 1000, bytes.length]) expectExact(decodeAll(bytes, chunk).channels, samples, 16);
  });
  it("bounds its output per call: a long stream comes in several calls, nothing lost", () => {
    const frames = 200_000;
    const samples = [new Int32Array(frames).fill(3), new Int32Array(frames).fill(-3)]; // constant: tiny input, much output
    const decoded = decodeAll(buildFlac({ sampleRateHz: 44100, bitsPerSample: 16, channels: samples }), 1 << 20);
    expect(decoded.calls).toBeGreaterThanOrEqual(3);
    expectExact(decoded.channels, samples, 16);
  });
  it("replaces a damaged frame by silence of its block size, counts one error and resumes at the next frame", () => {
    const samples = randomSamples(2, 3 * 1024, 16, 9);
    const bytes = buildFlac({ sampleRateHz: 44100, bitsPerSample: 16, channels: samples, blockFrames: 1024 });
    const frameBytes = 8 + 2 * (1 + 1024 * 2) + 2; // header with CRC-8, 2 verbatim subframes, CRC-16
    const target = 42 + frameBytes + 2000; // inside the second frame's samples
    bytes[target] = bytes[target]! ^ 0x10;
    const decoded = decodeAll(bytes);
    expect(decoded.errorCount).toBe(1);
    const want = samples.map((ch) => ch.slice());
    for (const ch of want) ch.fill(0, 1024, 2048);
    expectExact(decoded.channels, want, 16);
  });
  it("drops a frame cut short at the end of the file (one error) and ignores trailing non-FLAC bytes", () => {
    const samples = randomSamples(1, 2048, 16, 11);
    const bytes = buildFlac({ sampleRateHz: 44100, bitsPerSample: 16, channels: samples, blockFrames: 1024 });
    const cut = decodeAll(bytes.subarray(0, bytes.length - 100));
    expect(cut.errorCount).toBe(1);
    expectExact(cut.channels, [samples[0]!.subarray(0, 1024)], 16);
    const tagged = new Uint8Array(bytes.length + 128);
    tagged.set(bytes);
    tagged.set([0x54, 0x41, 0x47], bytes.length); // "TAG" (ID3v1), rest zero
    const withTag = decodeAll(tagged);
    expect(withTag.errorCount).toBe(0);
    expectExact(withTag.channels, samples, 16);
  });
  it("reset() lets one instance decode streams of different channels, rates and depths like fresh instances", () => {
    const shared = new FlacStreamDecoder();
    const streams = [
      { sampleRateHz: 22050, bitsPerSample: 24, channels: randomSamples(1, 3000, 24, 1) },
      { sampleRateHz: 48000, bitsPerSample: 16, channels: randomSamples(6, 5000, 16, 2), blockFrames: 4608 },
      { sampleRateHz: 44100, bitsPerSample: 12, channels: randomSamples(2, 700, 12, 3), blockFrames: 192 },
    ];
    for (const stream of streams) {
      const bytes = buildFlac(stream);
      const reused = decodeAll(bytes, 4096, shared);
      expectExact(reused.channels, stream.channels, stream.bitsPerSample);
      expect(reused.channels).toEqual(decodeAll(bytes, 4096).channels);
    }
  });
});

describe("FlacStreamDecoder against libFLAC (WebAssembly) on real encoder output (FIXED/LPC, Rice)", () => {
  const names = [
    "perc_swash.flac", // 24-bit
    "loop_garzul.flac",
    "misc_burp.flac",
    "bd_808.flac",
    "ambi_choir.flac",
    "guit_em9.flac",
    "elec_blip.flac",
    "bass_hit_c.flac",
  ];
  for (const name of names) {
    it(`${name}: identical samples (16-bit exact; 24-bit within libFLAC's float32 rounding)`, async () => {
      const bytes = new Uint8Array(readFileSync(join(corpus, name)));
      const ours = decodeAll(bytes, 65536);
      const ref = await libflac(bytes);
      expect(ours.errorCount).toBe(0);
      expect(ours.channels.length).toBe(ref.channels.length);
      const tolerance = ref.bitDepth <= 20 ? 0 : 2 ** -23; // 1 LSB at 24 bits
      for (let c = 0; c < ref.channels.length; c++) {
        const a = ours.channels[c]!;
        const b = ref.channels[c]!;
        expect(a.length).toBe(b.length);
        let maxDiff = 0;
        for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
        expect(maxDiff).toBeLessThanOrEqual(tolerance);
      }
    });
  }
  it("the reference fixture decodes the same in 997-byte chunks as in one piece", async () => {
    const bytes = new Uint8Array(readFileSync(join(fixtures, "reference.flac")));
    const whole = decodeAll(bytes, bytes.length);
    expect(decodeAll(bytes, 997).channels).toEqual(whole.channels);
    expect(whole.channels).toEqual((await libflac(bytes)).channels);
  });
});
