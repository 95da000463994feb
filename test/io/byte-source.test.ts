import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DecodeError } from "../../src/core/errors.js";
import { openByteSource } from "../../src/io/byte-source.js";

describe("byte source", () => {
  let dir: string;
  let path: string;
  const bytes = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 7919) & 0xff);
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "mass-audio-byte-source-"));
    path = join(dir, "data.bin");
    await writeFile(path, bytes);
    await writeFile(join(dir, "empty.bin"), new Uint8Array(0));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  for (const sync of [false, true]) {
    describe(sync ? "blocking reads (worker threads)" : "thread-pool reads (main thread)", () => {
      it("reads the bytes at any offset, shorter at the end of the file", async () => {
        const source = await openByteSource(path, { sync });
        try {
          expect(source.sizeBytes).toBe(bytes.length);
          expect(Array.from(await source.readAt(12_345, 1000))).toEqual(Array.from(bytes.subarray(12_345, 13_345)));
          const tail = await source.readAt(99_990, 100);
          expect(Array.from(tail)).toEqual(Array.from(bytes.subarray(99_990)));
          const target = new Uint8Array(20);
          expect(await source.readInto(target, 5, 10, 0)).toBe(10);
          expect(Array.from(target.subarray(5, 15))).toEqual(Array.from(bytes.subarray(0, 10)));
        } finally {
          await source.close();
          await source.close(); // twice is harmless
        }
      });

      it("refuses a missing file, a folder and an empty file with a DecodeError naming the cause", async () => {
        await expect(openByteSource(join(dir, "missing.bin"), { sync })).rejects.toMatchObject({ reason: "unreadable", message: expect.stringMatching(/ENOENT/) });
        await expect(openByteSource(dir, { sync })).rejects.toMatchObject({ reason: "unreadable", message: expect.stringMatching(/EISDIR/) });
        await expect(openByteSource(join(dir, "empty.bin"), { sync })).rejects.toBeInstanceOf(DecodeError);
        await expect(openByteSource(join(dir, "empty.bin"), { sync })).rejects.toMatchObject({ reason: "empty" });
      });
    });
  }
});
