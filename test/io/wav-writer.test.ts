/**
 * WAV writer: round trips through our reader for every sample format, channel count and odd length;
 * exact header bytes; rounding/clipping; atomic writes (no partial file on failure).
 */

import { describe, it, expect, afterAll } from "vitest";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { encodeWav, writeWav, AUDIO_EXTENSIONS, type WavSampleFormat } from "../../src/io/wav-writer.js";
import { openAudioFile, readWholeFile } from "../../src/io/audio-reader.js";
import { ParameterError, WriteError } from "../../src/core/errors.js";
import { makeTempDir, seededRandom } from "./helpers/pcm-builders.js";

const tmp = makeTempDir("wav-writer");
afterAll(() => tmp.cleanup());

function noise(channels: number, frames: number, seed: number, amplitude = 1): Float32Array[] {
  const rnd = seededRandom(seed);
  return Array.from({ length: channels }, () => Float32Array.from({ length: frames }, () => (rnd() * 2 - 1) * amplitude));
}

const QUANTUM: Record<WavSampleFormat, number> = { int16: 1 / 32768, int24: 1 / 8388608, float32: 0 };
const BITS: Record<WavSampleFormat, number> = { int16: 16, int24: 24, float32: 32 };

describe("round trip writer -> reader", () => {
  const formats: WavSampleFormat[] = ["int16", "int24", "float32"];
  const shapes: [channels: number, frames: number][] = [
    [1, 1],
    [1, 65537],
    [2, 3],
    [2, 44101],
    [3, 1001],
    [6, 4097],
    [8, 17],
  ];
  for (const format of formats) {
    for (const [channelCount, frames] of shapes) {
      it(`${format}, ${channelCount} ch x ${frames} frames: header facts match and every sample is within half a quantum`, async () => {
        const input = noise(channelCount, frames, channelCount * 1000 + frames, 0.999);
        const path = join(tmp.dir, `rt-${format}-${channelCount}-${frames}.wav`);
        await writeWav(path, input, 48000, format);
        const { info, channels } = await readWholeFile(path);
        expect(info).toMatchObject({ format: "wav", sampleRateHz: 48000, channelCount, frameCount: frames, bitDepth: BITS[format] });
        const tolerance = QUANTUM[format] / 2 + 1e-12;
        for (let c = 0; c < channelCount; c++) {
          let worst = 0;
          for (let i = 0; i < frames; i++) worst = Math.max(worst, Math.abs(channels[c]![i]! - input[c]![i]!));
          expect(worst).toBeLessThanOrEqual(tolerance);
        }
      });
    }
  }

  it("int16 values that are multiples of 1/32768 round-trip exactly, including -1", async () => {
    const values = Float32Array.from([-1, -0.5, 0, 1 / 32768, 32767 / 32768, -32767 / 32768]);
    const { channels } = await readWholeFile(tmp.file("exact16.wav", encodeWav([values], 44100, "int16")));
    expect(Array.from(channels[0]!)).toEqual(Array.from(values));
  });

  it("int24 values that are multiples of 1/8388608 round-trip exactly", async () => {
    const values = Float32Array.from([-1, 8388607 / 8388608, 3 / 8388608, -0.25]);
    const { channels } = await readWholeFile(tmp.file("exact24.wav", encodeWav([values], 44100, "int24")));
    expect(Array.from(channels[0]!)).toEqual(Array.from(values));
  });

  it("float32 round-trips bit-exact, including values beyond +-1", async () => {
    const values = Float32Array.from([1.5, -2.25, 1e-38, 0.1]);
    const { channels } = await readWholeFile(tmp.file("exactf.wav", encodeWav([values], 44100, "float32")));
    expect(Array.from(channels[0]!)).toEqual(Array.from(values));
  });

  it("integer formats clip out-of-range samples to full scale and write NaN as 0", async () => {
    const values = Float32Array.from([1.5, -1.5, Number.NaN, 1, Infinity]);
    const a = (await readWholeFile(tmp.file("clip16.wav", encodeWav([values], 44100, "int16")))).channels[0]!;
    expect(Array.from(a)).toEqual([32767 / 32768, -1, 0, 32767 / 32768, 32767 / 32768]);
    const b = (await readWholeFile(tmp.file("clip24.wav", encodeWav([values], 44100, "int24")))).channels[0]!;
    expect(Array.from(b)).toEqual([8388607 / 8388608, -1, 0, 8388607 / 8388608, 8388607 / 8388608].map(Math.fround));
  });

  it("any sample rate is stored as given (e.g. 11025 Hz, 192 kHz)", async () => {
    for (const rate of [11025, 192000]) {
      const reader = await openAudioFile(tmp.file(`rate-${rate}.wav`, encodeWav([new Float32Array(10)], rate)));
      expect(reader.info.sampleRateHz).toBe(rate);
      await reader.close();
    }
  });
});

describe("header bytes", () => {
  it("int16 stereo: canonical 44-byte PCM header", () => {
    const bytes = encodeWav([new Float32Array(3), new Float32Array(3)], 44100, "int16");
    expect(bytes.length).toBe(44 + 12);
    expect(bytes.toString("latin1", 0, 4)).toBe("RIFF");
    expect(bytes.readUInt32LE(4)).toBe(bytes.length - 8);
    expect(bytes.toString("latin1", 8, 16)).toBe("WAVEfmt ");
    expect(bytes.readUInt32LE(16)).toBe(16);
    expect(bytes.readUInt16LE(20)).toBe(1); // PCM
    expect(bytes.readUInt16LE(22)).toBe(2);
    expect(bytes.readUInt32LE(24)).toBe(44100);
    expect(bytes.readUInt32LE(28)).toBe(44100 * 4);
    expect(bytes.readUInt16LE(32)).toBe(4);
    expect(bytes.readUInt16LE(34)).toBe(16);
    expect(bytes.toString("latin1", 36, 40)).toBe("data");
    expect(bytes.readUInt32LE(40)).toBe(12);
  });

  it("float32 mono: IEEE float tag with cbSize and a fact chunk holding the frame count", () => {
    const bytes = encodeWav([new Float32Array(5)], 48000, "float32");
    expect(bytes.readUInt32LE(16)).toBe(18);
    expect(bytes.readUInt16LE(20)).toBe(3);
    expect(bytes.toString("latin1", 38, 42)).toBe("fact");
    expect(bytes.readUInt32LE(46)).toBe(5);
    expect(bytes.toString("latin1", 50, 54)).toBe("data");
    expect(bytes.length).toBe(58 + 20);
  });

  it("int24 and >2 channels use WAVE_FORMAT_EXTENSIBLE with the right sub-format GUID", () => {
    const bytes = encodeWav([new Float32Array(1), new Float32Array(1), new Float32Array(1)], 44100, "float32");
    expect(bytes.readUInt32LE(16)).toBe(40);
    expect(bytes.readUInt16LE(20)).toBe(0xfffe);
    expect(bytes.readUInt16LE(36)).toBe(22); // cbSize
    expect(bytes.readUInt16LE(38)).toBe(32); // valid bits
    expect(bytes.readUInt16LE(44)).toBe(3); // sub-format: IEEE float
    expect(bytes.subarray(46, 60).toString("hex")).toBe("000000001000800000aa00389b71");
    const i24 = encodeWav([new Float32Array(1)], 44100, "int24");
    expect(i24.readUInt16LE(20)).toBe(0xfffe);
    expect(i24.readUInt16LE(34)).toBe(24);
    expect(i24.readUInt16LE(44)).toBe(1);
  });

  it("an odd-sized data chunk gets a pad byte (int24 mono, odd frame count)", () => {
    const bytes = encodeWav([new Float32Array(3)], 44100, "int24");
    const dataSize = bytes.readUInt32LE(bytes.length - 1 - 9 - 4);
    expect(dataSize).toBe(9);
    expect(bytes.length % 2).toBe(0);
    expect(bytes.readUInt32LE(4)).toBe(bytes.length - 8);
  });
});

describe("parameter checks", () => {
  it("rejects no channels, unequal lengths, bad rates and unknown formats with ParameterError", () => {
    expect(() => encodeWav([], 44100)).toThrow(ParameterError);
    expect(() => encodeWav([new Float32Array(2), new Float32Array(3)], 44100)).toThrow(/differ in length/);
    expect(() => encodeWav([new Float32Array(2)], 0)).toThrow(ParameterError);
    expect(() => encodeWav([new Float32Array(2)], 44100.5)).toThrow(ParameterError);
    expect(() => encodeWav([new Float32Array(2)], 44100, "int8" as WavSampleFormat)).toThrow(ParameterError);
  });
});

describe("atomic writing", () => {
  it("replaces an existing file and leaves no temporary file behind", async () => {
    const dir = join(tmp.dir, "atomic");
    mkdirSync(dir);
    const path = join(dir, "out.wav");
    writeFileSync(path, "old content");
    await writeWav(path, [Float32Array.from([0.5])], 44100);
    expect(readdirSync(dir)).toEqual(["out.wav"]);
    expect(readFileSync(path).toString("latin1", 0, 4)).toBe("RIFF");
  });

  it("throws WriteError naming the path when the folder does not exist, and creates nothing", async () => {
    const path = join(tmp.dir, "missing-folder", "out.wav");
    const error = await writeWav(path, [new Float32Array(4)], 44100).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(WriteError);
    expect((error as WriteError).path).toBe(path);
    expect((error as WriteError).message).toMatch(/folder does not exist/);
    expect(existsSync(join(tmp.dir, "missing-folder"))).toBe(false);
  });

  it("throws WriteError and leaves no partial or temporary file when the rename fails (a folder is in the way)", async () => {
    const dir = join(tmp.dir, "blocked");
    mkdirSync(join(dir, "out.wav"), { recursive: true });
    const error = await writeWav(join(dir, "out.wav"), [new Float32Array(4)], 44100).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(WriteError);
    expect(readdirSync(dir)).toEqual(["out.wav"]);
  });
});

describe("AUDIO_EXTENSIONS", () => {
  it("lists lower-case extensions with a leading dot, covering the decoded formats", () => {
    for (const ext of AUDIO_EXTENSIONS) expect(ext).toMatch(/^\.[a-z0-9]+$/);
    for (const ext of [".wav", ".aif", ".aiff", ".flac", ".mp3", ".ogg", ".opus", ".m4a"]) expect(AUDIO_EXTENSIONS).toContain(ext);
  });
});
