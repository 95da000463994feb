/**
 * NumPy `.npy` (format version 1.0) and `.npz` writers for float arrays. `.npy` files are byte for byte
 * what `numpy.save` writes: magic `\x93NUMPY`, version 1.0, a little-endian uint16 header length, the
 * header dict `{'descr': '<f4', 'fortran_order': False, 'shape': (R, C), }` padded with spaces (room for
 * the first axis to grow, then to a multiple of 64 bytes) and a newline, then the C-order little-endian
 * payload. An `.npz` is an uncompressed (stored) ZIP archive of `<key>.npy` members, as `numpy.savez`
 * writes it (`np.load(path)["key"]` reads them), with a fixed 1980-01-01 member date.
 * Spec: numpy.lib.format (NEP 1); ZIP: PKWARE APPNOTE 4.3.7 (local header, central directory, end record).
 */
import { ParameterError } from "../core/errors.js";
import { writeFileAtomically } from "./atomic-write.js";

/** A C-order array: `data.length` must equal the product of `shape`. */
export interface NpyArray {
  readonly data: Float32Array | Float64Array;
  readonly shape: readonly number[];
}

const NPY_MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY
/** numpy aligns the header so the payload starts at a multiple of 64 bytes. */
const NPY_ALIGN_BYTES = 64;
/** numpy's GROWTH_AXIS_MAX_DIGITS: spare header room for the first axis. */
const NPY_GROWTH_AXIS_DIGITS = 21;
/** Version 1.0 stores the header length in 2 bytes. */
const NPY_V1_MAX_HEADER = 0xffff;
/** The ZIP format without ZIP64 records: members and archives below 4 GiB. */
const ZIP32_LIMIT = 0xffffffff;
/** MS-DOS date of 1980-01-01 (the earliest), so archives are byte-identical run to run. */
const DOS_DATE_1980 = (0 << 9) | (1 << 5) | 1;

function checkArray(array: NpyArray, what: string): void {
  const { data, shape } = array;
  if (!(data instanceof Float32Array || data instanceof Float64Array)) throw new ParameterError(`${what}: data must be a Float32Array or Float64Array`);
  let count = 1;
  for (const dim of shape) {
    if (!Number.isInteger(dim) || dim < 0) throw new ParameterError(`${what}: shape dimensions must be integers >= 0, got [${shape.join(", ")}]`);
    count *= dim;
  }
  if (count !== data.length) throw new ParameterError(`${what}: shape [${shape.join(", ")}] holds ${count} values, data has ${data.length}`);
}

/** The header dict as numpy writes it, e.g. `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`. */
function headerDict(array: NpyArray): string {
  const descr = array.data instanceof Float32Array ? "<f4" : "<f8";
  const shape = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(", ")})`;
  return `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
}

/**
 * Encodes one array as a `.npy` file (format 1.0).
 * @throws ParameterError when `shape` does not match `data`
 */
export function encodeNpy(array: NpyArray): Buffer {
  checkArray(array, "encodeNpy");
  // numpy leaves room for the first axis to grow to 21 digits, then pads to the alignment (a whole
  // 64 bytes when already aligned): numpy.lib.format._write_array_header / _wrap_header
  const growth = array.shape.length > 0 ? " ".repeat(Math.max(0, NPY_GROWTH_AXIS_DIGITS - String(array.shape[0]).length)) : "";
  const dict = headerDict(array) + growth;
  const preamble = NPY_MAGIC.length + 2 + 2;
  const padding = NPY_ALIGN_BYTES - ((preamble + dict.length + 1) % NPY_ALIGN_BYTES);
  const headerLength = dict.length + padding + 1;
  if (headerLength > NPY_V1_MAX_HEADER) throw new ParameterError(`encodeNpy: header of ${headerLength} bytes is too long for format 1.0`);
  const payloadBytes = array.data.byteLength;
  const out = Buffer.alloc(preamble + headerLength + payloadBytes);
  NPY_MAGIC.copy(out, 0);
  out[6] = 1; // major version
  out[7] = 0; // minor version
  out.writeUInt16LE(headerLength, 8);
  out.write(dict + " ".repeat(padding) + "\n", preamble, "latin1");
  const offset = preamble + headerLength;
  const { data } = array;
  const view = new DataView(out.buffer, out.byteOffset + offset, payloadBytes);
  if (data instanceof Float32Array) for (let i = 0; i < data.length; i++) view.setFloat32(4 * i, data[i]!, true);
  else for (let i = 0; i < data.length; i++) view.setFloat64(8 * i, data[i]!, true);
  return out;
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as ZIP stores it. */
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = crcTable[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * Encodes named arrays as an `.npz` archive (stored ZIP, members `<name>.npy` in the given order).
 * @param arrays e.g. `{ embedding: {...}, timestamps: {...} }`; names are non-empty, without "/"
 * @throws ParameterError on a bad name or array, or an archive of 4 GiB or more
 */
export function encodeNpz(arrays: Readonly<Record<string, NpyArray>>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [key, array] of Object.entries(arrays)) {
    if (key.length === 0 || key.includes("/") || key.includes("\\")) throw new ParameterError(`encodeNpz: bad array name ${JSON.stringify(key)}`);
    const name = Buffer.from(`${key}.npy`, "utf8");
    const payload = encodeNpy(array);
    if (payload.length >= ZIP32_LIMIT || offset >= ZIP32_LIMIT) throw new ParameterError("encodeNpz: archives of 4 GiB or more are not supported");
    const crc = crc32(payload);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); // local file header signature
    local.writeUInt16LE(20, 4); // version needed: 2.0
    local.writeUInt16LE(0, 6); // flags
    local.writeUInt16LE(0, 8); // method: stored
    local.writeUInt16LE(0, 10); // time 00:00:00
    local.writeUInt16LE(DOS_DATE_1980, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(payload.length, 18); // compressed size
    local.writeUInt32LE(payload.length, 22); // uncompressed size
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28); // extra field length
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0); // central directory header signature
    central.writeUInt16LE(20, 4); // version made by
    central.writeUInt16LE(20, 6); // version needed
    central.writeUInt16LE(0, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(DOS_DATE_1980, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(payload.length, 20);
    central.writeUInt32LE(payload.length, 24);
    central.writeUInt16LE(name.length, 28);
    // extra length, comment length, disk number, internal attributes: 0
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38); // external attributes: a regular file, rw-r--r--
    central.writeUInt32LE(offset, 42); // local header offset
    locals.push(local, name, payload);
    centrals.push(central, name);
    offset += local.length + name.length + payload.length;
  }
  const directory = Buffer.concat(centrals);
  if (offset + directory.length >= ZIP32_LIMIT) throw new ParameterError("encodeNpz: archives of 4 GiB or more are not supported");
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); // end of central directory signature
  const entries = Object.keys(arrays).length;
  end.writeUInt16LE(entries, 8);
  end.writeUInt16LE(entries, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/**
 * Writes one array as a `.npy` file, atomically (temporary name + rename).
 * @throws ParameterError as `encodeNpy`; WriteError when the file cannot be written
 */
export async function writeNpy(path: string, array: NpyArray): Promise<void> {
  await writeFileAtomically(path, encodeNpy(array), ".npy");
}

/**
 * Writes named arrays as an `.npz` archive, atomically.
 * @throws ParameterError as `encodeNpz`; WriteError when the file cannot be written
 */
export async function writeNpz(path: string, arrays: Readonly<Record<string, NpyArray>>): Promise<void> {
  await writeFileAtomically(path, encodeNpz(arrays), ".npz");
}
