import { copyFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultDataDir, resolveDataDir } from "../../src/corpus/data-dir.js";
import { FINGERPRINT_WINDOW_BYTES, identifyFile } from "../../src/corpus/fingerprint.js";
import { createRng, makeTempDir } from "./helpers.js";

describe("file fingerprints", () => {
  it("stay the same through a rename and a copy, and change with the content", async () => {
    const { dir, cleanup } = await makeTempDir("fp");
    const random = createRng(1);
    const bytes = Buffer.from(Array.from({ length: 5 * FINGERPRINT_WINDOW_BYTES }, () => Math.floor(random() * 256)));
    await writeFile(join(dir, "a.wav"), bytes);
    const original = await identifyFile(join(dir, "a.wav"));
    await rename(join(dir, "a.wav"), join(dir, "b.wav"));
    await copyFile(join(dir, "b.wav"), join(dir, "c.wav"));
    expect((await identifyFile(join(dir, "b.wav"))).fingerprint).toBe(original.fingerprint);
    expect((await identifyFile(join(dir, "c.wav"))).fingerprint).toBe(original.fingerprint);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 1, bytes.length - 1); // last window
    await writeFile(join(dir, "d.wav"), bytes);
    expect((await identifyFile(join(dir, "d.wav"))).fingerprint).not.toBe(original.fingerprint);
    await writeFile(join(dir, "small.wav"), Buffer.from("tiny"));
    const small = await identifyFile(join(dir, "small.wav"));
    expect(small.sizeBytes).toBe(4);
    expect(small.fingerprint).toMatch(/^[0-9a-f]{32}$/);
    await cleanup();
  });
});

describe("data folder", () => {
  it("follows MASS_AUDIO_HOME, then the platform's app-data folder", () => {
    expect(defaultDataDir({ MASS_AUDIO_HOME: "/x/y" }, "linux", "/home/u")).toBe("/x/y");
    expect(defaultDataDir({}, "linux", "/home/u")).toBe("/home/u/.local/share/mass-audio");
    expect(defaultDataDir({ XDG_DATA_HOME: "/data" }, "linux", "/home/u")).toBe("/data/mass-audio");
    expect(defaultDataDir({}, "darwin", "/Users/u")).toBe("/Users/u/Library/Application Support/mass-audio");
    expect(defaultDataDir({ APPDATA: "C:\\Users\\u\\AppData\\Roaming" }, "win32", "C:\\Users\\u")).toContain("mass-audio");
    expect(resolveDataDir("/explicit", {})).toBe("/explicit");
  });
});
