/** Test-side readers of .npy (format 1.0, little-endian f4/f8) and ZIP archives, written from the specs. */
import { inflateRawSync } from "node:zlib";
import { expect } from "vitest";
import { crc32 } from "../../../src/io/npy-writer.js";

/** A minimal .npy reader (format 1.0, little-endian f4/f8), as numpy.lib.format.read_array parses it. */
export function readNpy(bytes: Buffer): { descr: string; shape: number[]; data: Float32Array | Float64Array; headerLength: number } {
  expect(Array.from(bytes.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  const headerLength = bytes.readUInt16LE(8);
  const header = bytes.toString("latin1", 10, 10 + headerLength);
  const match = /^\{'descr': '(<f[48])', 'fortran_order': False, 'shape': \(([\d, ]*)\), \} *\n$/.exec(header);
  if (!match) throw new Error(`bad header ${JSON.stringify(header)}`);
  const shape = match[2]!.split(",").map((s) => s.trim()).filter((s) => s !== "").map(Number);
  const payload = bytes.subarray(10 + headerLength);
  const copy = new Uint8Array(payload).buffer;
  const data = match[1] === "<f4" ? new Float32Array(copy) : new Float64Array(copy);
  return { descr: match[1]!, shape, data, headerLength };
}

/** A minimal reader of stored (method 0) or deflated ZIP members via the central directory. */
export function readZip(bytes: Buffer): Map<string, Buffer> {
  const end = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  expect(end).toBeGreaterThanOrEqual(0);
  const count = bytes.readUInt16LE(end + 10);
  let p = bytes.readUInt32LE(end + 16);
  const members = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    expect(bytes.readUInt32LE(p)).toBe(0x02014b50);
    const method = bytes.readUInt16LE(p + 10);
    const crc = bytes.readUInt32LE(p + 16);
    const size = bytes.readUInt32LE(p + 20);
    const nameLength = bytes.readUInt16LE(p + 28);
    const extra = bytes.readUInt16LE(p + 30);
    const comment = bytes.readUInt16LE(p + 32);
    const local = bytes.readUInt32LE(p + 42);
    const name = bytes.toString("utf8", p + 46, p + 46 + nameLength);
    expect(bytes.readUInt32LE(local)).toBe(0x04034b50);
    const dataStart = local + 30 + bytes.readUInt16LE(local + 26) + bytes.readUInt16LE(local + 28);
    const raw = bytes.subarray(dataStart, dataStart + size);
    const data = method === 0 ? raw : inflateRawSync(raw);
    expect(crc32(data)).toBe(crc);
    members.set(name, data);
    p += 46 + nameLength + extra + comment;
  }
  return members;
}

