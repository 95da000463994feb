/**
 * Bad input becomes a DecodeError with the right reason and a message naming the file and the fault.
 * Every broken file is made here, in a temp folder.
 */

import { describe, it, expect, afterAll } from "vitest";
import { chmodSync, mkdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { openAudioFile, readWholeFile } from "../../src/io/audio-reader.js";
import { DecodeError, type DecodeFailure } from "../../src/core/errors.js";
import { encodeWav } from "../../src/io/wav-writer.js";
import { buildAiff, buildWav, encodeFrames, fmtChunk, makeTempDir, seededRandom, simpleWav, type WavFmt } from "./helpers/pcm-builders.js";

const fixtures = join(fileURLToPath(new URL(".", import.meta.url)), "../fixtures/formats");
const tmp = makeTempDir("decode-errors");
afterAll(() => tmp.cleanup());

/** Opens and fully reads `path`; returns the DecodeError thrown (fails the test if none). */
async function failure(path: string, options?: { maxWholeFileBytes?: number }): Promise<DecodeError> {
  try {
    await readWholeFile(path, options);
  } catch (error) {
    if (error instanceof DecodeError) return error;
    throw error;
  }
  throw new Error(`expected a DecodeError for ${path}`);
}

async function expectFailure(path: string, reason: DecodeFailure, message: RegExp, options?: { maxWholeFileBytes?: number }): Promise<DecodeError> {
  const error = await failure(path, options);
  expect(error.reason, error.message).toBe(reason);
  expect(error.code).toBe(`decode_${reason}`);
  expect(error.path).toBe(path);
  expect(error.message.startsWith(path)).toBe(true);
  expect(error.message).toMatch(message);
  return error;
}

/** Offset of the first FLAC frame (sync 0xFFF8/0xFFF9) after the metadata blocks. */
function firstFlacFrame(flac: Uint8Array): number {
  let offset = 4;
  for (;;) {
    const last = (flac[offset]! & 0x80) !== 0;
    offset += 4 + ((flac[offset + 1]! << 16) | (flac[offset + 2]! << 8) | flac[offset + 3]!);
    if (last) return offset;
  }
}

const pcm16: WavFmt = { formatTag: 1, channels: 2, sampleRateHz: 44100, bitsPerSample: 16 };
const someFrames = encodeFrames([[1, 2, 3, 4], [5, 6, 7, 8]], { kind: "int", bytes: 2, littleEndian: true });

describe("unreadable", () => {
  it("missing file", async () => {
    await expectFailure(join(tmp.dir, "nope.wav"), "unreadable", /does not exist/);
  });
  it("a directory", async () => {
    const dir = join(tmp.dir, "folder.wav");
    mkdirSync(dir);
    await expectFailure(dir, "unreadable", /directory/);
  });
  it.skipIf(process.getuid?.() === 0)("no read permission", async () => {
    const path = tmp.file("locked.wav", encodeWav([new Float32Array(10)], 44100));
    chmodSync(path, 0o000);
    await expectFailure(path, "unreadable", /permission denied/);
  });
});

describe("empty and truncated", () => {
  it("a 0-byte file is 'empty'", async () => {
    await expectFailure(tmp.file("empty.wav", new Uint8Array(0)), "empty", /empty/);
  });
  it("a WAV cut inside the RIFF header", async () => {
    await expectFailure(tmp.file("riff8.wav", Uint8Array.from("RIFF\x24\x00\x00\x00", (c) => c.charCodeAt(0))), "truncated", /RIFF header/);
  });
  it("a WAV cut inside the fmt chunk", async () => {
    const full = encodeWav([new Float32Array(100)], 44100);
    await expectFailure(tmp.file("fmtcut.wav", full.subarray(0, 30)), "truncated", /fmt/);
  });
  it("a WAV that ends before its data chunk", async () => {
    const full = encodeWav([new Float32Array(100)], 44100);
    await expectFailure(tmp.file("nodata.wav", full.subarray(0, 40)), "truncated", /'data' chunk/);
  });
  it("an AIFF whose COMM chunk is cut short", async () => {
    const aiff = buildAiff({ channels: 1, bits: 16, sampleRateHz: 44100, data: new Uint8Array(20) });
    await expectFailure(tmp.file("commcut.aiff", aiff.subarray(0, 12 + 8 + 10)), "truncated", /COMM/);
  });
  it("an AIFF with frames declared but no SSND chunk", async () => {
    await expectFailure(tmp.file("nossnd.aiff", buildAiff({ channels: 1, bits: 16, sampleRateHz: 44100, declaredFrames: 10, data: new Uint8Array(0), omitSsnd: true })), "truncated", /SSND/);
  });
  it("a FLAC cut inside STREAMINFO", async () => {
    const flac = readFileSync(join(fixtures, "reference.flac"));
    await expectFailure(tmp.file("short.flac", flac.subarray(0, 20)), "truncated", /STREAMINFO/);
  });
  it("a FLAC cut right after its metadata (frames declared, none present)", async () => {
    const flac = readFileSync(join(fixtures, "reference.flac"));
    await expectFailure(tmp.file("headonly.flac", flac.subarray(0, firstFlacFrame(flac))), "truncated", /declares 66150 frames but no decodable audio frame/);
  });
  it("an Ogg file cut inside its first page", async () => {
    const ogg = readFileSync(join(fixtures, "reference.ogg"));
    await expectFailure(tmp.file("short.ogg", ogg.subarray(0, 20)), "truncated", /Ogg/);
  });
});

describe("not audio", () => {
  it("a text file with an audio extension", async () => {
    await expectFailure(tmp.file("notes.wav", "These are my session notes.\nTake 3 was the best.\n"), "not_audio", /text, not audio.*These are my/);
    await expectFailure(tmp.file("song.mp3", "<html><body>404 Not Found</body></html>"), "not_audio", /text/);
  });
  it("random binary data", async () => {
    const rnd = seededRandom(5);
    const bytes = Uint8Array.from({ length: 4096 }, () => Math.floor(rnd() * 256));
    bytes[0] = 0x00; // no accidental sync word at the start
    await expectFailure(tmp.file("noise.flac", bytes), "not_audio", /not a known audio format/);
  });
  it("a PNG image", async () => {
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
    await expectFailure(tmp.file("cover.wav", png), "not_audio", /89 50 4e 47/);
  });
  it("a MIDI file", async () => {
    await expectFailure(tmp.file("tune.wav", Uint8Array.from("MThd\x00\x00\x00\x06\x00\x01\x00\x01\x00\x60", (c) => c.charCodeAt(0))), "not_audio", /MIDI/);
  });
  it("the extension does not matter: a real WAV named .mp3 opens as WAV", async () => {
    const reader = await openAudioFile(tmp.file("misnamed.mp3", encodeWav([new Float32Array(10)], 44100)));
    expect(reader.info.format).toBe("wav");
    await reader.close();
  });
});

describe("unsupported codec", () => {
  it("WAV format tag 0x0002 (MS ADPCM)", async () => {
    const path = tmp.file("adpcm.wav", simpleWav({ formatTag: 2, channels: 1, sampleRateHz: 22050, bitsPerSample: 4, blockAlign: 256 }, new Uint8Array(512)));
    await expectFailure(path, "unsupported_codec", /0x0002 \(Microsoft ADPCM\).*convert/);
  });
  it("WAV format tag 0x0055 (MP3 in WAV)", async () => {
    await expectFailure(tmp.file("mp3in.wav", simpleWav({ formatTag: 0x55, channels: 2, sampleRateHz: 44100, bitsPerSample: 0, blockAlign: 1 }, new Uint8Array(100))), "unsupported_codec", /MPEG layer 3/);
  });
  it("EXTENSIBLE with an unknown sub-format GUID", async () => {
    const fmt: WavFmt = { formatTag: 0xfffe, channels: 2, sampleRateHz: 44100, bitsPerSample: 16, extensible: { validBits: 16, channelMask: 3, subFormatTag: 1, guidTail: new Array(14).fill(7) } };
    await expectFailure(tmp.file("guid.wav", simpleWav(fmt, someFrames)), "unsupported_codec", /sub-format GUID/);
  });
  it("an Ogg stream of another codec (Speex)", async () => {
    const ogg = readFileSync(join(fixtures, "reference.ogg"));
    const speex = new Uint8Array(ogg.subarray(0, 200));
    const payload = 27 + speex[26]!;
    speex.set(Uint8Array.from("Speex   ", (c) => c.charCodeAt(0)), payload);
    await expectFailure(tmp.file("speex.ogg", speex), "unsupported_codec", /Speex/);
  });
});

describe("zero length", () => {
  it("a WAV whose data chunk is empty", async () => {
    await expectFailure(tmp.file("zero.wav", buildWav([fmtChunk(pcm16), { id: "data", body: new Uint8Array(0) }])), "zero_length", /no sample frames/);
  });
  it("a WAV whose data holds less than one frame", async () => {
    await expectFailure(tmp.file("partial.wav", buildWav([fmtChunk(pcm16), { id: "data", body: new Uint8Array(3) }])), "zero_length", /no sample frames/);
  });
  it("an AIFF declaring 0 frames", async () => {
    await expectFailure(tmp.file("zero.aiff", buildAiff({ channels: 2, bits: 16, sampleRateHz: 44100, declaredFrames: 0, data: new Uint8Array(0) })), "zero_length", /0 sample frames/);
  });
});

describe("bad header values", () => {
  const cases: [string, WavFmt, RegExp][] = [
    ["0 channels", { ...pcm16, channels: 0, blockAlign: 4 }, /0 channels/],
    ["65 channels", { ...pcm16, channels: 65 }, /65 channels/],
    ["sample rate 999 Hz", { ...pcm16, sampleRateHz: 999 }, /999 Hz/],
    ["sample rate 768001 Hz", { ...pcm16, sampleRateHz: 768001 }, /768001 Hz/],
    ["7 bits per sample", { ...pcm16, bitsPerSample: 7 }, /7 bits/],
    ["40 bits per sample", { ...pcm16, bitsPerSample: 40 }, /40 bits/],
    ["16-bit float", { ...pcm16, formatTag: 3 }, /16 bits/],
    ["0 bits per sample", { ...pcm16, bitsPerSample: 0, blockAlign: 4 }, /0 bits/],
  ];
  for (const [label, fmt, message] of cases) {
    it(`WAV with ${label}`, async () => {
      await expectFailure(tmp.file(`bad-${label.replace(/\W+/g, "-")}.wav`, simpleWav(fmt, someFrames)), "bad_header", message);
    });
  }
  it("AIFF with 0 channels and with a 100 Hz rate", async () => {
    await expectFailure(tmp.file("aiff0ch.aiff", buildAiff({ channels: 0, bits: 16, sampleRateHz: 44100, declaredFrames: 4, data: new Uint8Array(16) })), "bad_header", /0 channels/);
    await expectFailure(tmp.file("aiff100.aiff", buildAiff({ channels: 1, bits: 16, sampleRateHz: 100, data: new Uint8Array(16) })), "bad_header", /100 Hz/);
  });
  it("AIFF with 33 bits per sample", async () => {
    await expectFailure(tmp.file("aiff33.aiff", buildAiff({ channels: 1, bits: 33, sampleRateHz: 44100, declaredFrames: 2, data: new Uint8Array(10) })), "bad_header", /33 bits/);
  });
});

describe("corrupt", () => {
  const values = [
    [0.1, 0.2, 0.3, Number.NaN, 0.5, 0.6],
    [0, 0, Number.POSITIVE_INFINITY, 0, Number.NEGATIVE_INFINITY, 0],
  ];
  const floatFmt: WavFmt = { formatTag: 3, channels: 2, sampleRateHz: 44100, bitsPerSample: 32 };

  it("NaN/Inf in float WAV: blocks() fails naming the count and the first position", async () => {
    const path = tmp.file("nan.wav", simpleWav(floatFmt, encodeFrames(values, { kind: "float", bytes: 4, littleEndian: true })));
    await expectFailure(path, "corrupt", /3 non-finite .* first at frame 2, channel 1/);
  });
  it("NaN/Inf in float64 big-endian AIFF-C: readRange reports absolute frame positions", async () => {
    const path = tmp.file("nan.aifc", buildAiff({ aifc: true, compression: "fl64", channels: 2, bits: 64, sampleRateHz: 44100, data: encodeFrames(values, { kind: "float", bytes: 8, littleEndian: false }) }));
    const reader = await openAudioFile(path);
    expect(Array.from(await reader.readRange(0, 2))).toHaveLength(2); // clean range reads fine
    const error = await reader.readRange(3, 6).then(() => undefined, (e: unknown) => e);
    await reader.close();
    expect(error).toBeInstanceOf(DecodeError);
    expect((error as DecodeError).reason).toBe("corrupt");
    expect((error as DecodeError).message).toMatch(/2 non-finite .*frames \[3, 6\); first at frame 3, channel 0/);
  });
  it("a FLAC whose frames are all garbage after a valid header fails (no decodable frame)", async () => {
    const flac = new Uint8Array(readFileSync(join(fixtures, "reference.flac")));
    const firstFrame = firstFlacFrame(flac);
    const rnd = seededRandom(9);
    for (let i = firstFrame; i < flac.length; i++) flac[i] = Math.floor(rnd() * 256) & 0xfe; // no 0xFF sync bytes
    await expectFailure(tmp.file("garbage.flac", flac), "truncated", /no decodable audio frame/);
  });
  it("a FLAC damaged mid-stream yields every frame exactly except the damaged one, which is silence (as libFLAC)", async () => {
    const flac = new Uint8Array(readFileSync(join(fixtures, "reference.flac")));
    flac[150000] = flac[150000]! ^ 0x55;
    const damaged = await readWholeFile(tmp.file("damaged.flac", flac));
    const clean = await readWholeFile(join(fixtures, "reference.flac"));
    expect(damaged.channels[0]!.length).toBe(66150);
    for (let c = 0; c < 2; c++) {
      const got = damaged.channels[c]!;
      const want = clean.channels[c]!;
      let first = -1;
      let last = -1;
      for (let i = 0; i < got.length; i++) {
        if (got[i] === want[i]) continue;
        if (first < 0) first = i;
        last = i;
      }
      expect(first).toBeGreaterThan(40000);
      expect(last - first).toBeLessThan(4608); // one FLAC block at most
      for (let i = first; i <= last; i++) expect(got[i]).toBe(0);
    }
  });
});

describe("too large for the whole-file fallback", () => {
  it("M4A above maxWholeFileBytes is refused with advice to convert", async () => {
    const path = join(fixtures, "reference.m4a");
    await expectFailure(path, "too_large", /no streaming decoder.*Convert the file to FLAC or WAV/, { maxWholeFileBytes: 10_000 });
  });
  it("the same M4A decodes under the default limit", async () => {
    const reader = await openAudioFile(join(fixtures, "reference.m4a"));
    expect(reader.info.format).toBe("m4a");
    await reader.close();
  });
});
