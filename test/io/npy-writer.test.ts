import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { WriteError } from "../../src/core/errors.js";
import { crc32, encodeNpy, encodeNpz, writeNpy, writeNpz } from "../../src/io/npy-writer.js";
import { tempDir } from "../helpers/corpus.js";
import { readNpy, readZip } from "./helpers/npy-reader.js";

const temp = tempDir();
afterAll(() => temp.cleanup());

describe("encodeNpy", () => {
  it("writes numpy.save's exact header for a float32 [2, 3] array (captured from numpy 1.24)", () => {
    const bytes = encodeNpy({ data: new Float32Array([1, 2, 3, 4, 5, 6.5]), shape: [2, 3] });
    expect(bytes.readUInt16LE(8)).toBe(118);
    const expectedHeader = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }".padEnd(117, " ") + "\n";
    expect(bytes.toString("latin1", 10, 128)).toBe(expectedHeader);
    expect(bytes.length).toBe(128 + 24);
    expect(bytes.readFloatLE(128 + 20)).toBe(6.5);
  });

  it("round-trips 1-D float64 and empty arrays; payload starts on a 64-byte boundary", () => {
    const ts = readNpy(encodeNpy({ data: new Float64Array([0, 0.1, 0.25]), shape: [3] }));
    expect(ts.descr).toBe("<f8");
    expect(ts.shape).toEqual([3]);
    expect(Array.from(ts.data)).toEqual([0, 0.1, 0.25]);
    expect((10 + ts.headerLength) % 64).toBe(0);
    const empty = readNpy(encodeNpy({ data: new Float32Array(0), shape: [0, 16] }));
    expect(empty.shape).toEqual([0, 16]);
    expect(empty.data.length).toBe(0);
  });

  it("keeps the header aligned for long shapes (numpy's 21-digit growth room)", () => {
    const big = readNpy(encodeNpy({ data: new Float32Array(123456 * 2), shape: [123456, 2] }));
    expect(big.shape).toEqual([123456, 2]);
    expect((10 + big.headerLength) % 64).toBe(0);
  });

  it("rejects a shape that does not match the data", () => {
    expect(() => encodeNpy({ data: new Float32Array(5), shape: [2, 3] })).toThrow(/holds 6 values, data has 5/);
  });
});

describe("encodeNpz", () => {
  it("is a stored ZIP of <key>.npy members with correct CRCs, in order", () => {
    const embedding = new Float32Array([1, 2, 3, 4, 5, 6]);
    const bytes = encodeNpz({ embedding: { data: embedding, shape: [3, 2] }, timestamps: { data: new Float64Array([0, 0.5, 1]), shape: [3] } });
    const members = readZip(bytes);
    expect([...members.keys()]).toEqual(["embedding.npy", "timestamps.npy"]);
    const e = readNpy(members.get("embedding.npy")!);
    expect(e.shape).toEqual([3, 2]);
    expect(Array.from(e.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(readNpy(members.get("timestamps.npy")!).data)).toEqual([0, 0.5, 1]);
  });

  it("is deterministic (fixed member dates)", () => {
    const arrays = { a: { data: new Float32Array([1]), shape: [1] } };
    expect(encodeNpz(arrays).equals(encodeNpz(arrays))).toBe(true);
  });

  it("crc32 matches the standard check value", () => {
    expect(crc32(Buffer.from("123456789"))).toBe(0xcbf43926);
  });
});

describe("writeNpy / writeNpz", () => {
  it("write the encoded bytes", async () => {
    const path = join(temp.dir, "x.npy");
    await writeNpy(path, { data: new Float32Array([7]), shape: [1, 1] });
    expect(readNpy(readFileSync(path)).shape).toEqual([1, 1]);
    const npz = join(temp.dir, "x.npz");
    await writeNpz(npz, { embedding: { data: new Float32Array([7]), shape: [1, 1] } });
    expect(readZip(readFileSync(npz)).has("embedding.npy")).toBe(true);
  });

  it("report a missing folder as a WriteError naming the path", async () => {
    const path = join(temp.dir, "no", "such", "dir.npz");
    await expect(writeNpz(path, { a: { data: new Float32Array(1), shape: [1] } })).rejects.toThrow(WriteError);
    await expect(writeNpz(path, { a: { data: new Float32Array(1), shape: [1] } })).rejects.toThrow(`${path}: cannot write .npz (ENOENT): the folder does not exist`);
  });
});
