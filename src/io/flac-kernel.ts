/**
 * The hot part of FLAC decoding (RFC 9639) as a small WebAssembly module assembled at run time with
 * `src/core/dsp/wasm-assembler.ts` (no build step, no binary blob): the subframes of a frame (bit reader,
 * Rice residuals, fixed and LPC prediction, wasted bits), the frame's CRC-16, and the int -> float output
 * with stereo decorrelation. `flac-decoder.ts` keeps the stream logic (sync search, frame header, CRC-8,
 * damage handling) and calls `decodeFrame`, `crc16` and `emit` once per frame. WebAssembly needs no
 * JavaScript warm-up, which matters most in a fresh worker thread. Pure: typed memory in, typed memory out.
 *
 * Integer semantics are those of the TypeScript decoder this replaced, bit for bit: residuals and fixed
 * predictors in 32-bit wrap-around arithmetic; LPC first in 32-bit wrap-around arithmetic with a range check
 * on every sample (`(value + 2^(bits-1)) >>> bits`, shift counts modulo 32 as in JavaScript), and when a
 * sample leaves the `bits`-bit range, or `shift + bits > 32`, the whole subframe redone exactly (64-bit
 * integers here, standing for float64 sums that are exact: |sum| < 2^50). Output floats round once, to
 * nearest: `sample / 2^(bps-1)`, with left/side and side/right sums formed exactly.
 *
 * Memory of an instance (`FlacKernelLayout` gives the offsets after the fixed header):
 *   [0, 8192)         CRC-16 slicing-by-16 tables (16 x 256 uint16)
 *   [8192, 8320)      LPC coefficients of the current subframe (32 x int32)
 *   [8320, 8340)      configuration: residual, work, work stride, output, output stride (int32 each)
 *   [8344, 8368)      bit reader: cache (int64), valid bits, next byte, give-up byte, ran-out flag
 *   residual          int32 x blockCapacity (LPC residual)
 *   work              int32 x blockCapacity per channel (decoded samples of the current frame)
 *   output            float32 x outputFrames per channel
 *   input             the stream bytes: inputCapacity, then 16 bytes of padding
 *
 * The bit reader's cache is left-aligned: its top `bits` bits are the next bits of the stream, the bits below
 * them zero; it takes 32 more bits (one big-endian load) whenever fewer than 32 are left. General reads are
 * small functions on the state in memory; the Rice loops keep it in locals while they run. When the reader
 * would load at `end` + 3 or later (the frame cannot end before `end`), it sets the ran-out flag and traps.
 *
 * In WAT terms (pointers are byte offsets into the memory; `i32 x n`: n i32 parameters):
 *
 *   (func $decodeFrame (i32 x5: p end channelCode blockFrames bps) (result i32))
 *   (func $crc16 (i32 x2: start end) (result i32))
 *   (func $emit (i32 x4: channelCode channels frames outOffset) (f64: scale))  ;; SIMD where available
 *   (func $restoreFixed (i32 x3: s frames order))
 *   (func $restoreLpc (i32 x6: s res frames order shift bits))
 *   (func $lpc64 (i32 x5: s res frames order shift))                   ;; exact path
 *   (func $lpcGeneric (i32 x6: s res frames order shift bits) (result i32))  ;; 32-bit path, any order
 *   (func $readBits / $readSigned (i32: n) (result i32))  (func $readUnary (result i32))
 *   (func $residual (i32 x3: dst frames order) (result i32))
 *   (func $rice0 .. $rice12, $riceAny (i32 x3: d dEnd k) (result i32))  ;; Rice runs, k constant in riceK
 *   (func $lpc1 .. $lpc12 (i32 x5: s res frames shift bits) (result i32))  ;; 32-bit path, unrolled
 */
import {
  BLOCK,
  F32X4_CONVERT_I32X4_S,
  F32X4_DEMOTE_F64X2_ZERO,
  F32X4_MUL,
  F32X4_SPLAT,
  F64X2_ADD,
  F64X2_CONVERT_LOW_I32X4_S,
  F64X2_MUL,
  F64X2_SPLAT,
  F64X2_SUB,
  HIGH_HALF,
  I32X4_ADD,
  I32X4_SHL,
  I32X4_SHR_S,
  I32X4_SPLAT,
  I32X4_SUB,
  LOW_HALVES,
  V128,
  V128_AND,
  V128_LOAD,
  V128_OR,
  V128_STORE,
  CodeBuilder,
  compileWasm,
  ELSE,
  END,
  F32,
  F32_CONVERT_I32_S,
  F32_DEMOTE_F64,
  F32_MUL,
  F32_STORE,
  F64,
  F64_ADD,
  F64_CONVERT_I32_S,
  F64_MUL,
  F64_SUB,
  funcType,
  I32,
  I32_ADD,
  I32_AND,
  I32_EQ,
  I32_EQZ,
  I32_GE_U,
  I32_GT_S,
  I32_GT_U,
  I32_LE_S,
  I32_LE_U,
  I32_LOAD,
  I32_LOAD16_U,
  I32_LOAD8_U,
  I32_LT_S,
  I32_LT_U,
  I32_MUL,
  I32_NE,
  I32_OR,
  I32_ROTL,
  I32_ROTR,
  I32_SHL,
  I32_SHR_S,
  I32_SHR_U,
  I32_STORE,
  I32_SUB,
  I32_WRAP_I64,
  I32_XOR,
  I64,
  I64_LOAD,
  I64_STORE,
  UNREACHABLE,
  I64_ADD,
  I64_CLZ,
  I64_EXTEND_I32_S,
  I64_EXTEND_I32_U,
  I64_MUL,
  I64_OR,
  I64_SHL,
  I64_SHR_S,
  I64_SHR_U,
  IF,
  LOOP,
  moduleImportingMemoryFromBodies,
  RETURN,
  SELECT,
  VOID,
  WASM_PAGE_BYTES,
  wasmApi,
  type WasmMemory,
  type WasmModule,
} from "../core/dsp/wasm-assembler.js";

/** Bytes per step of the CRC-16 (slicing by 16: one table of 256 uint16 per byte position). */
const CRC_SLICES = 16;
/** Byte offset of the CRC-16 tables (CRC_SLICES x 256 uint16: entry (k << 8) + b is byte b followed by k zero bytes). */
export const FLAC_KERNEL_CRC_TABLES = 0;
/** Byte offset of the current subframe's LPC coefficients (up to 32 int32). */
export const FLAC_KERNEL_COEFS = CRC_SLICES * 512;
/** Byte offset of the configuration words (residual, work, work stride, output, output stride). */
const CONFIG = FLAC_KERNEL_COEFS + 128;
/** The bit reader's state: cache (i64), valid bits, next byte, give-up byte, ran-out flag. */
const READER_CACHE = CONFIG + 24;
const READER_BITS = READER_CACHE + 8;
const READER_PTR = READER_CACHE + 12;
const READER_LIMIT = READER_CACHE + 16;
const READER_RAN_OUT = READER_CACHE + 20;
/** First byte after the fixed header area. */
const HEADER_BYTES = CONFIG + 128;
/**
 * Bytes after the input capacity that keep every load inside the memory (the reader loads 4 bytes at up to
 * end + 2, and the decoder keeps >= 8 spare bytes after its input end anyway).
 */
const INPUT_PADDING_BYTES = 16;
/** Rice parameters up to this one get a hot loop of their own, with the shifts by k as constants (k <= 12 in ~99.6 % of the CC0 corpus's values). */
const SPECIALISED_RICE_K = 12;
/** Rice values decoded per pass of the hot loop. */
const RICE_UNROLL = 4;
/** LPC orders up to this one get a function with coefficients and history in locals (libFLAC's presets go to 12). */
const MAX_UNROLLED_LPC_ORDER = 12;

/** Byte offsets of one kernel instance's memory regions; strides are in bytes. */
export interface FlacKernelLayout {
  /** Largest block (frames) a frame may have. */
  readonly blockCapacity: number;
  /** Channels with work and output regions. */
  readonly channelCapacity: number;
  /** Output frames per channel. */
  readonly outputFrames: number;
  /** Input bytes (without the reader's padding). */
  readonly inputCapacity: number;
  readonly residual: number;
  readonly work: number;
  readonly workStride: number;
  readonly output: number;
  readonly outputStride: number;
  readonly input: number;
  /** Total memory bytes (a whole number of pages). */
  readonly bytes: number;
}

const align64 = (bytes: number): number => Math.ceil(bytes / 64) * 64;

/**
 * Lays out a kernel memory for blocks of up to `blockCapacity` frames, `channelCapacity` channels,
 * `outputFrames` float frames per channel and `inputCapacity` input bytes.
 */
export function flacKernelLayout(blockCapacity: number, channelCapacity: number, outputFrames: number, inputCapacity: number): FlacKernelLayout {
  const residual = HEADER_BYTES;
  const workStride = align64(blockCapacity * 4);
  const work = align64(residual + blockCapacity * 4);
  const outputStride = align64(outputFrames * 4);
  const output = work + channelCapacity * workStride;
  const input = output + channelCapacity * outputStride;
  const bytes = Math.ceil((input + inputCapacity + INPUT_PADDING_BYTES) / WASM_PAGE_BYTES) * WASM_PAGE_BYTES;
  return { blockCapacity, channelCapacity, outputFrames, inputCapacity, residual, work, workStride, output, outputStride, input, bytes };
}

// ---- code generation ----

/** A generated function: its locals (`[count, type]` groups after the parameters) and body. */
interface FunctionCode {
  readonly name: string;
  readonly type: number;
  readonly locals: ReadonlyArray<readonly [number, number]>;
  readonly body: Uint8Array;
}

/** Allocates local indices after `params` parameters: `i32(n)` / `i64(n)` return the first of n new locals. */
class Locals {
  readonly declared: Array<readonly [number, number]> = [];
  private next: number;
  constructor(params: number) {
    this.next = params;
  }
  private take(type: number, count: number): number {
    const first = this.next;
    this.next += count;
    const last = this.declared[this.declared.length - 1];
    if (last !== undefined && last[1] === type) this.declared[this.declared.length - 1] = [last[0] + count, type];
    else this.declared.push([count, type]);
    return first;
  }
  i32(count = 1): number {
    return this.take(I32, count);
  }
  i64(count = 1): number {
    return this.take(I64, count);
  }
  f32(count = 1): number {
    return this.take(F32, count);
  }
  v128(count = 1): number {
    return this.take(V128, count);
  }
}

/** `local[x] += delta` */
function addTo(a: CodeBuilder, x: number, delta: number): void {
  a.get(x).i32(delta).op(I32_ADD).set(x);
}

/**
 * `do { body } while (local[x] < local[limit])` behind a guard `if (local[x] < local[limit])` (unsigned):
 * a loop that may run zero times and tests once per step. `body` must not branch out of it.
 */
function whileBelow(a: CodeBuilder, x: number, limit: number, body: () => void): void {
  a.get(x).get(limit).op(I32_LT_U).op(IF).op(VOID).op(LOOP).op(VOID);
  body();
  a.get(x).get(limit).op(I32_LT_U).brIf(0).op(END).op(END);
}

// ---- bit reader ----
// The reader's state lives in memory at READER (cache i64, bits, ptr, limit, ran-out flag): the general
// reads are small functions on it, and the Rice loops copy it into locals while they run.

/** The bit reader's state in locals (see the module comment). */
interface Reader {
  readonly a: CodeBuilder;
  /** i64 */
  readonly cache: number;
  readonly bits: number;
  /** Next byte to load. */
  readonly ptr: number;
  /** First `ptr` at which a refill gives up: end + 3. */
  readonly limit: number;
  readonly tmp: number;
}

/** Marks the input as used up and traps (`unreachable`); the caller of `decodeFrame` sees the flag. */
function ranOut(a: CodeBuilder): void {
  a.i32(0).i32(1).memory(I32_STORE, READER_RAN_OUT).op(UNREACHABLE);
}

/**
 * Ensures at least 32 valid bits in the reader's locals. When `ptr` reached `limit` (end + 3) with fewer
 * left, the next unread bit lies past 8 * (end - 1), so the frame's CRC-16 would lie past `end` whatever
 * follows: the frame is cut short (`ranOut`).
 */
function refill(r: Reader): void {
  const a = r.a;
  a.get(r.bits).i32(32).op(I32_LT_U).op(IF).op(VOID);
  a.get(r.ptr).get(r.limit).op(I32_GE_U).op(IF).op(VOID);
  ranOut(a);
  a.op(END);
  a.get(r.cache);
  // a big-endian 32-bit load: bytes 0 and 2 rotated right by 8, bytes 1 and 3 left by 8
  a.get(r.ptr).memory(I32_LOAD).tee(r.tmp).i32(0x00ff00ff).op(I32_AND).i32(8).op(I32_ROTR);
  a.get(r.tmp).i32(0xff00ff00).op(I32_AND).i32(8).op(I32_ROTL).op(I32_OR);
  a.op(I64_EXTEND_I32_U).i32(32).get(r.bits).op(I32_SUB).op(I64_EXTEND_I32_U).op(I64_SHL).op(I64_OR).set(r.cache);
  addTo(a, r.ptr, 4);
  addTo(a, r.bits, 32);
  a.op(END);
}

/** Copies the reader's state from memory into its locals. */
function loadReader(r: Reader): void {
  const a = r.a;
  a.i32(0).memory(I64_LOAD, READER_CACHE).set(r.cache);
  a.i32(0).memory(I32_LOAD, READER_BITS).set(r.bits);
  a.i32(0).memory(I32_LOAD, READER_PTR).set(r.ptr);
  a.i32(0).memory(I32_LOAD, READER_LIMIT).set(r.limit);
}

/** Copies the reader's locals back to memory. */
function storeReader(r: Reader): void {
  const a = r.a;
  a.i32(0).get(r.cache).memory(I64_STORE, READER_CACHE);
  a.i32(0).get(r.bits).memory(I32_STORE, READER_BITS);
  a.i32(0).get(r.ptr).memory(I32_STORE, READER_PTR);
}

/** A function on the reader's state: loads it into locals, then `body` (which stores it back and may push a result). */
function readerFunction(name: string, type: number, params: number, body: (a: CodeBuilder, r: Reader, l: Locals) => void): FunctionCode {
  const a = new CodeBuilder();
  const l = new Locals(params);
  const r: Reader = { a, cache: l.i64(), bits: l.i32(), ptr: l.i32(), limit: l.i32(), tmp: l.i32() };
  loadReader(r);
  body(a, r, l);
  return { name, type, locals: l.declared, body: a.bytes };
}

/** `readBits(n)`: the next n bits (1 <= n <= 32) as an unsigned number; `readSigned(n)`: two's complement (n = 0: 0). */
function readBitsFunction(signed: boolean): FunctionCode {
  return readerFunction(signed ? "readSigned" : "readBits", TYPE_I32_I32, 1, (a, r, l) => {
    const n = 0;
    const value = l.i32();
    if (signed) a.get(n).op(I32_EQZ).op(IF).op(VOID).i32(0).op(RETURN).op(END);
    refill(r);
    a.get(r.cache).i32(64).get(n).op(I32_SUB).op(I64_EXTEND_I32_U).op(signed ? I64_SHR_S : I64_SHR_U).op(I32_WRAP_I64).set(value);
    a.get(r.cache).get(n).op(I64_EXTEND_I32_U).op(I64_SHL).set(r.cache);
    a.get(r.bits).get(n).op(I32_SUB).set(r.bits);
    storeReader(r);
    a.get(value);
  });
}

/** `readUnary()`: the zeros before the next 1 bit, both consumed. */
function readUnaryFunction(): FunctionCode {
  return readerFunction("readUnary", TYPE_I32, 0, (a, r, l) => {
    const q = l.i32(), lz = l.i32();
    a.op(BLOCK).op(VOID).op(LOOP).op(VOID);
    refill(r);
    a.get(r.cache).op(I64_CLZ).op(I32_WRAP_I64).tee(lz).get(r.bits).op(I32_LT_U).brIf(1);
    // no 1 among the valid bits (all zero, as everything below them): count them and refill from empty
    a.get(q).get(r.bits).op(I32_ADD).set(q);
    a.i32(0).set(r.bits);
    a.br(0).op(END).op(END);
    a.get(r.cache).get(lz).i32(1).op(I32_ADD).op(I64_EXTEND_I32_U).op(I64_SHL).set(r.cache);
    a.get(r.bits).get(lz).op(I32_SUB).i32(1).op(I32_SUB).set(r.bits);
    storeReader(r);
    a.get(q).get(lz).op(I32_ADD);
  });
}

/** `*local[d] = (v >>> 1) ^ -(v & 1)` (zigzag decoding of `local[v]`). */
function storeZigzag(a: CodeBuilder, d: number, v: number): void {
  a.get(d).get(v).i32(1).op(I32_SHR_U).i32(0).get(v).i32(1).op(I32_AND).op(I32_SUB).op(I32_XOR).memory(I32_STORE);
}

/** Pushes the byte offset of the next unread bit, rounded up: ptr - floor(bits / 8). */
function readerOffset(a: CodeBuilder): void {
  a.i32(0).memory(I32_LOAD, READER_PTR).i32(0).memory(I32_LOAD, READER_BITS).i32(3).op(I32_SHR_U).op(I32_SUB);
}

// Function indices, in `assemble`'s order: decodeFrame 0, crc16 1, emit 2, then:
const FN_RESTORE_FIXED = 3;
const FN_RESTORE_LPC = 4;
const FN_LPC64 = 5;
const FN_LPC_GENERIC = 6;
const FN_READ_BITS = 7;
const FN_READ_SIGNED = 8;
const FN_READ_UNARY = 9;
const FN_RESIDUAL = 10;
/** riceK (K <= SPECIALISED_RICE_K) is function FN_RICE + K, then riceAny. */
const FN_RICE = 11;
/** lpcN (N <= MAX_UNROLLED_LPC_ORDER) is function FN_LPC_FIRST + N - 1. */
const FN_LPC_FIRST = FN_RICE + SPECIALISED_RICE_K + 2;

const TYPE_I32X5_I32 = 0;
const TYPE_I32X2_I32 = 1;
const TYPE_EMIT = 2; // (i32 x4, f64) -> ()
const TYPE_I32X3 = 3;
const TYPE_I32X6 = 4;
const TYPE_I32X5 = 5;
const TYPE_I32X6_I32 = 6;
const TYPE_I32_I32 = 7;
const TYPE_I32 = 8; // () -> i32
const TYPE_I32X3_I32 = 9;

/**
 * The subframes of a frame from byte `p` into the work channels. Returns the byte offset after the last bit
 * read (rounded up), negated when a subframe is malformed; traps (`ranOut`) when the input is used up.
 */
function decodeFrameFunction(): FunctionCode {
  const a = new CodeBuilder();
  const [p, end, channelCode, blockFrames, bps] = [0, 1, 2, 3, 4];
  const l = new Locals(5);
  const channels = l.i32(), c = l.i32(), side = l.i32(), dst = l.i32(), sbps = l.i32(), header = l.i32(), type = l.i32(), wasted = l.i32();
  const order = l.i32(), d = l.i32(), dEnd = l.i32(), shift = l.i32(), precision = l.i32(), j = l.i32(), workBase = l.i32(), workStride = l.i32();
  /** `if (condition on the stack) return -(byte offset of the next unread bit, rounded up)`: malformed. */
  const failIf = (): void => {
    a.op(IF).op(VOID).i32(0);
    readerOffset(a);
    a.op(I32_SUB).op(RETURN).op(END);
  };
  /** `for (d = dst; d < dst + 4 * count; d += 4) *d = value`, `value` emitting an i32. */
  const fill = (count: number, value: () => void): void => {
    a.get(dst).tee(d).get(count).i32(2).op(I32_SHL).op(I32_ADD).set(dEnd);
    whileBelow(a, d, dEnd, () => {
      a.get(d);
      value();
      a.memory(I32_STORE);
      addTo(a, d, 4);
    });
  };
  const readSample = (): CodeBuilder => a.get(sbps).call(FN_READ_SIGNED);

  // the reader starts at p; it gives up at end + 3
  a.i32(0).i64(0).memory(I64_STORE, READER_CACHE);
  a.i32(0).i32(0).memory(I32_STORE, READER_BITS);
  a.i32(0).get(p).memory(I32_STORE, READER_PTR);
  a.i32(0).get(end).i32(3).op(I32_ADD).memory(I32_STORE, READER_LIMIT);
  a.i32(0).i32(0).memory(I32_STORE, READER_RAN_OUT);
  a.i32(CONFIG).memory(I32_LOAD, 4).set(workBase);
  a.i32(CONFIG).memory(I32_LOAD, 8).set(workStride);
  // channels: 1-8 independent, or 2 with one side channel (one more bit): 8 left/side, 9 side/right, 10 mid/side
  a.get(channelCode).i32(1).op(I32_ADD).i32(2).get(channelCode).i32(7).op(I32_LE_U).op(SELECT).set(channels);
  a.i32(-1).i32(0).i32(1).get(channelCode).i32(9).op(I32_EQ).op(SELECT).get(channelCode).i32(8).op(I32_LT_U).op(SELECT).set(side);
  a.op(LOOP).op(VOID);
  a.get(workBase).get(c).get(workStride).op(I32_MUL).op(I32_ADD).set(dst);
  a.get(bps).get(c).get(side).op(I32_EQ).op(I32_ADD).set(sbps);
  // subframe header: zero bit, 6-bit type, wasted-bits flag (then wasted - 1 in unary)
  a.i32(8).call(FN_READ_BITS).tee(header).i32(0x80).op(I32_AND);
  failIf();
  a.get(header).i32(1).op(I32_SHR_U).i32(0x3f).op(I32_AND).set(type);
  a.i32(0).set(wasted);
  a.get(header).i32(1).op(I32_AND).op(IF).op(VOID);
  a.call(FN_READ_UNARY).i32(1).op(I32_ADD).tee(wasted).get(sbps).op(I32_GE_U);
  failIf();
  a.get(sbps).get(wasted).op(I32_SUB).set(sbps);
  a.op(END);
  a.get(type).op(I32_EQZ).op(IF).op(VOID);
  {
    // CONSTANT
    readSample().set(j);
    fill(blockFrames, () => a.get(j));
  }
  a.op(ELSE);
  a.get(type).i32(1).op(I32_EQ).op(IF).op(VOID);
  {
    // VERBATIM
    fill(blockFrames, readSample);
  }
  a.op(ELSE);
  a.get(type).i32(8).op(I32_SUB).i32(4).op(I32_LE_U).op(IF).op(VOID);
  {
    // FIXED, orders 0-4: warm-up, residual in place, prediction
    a.get(type).i32(8).op(I32_SUB).tee(order).get(blockFrames).op(I32_GT_S);
    failIf();
    fill(order, readSample);
    a.get(dst).get(blockFrames).get(order).call(FN_RESIDUAL).op(I32_EQZ);
    failIf();
    a.get(dst).get(blockFrames).get(order).call(FN_RESTORE_FIXED);
  }
  a.op(ELSE);
  a.get(type).i32(32).op(I32_LT_U);
  failIf();
  {
    // LPC, orders 1-32: warm-up, precision, shift, coefficients, residual, prediction
    a.get(type).i32(31).op(I32_SUB).tee(order).get(blockFrames).op(I32_GT_S);
    failIf();
    fill(order, readSample);
    a.i32(4).call(FN_READ_BITS).i32(1).op(I32_ADD).tee(precision).i32(16).op(I32_EQ);
    failIf();
    a.i32(5).call(FN_READ_SIGNED).tee(shift).i32(0).op(I32_LT_S);
    failIf();
    a.i32(0).set(j);
    whileBelow(a, j, order, () => {
      a.get(j).i32(2).op(I32_SHL).get(precision).call(FN_READ_SIGNED).memory(I32_STORE, FLAC_KERNEL_COEFS);
      addTo(a, j, 1);
    });
    a.i32(CONFIG).memory(I32_LOAD).get(blockFrames).get(order).call(FN_RESIDUAL).op(I32_EQZ);
    failIf();
    a.get(dst).i32(CONFIG).memory(I32_LOAD).get(blockFrames).get(order).get(shift).get(sbps).call(FN_RESTORE_LPC);
  }
  a.op(END).op(END).op(END);
  // wasted bits: shift the samples back up
  a.get(wasted).op(IF).op(VOID);
  fill(blockFrames, () => a.get(d).memory(I32_LOAD).get(wasted).op(I32_SHL));
  a.op(END);
  addTo(a, c, 1);
  a.get(c).get(channels).op(I32_LT_U).brIf(0);
  a.op(END);
  readerOffset(a);
  return { name: "decodeFrame", type: TYPE_I32X5_I32, locals: l.declared, body: a.bytes };
}

/** `residual(rdst, frames, order)`: the Rice-coded residual into rdst[order, frames); 0 when malformed. */
function residualFunction(): FunctionCode {
  const a = new CodeBuilder();
  const [rdst, frames, order] = [0, 1, 2];
  const l = new Locals(3);
  const method = l.i32(), paramBits = l.i32(), partOrder = l.i32(), partFrames = l.i32(), partitions = l.i32(), part = l.i32();
  const d = l.i32(), dEnd = l.i32(), k = l.i32(), q = l.i32();
  const failIf = (): void => {
    a.op(IF).op(VOID).i32(0).op(RETURN).op(END);
  };
  a.i32(2).call(FN_READ_BITS).tee(method).i32(1).op(I32_GT_U);
  failIf();
  a.get(method).i32(4).op(I32_ADD).set(paramBits);
  a.i32(4).call(FN_READ_BITS).set(partOrder);
  a.get(frames).get(partOrder).op(I32_SHR_U).set(partFrames);
  a.get(partFrames).get(partOrder).op(I32_SHL).get(frames).op(I32_NE);
  failIf();
  a.get(partFrames).get(order).op(I32_LT_S);
  failIf();
  a.i32(1).get(partOrder).op(I32_SHL).set(partitions);
  a.get(rdst).get(order).i32(2).op(I32_SHL).op(I32_ADD).set(d);
  a.op(LOOP).op(VOID);
  // values in this partition: partFrames, less the warm-up in the first
  a.get(d).get(partFrames).get(order).i32(0).get(part).op(I32_EQZ).op(SELECT).op(I32_SUB).i32(2).op(I32_SHL).op(I32_ADD).set(dEnd);
  a.get(paramBits).call(FN_READ_BITS).set(k);
  // k == escape (all ones): 15 for 4-bit parameters, 31 for 5-bit ones
  a.get(k).i32(1).get(paramBits).op(I32_SHL).i32(1).op(I32_SUB).op(I32_EQ).op(IF).op(VOID);
  {
    // raw two's complement values of 0-31 bits
    a.i32(5).call(FN_READ_BITS).set(k);
    whileBelow(a, d, dEnd, () => {
      a.get(d).get(k).call(FN_READ_SIGNED).memory(I32_STORE);
      addTo(a, d, 4);
    });
  }
  a.op(ELSE);
  whileBelow(a, d, dEnd, () => {
    // Rice, k <= 24: runs of values in riceK (the hot loops, k a constant where common); each run stops at a
    // value whose quotient runs past the cached bits (or when k > 24), decoded here by the general reader
    a.get(k).i32(24).op(I32_LE_U).op(IF).op(VOID);
    {
      // switch (k) over rice0 .. riceN, default riceAny: blocks out, default, case N .. case 0; case i
      // branches out from depth N + 1 - i
      const n = SPECIALISED_RICE_K;
      a.op(BLOCK).op(VOID).op(BLOCK).op(VOID);
      for (let i = 0; i <= n; i++) a.op(BLOCK).op(VOID);
      a.get(k).brTable(Array.from({ length: n + 1 }, (_, i) => i), n + 1);
      for (let i = 0; i <= n + 1; i++) {
        a.op(END).get(d).get(dEnd).get(k).call(FN_RICE + i).set(d);
        if (i <= n) a.br(n + 1 - i);
      }
      a.op(END);
    }
    a.op(END);
    a.get(d).get(dEnd).op(I32_LT_U).op(IF).op(VOID);
    {
      a.call(FN_READ_UNARY).set(q);
      a.get(k).op(I32_EQZ).op(IF).op(I32).get(q).op(ELSE).get(q).get(k).op(I32_SHL).get(k).call(FN_READ_BITS).op(I32_OR).op(END).set(q);
      storeZigzag(a, d, q);
      addTo(a, d, 4);
    }
    a.op(END);
  });
  a.op(END);
  addTo(a, part, 1);
  a.get(part).get(partitions).op(I32_LT_U).brIf(0);
  a.op(END);
  a.i32(1);
  return { name: "residual", type: TYPE_I32X3_I32, locals: l.declared, body: a.bytes };
}

/**
 * `riceK(d, dEnd, k) -> d`: Rice values with parameter k (<= 24; a constant in riceK, the argument in riceAny)
 * into [d, dEnd) while quotient, stop bit and k bits are in the cache (one clz finds them); returns where it
 * stopped (dEnd, or a value whose quotient runs past the cached bits). The reader's state is in locals meanwhile.
 */
function riceFunction(kFixed: number | undefined): FunctionCode {
  return readerFunction(kFixed === undefined ? "riceAny" : `rice${kFixed}`, TYPE_I32X3_I32, 3, (a, r, l) => {
    const [d, dEnd, k] = [0, 1, 2];
    const lz = l.i32(), total = l.i32(), v = l.i32(), kp1 = l.i32();
    const shifted = l.i64();
    // k as a constant (immediate shifts) or from the parameter
    const pushK = (plus: number): CodeBuilder => (kFixed === undefined ? (plus === 0 ? a.get(k) : a.get(kp1)) : a.i32(kFixed + plus));
    if (kFixed === undefined) a.get(k).i32(1).op(I32_ADD).set(kp1);
    // unrolled RICE_UNROLL times: V8 checks the stack at each loop head, where values live across that (rare)
    // call are written to the stack on every pass
    a.op(BLOCK).op(VOID).op(LOOP).op(VOID);
    for (let step = 0; step < RICE_UNROLL; step++) {
      refill(r);
      a.get(r.cache).op(I64_CLZ).op(I32_WRAP_I64).tee(lz);
      pushK(1).op(I32_ADD).tee(total).get(r.bits).op(I32_GT_U).brIf(1);
      // after q = lz zeros come the stop bit and k bits: (1 << k) | low; v = (q << k) | low = that + ((q - 1) << k)
      a.get(r.cache).get(lz).op(I64_EXTEND_I32_U).op(I64_SHL).tee(shifted).i32(63);
      pushK(0).op(I32_SUB).op(I64_EXTEND_I32_U).op(I64_SHR_U).op(I32_WRAP_I64);
      a.get(lz).i32(1).op(I32_SUB);
      pushK(0).op(I32_SHL).op(I32_ADD).set(v);
      a.get(shifted);
      pushK(1).op(I64_EXTEND_I32_U).op(I64_SHL).set(r.cache);
      a.get(r.bits).get(total).op(I32_SUB).set(r.bits);
      storeZigzag(a, d, v);
      addTo(a, d, 4);
      if (step < RICE_UNROLL - 1) a.get(d).get(dEnd).op(I32_GE_U).brIf(1);
      else a.get(d).get(dEnd).op(I32_LT_U).brIf(0);
    }
    a.op(END).op(END);
    storeReader(r);
    a.get(d);
  });
}

/** CRC-16 (polynomial 0x8005, initial 0) of bytes [start, end), slicing by 8. */
function crc16Function(): FunctionCode {
  const a = new CodeBuilder();
  const [i, end] = [0, 1];
  const l = new Locals(2);
  const [crc, x, stop] = [l.i32(), l.i32(), l.i32()];
  /** Table k's entry for the byte on the stack. */
  const table = (k: number): CodeBuilder => a.i32(1).op(I32_SHL).memory(I32_LOAD16_U, FLAC_KERNEL_CRC_TABLES + k * 512);
  const byteAt = (offset: number): CodeBuilder => a.get(i).memory(I32_LOAD8_U, offset);
  a.i32(0).set(crc);
  // stop = start + CRC_SLICES * floor((end - start) / CRC_SLICES)
  a.get(end).get(i).op(I32_SUB).i32(-CRC_SLICES).op(I32_AND).get(i).op(I32_ADD).set(stop);
  whileBelow(a, i, stop, () => {
    a.get(crc);
    byteAt(0).i32(8).op(I32_SHL);
    byteAt(1).op(I32_OR).op(I32_XOR).set(x);
    a.get(x).i32(8).op(I32_SHR_U);
    table(CRC_SLICES - 1);
    a.get(x).i32(0xff).op(I32_AND);
    table(CRC_SLICES - 2).op(I32_XOR);
    for (let b = 2; b < CRC_SLICES; b++) {
      byteAt(b);
      table(CRC_SLICES - 1 - b).op(I32_XOR);
    }
    a.set(crc);
    addTo(a, i, CRC_SLICES);
  });
  whileBelow(a, i, end, () => {
    a.get(crc).i32(8).op(I32_SHL).i32(0xffff).op(I32_AND);
    a.get(crc).i32(8).op(I32_SHR_U);
    byteAt(0).op(I32_XOR);
    table(0).op(I32_XOR).set(crc);
    addTo(a, i, 1);
  });
  a.get(crc);
  return { name: "crc16", type: TYPE_I32X2_I32, locals: l.declared, body: a.bytes };
}

/**
 * Work channels -> float output at frame `outOffset`, undoing stereo decorrelation; `scale` = 2^-(bps-1).
 * With `simd`, four samples per step (the rest of a block one by one), rounding exactly as the scalar code.
 */
function emitFunction(simd: boolean): FunctionCode {
  const a = new CodeBuilder();
  const [channelCode, channels, frames, outOffset, scale] = [0, 1, 2, 3, 4];
  const l = new Locals(5);
  const c = l.i32(), src = l.i32(), src2 = l.i32(), dst = l.i32(), dst2 = l.i32(), end = l.i32(), end4 = l.i32();
  const x = l.i32(), y = l.i32(), mid = l.i32(), workStride = l.i32(), outStride = l.i32(), outBase = l.i32();
  const scale32 = l.f32();
  const vx = l.v128(), vy = l.v128(), vmid = l.v128(), vscale32 = l.v128(), vscale64 = l.v128(), ones = l.v128();
  // The scale is a power of two, so fround(x * scale) == fround(x) * scale for an int32 x.
  const scaled = (): CodeBuilder => a.op(F32_CONVERT_I32_S).get(scale32).op(F32_MUL);
  const scaled4 = (): CodeBuilder => a.simd(F32X4_CONVERT_I32X4_S).get(vscale32).simd(F32X4_MUL);
  const exactlyScaled = (op: number): CodeBuilder => a.get(x).op(F64_CONVERT_I32_S).get(y).op(F64_CONVERT_I32_S).op(op).get(scale).op(F64_MUL).op(F32_DEMOTE_F64);
  /** fround((x op y) * scale) lane by lane, x op y formed exactly in float64 (two lanes at a time). */
  const exactlyScaled4 = (op: number): CodeBuilder => {
    const half = (high: boolean): void => {
      for (const v of [vx, vy]) {
        a.get(v);
        if (high) a.get(v).shuffle(HIGH_HALF);
        a.simd(F64X2_CONVERT_LOW_I32X4_S);
      }
      a.simd(op).get(vscale64).simd(F64X2_MUL).simd(F32X4_DEMOTE_F64X2_ZERO);
    };
    half(false);
    half(true);
    return a.shuffle(LOW_HALVES);
  };
  /** `local[end4]` = `local[dst]` + 16 * floor(frames / 4): the end of the four-sample steps. */
  const setEnd4 = (): void => {
    a.get(dst).get(frames).i32(-4).op(I32_AND).i32(2).op(I32_SHL).op(I32_ADD).set(end4);
  };
  const pairs = (body: () => void, body4: () => void): void => {
    if (simd) {
      setEnd4();
      whileBelow(a, dst, end4, () => {
        a.get(src).simdMemory(V128_LOAD).set(vx);
        a.get(src2).simdMemory(V128_LOAD).set(vy);
        body4();
        addTo(a, src, 16);
        addTo(a, src2, 16);
        addTo(a, dst, 16);
        addTo(a, dst2, 16);
      });
    }
    whileBelow(a, dst, end, () => {
      a.get(src).memory(I32_LOAD).set(x);
      a.get(src2).memory(I32_LOAD).set(y);
      body();
      addTo(a, src, 4);
      addTo(a, src2, 4);
      addTo(a, dst, 4);
      addTo(a, dst2, 4);
    });
  };
  a.get(scale).op(F32_DEMOTE_F64).set(scale32);
  if (simd) {
    a.get(scale32).simd(F32X4_SPLAT).set(vscale32);
    a.get(scale).simd(F64X2_SPLAT).set(vscale64);
    a.i32(1).simd(I32X4_SPLAT).set(ones);
  }
  a.i32(CONFIG).memory(I32_LOAD, 4).set(src);
  a.i32(CONFIG).memory(I32_LOAD, 8).set(workStride);
  a.i32(CONFIG).memory(I32_LOAD, 12).get(outOffset).i32(2).op(I32_SHL).op(I32_ADD).set(outBase);
  a.i32(CONFIG).memory(I32_LOAD, 16).set(outStride);
  a.get(channelCode).i32(7).op(I32_LE_U).op(IF).op(VOID);
  a.i32(0).set(c);
  whileBelow(a, c, channels, () => {
    a.get(outBase).get(c).get(outStride).op(I32_MUL).op(I32_ADD).tee(dst).get(frames).i32(2).op(I32_SHL).op(I32_ADD).set(end);
    a.get(src).set(src2);
    if (simd) {
      setEnd4();
      whileBelow(a, dst, end4, () => {
        a.get(dst).get(src2).simdMemory(V128_LOAD);
        scaled4().simdMemory(V128_STORE);
        addTo(a, src2, 16);
        addTo(a, dst, 16);
      });
    }
    whileBelow(a, dst, end, () => {
      a.get(dst).get(src2).memory(I32_LOAD);
      scaled().memory(F32_STORE);
      addTo(a, src2, 4);
      addTo(a, dst, 4);
    });
    a.get(src).get(workStride).op(I32_ADD).set(src);
    addTo(a, c, 1);
  });
  a.op(ELSE);
  a.get(src).get(workStride).op(I32_ADD).set(src2);
  a.get(outBase).tee(dst).get(frames).i32(2).op(I32_SHL).op(I32_ADD).set(end);
  a.get(outBase).get(outStride).op(I32_ADD).set(dst2);
  a.get(channelCode).i32(8).op(I32_EQ).op(IF).op(VOID);
  // left/side: right = left - side, formed exactly
  pairs(
    () => {
      a.get(dst).get(x);
      scaled().memory(F32_STORE);
      a.get(dst2);
      exactlyScaled(F64_SUB).memory(F32_STORE);
    },
    () => {
      a.get(dst).get(vx);
      scaled4().simdMemory(V128_STORE);
      a.get(dst2);
      exactlyScaled4(F64X2_SUB).simdMemory(V128_STORE);
    },
  );
  a.op(ELSE);
  a.get(channelCode).i32(9).op(I32_EQ).op(IF).op(VOID);
  // side/right: left = side + right, formed exactly
  pairs(
    () => {
      a.get(dst);
      exactlyScaled(F64_ADD).memory(F32_STORE);
      a.get(dst2).get(y);
      scaled().memory(F32_STORE);
    },
    () => {
      a.get(dst);
      exactlyScaled4(F64X2_ADD).simdMemory(V128_STORE);
      a.get(dst2).get(vy);
      scaled4().simdMemory(V128_STORE);
    },
  );
  a.op(ELSE);
  // mid/side: mid = (m << 1) | (side & 1); left = (mid + side) >> 1, right = (mid - side) >> 1 (32-bit wrap)
  pairs(
    () => {
      a.get(x).i32(1).op(I32_SHL).get(y).i32(1).op(I32_AND).op(I32_OR).set(mid);
      a.get(dst).get(mid).get(y).op(I32_ADD).i32(1).op(I32_SHR_S);
      scaled().memory(F32_STORE);
      a.get(dst2).get(mid).get(y).op(I32_SUB).i32(1).op(I32_SHR_S);
      scaled().memory(F32_STORE);
    },
    () => {
      a.get(vx).i32(1).simd(I32X4_SHL).get(vy).get(ones).simd(V128_AND).simd(V128_OR).set(vmid);
      a.get(dst).get(vmid).get(vy).simd(I32X4_ADD).i32(1).simd(I32X4_SHR_S);
      scaled4().simdMemory(V128_STORE);
      a.get(dst2).get(vmid).get(vy).simd(I32X4_SUB).i32(1).simd(I32X4_SHR_S);
      scaled4().simdMemory(V128_STORE);
    },
  );
  a.op(END).op(END).op(END);
  return { name: "emit", type: TYPE_EMIT, locals: l.declared, body: a.bytes };
}

/** Fixed predictors of orders 0-4 over the residual in s[order, frames), in place (32-bit wrap-around). */
function restoreFixedFunction(): FunctionCode {
  const a = new CodeBuilder();
  const [s, frames, order] = [0, 1, 2];
  const l = new Locals(3);
  const [d, end, v] = [l.i32(), l.i32(), l.i32()];
  const h = l.i32(4); // h, h+1, ...: the newest sample first
  /** The loop for order n; `prediction` emits the i32 prediction from the history locals. */
  const orderLoop = (n: number, prediction: () => void): void => {
    a.get(order).i32(n).op(I32_EQ).op(IF).op(VOID);
    for (let j = 0; j < n; j++) a.get(s).memory(I32_LOAD, 4 * (n - 1 - j)).set(h + j);
    a.get(s).i32(4 * n).op(I32_ADD).set(d);
    whileBelow(a, d, end, () => {
      a.get(d).memory(I32_LOAD);
      prediction();
      a.op(I32_ADD).set(v);
      a.get(d).get(v).memory(I32_STORE);
      for (let j = n - 1; j > 0; j--) a.get(h + j - 1).set(h + j);
      a.get(v).set(h);
      addTo(a, d, 4);
    });
    a.op(END);
  };
  a.get(s).get(frames).i32(2).op(I32_SHL).op(I32_ADD).set(end);
  orderLoop(1, () => a.get(h));
  orderLoop(2, () => a.get(h).i32(2).op(I32_MUL).get(h + 1).op(I32_SUB));
  orderLoop(3, () => a.get(h).get(h + 1).op(I32_SUB).i32(3).op(I32_MUL).get(h + 2).op(I32_ADD));
  orderLoop(4, () => a.get(h).get(h + 2).op(I32_ADD).i32(4).op(I32_MUL).get(h + 1).i32(6).op(I32_MUL).op(I32_SUB).get(h + 3).op(I32_SUB));
  return { name: "restoreFixed", type: TYPE_I32X3, locals: l.declared, body: a.bytes };
}

/**
 * The 32-bit LPC path for one order up to `MAX_UNROLLED_LPC_ORDER`; returns 1 when every sample stayed in the
 * `bits`-bit range. Coefficients and the last `order` samples live in locals; the loop is unrolled `order`
 * times so the history never moves: at step u, sample i-1-j is in history local (j - u) mod order, and the
 * new sample replaces the oldest.
 */
function lpcOrderFunction(order: number): FunctionCode {
  const a = new CodeBuilder();
  const [s, res, frames, shift, bits] = [0, 1, 2, 3, 4];
  const l = new Locals(5);
  const half = l.i32(), outside = l.i32(), d = l.i32(), r = l.i32(), end = l.i32(), v = l.i32();
  const coef = l.i32(order);
  const history = l.i32(order);
  a.i32(1).get(bits).i32(1).op(I32_SUB).op(I32_SHL).set(half);
  for (let j = 0; j < order; j++) a.i32(0).memory(I32_LOAD, FLAC_KERNEL_COEFS + 4 * j).set(coef + j);
  for (let j = 0; j < order; j++) a.get(s).memory(I32_LOAD, 4 * (order - 1 - j)).set(history + j);
  a.get(s).i32(4 * order).op(I32_ADD).set(d);
  a.get(res).i32(4 * order).op(I32_ADD).set(r);
  a.get(s).get(frames).i32(2).op(I32_SHL).op(I32_ADD).set(end);
  a.op(BLOCK).op(VOID).op(LOOP).op(VOID);
  for (let u = 0; u < order; u++) {
    a.get(d).get(end).op(I32_GE_U).brIf(1);
    a.get(r).memory(I32_LOAD);
    // taps oldest first, so the newest sample's product is added last (shortest dependency chain)
    for (let j = order - 1; j >= 0; j--) {
      a.get(coef + j).get(history + ((j - u + order) % order)).op(I32_MUL);
      if (j < order - 1) a.op(I32_ADD);
    }
    a.get(shift).op(I32_SHR_S).op(I32_ADD).tee(v).set(history + ((order - 1 - u + order) % order));
    a.get(d).get(v).memory(I32_STORE);
    a.get(outside).get(v).get(half).op(I32_ADD).get(bits).op(I32_SHR_U).op(I32_OR).set(outside);
    addTo(a, d, 4);
    addTo(a, r, 4);
  }
  a.br(0).op(END).op(END);
  a.get(outside).op(I32_EQZ);
  return { name: `lpc${order}`, type: TYPE_I32X5_I32, locals: l.declared, body: a.bytes };
}

/** The 32-bit LPC path for any order (used above `MAX_UNROLLED_LPC_ORDER`): coefficients and history read from memory. */
function lpcGenericFunction(): FunctionCode {
  const a = new CodeBuilder();
  const [s, res, frames, order, shift, bits] = [0, 1, 2, 3, 4, 5];
  const l = new Locals(6);
  const half = l.i32(), outside = l.i32(), d = l.i32(), r = l.i32(), end = l.i32(), v = l.i32(), j = l.i32(), h = l.i32(), sum = l.i32();
  a.i32(1).get(bits).i32(1).op(I32_SUB).op(I32_SHL).set(half);
  a.get(s).get(order).i32(2).op(I32_SHL).op(I32_ADD).set(d);
  a.get(res).get(order).i32(2).op(I32_SHL).op(I32_ADD).set(r);
  a.get(s).get(frames).i32(2).op(I32_SHL).op(I32_ADD).set(end);
  whileBelow(a, d, end, () => {
    a.i32(0).set(sum).i32(0).set(j).get(d).set(h);
    whileBelow(a, j, order, () => {
      addTo(a, h, -4);
      a.get(sum).get(j).i32(2).op(I32_SHL).memory(I32_LOAD, FLAC_KERNEL_COEFS).get(h).memory(I32_LOAD).op(I32_MUL).op(I32_ADD).set(sum);
      addTo(a, j, 1);
    });
    a.get(r).memory(I32_LOAD).get(sum).get(shift).op(I32_SHR_S).op(I32_ADD).set(v);
    a.get(d).get(v).memory(I32_STORE);
    a.get(outside).get(v).get(half).op(I32_ADD).get(bits).op(I32_SHR_U).op(I32_OR).set(outside);
    addTo(a, d, 4);
    addTo(a, r, 4);
  });
  a.get(outside).op(I32_EQZ);
  return { name: "lpcGeneric", type: TYPE_I32X6_I32, locals: l.declared, body: a.bytes };
}

/** The exact LPC path: 64-bit sums (the float64 sums they stand for are exact), floor shift, 32-bit store. */
function lpc64Function(): FunctionCode {
  const a = new CodeBuilder();
  const [s, res, frames, order, shift] = [0, 1, 2, 3, 4];
  const l = new Locals(5);
  const d = l.i32(), r = l.i32(), end = l.i32(), j = l.i32(), h = l.i32();
  const sum = l.i64();
  a.get(s).get(order).i32(2).op(I32_SHL).op(I32_ADD).set(d);
  a.get(res).get(order).i32(2).op(I32_SHL).op(I32_ADD).set(r);
  a.get(s).get(frames).i32(2).op(I32_SHL).op(I32_ADD).set(end);
  whileBelow(a, d, end, () => {
    a.i64(0).set(sum).i32(0).set(j).get(d).set(h);
    whileBelow(a, j, order, () => {
      addTo(a, h, -4);
      a.get(sum).get(j).i32(2).op(I32_SHL).memory(I32_LOAD, FLAC_KERNEL_COEFS).op(I64_EXTEND_I32_S);
      a.get(h).memory(I32_LOAD).op(I64_EXTEND_I32_S).op(I64_MUL).op(I64_ADD).set(sum);
      addTo(a, j, 1);
    });
    a.get(d).get(r).memory(I32_LOAD).op(I64_EXTEND_I32_S).get(sum).get(shift).op(I64_EXTEND_I32_U).op(I64_SHR_S).op(I64_ADD).op(I32_WRAP_I64).memory(I32_STORE);
    addTo(a, d, 4);
    addTo(a, r, 4);
  });
  return { name: "lpc64", type: TYPE_I32X5, locals: l.declared, body: a.bytes };
}

/** LPC restore: the 32-bit path when `shift + bits <= 32` (by order), the exact path otherwise or when it overflowed. */
function restoreLpcFunction(): FunctionCode {
  const a = new CodeBuilder();
  const [s, res, frames, order, shift, bits] = [0, 1, 2, 3, 4, 5];
  const l = new Locals(6);
  const ok = l.i32();
  const n = MAX_UNROLLED_LPC_ORDER;
  a.get(shift).get(bits).op(I32_ADD).i32(32).op(I32_LE_S).op(IF).op(VOID);
  // switch (order - 1): lpc1 .. lpcN, default lpcGeneric. Blocks: out, default, case N-1 .. case 0; after
  // case i's block, case i's code branches to `out` at depth N - i.
  a.op(BLOCK).op(VOID).op(BLOCK).op(VOID);
  for (let i = 0; i < n; i++) a.op(BLOCK).op(VOID);
  a.get(order).i32(1).op(I32_SUB).brTable(Array.from({ length: n }, (_, i) => i), n);
  for (let i = 0; i < n; i++) a.op(END).get(s).get(res).get(frames).get(shift).get(bits).call(FN_LPC_FIRST + i).set(ok).br(n - i);
  a.op(END).get(s).get(res).get(frames).get(order).get(shift).get(bits).call(FN_LPC_GENERIC).set(ok);
  a.op(END);
  a.get(ok).op(IF).op(VOID).op(RETURN).op(END);
  a.op(END);
  a.get(s).get(res).get(frames).get(order).get(shift).call(FN_LPC64);
  return { name: "restoreLpc", type: TYPE_I32X6, locals: l.declared, body: a.bytes };
}

function assemble(simd: boolean): Uint8Array {
  const functions = [decodeFrameFunction(), crc16Function(), emitFunction(simd), restoreFixedFunction(), restoreLpcFunction(), lpc64Function(), lpcGenericFunction()];
  functions.push(readBitsFunction(false), readBitsFunction(true), readUnaryFunction(), residualFunction());
  for (let k = 0; k <= SPECIALISED_RICE_K; k++) functions.push(riceFunction(k));
  functions.push(riceFunction(undefined));
  for (let order = 1; order <= MAX_UNROLLED_LPC_ORDER; order++) functions.push(lpcOrderFunction(order));
  const i32s = (n: number): number[] => new Array<number>(n).fill(I32);
  return moduleImportingMemoryFromBodies(
    [
      funcType(i32s(5), [I32]),
      funcType(i32s(2), [I32]),
      funcType([...i32s(4), F64], []),
      funcType(i32s(3), []),
      funcType(i32s(6), []),
      funcType(i32s(5), []),
      funcType(i32s(6), [I32]),
      funcType(i32s(1), [I32]),
      funcType([], [I32]),
      funcType(i32s(3), [I32]),
    ],
    functions,
  );
}

// ---- instances ----

/** The kernel functions of one instance; pointers are byte offsets into its memory. */
export interface FlacKernelFunctions {
  /**
   * Decodes the subframes of a frame starting at byte `p` (just after the frame header) into the work
   * channels. `channelCode` is the header's channel assignment (0-7: 1-8 channels, 8 left/side, 9 side/right,
   * 10 mid/side), `bps` the frame's sample size (4-24). Reads no byte at `end` + 6 or later.
   * @returns the byte offset after the last bit read (rounded up) when every subframe is valid; its negative
   *   when a subframe is malformed (reading stopped there).
   * @throws a WebAssembly trap when the next unread bit went past 8 * (`end` - 1), so the frame cannot end
   *   before `end` whatever its remaining bits (`ranOut()` then returns true).
   */
  readonly decodeFrame: (p: number, end: number, channelCode: number, blockFrames: number, bps: number) => number;
  /** CRC-16 (polynomial 0x8005, initial 0) of bytes [start, end). */
  readonly crc16: (start: number, end: number) => number;
  /** Work channels (`frames` samples) -> output floats at frame `outOffset`; `scale` = 2^-(bps-1). */
  readonly emit: (channelCode: number, channels: number, frames: number, outOffset: number, scale: number) => void;
  /** Fixed prediction of order 0-4 in place over s[order, frames) (the residual), s[0, order) the warm-up. */
  readonly restoreFixed: (s: number, frames: number, order: number) => void;
  /**
   * LPC prediction s[i] = res[i] + floor(sum_j coef[j] * s[i-1-j] / 2^shift) for order <= i < frames, the
   * coefficients (int32) at `FLAC_KERNEL_COEFS`, `bits` the subframe's sample size; 32-bit path with the
   * exact fallback (see the module comment).
   */
  readonly restoreLpc: (s: number, res: number, frames: number, order: number, shift: number, bits: number) => void;
}

/** One kernel instance on its own memory. */
export interface FlacKernel extends FlacKernelFunctions {
  readonly memory: WasmMemory;
  readonly layout: FlacKernelLayout;
  /** True when the last `decodeFrame` trapped because its input ran out (any other trap is a bug). */
  ranOut(): boolean;
}

let compiled: WasmModule | null | undefined;
let crcTables: Uint16Array | undefined;

/** CRC-16 slicing-by-8 tables: entry (k << 8) + b is the CRC of byte b followed by k zero bytes. */
export function flacCrc16Tables(): Uint16Array {
  if (crcTables !== undefined) return crcTables;
  const t = new Uint16Array(CRC_SLICES * 256);
  for (let i = 0; i < 256; i++) {
    let c16 = i << 8;
    for (let b = 0; b < 8; b++) c16 = c16 & 0x8000 ? ((c16 << 1) ^ 0x8005) & 0xffff : (c16 << 1) & 0xffff;
    t[i] = c16;
  }
  for (let k = 1; k < CRC_SLICES; k++) {
    for (let i = 0; i < 256; i++) {
      const previous = t[((k - 1) << 8) + i]!;
      t[(k << 8) + i] = ((previous << 8) & 0xffff) ^ t[previous >>> 8]!;
    }
  }
  crcTables = t;
  return t;
}

/**
 * A kernel instance on a fresh memory laid out by `layout` (CRC tables and configuration written), or null
 * where WebAssembly is missing. The module is assembled and compiled once per thread.
 */
export function createFlacKernel(layout: FlacKernelLayout): FlacKernel | null {
  // With SIMD (four output samples per step) where the engine has it, else without.
  if (compiled === undefined) compiled = compileWasm(assemble(true)) ?? compileWasm(assemble(false));
  const wasm = wasmApi();
  if (compiled === null || wasm === undefined) return null;
  const memory = new wasm.Memory({ initial: layout.bytes / WASM_PAGE_BYTES });
  const exports = new wasm.Instance(compiled, { env: { memory } }).exports;
  new Uint16Array(memory.buffer, FLAC_KERNEL_CRC_TABLES, CRC_SLICES * 256).set(flacCrc16Tables());
  new Int32Array(memory.buffer, CONFIG, 5).set([layout.residual, layout.work, layout.workStride, layout.output, layout.outputStride]);
  const state = new Int32Array(memory.buffer, READER_RAN_OUT, 1);
  return {
    memory,
    layout,
    ranOut: () => state[0] !== 0,
    decodeFrame: exports["decodeFrame"] as FlacKernelFunctions["decodeFrame"],
    crc16: exports["crc16"] as FlacKernelFunctions["crc16"],
    emit: exports["emit"] as FlacKernelFunctions["emit"],
    restoreFixed: exports["restoreFixed"] as FlacKernelFunctions["restoreFixed"],
    restoreLpc: exports["restoreLpc"] as FlacKernelFunctions["restoreLpc"],
  };
}
