import { describe, expect, it } from "vitest";
import { FROZEN_DEVICE_FLAG, HFS_EPOCH_OFFSET_SEC, parseAmxd, writeAmxd, writeFrozenAmxd } from "../../m4l-device/src/amxd.js";

const enc = new TextEncoder();
const dec = new TextDecoder();
const ascii = (bytes: Uint8Array, at: number, length = 4): string => dec.decode(bytes.subarray(at, at + length));
const u32le = (bytes: Uint8Array, at: number): number => new DataView(bytes.buffer, bytes.byteOffset).getUint32(at, true);
const u32be = (bytes: Uint8Array, at: number): number => new DataView(bytes.buffer, bytes.byteOffset).getUint32(at, false);

const PATCHER = JSON.stringify({ patcher: { boxes: [], lines: [] } });

/**
 * The frozen-device reading of Ableton's maxdevtools (maxdiff/frozen_device_printer.py + freezing_utils.py),
 * transcribed independently of the parser under test: footer offset = big-endian 64-bit at ptch[8:16],
 * footer starts with "dlst" whose size equals the footer length, then "dire" entries of fields.
 */
function maxdevtoolsRead(ptch: Uint8Array): Array<{ name: string; type: string; data: Uint8Array; flag: number }> {
  const view = new DataView(ptch.buffer, ptch.byteOffset, ptch.byteLength);
  const footerOffset = Number(view.getBigUint64(8, false));
  const footer = ptch.subarray(footerOffset);
  if (ascii(footer, 0) !== "dlst") throw new Error("footer does not start with dlst");
  if (u32be(footer, 4) !== footer.length) throw new Error("recorded size does not match actual size");
  const out: Array<{ name: string; type: string; data: Uint8Array; flag: number }> = [];
  let data = footer.subarray(8);
  while (data.length >= 4 && ascii(data, 0) === "dire") {
    const size = u32be(data, 4);
    let fields = data.subarray(8, size);
    const f: Record<string, Uint8Array> = {};
    while (fields.length >= 12) {
      const fieldSize = u32be(fields, 4);
      f[ascii(fields, 0)] = fields.subarray(8, fieldSize);
      fields = fields.subarray(fieldSize);
    }
    const name = dec.decode(f["fnam"]!).replace(/\0+$/, "");
    const offset = u32be(f["of32"]!, 0);
    const length = u32be(f["sz32"]!, 0);
    out.push({ name, type: dec.decode(f["type"]!).replace(/\0+$/, ""), data: ptch.subarray(offset, offset + length), flag: u32be(f["flag"]!, 0) });
    data = data.subarray(size);
  }
  return out;
}

describe("writeAmxd (unfrozen)", () => {
  it("writes ampf/aaaa, meta, ptch as little-endian chunks with the NUL-terminated patcher JSON", () => {
    const bytes = writeAmxd({ deviceKind: "audio_effect", patcherText: PATCHER });
    expect(ascii(bytes, 0)).toBe("ampf");
    expect(u32le(bytes, 4)).toBe(4);
    expect(ascii(bytes, 8)).toBe("aaaa");
    expect(ascii(bytes, 12)).toBe("meta");
    expect(u32le(bytes, 16)).toBe(4);
    expect(ascii(bytes, 24)).toBe("ptch");
    expect(u32le(bytes, 28)).toBe(PATCHER.length + 1);
    expect(bytes.length).toBe(32 + PATCHER.length + 1);
    expect(bytes[bytes.length - 1]).toBe(0);
    expect(dec.decode(bytes.subarray(32, 32 + PATCHER.length))).toBe(PATCHER);
  });

  it("parses back: device type, chunk order, patcher text; MIDI effects and instruments get mmmm and iiii", () => {
    const parsed = parseAmxd(writeAmxd({ deviceKind: "audio_effect", patcherText: PATCHER }));
    expect(parsed).toMatchObject({ deviceType: "aaaa", chunks: ["ampf", "meta", "ptch"], patcherText: PATCHER, frozen: false, files: [] });
    expect(parseAmxd(writeAmxd({ deviceKind: "midi_effect", patcherText: PATCHER })).deviceType).toBe("mmmm");
    expect(parseAmxd(writeAmxd({ deviceKind: "instrument", patcherText: PATCHER })).deviceType).toBe("iiii");
  });

  it("refuses patcher text that is not JSON", () => {
    expect(() => writeAmxd({ deviceKind: "audio_effect", patcherText: "{patcher" })).toThrow();
  });
});

describe("writeFrozenAmxd", () => {
  const script = enc.encode("outlet(0, 1);\n");
  const bundle = enc.encode("export const x = 1;\n".repeat(3));
  const frozen = writeFrozenAmxd({
    deviceKind: "audio_effect",
    deviceFileName: "mass-audio.amxd",
    patcherText: PATCHER,
    dependencies: [
      { name: "mass-audio-node.mjs", type: "TEXT", data: bundle },
      { name: "mass-audio-live.js", type: "TEXT", data: script },
    ],
    modifiedUnixSec: 1_700_000_000,
  });
  const ptch = frozen.subarray(32);

  it("puts an mx@c container in ptch: header size 16, directory offset after the files, files from offset 16", () => {
    expect(ascii(frozen, 24)).toBe("ptch");
    expect(u32le(frozen, 28)).toBe(ptch.length);
    expect(ascii(ptch, 0)).toBe("mx@c");
    expect(u32be(ptch, 4)).toBe(16);
    expect(u32be(ptch, 8)).toBe(0);
    const directory = u32be(ptch, 12);
    expect(directory).toBe(16 + PATCHER.length + 1 + bundle.length + script.length);
    expect(ascii(ptch, directory)).toBe("dlst");
    expect(directory + u32be(ptch, directory + 4)).toBe(ptch.length);
    expect(dec.decode(ptch.subarray(16, 16 + PATCHER.length))).toBe(PATCHER);
  });

  it("is read by the maxdevtools algorithm: the device patcher first (JSON, flag 0x11), then the scripts (TEXT, flag 0)", () => {
    const entries = maxdevtoolsRead(ptch);
    expect(entries.map((e) => [e.name, e.type, e.flag])).toEqual([
      ["mass-audio.amxd", "JSON", FROZEN_DEVICE_FLAG],
      ["mass-audio-node.mjs", "TEXT", 0],
      ["mass-audio-live.js", "TEXT", 0],
    ]);
    expect(dec.decode(entries[0]!.data)).toBe(`${PATCHER}\0`);
    expect(entries[1]!.data).toEqual(bundle);
    expect(entries[2]!.data).toEqual(script);
  });

  it("pads file names to 4 bytes with at least one NUL and stores mdat as seconds since 1904", () => {
    const directory = u32be(ptch, 12);
    const firstDire = directory + 8;
    const fnamAt = firstDire + 8 + 12; // after the "type" field (8 + 4 bytes)
    expect(ascii(ptch, fnamAt)).toBe("fnam");
    const fnamSize = u32be(ptch, fnamAt + 4);
    expect((fnamSize - 8) % 4).toBe(0);
    expect(ptch[fnamAt + 8 + "mass-audio.amxd".length]).toBe(0);
    const parsed = parseAmxd(frozen);
    expect(parsed.files.map((f) => f.modifiedUnixSec)).toEqual([1_700_000_000, 1_700_000_000, 1_700_000_000]);
    const mdatAt = ptch.indexOf(0x6d, firstDire + 8 + 12 + fnamSize + 36); // "m" of mdat after sz32/of32/vers/flag
    expect(ascii(ptch, mdatAt)).toBe("mdat");
    expect(u32be(ptch, mdatAt + 8)).toBe(1_700_000_000 + HFS_EPOCH_OFFSET_SEC);
  });

  it("parses back with the patcher text taken from the first embedded file", () => {
    const parsed = parseAmxd(frozen);
    expect(parsed.frozen).toBe(true);
    expect(parsed.patcherText).toBe(PATCHER);
    expect(parsed.files.map((f) => f.name)).toEqual(["mass-audio.amxd", "mass-audio-node.mjs", "mass-audio-live.js"]);
  });
});

describe("parseAmxd rejects damaged files", () => {
  const good = writeAmxd({ deviceKind: "audio_effect", patcherText: PATCHER });

  it("a truncated file", () => {
    expect(() => parseAmxd(good.subarray(0, good.length - 5))).toThrow(/truncated/);
  });

  it("an unknown chunk", () => {
    const bad = good.slice();
    bad.set(enc.encode("xxxx"), 12);
    expect(() => parseAmxd(bad)).toThrow(/unknown chunk "xxxx"/);
  });

  it("a frozen container whose directory offset is wrong", () => {
    const frozen = writeFrozenAmxd({ deviceKind: "audio_effect", deviceFileName: "d.amxd", patcherText: PATCHER, dependencies: [], modifiedUnixSec: 0 }).slice();
    new DataView(frozen.buffer).setUint32(32 + 12, 20, false);
    expect(() => parseAmxd(frozen)).toThrow(/no dlst/);
  });
});
