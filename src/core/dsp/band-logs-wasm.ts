/**
 * Log-compressed band sums of a spectrum, the per-frame core of SuperFlux novelty and of log-mel front
 * ends, as two small WebAssembly functions assembled here byte by byte (no build step, no binary blob),
 * working in a memory of their own:
 *
 * - `sums`: for a bank whose bands are each one contiguous run of bins, every band's terms `w * x` (or
 *   `w * (x * x)`, power from magnitudes) added in bin order in double precision, then `alpha * sum + beta`.
 *   Two bands share an f64x2 vector, one per lane, so each band's sum takes exactly the steps of the
 *   per-band JavaScript loop (IEEE-754 binary64, round to nearest, no fused operations): bit-identical.
 * - `logs`: the method of `fast-log.ts` (x = 2^e m, bucket tables, log1p of the remainder by its series to
 *   r^7, a float32 result kept only when every double within a safe margin of it rounds the same way), so
 *   every result it keeps is exactly `Math.fround(Math.log*(x))`; the positions it cannot decide are
 *   listed for the caller to take `Math.log*` there. The series is evaluated in Estrin's form (three levels
 *   of products instead of a chain of seven): a different rounding of the double than the JavaScript loop's
 *   Horner form, far inside the margin, so the kept float32 values are the same.
 *
 * In WAT terms (pointers are byte offsets; the tables sit at fixed offsets, the pair table is built by
 * `createBandLogsKernel`):
 *
 *   (func $sums (param $pairs $pairCount $out i32) (param $alpha $beta f64)
 *     for each pair (band a, band b): acc = (0, 0)
 *       for i < min(length a, length b): acc += (w_a[i], w_b[i]) * (x[start a + i], x[start b + i])   ;; x^2 when squaring
 *       sum_a = acc.0 + the rest of band a, term by term; sum_b likewise
 *       out[a] = alpha * sum_a + beta; out[b] = alpha * sum_b + beta)
 *   (func $logs (param $args $out $fallbacks $count i32) (param $factor f64) (result i32)
 *     for each i < count: field = high word of args[i] >>> 20
 *       if 1 <= field <= 2046: r = x * SCALE[field] * INVERSE[bucket] - 1
 *         y = ((field - 1023) * LN2 + LOG_C[bucket] + log1p7(r)) * factor; m = |y| 2^-40 + 2^-50
 *         if f32(y - m) == f32(y + m): out[i] = f32(y - m); continue
 *       fallbacks[n++] = i
 *     return n)
 *
 * Pure: no I/O; the factory returns null where WebAssembly SIMD is missing, and callers keep their loops.
 */
import {
  BLOCK,
  BR,
  BR_IF,
  compileWasm,
  END,
  F32,
  F32_DEMOTE_F64,
  F32_EQ,
  F32_LOAD,
  F32_STORE,
  F32X4_DEMOTE_F64X2_ZERO,
  F32X4_EQ,
  F64,
  F64_ABS,
  F64_ADD,
  F64_CONST,
  F64_CONVERT_I32_S,
  F64_LOAD,
  F64_MUL,
  F64_PROMOTE_F32,
  F64_STORE,
  F64_SUB,
  F64X2_ABS,
  F64X2_ADD,
  F64X2_EXTRACT_LANE,
  F64X2_MUL,
  F64X2_REPLACE_LANE,
  F64X2_SPLAT,
  F64X2_SUB,
  f64x2Const,
  I32,
  I32_ADD,
  I32_AND,
  I32_EQ,
  I32_EQZ,
  I32_GE_U,
  I32_LOAD,
  I32_LT_U,
  I32_SHL,
  I32_SHR_U,
  I32_STORE,
  I32_SUB,
  i32Const,
  I32X4_BITMASK,
  I64_STORE,
  I64X2_EXTRACT_LANE,
  IF,
  localGet,
  localSet,
  localTee,
  LOOP,
  moduleImportingMemory,
  simd,
  unsignedLeb,
  V128,
  V128_LOAD,
  vector,
  VOID,
  WASM_PAGE_BYTES,
  wasmApi,
  type WasmModule,
} from "./wasm-assembler.js";

/** A bank of contiguous bands: band `b` weights bins `starts[b] .. starts[b] + lengths[b] - 1` with `weights[offsets[b] ...]`. */
export interface ContiguousBank {
  readonly starts: ArrayLike<number>;
  readonly lengths: ArrayLike<number>;
  readonly offsets: ArrayLike<number>;
  /** Float32 or float64 values (held as doubles: a float32 weight keeps its exact value). */
  readonly weights: ArrayLike<number>;
}

/** The tables of the logarithm, as `fast-log.ts` builds them (so both paths read the same values). */
export interface LogTables {
  /** 2^-(field - 1023) for biased exponent fields 1 .. 2046 (index 0 unused). */
  readonly scale: Float64Array;
  /** 1 / c_j for the 256 mantissa buckets. */
  readonly inverse: Float64Array;
  /** ln of the exact reciprocal of `inverse[j]`. */
  readonly logC: Float64Array;
  readonly ln2: number;
  readonly relativeMargin: number;
  readonly absoluteMargin: number;
}

/** One kernel's memory: a spectrum (with a bank), log arguments, float32 results and fallback positions. */
export interface BandLogsKernel {
  /** Write the spectrum here (`binCount` float32 values; empty without a bank). */
  readonly spectrum: Float32Array;
  /** The log arguments: `sums` writes `alpha * sum_b + beta` here, or the caller writes them (`capacity` values). */
  readonly args: Float64Array;
  /** `logs` writes the float32 logarithms here, except at the fallback positions. */
  readonly results: Float32Array;
  /** `logs` lists the positions it could not decide here. */
  readonly fallbacks: Int32Array;
  /** `args[b] = alpha * sum_b + beta` for every band of the bank (nothing without a bank). */
  sums(alpha: number, beta: number): void;
  /**
   * Logarithms of `args[0 .. count)` times `factor` (1: natural, LOG10E: decimal) into `results`.
   * @returns the number of fallback positions
   */
  logs(count: number, factor: number): number;
}

/** Byte offsets of the log tables at the start of every kernel's memory (after them: the kernel's data). */
const SCALE_BYTES = 0;
const INVERSE_BYTES = 2048 * 8;
const LOG_C_BYTES = INVERSE_BYTES + 256 * 8;
const DATA_BYTES = LOG_C_BYTES + 256 * 8;
/** Bytes per pair-table entry: start a, start b (byte pointers), common length, weights pointer, rest of a, rest of b. */
const PAIR_BYTES = 24;


/** A load or store with its alignment (log2 bytes) and offset (< 128) immediates. */
const memoryOp = (opcode: number, alignLog2: number, offset: number): number[] => [opcode, alignLog2, offset];
/** `f64.const value` with the exact bits of the JavaScript double. */
const f64Const = (value: number): number[] => [F64_CONST, ...new Uint8Array(Float64Array.of(value).buffer)];
const addTo = (local: number, bytes: number): number[] => [...localGet(local), ...i32Const(bytes), I32_ADD, ...localSet(local)];

/** `$sums` (see the file comment). */
function sumsBody(square: boolean): number[] {
  // params: 0 pairs, 1 pairCount, 2 out (i32), 3 alpha, 4 beta (f64)
  // locals: i32 5 x pointer a, 6 x pointer b, 7 count, 8 weights pointer; f64 9 sum a, 10 sum b; v128 11 acc, 12 x
  const PAIRS = 0, PAIR_COUNT = 1, OUT = 2, ALPHA = 3, BETA = 4;
  const XA = 5, XB = 6, COUNT = 7, W = 8, SUM_A = 9, SUM_B = 10, ACC = 11, XV = 12;
  /** Runs `step` while `count` > 0, decrementing it after each step. */
  const countedLoop = (step: number[]): number[] => [
    BLOCK, VOID, LOOP, VOID,
    ...localGet(COUNT), I32_EQZ, BR_IF, 1,
    ...step,
    ...localGet(COUNT), ...i32Const(1), I32_SUB, ...localSet(COUNT),
    BR, 0, END, END,
  ];
  const x = (pointer: number): number[] => [...localGet(pointer), ...memoryOp(F32_LOAD, 2, 0), F64_PROMOTE_F32];
  const rest = (pointer: number, sum: number): number[] =>
    countedLoop([
      ...localGet(sum),
      ...localGet(W), ...memoryOp(F64_LOAD, 3, 0),
      ...x(pointer),
      ...(square ? [...x(pointer), F64_MUL] : []),
      F64_MUL, F64_ADD, ...localSet(sum),
      ...addTo(pointer, 4), ...addTo(W, 8),
    ]);
  const store = (sum: number, offset: number): number[] => [
    ...localGet(OUT), ...localGet(ALPHA), ...localGet(sum), F64_MUL, ...localGet(BETA), F64_ADD, ...memoryOp(F64_STORE, 3, offset),
  ];
  return [
    BLOCK, VOID, LOOP, VOID,
    ...localGet(PAIR_COUNT), I32_EQZ, BR_IF, 1,
    ...localGet(PAIRS), ...memoryOp(I32_LOAD, 2, 0), ...localSet(XA),
    ...localGet(PAIRS), ...memoryOp(I32_LOAD, 2, 4), ...localSet(XB),
    ...localGet(PAIRS), ...memoryOp(I32_LOAD, 2, 8), ...localSet(COUNT),
    ...localGet(PAIRS), ...memoryOp(I32_LOAD, 2, 12), ...localSet(W),
    ...f64Const(0), ...simd(F64X2_SPLAT), ...localSet(ACC),
    ...countedLoop([
      ...localGet(ACC),
      ...localGet(W), ...simd(V128_LOAD, 4, 0),
      ...x(XA), ...simd(F64X2_SPLAT),
      ...x(XB), ...simd(F64X2_REPLACE_LANE, 1),
      ...(square ? [...localTee(XV), ...localGet(XV), ...simd(F64X2_MUL)] : []),
      ...simd(F64X2_MUL), ...simd(F64X2_ADD), ...localSet(ACC),
      ...addTo(XA, 4), ...addTo(XB, 4), ...addTo(W, 16),
    ]),
    ...localGet(ACC), ...simd(F64X2_EXTRACT_LANE, 0), ...localSet(SUM_A),
    ...localGet(ACC), ...simd(F64X2_EXTRACT_LANE, 1), ...localSet(SUM_B),
    // the rest of the longer band (its weights follow the pair's), term by term
    ...localGet(PAIRS), ...memoryOp(I32_LOAD, 2, 16), ...localSet(COUNT),
    ...rest(XA, SUM_A),
    ...localGet(PAIRS), ...memoryOp(I32_LOAD, 2, 20), ...localSet(COUNT),
    ...rest(XB, SUM_B),
    ...store(SUM_A, 0),
    ...store(SUM_B, 8),
    ...addTo(OUT, 16), ...addTo(PAIRS, PAIR_BYTES),
    ...localGet(PAIR_COUNT), ...i32Const(1), I32_SUB, ...localSet(PAIR_COUNT),
    BR, 0, END, END,
  ];
}

/** `$logs` (see the file comment). */
function logsBody(tables: LogTables): number[] {
  // params: 0 args, 1 out, 2 fallbacks, 3 count (i32), 4 factor (f64)
  // locals: i32 5 end, 6 n, 7 high, 8 field, 9 8 x bucket, 10 index, 11 high b, 12 field b, 13 8 x bucket b;
  // f64 14 x, 15 r, 16 r^2, 17 s, 18 y, 19 m; f32 20 low; v128 21 r, 22 r^2, 23 s, 24 y, 25 m, 26 low
  const ARGS = 0, OUT = 1, FALLBACKS = 2, COUNT = 3, FACTOR = 4;
  const END_PTR = 5, N = 6, HIGH = 7, FIELD = 8, BUCKET8 = 9, INDEX = 10, HIGH_B = 11, FIELD_B = 12, BUCKET8_B = 13;
  const X = 14, R = 15, R2 = 16, S = 17, Y = 18, M = 19, LOW = 20;
  const VR = 21, VR2 = 22, VS = 23, VY = 24, VM = 25, VLOW = 26;
  const next = [...addTo(ARGS, 8), ...addTo(OUT, 4), ...addTo(INDEX, 1)];
  /** `c - r * k` */
  const linear = (c: number, k: number): number[] => [...f64Const(c), ...localGet(R), ...f64Const(k), F64_MUL, F64_SUB];
  /** `(c, c) - r * (k, k)` on the pair */
  const linear2 = (c: number, k: number): number[] => [...f64x2Const(c), ...localGet(VR), ...f64x2Const(k), ...simd(F64X2_MUL), ...simd(F64X2_SUB)];
  /** The table value at `local` (a byte offset) plus `base`, for both lanes. */
  const pairOf = (a: number, b: number, base: number): number[] => [
    ...localGet(a), F64_LOAD, 3, ...unsignedLeb(base), ...simd(F64X2_SPLAT),
    ...localGet(b), F64_LOAD, 3, ...unsignedLeb(base), ...simd(F64X2_REPLACE_LANE, 1),
  ];
  const inRange = (field: number): number[] => [...localGet(field), ...i32Const(1), I32_SUB, ...i32Const(2046), I32_LT_U];
  const fieldOf = (high: number, field: number): number[] => [...localGet(high), ...i32Const(20), I32_SHR_U, ...localSet(field)];
  const bucketOf = (high: number, bucket: number): number[] => [
    ...localGet(high), ...i32Const(12), I32_SHR_U, ...i32Const(255), I32_AND, ...i32Const(3), I32_SHL, ...localSet(bucket),
  ];
  // Two arguments at once, one per f64x2 lane, when both are normal and both results are decided (the
  // usual case); any other pair goes through the single-argument steps below, one argument at a time.
  const pair = [
    ...localGet(ARGS), ...i32Const(8), I32_ADD, ...localGet(END_PTR), I32_LT_U,
    IF, VOID,
    ...localGet(ARGS), ...memoryOp(I32_LOAD, 2, 4), ...localSet(HIGH),
    ...localGet(ARGS), ...memoryOp(I32_LOAD, 2, 12), ...localSet(HIGH_B),
    ...fieldOf(HIGH, FIELD), ...fieldOf(HIGH_B, FIELD_B),
    ...inRange(FIELD), ...inRange(FIELD_B), I32_AND,
    IF, VOID,
    ...bucketOf(HIGH, BUCKET8), ...bucketOf(HIGH_B, BUCKET8_B),
    ...localGet(FIELD), ...i32Const(3), I32_SHL, ...localSet(HIGH),
    ...localGet(FIELD_B), ...i32Const(3), I32_SHL, ...localSet(HIGH_B),
    // r = x * SCALE[field] * INVERSE[bucket] - 1
    ...localGet(ARGS), ...simd(V128_LOAD, 3, 0),
    ...pairOf(HIGH, HIGH_B, SCALE_BYTES), ...simd(F64X2_MUL),
    ...pairOf(BUCKET8, BUCKET8_B, INVERSE_BYTES), ...simd(F64X2_MUL),
    ...f64x2Const(1), ...simd(F64X2_SUB), ...localSet(VR),
    ...localGet(VR), ...localGet(VR), ...simd(F64X2_MUL), ...localSet(VR2),
    ...linear2(1, 1 / 2),
    ...localGet(VR2), ...linear2(1 / 3, 1 / 4), ...simd(F64X2_MUL), ...simd(F64X2_ADD),
    ...localGet(VR2), ...localGet(VR2), ...simd(F64X2_MUL),
    ...linear2(1 / 5, 1 / 6), ...localGet(VR2), ...f64x2Const(1 / 7), ...simd(F64X2_MUL), ...simd(F64X2_ADD),
    ...simd(F64X2_MUL), ...simd(F64X2_ADD), ...localSet(VS),
    // y = ((field - 1023) * LN2 + LOG_C[bucket] + r s) * factor
    ...localGet(FIELD), ...i32Const(1023), I32_SUB, F64_CONVERT_I32_S, ...simd(F64X2_SPLAT),
    ...localGet(FIELD_B), ...i32Const(1023), I32_SUB, F64_CONVERT_I32_S, ...simd(F64X2_REPLACE_LANE, 1),
    ...f64x2Const(tables.ln2), ...simd(F64X2_MUL),
    ...pairOf(BUCKET8, BUCKET8_B, LOG_C_BYTES), ...simd(F64X2_ADD),
    ...localGet(VR), ...localGet(VS), ...simd(F64X2_MUL), ...simd(F64X2_ADD),
    ...localGet(FACTOR), ...simd(F64X2_SPLAT), ...simd(F64X2_MUL), ...localSet(VY),
    ...localGet(VY), ...simd(F64X2_ABS), ...f64x2Const(tables.relativeMargin), ...simd(F64X2_MUL), ...f64x2Const(tables.absoluteMargin), ...simd(F64X2_ADD), ...localSet(VM),
    ...localGet(VY), ...localGet(VM), ...simd(F64X2_SUB), ...simd(F32X4_DEMOTE_F64X2_ZERO), ...localTee(VLOW),
    ...localGet(VY), ...localGet(VM), ...simd(F64X2_ADD), ...simd(F32X4_DEMOTE_F64X2_ZERO),
    ...simd(F32X4_EQ), ...simd(I32X4_BITMASK), ...i32Const(3), I32_AND, ...i32Const(3), I32_EQ,
    IF, VOID,
    ...localGet(OUT), ...localGet(VLOW), ...simd(I64X2_EXTRACT_LANE, 0), I64_STORE, 2, 0,
    ...addTo(ARGS, 16), ...addTo(OUT, 8), ...addTo(INDEX, 2),
    BR, 3,
    END,
    END,
    END,
  ];
  return [
    ...localGet(ARGS), ...localGet(COUNT), ...i32Const(3), I32_SHL, I32_ADD, ...localSet(END_PTR),
    BLOCK, VOID, LOOP, VOID,
    ...localGet(ARGS), ...localGet(END_PTR), I32_GE_U, BR_IF, 1,
    ...pair,
    ...localGet(ARGS), ...memoryOp(F64_LOAD, 3, 0), ...localSet(X),
    ...localGet(ARGS), ...memoryOp(I32_LOAD, 2, 4), ...localSet(HIGH),
    // 1 <= field <= 2046, i.e. field - 1 < 2046 unsigned
    ...localGet(HIGH), ...i32Const(20), I32_SHR_U, ...localTee(FIELD), ...i32Const(1), I32_SUB, ...i32Const(2046), I32_LT_U,
    IF, VOID,
    ...localGet(HIGH), ...i32Const(12), I32_SHR_U, ...i32Const(255), I32_AND, ...i32Const(3), I32_SHL, ...localSet(BUCKET8),
    // r = x * SCALE[field] * INVERSE[bucket] - 1
    ...localGet(X),
    ...localGet(FIELD), ...i32Const(3), I32_SHL, ...memoryOp(F64_LOAD, 3, 0), F64_MUL,
    ...localGet(BUCKET8), ...[F64_LOAD, 3, ...unsignedLeb(INVERSE_BYTES)], F64_MUL,
    ...f64Const(1), F64_SUB, ...localSet(R),
    // log1p(r) = r s, s = (1 - r/2) + r^2 (1/3 - r/4) + r^4 ((1/5 - r/6) + r^2 / 7)
    ...localGet(R), ...localGet(R), F64_MUL, ...localSet(R2),
    ...linear(1, 1 / 2),
    ...localGet(R2), ...linear(1 / 3, 1 / 4), F64_MUL, F64_ADD,
    ...localGet(R2), ...localGet(R2), F64_MUL,
    ...linear(1 / 5, 1 / 6), ...localGet(R2), ...f64Const(1 / 7), F64_MUL, F64_ADD,
    F64_MUL, F64_ADD, ...localSet(S),
    // y = ((field - 1023) * LN2 + LOG_C[bucket] + r s) * factor
    ...localGet(FIELD), ...i32Const(1023), I32_SUB, F64_CONVERT_I32_S, ...f64Const(tables.ln2), F64_MUL,
    ...localGet(BUCKET8), ...[F64_LOAD, 3, ...unsignedLeb(LOG_C_BYTES)], F64_ADD,
    ...localGet(R), ...localGet(S), F64_MUL, F64_ADD,
    ...localGet(FACTOR), F64_MUL, ...localSet(Y),
    // m = |y| * relative + absolute
    ...localGet(Y), F64_ABS, ...f64Const(tables.relativeMargin), F64_MUL, ...f64Const(tables.absoluteMargin), F64_ADD, ...localSet(M),
    ...localGet(Y), ...localGet(M), F64_SUB, F32_DEMOTE_F64, ...localTee(LOW),
    ...localGet(Y), ...localGet(M), F64_ADD, F32_DEMOTE_F64,
    F32_EQ,
    IF, VOID,
    ...localGet(OUT), ...localGet(LOW), ...memoryOp(F32_STORE, 2, 0),
    ...next,
    BR, 2,
    END,
    END,
    // undecided: the caller takes Math.log* of this argument
    ...localGet(FALLBACKS), ...localGet(N), ...i32Const(2), I32_SHL, I32_ADD, ...localGet(INDEX), ...memoryOp(I32_STORE, 2, 0),
    ...localGet(N), ...i32Const(1), I32_ADD, ...localSet(N),
    ...next,
    BR, 0,
    END, END,
    ...localGet(N),
  ];
}

function assemble(square: boolean, tables: LogTables): Uint8Array {
  const sumsType = [0x60, ...vector([[I32], [I32], [I32], [F64], [F64]]), ...vector([])];
  const logsType = [0x60, ...vector([[I32], [I32], [I32], [I32], [F64]]), ...vector([[I32]])];
  return moduleImportingMemory(
    [sumsType, logsType],
    [
      { name: "sums", type: 0, locals: [[4, I32], [2, F64], [2, V128]], body: sumsBody(square) },
      { name: "logs", type: 1, locals: [[9, I32], [6, F64], [1, F32], [6, V128]], body: logsBody(tables) },
    ],
  );
}

/** Compiled modules, by squaring, for the one set of tables `fast-log.ts` has. */
const compiled = new Map<LogTables, { plain?: WasmModule | null; square?: WasmModule | null }>();

/**
 * A kernel on its own memory: `bank` (optional) over spectra of `binCount` bins, and room for `capacity`
 * log arguments (at least the bank's band count). Null without WebAssembly SIMD.
 * @param square the bank sums `w * x * x` (power from magnitudes) instead of `w * x`
 * @param tables the logarithm's tables (copied into the memory)
 * @throws RangeError when a band reaches past `binCount`
 */
export function createBandLogsKernel(
  bank: ContiguousBank | undefined,
  binCount: number,
  square: boolean,
  capacity: number,
  tables: LogTables,
): BandLogsKernel | null {
  const wasm = wasmApi();
  if (wasm === undefined) return null;
  let modules = compiled.get(tables);
  if (modules === undefined) compiled.set(tables, (modules = {}));
  const key = square ? "square" : "plain";
  if (modules[key] === undefined) modules[key] = compileWasm(assemble(square, tables));
  const module = modules[key];
  if (module === null) return null;
  const bands = bank?.starts.length ?? 0;
  const pairs = Math.ceil(bands / 2);
  let weightCount = 0;
  for (let b = 0; b < bands; b++) {
    if (bank!.starts[b]! + bank!.lengths[b]! > binCount) throw new RangeError(`band ${b} reaches past bin ${binCount}`);
    weightCount += bank!.lengths[b]!;
  }
  const slots = Math.max(capacity, 2 * pairs);
  const align = (bytes: number): number => Math.ceil(bytes / 16) * 16;
  // tables, spectrum, pair table, weights (each pair's interleaved, 16-byte aligned, then the rest of its
  // longer band), arguments (one slot more for an odd last band), results, fallbacks
  const spectrumBytes = DATA_BYTES;
  const pairBytes = spectrumBytes + align(binCount * 4);
  const weightBytes = pairBytes + align(pairs * PAIR_BYTES);
  const argsBytes = weightBytes + align((weightCount + pairs) * 8);
  const resultsBytes = argsBytes + slots * 8;
  const fallbacksBytes = resultsBytes + align(slots * 4);
  const totalBytes = fallbacksBytes + slots * 4;
  try {
    const memory = new wasm.Memory({ initial: Math.ceil(totalBytes / WASM_PAGE_BYTES) });
    const exports = new wasm.Instance(module, { env: { memory } }).exports;
    const sums = exports["sums"] as (pairs: number, pairCount: number, out: number, alpha: number, beta: number) => void;
    const logs = exports["logs"] as (args: number, out: number, fallbacks: number, count: number, factor: number) => number;
    const buffer = memory.buffer;
    new Float64Array(buffer, SCALE_BYTES, tables.scale.length).set(tables.scale);
    new Float64Array(buffer, INVERSE_BYTES, 256).set(tables.inverse);
    new Float64Array(buffer, LOG_C_BYTES, 256).set(tables.logC);
    if (bank !== undefined) writeBank(bank, bands, new Int32Array(buffer, pairBytes, pairs * (PAIR_BYTES / 4)), new Float64Array(buffer, weightBytes, weightCount + pairs), weightBytes);
    return {
      spectrum: new Float32Array(buffer, spectrumBytes, bank === undefined ? 0 : binCount),
      args: new Float64Array(buffer, argsBytes, slots),
      results: new Float32Array(buffer, resultsBytes, slots),
      fallbacks: new Int32Array(buffer, fallbacksBytes, slots),
      sums: (alpha, beta) => sums(pairBytes, pairs, argsBytes, alpha, beta),
      logs: (count, factor) => logs(argsBytes, resultsBytes, fallbacksBytes, count, factor),
    };
  } catch {
    return null;
  }
}

/** Fills the pair table and the weights (an odd last band pairs with an empty one). */
function writeBank(bank: ContiguousBank, bands: number, table: Int32Array, weights: Float64Array, weightBytes: number): void {
  const spectrumBytes = DATA_BYTES;
  let w = 0;
  for (let p = 0; 2 * p < bands; p++) {
    if (w % 2 === 1) w++;
    const a = 2 * p;
    const b = a + 1;
    const lengthA = bank.lengths[a]!;
    const lengthB = b < bands ? bank.lengths[b]! : 0;
    const common = Math.min(lengthA, lengthB);
    const entry = p * (PAIR_BYTES / 4);
    table[entry] = spectrumBytes + 4 * bank.starts[a]!;
    table[entry + 1] = spectrumBytes + 4 * (b < bands ? bank.starts[b]! : 0);
    table[entry + 2] = common;
    table[entry + 3] = weightBytes + 8 * w;
    table[entry + 4] = lengthA - common;
    table[entry + 5] = lengthB - common;
    for (let i = 0; i < common; i++) {
      weights[w++] = bank.weights[bank.offsets[a]! + i]!;
      weights[w++] = bank.weights[bank.offsets[b]! + i]!;
    }
    for (let i = common; i < lengthA; i++) weights[w++] = bank.weights[bank.offsets[a]! + i]!;
    for (let i = common; i < lengthB; i++) weights[w++] = bank.weights[bank.offsets[b]! + i]!;
  }
}
