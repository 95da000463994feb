import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { MPEGDecoder } from "mpg123-decoder";
import { createStreamCodec, type StreamCodec, type StreamCodecFormat } from "../../src/io/stream-codecs.js";
import { PooledMpegDecoder } from "../../src/io/mpeg-decoder-pool.js";
import { buildFlac } from "./helpers/flac-builder.js";
import { seededRandom } from "./helpers/pcm-builders.js";
import { concatParts } from "./helpers/audio-compare.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const fixtures = join(here, "../fixtures/formats");

/** Decodes `bytes` through a codec (64 KiB chunks, pending output drained, flushed) and frees it. */
async function decodeWith(codec: StreamCodec, bytes: Uint8Array): Promise<{ channels: Float32Array[]; sampleRate: number; errorCount: number }> {
  const parts: Float32Array[][] = [];
  let sampleRate = 0;
  let errorCount = 0;
  const take = (r: Awaited<ReturnType<StreamCodec["decode"]>>): void => {
    errorCount += r.errorCount;
    if (r.samplesDecoded === 0) return;
    sampleRate = r.sampleRate;
    parts.push(r.channelData.map((c) => c.slice(0, r.samplesDecoded)));
  };
  try {
    for (let o = 0; o < bytes.length; o += 65536) {
      take(await codec.decode(bytes.subarray(o, o + 65536)));
      while (codec.hasPendingOutput) take(await codec.decode(new Uint8Array(0)));
    }
    take(await codec.flush());
    while (codec.hasPendingOutput) take(await codec.flush());
  } finally {
    codec.free();
  }
  const channels = concatParts(parts);
  return { channels, sampleRate, errorCount };
}

async function decode(format: StreamCodecFormat, bytes: Uint8Array): Promise<{ channels: Float32Array[]; sampleRate: number; errorCount: number }> {
  return decodeWith(await createStreamCodec(format), bytes);
}

/** mpg123-decoder's own decode of a whole file on a fresh instance: the reference. */
async function packageMp3(bytes: Uint8Array): Promise<{ channels: Float32Array[]; sampleRate: number }> {
  const decoder = new MPEGDecoder({ enableGapless: true });
  await decoder.ready;
  const result = decoder.decode(bytes);
  decoder.free();
  return { channels: result.channelData, sampleRate: result.sampleRate };
}

/** A sine MP3 made by lamejs (dev dependency), 128 kbps. */
async function encodeMp3(channels: number, sampleRateHz: number, seconds: number): Promise<Uint8Array> {
  const lame = (await import("@breezystack/lamejs")) as unknown as {
    Mp3Encoder: new (channels: number, rate: number, kbps: number) => { encodeBuffer(left: Int16Array, right?: Int16Array): Int8Array | Uint8Array; flush(): Int8Array | Uint8Array };
  };
  const encoder = new lame.Mp3Encoder(channels, sampleRateHz, 128);
  const frames = Math.round(seconds * sampleRateHz);
  const left = Int16Array.from({ length: frames }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / sampleRateHz)));
  const right = Int16Array.from({ length: frames }, (_, i) => Math.round(6000 * Math.sin((2 * Math.PI * 660 * i) / sampleRateHz)));
  const parts: Uint8Array[] = [];
  for (let i = 0; i < frames; i += 1152 * 10) {
    const l = left.subarray(i, i + 1152 * 10);
    parts.push(new Uint8Array(channels === 1 ? encoder.encodeBuffer(l) : encoder.encodeBuffer(l, right.subarray(i, i + 1152 * 10))));
  }
  parts.push(new Uint8Array(encoder.flush()));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function randomInts(channels: number, frames: number, bits: number, seed: number): Int32Array[] {
  const random = seededRandom(seed);
  return Array.from({ length: channels }, () => Int32Array.from({ length: frames }, () => Math.floor(random() * 2 ** bits) - 2 ** (bits - 1)));
}

describe("MP3 through the pooled mpg123 instance", () => {
  it("a released decoder is handed out again (one WebAssembly instance serves file after file)", async () => {
    const first = await PooledMpegDecoder.acquire();
    expect(first).toBeDefined();
    first!.release();
    const second = await PooledMpegDecoder.acquire();
    expect(second).toBe(first);
    second!.release();
  });
  it("mono 22.05 kHz, stereo 48 kHz, then the stereo 44.1 kHz fixture in sequence equal mpg123-decoder's fresh decodes", async () => {
    const files = [await encodeMp3(1, 22050, 1.5), await encodeMp3(2, 48000, 1.2), new Uint8Array(readFileSync(join(fixtures, "reference.mp3")))];
    for (const bytes of files) {
      const ours = await decode("mp3", bytes);
      const reference = await packageMp3(bytes);
      expect(ours.sampleRate).toBe(reference.sampleRate);
      expect(ours.channels[0]!.length).toBe(reference.channels[0]!.length);
      expect(ours.channels[0]).toEqual(reference.channels[0]);
      expect(ours.channels[1]).toEqual(reference.channels[1]);
    }
  });
  it("garbage fed to a pooled decoder does not poison it for the next file", async () => {
    const random = seededRandom(3);
    const garbage = Uint8Array.from({ length: 200_000 }, () => Math.floor(random() * 256));
    for (let i = 0; i < garbage.length; i += 997) garbage[i] = 0xff; // plenty of false frame syncs
    await decode("mp3", garbage);
    const bytes = new Uint8Array(readFileSync(join(fixtures, "mono.mp3")));
    const ours = await decode("mp3", bytes);
    expect(ours.channels[0]).toEqual((await packageMp3(bytes)).channels[0]);
  });
  it("a file cut mid-stream, then a good file: the good one decodes exactly", async () => {
    const bytes = new Uint8Array(readFileSync(join(fixtures, "reference.mp3")));
    const cut = await decode("mp3", bytes.subarray(0, Math.floor(bytes.length / 2)));
    expect(cut.channels[0]!.length).toBeGreaterThan(0);
    const full = await decode("mp3", bytes);
    expect(full.channels[0]).toEqual((await packageMp3(bytes)).channels[0]);
  });
});

describe("FLAC codec choice and reuse", () => {
  it("three files of different channels, rates and depths in sequence decode exactly (pooled TypeScript decoder)", async () => {
    const streams = [
      { sampleRateHz: 96000, bitsPerSample: 24, channels: randomInts(2, 5000, 24, 1), stereo: "mid-side" as const },
      { sampleRateHz: 22050, bitsPerSample: 16, channels: randomInts(1, 3000, 16, 2) },
      { sampleRateHz: 48000, bitsPerSample: 16, channels: randomInts(4, 2000, 16, 3), blockFrames: 512 },
    ];
    for (const stream of streams) {
      const ours = await decode("flac", buildFlac(stream));
      expect(ours.sampleRate).toBe(stream.sampleRateHz);
      expect(ours.errorCount).toBe(0);
      const scale = 2 ** (stream.bitsPerSample - 1);
      expect(ours.channels).toEqual(stream.channels.map((ch) => Float32Array.from(ch, (v) => v / scale)));
    }
  });
  it("a damaged file leaves the pooled decoder clean for the next one", async () => {
    const stream = { sampleRateHz: 44100, bitsPerSample: 16, channels: randomInts(2, 4096 * 3, 16, 4) };
    const bytes = buildFlac(stream);
    const damaged = bytes.slice(0, bytes.length - 5000);
    damaged[9000] = 0x00;
    await decode("flac", damaged);
    const ours = await decode("flac", bytes);
    expect(ours.channels).toEqual(stream.channels.map((ch) => Float32Array.from(ch, (v) => v / 32768)));
  });
});

describe("Ogg Vorbis and Opus: a decoder that flushed is reused for the next file", () => {
  for (const [format, file] of [
    ["ogg-vorbis", "reference.ogg"],
    ["opus", "reference.opus"],
  ] as const) {
    it(`${file} decodes to the same samples three times in a row (fresh, then pooled instances)`, async () => {
      const bytes = new Uint8Array(readFileSync(join(fixtures, file)));
      const first = await decode(format, bytes);
      expect(first.channels[0]!.length).toBeGreaterThan(60000);
      for (let run = 0; run < 2; run++) {
        const again = await decode(format, bytes);
        expect(again.sampleRate).toBe(first.sampleRate);
        expect(again.channels).toEqual(first.channels);
      }
    });
  }
  it("a Vorbis decoder that failed mid-file is not reused", async () => {
    const bytes = new Uint8Array(readFileSync(join(fixtures, "reference.ogg")));
    const codec = await createStreamCodec("ogg-vorbis");
    await codec.decode(bytes.subarray(0, 20000));
    codec.free(); // never flushed: freed, not pooled
    const clean = await decode("ogg-vorbis", bytes);
    const reference = await decode("ogg-vorbis", bytes);
    expect(clean.channels).toEqual(reference.channels);
  });
});
