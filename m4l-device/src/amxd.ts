/**
 * The `.amxd` container of Max for Live devices: little-endian chunks `ampf` (4 bytes: device type),
 * `meta` (4 bytes) and `ptch` (the patch). The `ptch` payload is either the patcher JSON (NUL-terminated)
 * or, for a frozen device, an `mx@c` container: a 16-byte big-endian header (`mx@c`, header size 16,
 * 0, offset of the directory), the embedded files back to back from offset 16 (the device patcher first),
 * then a `dlst` directory of `dire` entries whose fields (`type`, `fnam`, `sz32`, `of32`, `vers`, `flag`,
 * `mdat`) are big-endian chunks with sizes that include their 8-byte headers; `fnam` is NUL-terminated
 * and padded to 4 bytes; offsets count from the start of `mx@c`; `mdat` is seconds since 1904 (HFS+).
 *
 * Layout as read by Ableton's own maxdevtools (`maxdiff/amxd_textconv.py`, `freezing_utils.py`,
 * `frozen_device_printer.py`) and as written by several public device generators. The `meta` value's
 * meaning is not documented; values seen in devices saved by Live are small integers (0, 1, 4, 7).
 */

export type DeviceKind = "audio_effect" | "midi_effect" | "instrument";

export const DEVICE_TYPE_CODES: Readonly<Record<DeviceKind, string>> = {
  audio_effect: "aaaa",
  midi_effect: "mmmm",
  instrument: "iiii",
};

/** `flag` of the device patcher inside a frozen container (the other files carry 0). */
export const FROZEN_DEVICE_FLAG = 0x11;
/** Seconds from 1904-01-01 (HFS+ epoch, `mdat`) to 1970-01-01. */
export const HFS_EPOCH_OFFSET_SEC = 2_082_844_800;
const MXC_HEADER_BYTES = 16;
const META_UNFROZEN = 1;
const META_FROZEN = 7;

export interface EmbeddedFile {
  readonly name: string;
  /** Four-character type code: `JSON` for patchers, `TEXT` for scripts. */
  readonly type: string;
  readonly data: Uint8Array;
  readonly flag: number;
  /** Modification time, Unix seconds. */
  readonly modifiedUnixSec: number;
}

export interface ParsedAmxd {
  readonly deviceType: string;
  readonly meta: number;
  /** Chunk tags in file order. */
  readonly chunks: readonly string[];
  /** The device patcher JSON text (the frozen container's first file when frozen). */
  readonly patcherText: string;
  /** Embedded files of a frozen device (the device patcher first); empty when not frozen. */
  readonly files: readonly EmbeddedFile[];
  readonly frozen: boolean;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function fourCC(code: string): Uint8Array {
  const bytes = encoder.encode(code);
  if (bytes.length !== 4) throw new Error(`amxd: "${code}" is not a four-character code`);
  return bytes;
}

function u32(value: number, littleEndian: boolean): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value >>> 0, littleEndian);
  return out;
}

/** A little-endian top-level chunk. */
function chunk(tag: string, data: Uint8Array): Uint8Array {
  return concat([fourCC(tag), u32(data.length, true), data]);
}

/** A big-endian field of the frozen directory; its size includes the 8-byte header. */
function field(tag: string, data: Uint8Array): Uint8Array {
  return concat([fourCC(tag), u32(8 + data.length, false), data]);
}

function nulTerminated(text: string): Uint8Array {
  return concat([encoder.encode(text), new Uint8Array(1)]);
}

function padded4(bytes: Uint8Array): Uint8Array {
  const padding = (4 - (bytes.length % 4)) % 4;
  return padding === 0 ? bytes : concat([bytes, new Uint8Array(padding)]);
}

function header(deviceKind: DeviceKind, meta: number): Uint8Array {
  return concat([chunk("ampf", fourCC(DEVICE_TYPE_CODES[deviceKind])), chunk("meta", u32(meta, true))]);
}

/** An unfrozen device: the patcher JSON in `ptch`; files it names must sit beside the `.amxd`. */
export function writeAmxd(options: { readonly deviceKind: DeviceKind; readonly patcherText: string }): Uint8Array {
  JSON.parse(options.patcherText); // fail here, not in Live
  return concat([header(options.deviceKind, META_UNFROZEN), chunk("ptch", nulTerminated(options.patcherText))]);
}

/**
 * A frozen device: the patcher and its dependencies inside one `mx@c` container.
 * @param deviceFileName name of the device patcher entry (the `.amxd` file name, as Live writes it).
 */
export function writeFrozenAmxd(options: {
  readonly deviceKind: DeviceKind;
  readonly deviceFileName: string;
  readonly patcherText: string;
  readonly dependencies: ReadonlyArray<{ readonly name: string; readonly type: string; readonly data: Uint8Array }>;
  readonly modifiedUnixSec: number;
}): Uint8Array {
  JSON.parse(options.patcherText);
  const files: EmbeddedFile[] = [
    { name: options.deviceFileName, type: "JSON", data: nulTerminated(options.patcherText), flag: FROZEN_DEVICE_FLAG, modifiedUnixSec: options.modifiedUnixSec },
    ...options.dependencies.map((dep) => ({ name: dep.name, type: dep.type, data: dep.data, flag: 0, modifiedUnixSec: options.modifiedUnixSec })),
  ];
  const bodies: Uint8Array[] = [];
  const entries: Uint8Array[] = [];
  let offset = MXC_HEADER_BYTES;
  for (const file of files) {
    entries.push(
      field(
        "dire",
        concat([
          field("type", fourCC(file.type)),
          field("fnam", padded4(nulTerminated(file.name))),
          field("sz32", u32(file.data.length, false)),
          field("of32", u32(offset, false)),
          field("vers", u32(0, false)),
          field("flag", u32(file.flag, false)),
          field("mdat", u32(file.modifiedUnixSec + HFS_EPOCH_OFFSET_SEC, false)),
        ]),
      ),
    );
    bodies.push(file.data);
    offset += file.data.length;
  }
  const mxc = concat([fourCC("mx@c"), u32(MXC_HEADER_BYTES, false), u32(0, false), u32(offset, false), ...bodies, field("dlst", concat(entries))]);
  return concat([header(options.deviceKind, META_FROZEN), chunk("ptch", mxc)]);
}

class Reader {
  private readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  tag(at: number): string {
    this.need(at, 4);
    return String.fromCharCode(this.bytes[at]!, this.bytes[at + 1]!, this.bytes[at + 2]!, this.bytes[at + 3]!);
  }
  u32(at: number, littleEndian: boolean): number {
    this.need(at, 4);
    return this.view.getUint32(at, littleEndian);
  }
  need(at: number, length: number): void {
    if (at < 0 || at + length > this.bytes.length) throw new Error(`amxd: truncated at byte ${at} (need ${length}, have ${this.bytes.length - at})`);
  }
}

function text(bytes: Uint8Array): string {
  const end = bytes.length > 0 && bytes[bytes.length - 1] === 0 ? bytes.length - 1 : bytes.length;
  return decoder.decode(bytes.subarray(0, end));
}

function cString(bytes: Uint8Array): string {
  const nul = bytes.indexOf(0);
  return decoder.decode(nul < 0 ? bytes : bytes.subarray(0, nul));
}

function parseFrozen(payload: Uint8Array): EmbeddedFile[] {
  const r = new Reader(payload);
  const headerBytes = r.u32(4, false);
  const high = r.u32(8, false);
  const directory = r.u32(12, false);
  if (headerBytes !== MXC_HEADER_BYTES) throw new Error(`amxd: mx@c header size ${headerBytes}, expected ${MXC_HEADER_BYTES}`);
  if (high !== 0) throw new Error("amxd: mx@c directory offset beyond 4 GiB");
  if (r.tag(directory) !== "dlst") throw new Error(`amxd: no dlst at mx@c offset ${directory}`);
  const dlstEnd = directory + r.u32(directory + 4, false);
  if (dlstEnd !== payload.length) throw new Error(`amxd: dlst ends at ${dlstEnd}, container at ${payload.length}`);
  const files: EmbeddedFile[] = [];
  let at = directory + 8;
  while (at < dlstEnd) {
    if (r.tag(at) !== "dire") throw new Error(`amxd: "${r.tag(at)}" in dlst at ${at}, expected dire`);
    const direEnd = at + r.u32(at + 4, false);
    if (direEnd > dlstEnd) throw new Error(`amxd: dire at ${at} runs past the directory`);
    const fields = new Map<string, Uint8Array>();
    let f = at + 8;
    while (f < direEnd) {
      const size = r.u32(f + 4, false);
      if (size < 8 || f + size > direEnd) throw new Error(`amxd: bad field size ${size} at ${f}`);
      fields.set(r.tag(f), payload.subarray(f + 8, f + size));
      f += size;
    }
    const number = (tag: string): number => {
      const value = fields.get(tag);
      if (!value || value.length < 4) throw new Error(`amxd: dire at ${at} lacks ${tag}`);
      return new DataView(value.buffer, value.byteOffset, 4).getUint32(0, false);
    };
    const type = fields.get("type");
    const name = fields.get("fnam");
    if (!type || !name) throw new Error(`amxd: dire at ${at} lacks type or fnam`);
    const offset = number("of32");
    const size = number("sz32");
    if (offset < MXC_HEADER_BYTES || offset + size > directory) throw new Error(`amxd: file ${cString(name)} [${offset}, ${offset + size}) is outside the data area`);
    files.push({
      name: cString(name),
      type: cString(type),
      data: payload.subarray(offset, offset + size),
      flag: fields.has("flag") ? number("flag") : 0,
      modifiedUnixSec: fields.has("mdat") ? number("mdat") - HFS_EPOCH_OFFSET_SEC : 0,
    });
    at = direEnd;
  }
  if (files.length === 0) throw new Error("amxd: empty frozen directory");
  return files;
}

/**
 * Parses an `.amxd`, checking the chunk layout and, for a frozen device, the container directory.
 * @throws Error naming the first inconsistency (truncation, unknown chunk, size mismatch, bad UTF-8).
 */
export function parseAmxd(bytes: Uint8Array): ParsedAmxd {
  const r = new Reader(bytes);
  const chunks: string[] = [];
  let deviceType: string | undefined;
  let meta: number | undefined;
  let ptch: Uint8Array | undefined;
  let at = 0;
  while (at < bytes.length) {
    const tag = r.tag(at);
    const size = r.u32(at + 4, true);
    r.need(at + 8, size);
    const data = bytes.subarray(at + 8, at + 8 + size);
    chunks.push(tag);
    if (tag === "ampf") {
      if (size !== 4) throw new Error(`amxd: ampf chunk of ${size} bytes, expected 4`);
      deviceType = String.fromCharCode(...data);
    } else if (tag === "meta") {
      if (size !== 4) throw new Error(`amxd: meta chunk of ${size} bytes, expected 4`);
      meta = new DataView(data.buffer, data.byteOffset, 4).getUint32(0, true);
    } else if (tag === "ptch") {
      ptch = data;
    } else {
      throw new Error(`amxd: unknown chunk "${tag}" at ${at}`);
    }
    at += 8 + size;
  }
  if (deviceType === undefined || meta === undefined || ptch === undefined) throw new Error(`amxd: chunks ${chunks.join(",")}, expected ampf, meta, ptch`);
  const frozen = ptch.length >= 4 && String.fromCharCode(ptch[0]!, ptch[1]!, ptch[2]!, ptch[3]!) === "mx@c";
  if (!frozen) return { deviceType, meta, chunks, patcherText: text(ptch), files: [], frozen };
  const files = parseFrozen(ptch);
  return { deviceType, meta, chunks, patcherText: text(files[0]!.data), files, frozen };
}
