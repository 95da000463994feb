/** Content sniffing and the small header parsers, on literal bytes and on the committed fixtures. */

import { describe, it, expect, afterAll } from "vitest";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { findMpegSync, id3v2Size, parseMpegFrameHeader, sniffFormat } from "../../src/io/format-detect.js";
import { lastOggGranule, parseFlacHeader, parseXingHeader } from "../../src/io/codec-headers.js";
import { openAudioFile, readWholeFile } from "../../src/io/audio-reader.js";
import { makeTempDir } from "./helpers/pcm-builders.js";

const fixtures = join(fileURLToPath(new URL(".", import.meta.url)), "../fixtures/formats");
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(join(fixtures, name)));
const tmp = makeTempDir("format-detect");
afterAll(() => tmp.cleanup());

describe("sniffFormat", () => {
  const cases: [string, string][] = [
    ["reference.wav", "wav"],
    ["reference.aiff", "aiff"],
    ["reference.flac", "flac"],
    ["reference.mp3", "mp3"],
    ["reference.ogg", "ogg-vorbis"],
    ["reference.opus", "opus"],
    ["reference.m4a", "m4a"],
  ];
  for (const [file, format] of cases) {
    it(`${file} is ${format}`, () => {
      const bytes = fixture(file);
      let sniffed = sniffFormat(bytes.subarray(0, 65536));
      // ffmpeg puts an ID3v2 tag before MP3 frames: sniff again after it.
      if (sniffed.kind === "id3") sniffed = sniffFormat(bytes.subarray(sniffed.skipBytes));
      expect(sniffed.kind).toBe("audio");
      expect(sniffed.kind === "audio" && sniffed.format).toBe(format);
    });
  }
  it("recognises formats left to the whole-file decoder as 'other'", () => {
    const heads: [string, number[]][] = [
      ["caf", [...Buffer.from("caff"), 0, 1, 0, 0]],
      ["aac-adts", [0xff, 0xf1, 0x50, 0x80, 0, 0x1f, 0xfc]],
      ["wavpack", [...Buffer.from("wvpk"), 0, 0, 0, 0]],
      ["wma", [0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11, 0xa6, 0xd9]],
    ];
    for (const [variant, bytes] of heads) expect(sniffFormat(Uint8Array.from(bytes))).toEqual({ kind: "audio", format: "other", variant });
  });
  it("reports an ID3v2 tag's size so the caller can sniff after it", () => {
    const tag = Uint8Array.from([0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 0x02, 0x01]); // body 257 bytes
    expect(id3v2Size(tag)).toBe(10 + 257);
    expect(sniffFormat(tag)).toEqual({ kind: "id3", skipBytes: 267 });
  });
});

describe("MPEG frame header", () => {
  it("FF FB 90 64 is MPEG-1 layer III, 128 kb/s, 44.1 kHz, joint stereo, 417-byte frames", () => {
    expect(parseMpegFrameHeader(Uint8Array.from([0xff, 0xfb, 0x90, 0x64]), 0)).toEqual({
      version: 1, layer: 3, sampleRateHz: 44100, channelCount: 2, bitrateKbps: 128, frameBytes: 417, samplesPerFrame: 1152,
    });
  });
  it("rejects reserved version, layer, bitrate and rate codes", () => {
    for (const bytes of [[0xff, 0xeb, 0x90, 0x64], [0xff, 0xf9, 0x90, 0x64], [0xff, 0xfb, 0xf0, 0x64], [0xff, 0xfb, 0x9c, 0x64]]) {
      expect(parseMpegFrameHeader(Uint8Array.from(bytes), 0)).toBeUndefined();
    }
  });
  it("the fixture's first frame carries a LAME tag whose delay/padding give the exact decoded length", () => {
    const mp3 = fixture("reference.mp3");
    const sync = findMpegSync(mp3, 0, 4096);
    const header = parseMpegFrameHeader(mp3, sync)!;
    const xing = parseXingHeader(mp3, sync, header.version === 1, header.channelCount === 1)!;
    expect(xing.encoderDelay).toBe(576);
    expect(xing.frames * 1152 - xing.encoderDelay! - xing.padding!).toBe(66150);
  });
});

describe("FLAC STREAMINFO and Ogg granules", () => {
  it("reads rate, channels, bits and total samples of the FLAC fixture", () => {
    expect(parseFlacHeader(fixture("reference.flac"), "native")).toEqual({ sampleRateHz: 44100, channelCount: 2, bitDepth: 16, frameCount: 66150 });
  });
  it("finds the last granule position of the Vorbis fixture (its length in frames)", () => {
    expect(lastOggGranule(fixture("reference.ogg"))).toBe(66150);
  });
});

describe("ID3-tagged files", () => {
  const id3 = (bodyBytes: number): Uint8Array => {
    const tag = new Uint8Array(10 + bodyBytes);
    tag.set([0x49, 0x44, 0x33, 3, 0, 0, (bodyBytes >> 21) & 0x7f, (bodyBytes >> 14) & 0x7f, (bodyBytes >> 7) & 0x7f, bodyBytes & 0x7f]);
    return tag;
  };
  it("an MP3 behind a 100 kB ID3 tag (cover art) decodes to the same samples as without it", async () => {
    const plain = fixture("reference.mp3");
    const tagged = new Uint8Array([...id3(100_000), ...plain]);
    const a = await readWholeFile(join(fixtures, "reference.mp3"));
    const b = await readWholeFile(tmp.file("tagged.mp3", tagged));
    expect(b.info).toEqual({ ...a.info, path: b.info.path });
    expect(b.channels[1]).toEqual(a.channels[1]);
  });
  it("a FLAC behind an ID3 tag opens as FLAC", async () => {
    const reader = await openAudioFile(tmp.file("tagged.flac", new Uint8Array([...id3(500), ...fixture("reference.flac")])));
    expect(reader.info).toMatchObject({ format: "flac", frameCount: 66150 });
    await reader.close();
  });
});
