/**
 * Test-only builders for hand-made WAV and AIFF files: any header field can be set to any value (including
 * wrong ones), chunks can be inserted anywhere, and samples are encoded byte by byte with a DataView so the
 * builders share no code with the reader under test.
 */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSeededRandom as seededRandom } from "../../../src/core/select/seeded-random.js";

export type SampleCoding =
  | { kind: "u8" }
  | { kind: "int"; bytes: 1 | 2 | 3 | 4; littleEndian: boolean; shift?: number }
  | { kind: "float"; bytes: 4 | 8; littleEndian: boolean };

/**
 * Interleaves planar sample values (already in the stored domain: integers for int/u8, floats for float)
 * into bytes. For `int` with `shift`, the integer is shifted left by `shift` bits (left-justified container).
 */
export function encodeFrames(planar: readonly (readonly number[])[], coding: SampleCoding): Uint8Array {
  const channels = planar.length;
  const frames = planar[0]?.length ?? 0;
  const width = coding.kind === "u8" ? 1 : coding.bytes;
  const out = new Uint8Array(frames * channels * width);
  const view = new DataView(out.buffer);
  let o = 0;
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < channels; c++) {
      const v = planar[c]![i]!;
      if (coding.kind === "u8") view.setUint8(o, v);
      else if (coding.kind === "float") {
        if (coding.bytes === 4) view.setFloat32(o, v, coding.littleEndian);
        else view.setFloat64(o, v, coding.littleEndian);
      } else {
        const k = v * 2 ** (coding.shift ?? 0);
        if (coding.bytes === 1) view.setInt8(o, k);
        else if (coding.bytes === 2) view.setInt16(o, k, coding.littleEndian);
        else if (coding.bytes === 4) view.setInt32(o, k, coding.littleEndian);
        else {
          const u = k < 0 ? k + 0x1000000 : k;
          const b = [u & 0xff, (u >> 8) & 0xff, (u >> 16) & 0xff];
          if (!coding.littleEndian) b.reverse();
          out.set(b, o);
        }
      }
      o += width;
    }
  }
  return out;
}

export interface Chunk {
  readonly id: string;
  readonly body: Uint8Array;
  /** Size written in the header (default: body length). */
  readonly declaredSize?: number;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (ch) => ch.charCodeAt(0));
}

function chunkBytes(chunk: Chunk, littleEndian: boolean, pad = true): Uint8Array {
  const header = new Uint8Array(8);
  header.set(ascii(chunk.id), 0);
  new DataView(header.buffer).setUint32(4, chunk.declaredSize ?? chunk.body.length, littleEndian);
  const padding = pad && chunk.body.length % 2 === 1 ? new Uint8Array(1) : new Uint8Array(0);
  return concat([header, chunk.body, padding]);
}

export interface WavFmt {
  formatTag: number;
  channels: number;
  sampleRateHz: number;
  bitsPerSample: number;
  blockAlign?: number;
  /** WAVE_FORMAT_EXTENSIBLE tail; `formatTag` should then be 0xFFFE. */
  extensible?: { validBits: number; channelMask: number; subFormatTag: number; guidTail?: readonly number[] };
}

export const KSDATAFORMAT_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];

export function fmtChunk(fmt: WavFmt): Chunk {
  const ext = fmt.extensible;
  const body = new Uint8Array(ext ? 40 : 16);
  const v = new DataView(body.buffer);
  const blockAlign = fmt.blockAlign ?? fmt.channels * Math.ceil(fmt.bitsPerSample / 8);
  v.setUint16(0, fmt.formatTag, true);
  v.setUint16(2, fmt.channels, true);
  v.setUint32(4, fmt.sampleRateHz, true);
  v.setUint32(8, fmt.sampleRateHz * blockAlign, true);
  v.setUint16(12, blockAlign, true);
  v.setUint16(14, fmt.bitsPerSample, true);
  if (ext) {
    v.setUint16(16, 22, true);
    v.setUint16(18, ext.validBits, true);
    v.setUint32(20, ext.channelMask, true);
    v.setUint16(24, ext.subFormatTag, true);
    body.set(ext.guidTail ?? KSDATAFORMAT_TAIL, 26);
  }
  return { id: "fmt ", body };
}

/** A RIFF/RF64 WAVE file from chunks in the given order. */
export function buildWav(chunks: readonly Chunk[], options: { riffId?: "RIFF" | "RF64"; riffSize?: number } = {}): Uint8Array {
  const body = concat(chunks.map((c) => chunkBytes(c, true)));
  const header = new Uint8Array(12);
  header.set(ascii(options.riffId ?? "RIFF"), 0);
  new DataView(header.buffer).setUint32(4, options.riffSize ?? body.length + 4, true);
  header.set(ascii("WAVE"), 8);
  return concat([header, body]);
}

/** The common case: fmt + data. */
export function simpleWav(fmt: WavFmt, data: Uint8Array, extra: { before?: Chunk[]; between?: Chunk[]; after?: Chunk[] } = {}): Uint8Array {
  return buildWav([...(extra.before ?? []), fmtChunk(fmt), ...(extra.between ?? []), { id: "data", body: data }, ...(extra.after ?? [])]);
}

/** `ds64` chunk body for RF64 (riff size, data size, sample count; no table). */
export function ds64Chunk(riffSize: number, dataSize: number, sampleCount: number): Chunk {
  const body = new Uint8Array(28);
  const v = new DataView(body.buffer);
  v.setBigUint64(0, BigInt(riffSize), true);
  v.setBigUint64(8, BigInt(dataSize), true);
  v.setBigUint64(16, BigInt(sampleCount), true);
  return { id: "ds64", body };
}

/** IEEE 754 80-bit extended encoding of a positive number (AIFF sample rate). */
export function extended80(value: number): Uint8Array {
  const out = new Uint8Array(10);
  if (value === 0) return out;
  const exponent = Math.floor(Math.log2(value));
  const mantissa = value / 2 ** exponent; // in [1, 2)
  const biased = exponent + 16383;
  out[0] = (biased >> 8) & 0x7f;
  out[1] = biased & 0xff;
  const hi = Math.floor(mantissa * 2 ** 31);
  const lo = Math.round((mantissa * 2 ** 31 - hi) * 2 ** 32);
  const v = new DataView(out.buffer);
  v.setUint32(2, hi >>> 0, false);
  v.setUint32(6, lo >>> 0, false);
  return out;
}

export interface AiffSpec {
  aifc?: boolean;
  compression?: string;
  channels: number;
  /** Frames declared in COMM (default: derived from data). */
  declaredFrames?: number;
  bits: number;
  sampleRateHz: number;
  /** Raw 10-byte extended rate, overriding `sampleRateHz`. */
  rawRate?: Uint8Array;
  data: Uint8Array;
  /** SSND offset field (that many bytes are inserted before the samples). */
  ssndOffset?: number;
  extraBefore?: Chunk[];
  omitSsnd?: boolean;
}

export function buildAiff(spec: AiffSpec): Uint8Array {
  const aifc = spec.aifc ?? false;
  const bytesPerFrame = spec.channels * (spec.compression === "fl64" || spec.compression === "FL64" ? 8 : spec.compression?.toLowerCase() === "fl32" ? 4 : Math.ceil(spec.bits / 8));
  const frames = spec.declaredFrames ?? Math.floor(spec.data.length / bytesPerFrame);
  const name = ascii("\x00"); // empty pascal string + pad
  const comm = new Uint8Array(aifc ? 18 + 4 + 2 : 18);
  const cv = new DataView(comm.buffer);
  cv.setUint16(0, spec.channels, false);
  cv.setUint32(2, frames, false);
  cv.setUint16(6, spec.bits, false);
  comm.set(spec.rawRate ?? extended80(spec.sampleRateHz), 8);
  if (aifc) {
    comm.set(ascii(spec.compression ?? "NONE"), 18);
    comm.set(name, 22);
  }
  const ssndOffset = spec.ssndOffset ?? 0;
  const ssnd = new Uint8Array(8 + ssndOffset + spec.data.length);
  new DataView(ssnd.buffer).setUint32(0, ssndOffset, false);
  ssnd.set(spec.data, 8 + ssndOffset);
  const chunks: Chunk[] = [...(spec.extraBefore ?? [])];
  if (aifc) chunks.push({ id: "FVER", body: Uint8Array.from([0xa2, 0x80, 0x51, 0x40]) });
  chunks.push({ id: "COMM", body: comm });
  if (!spec.omitSsnd) chunks.push({ id: "SSND", body: ssnd });
  const body = concat(chunks.map((c) => chunkBytes(c, false)));
  const header = new Uint8Array(12);
  header.set(ascii("FORM"), 0);
  new DataView(header.buffer).setUint32(4, body.length + 4, false);
  header.set(ascii(aifc ? "AIFC" : "AIFF"), 8);
  return concat([header, body]);
}

/** mulberry32 seeded PRNG in [0, 1): one implementation, `src/core/select/seeded-random.ts`. */
export { seededRandom };

/** Seeded random integers in [min, max] per channel. */
export function randomInts(channels: number, frames: number, min: number, max: number, seed: number): number[][] {
  const rnd = seededRandom(seed);
  return Array.from({ length: channels }, () => Array.from({ length: frames }, () => min + Math.floor(rnd() * (max - min + 1))));
}

/** A temporary folder for one test file, removed by `cleanup()`. */
export function makeTempDir(prefix: string): { dir: string; file(name: string, bytes: Uint8Array | string): string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), `mass-audio-${prefix}-`));
  return {
    dir,
    file(name: string, bytes: Uint8Array | string): string {
      const path = join(dir, name);
      writeFileSync(path, bytes);
      return path;
    },
    cleanup(): void {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
