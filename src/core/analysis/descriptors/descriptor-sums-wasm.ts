/**
 * The running sums of the simple frame descriptors in one pass each, as two small WebAssembly SIMD
 * functions assembled here byte by byte:
 *
 * - `spectrum`: the amplitude sum (`amplitude-sum.ts`, four partial sums by bin index mod 4) and the
 *   two-lane sums of `spectral-centroid.ts`, `spectral-spread.ts` and `spectral-flux.ts` (even and odd
 *   bins): amplitude, `k a`, `k (k a)` and the half-wave rectified rise `d + |d|`, `d = a - previous a`;
 *   it then keeps the spectrum as the next frame's `previous`.
 * - `signal`: the four partial sums of squares of `rms-db.ts` (samples by index mod 4) and the sign
 *   changes of `zero-crossings.ts`.
 * - `banks`: the band sums of sparse filter banks over the spectrum (`mfcc.ts`'s mel bank on the squared
 *   spectrum, `chroma.ts`'s bank on the spectrum), each band's entries taken in pairs, the first and second
 *   of each pair in their own lane (the two alternating sums of those functions), an odd last entry added
 *   to the first; the band's sum is the first lane plus the second.
 *
 * Each partial sum is one f64x2 lane that takes exactly the steps of its JavaScript accumulator (IEEE-754
 * binary64, round to nearest, no fused operations) and the crossings are counted exactly, so the
 * descriptors finished from these sums are bit-identical to their own loops: one pass instead of six, the
 * dependency chains of all the sums overlapping. Pure: no I/O; null where WebAssembly SIMD is missing.
 *
 * In WAT terms, for k = 0, 4, 8, ... (sizes are multiples of 4), a = spectrum[k .. k+3], p = previous[k .. k+3]:
 *   (s0, s1) += (a0, a1); (s2, s3) += (a2, a3)                                ;; amplitude sum
 *   (e0, e1) += (a0, a1); (e0, e1) += (a2, a3)                                ;; even / odd bins
 *   (w0, w1) += (k a0, (k+1) a1); then with k+2, k+3                          ;; first moment
 *   (q0, q1) += (k (k a0), (k+1) ((k+1) a1)); then with k+2, k+3              ;; second moment
 *   (r0, r1) += (d0 + |d0|, d1 + |d1|); then d2, d3                           ;; rise
 *   previous[k .. k+3] = a
 * and for x = signal[k .. k+3]: (t0, t1) += (x0^2, x1^2); (t2, t3) += (x2^2, x3^2);
 *   crossings += count of (x_i < 0) != (x_{i-1} < 0), i >= 1.
 */
import {
  BLOCK,
  BR,
  BR_IF,
  compileWasm,
  END,
  F32_LOAD,
  F32X4_LT,
  F32X4_SPLAT,
  F64,
  F64_ADD,
  F64_CONST,
  F64_LOAD,
  F64_MUL,
  F64_PROMOTE_F32,
  F64_STORE,
  F64X2_ABS,
  F64X2_ADD,
  F64X2_EXTRACT_LANE,
  F64X2_MUL,
  F64X2_PROMOTE_LOW_F32X4,
  F64X2_REPLACE_LANE,
  F64X2_SPLAT,
  F64X2_SUB,
  f64x2Const,
  HIGH_HALF,
  I32,
  I32_ADD,
  I32_EQZ,
  I32_GE_U,
  I32_LOAD,
  I32_SUB,
  i32Const,
  I32X4_EXTRACT_LANE,
  I32X4_SUB,
  IF,
  localGet,
  localSet,
  localTee,
  LOOP,
  moduleImportingMemory,
  SELECT,
  shuffle,
  simd,
  V128,
  V128_LOAD,
  V128_STORE,
  V128_XOR,
  v128Const,
  vector,
  VOID,
  WASM_PAGE_BYTES,
  wasmApi,
  type WasmModule,
} from "../../dsp/wasm-assembler.js";
import type { SparseFilterBank } from "./sparse-filter-bank.js";

/** Index of each partial sum in `DescriptorSumsKernel.sums`. */
export const SUM = {
  /** Amplitude sum, bins k mod 4 = 0, 1, 2, 3 (`amplitudeSum`). */
  amplitude4: 0,
  /** Amplitude of even and odd bins. */
  amplitude2: 4,
  /** `k a` of even and odd bins. */
  first: 6,
  /** `k (k a)` of even and odd bins. */
  second: 8,
  /** `d + |d|`, d = a - previous a, of even and odd bins. */
  rise: 10,
  /** Squares of the signal, samples i mod 4 = 0, 1, 2, 3 (`rmsDb`). */
  squares4: 12,
} as const;
/** Doubles in `sums`. */
export const SUM_COUNT = 16;

/** A kernel on its own memory. */
export interface DescriptorSumsKernel {
  /** Write each frame's amplitude spectrum here before `runSpectrum`. */
  readonly spectrum: Float32Array;
  /** Write each frame's signal here before `runSignal`. */
  readonly signal: Float32Array;
  /** The partial sums (see `SUM`). */
  readonly sums: Float64Array;
  /** The spectrum sums against the previous frame's spectrum, which `spectrum` then becomes. */
  runSpectrum(): void;
  /** The sums of squares of `signal`; returns its sign changes (`zeroCrossings`). */
  runSignal(): number;
  /** The previous frame becomes silence. */
  resetPrevious(): void;
  /** Band sums of each bank given at creation, after `runBanks` (one view per bank, in order). */
  readonly bankSums: readonly Float64Array[];
  /** Sums every band of every bank over `spectrum` (as written for `runSpectrum`). */
  runBanks(): void;
}

/** A sparse filter bank for `runBanks` (see `sparse-filter-bank.ts`), and whether it weights the squared spectrum. */
export interface KernelBank {
  readonly bank: SparseFilterBank;
  readonly square: boolean;
}

/** Bytes per band in the band table: weights pointer, bins pointer, pairs, odd tail (0 or 1), square (0 or 1). */
const BAND_BYTES = 20;

/** i8x16.shuffle lanes: the last float of the first vector, then the first three of the second. */
const PREVIOUS_LANES = [12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27];

const zeroF64x2 = [F64_CONST, 0, 0, 0, 0, 0, 0, 0, 0, ...simd(F64X2_SPLAT)];
const accumulate = (acc: number, value: number[]): number[] => [...localGet(acc), ...value, ...simd(F64X2_ADD), ...localSet(acc)];
const advance = (pointer: number, bytes: number): number[] => [...localGet(pointer), ...i32Const(bytes), I32_ADD, ...localSet(pointer)];
const promoteLow = (local: number): number[] => [...localGet(local), ...simd(F64X2_PROMOTE_LOW_F32X4)];
const promoteHigh = (local: number): number[] => [...localGet(local), ...localGet(local), ...shuffle(HIGH_HALF), ...simd(F64X2_PROMOTE_LOW_F32X4)];

function spectrumBody(): number[] {
  // params: 0 spectrum, 1 previous, 2 end (byte pointers), 3 sums; locals (v128): 4 a, 5 p, 6 x01, 7 x23,
  // 8 d, 9 s01, 10 s23, 11 e, 12 w, 13 q, 14 r, 15 k01, 16 k23, 17 ka
  const SPECTRUM = 0, PREVIOUS = 1, END_PTR = 2, OUT = 3;
  const A = 4, P = 5, X01 = 6, X23 = 7, D = 8, S01 = 9, S23 = 10, E = 11, W = 12, Q = 13, R = 14, K01 = 15, K23 = 16, KA = 17;
  /** The two-lane sums of one pair of bins (`k` the lanes' bin indices, `x` the amplitudes). */
  const pairSums = (k: number, x: number, previousPromoted: number[]): number[] => [
    ...accumulate(E, localGet(x)),
    ...localGet(k), ...localGet(x), ...simd(F64X2_MUL), ...localSet(KA),
    ...accumulate(W, localGet(KA)),
    ...accumulate(Q, [...localGet(k), ...localGet(KA), ...simd(F64X2_MUL)]),
    ...localGet(x), ...previousPromoted, ...simd(F64X2_SUB), ...localTee(D),
    ...localGet(D), ...simd(F64X2_ABS), ...simd(F64X2_ADD), ...localSet(D),
    ...accumulate(R, localGet(D)),
  ];
  return [
    ...[S01, S23, E, W, Q, R].flatMap((local) => [...zeroF64x2, ...localSet(local)]),
    ...f64x2Const(0, 1), ...localSet(K01),
    ...f64x2Const(2, 3), ...localSet(K23),
    BLOCK, VOID, LOOP, VOID,
    ...localGet(SPECTRUM), ...localGet(END_PTR), I32_GE_U, BR_IF, 1,
    ...localGet(SPECTRUM), ...simd(V128_LOAD, 4, 0), ...localSet(A),
    ...localGet(PREVIOUS), ...simd(V128_LOAD, 4, 0), ...localSet(P),
    ...localGet(PREVIOUS), ...localGet(A), ...simd(V128_STORE, 4, 0),
    ...promoteLow(A), ...localSet(X01),
    ...promoteHigh(A), ...localSet(X23),
    ...accumulate(S01, localGet(X01)),
    ...accumulate(S23, localGet(X23)),
    ...pairSums(K01, X01, promoteLow(P)),
    ...pairSums(K23, X23, promoteHigh(P)),
    ...accumulate(K01, f64x2Const(4, 4)),
    ...accumulate(K23, f64x2Const(4, 4)),
    ...advance(SPECTRUM, 16),
    ...advance(PREVIOUS, 16),
    BR, 0, END, END,
    ...[S01, S23, E, W, Q, R].flatMap((local, i) => [...localGet(OUT), ...localGet(local), ...simd(V128_STORE, 4, 16 * i)]),
  ];
}

function signalBody(): number[] {
  // params: 0 signal, 1 end (byte pointers), 2 sums (where the squares go); locals: v128 3 x, 4 negative,
  // 5 previous negative, 6 crossings (i32x4), 7 t01, 8 t23, 9 x01
  const SIGNAL = 0, END_PTR = 1, OUT = 2;
  const X = 3, NEGATIVE = 4, PREVIOUS = 5, CROSSINGS = 6, T01 = 7, T23 = 8, XX = 9;
  const lanesSum = [0, 1, 2, 3].flatMap((lane, i) => [...localGet(CROSSINGS), ...simd(I32X4_EXTRACT_LANE, lane), ...(i > 0 ? [I32_ADD] : [])]);
  return [
    ...zeroF64x2, ...localSet(T01),
    ...zeroF64x2, ...localSet(T23),
    ...v128Const(new Uint8Array(16)), ...localSet(CROSSINGS),
    // before sample 0: its own sign (no crossing there)
    ...localGet(SIGNAL), ...[0x2a, 2, 0], ...simd(F32X4_SPLAT), ...v128Const(new Uint8Array(16)), ...simd(F32X4_LT), ...localSet(PREVIOUS),
    BLOCK, VOID, LOOP, VOID,
    ...localGet(SIGNAL), ...localGet(END_PTR), I32_GE_U, BR_IF, 1,
    ...localGet(SIGNAL), ...simd(V128_LOAD, 4, 0), ...localSet(X),
    ...promoteLow(X), ...localTee(XX), ...localGet(XX), ...simd(F64X2_MUL), ...localSet(XX),
    ...accumulate(T01, localGet(XX)),
    ...promoteHigh(X), ...localTee(XX), ...localGet(XX), ...simd(F64X2_MUL), ...localSet(XX),
    ...accumulate(T23, localGet(XX)),
    // sign masks (-1 where negative) of this block and of the samples one before; a differing pair counts 1
    ...localGet(X), ...v128Const(new Uint8Array(16)), ...simd(F32X4_LT), ...localSet(NEGATIVE),
    ...localGet(CROSSINGS),
    ...localGet(PREVIOUS), ...localGet(NEGATIVE), ...shuffle(PREVIOUS_LANES), ...localGet(NEGATIVE), ...simd(V128_XOR),
    ...simd(I32X4_SUB), ...localSet(CROSSINGS),
    ...localGet(NEGATIVE), ...localSet(PREVIOUS),
    ...advance(SIGNAL, 16),
    BR, 0, END, END,
    ...localGet(OUT), ...localGet(T01), ...simd(V128_STORE, 4, 0),
    ...localGet(OUT), ...localGet(T23), ...simd(V128_STORE, 4, 16),
    ...lanesSum,
  ];
}

function banksBody(): number[] {
  // params: 0 band table, 1 band count, 2 out (i32); locals: i32 3 weights, 4 bins, 5 count, 6 square;
  // f64 7 first lane, 8 x; v128 9 acc, 10 x pair
  const TABLE = 0, BANDS = 1, OUT = 2;
  const WEIGHTS = 3, BINS = 4, COUNT = 5, SQUARE = 6, LOW = 7, X = 8, ACC = 9, XV = 10;
  /** The spectrum value at the bin pointer stored at `bins + offset`, as a double. */
  const gathered = (offset: number): number[] => [...localGet(BINS), I32_LOAD, 2, offset, F32_LOAD, 2, 0, F64_PROMOTE_F32];
  const tableField = (offset: number, local: number): number[] => [...localGet(TABLE), I32_LOAD, 2, offset, ...localSet(local)];
  return [
    BLOCK, VOID, LOOP, VOID,
    ...localGet(BANDS), I32_EQZ, BR_IF, 1,
    ...tableField(0, WEIGHTS),
    ...tableField(4, BINS),
    ...tableField(8, COUNT),
    ...tableField(16, SQUARE),
    ...zeroF64x2, ...localSet(ACC),
    BLOCK, VOID, LOOP, VOID,
    ...localGet(COUNT), I32_EQZ, BR_IF, 1,
    ...gathered(0), ...simd(F64X2_SPLAT),
    ...gathered(4), ...simd(F64X2_REPLACE_LANE, 1), ...localSet(XV),
    ...localGet(SQUARE), IF, VOID, ...localGet(XV), ...localGet(XV), ...simd(F64X2_MUL), ...localSet(XV), END,
    ...localGet(ACC), ...localGet(WEIGHTS), ...simd(V128_LOAD, 3, 0), ...localGet(XV), ...simd(F64X2_MUL), ...simd(F64X2_ADD), ...localSet(ACC),
    ...advance(WEIGHTS, 16), ...advance(BINS, 8),
    ...localGet(COUNT), ...i32Const(1), I32_SUB, ...localSet(COUNT),
    BR, 0, END, END,
    ...localGet(ACC), ...simd(F64X2_EXTRACT_LANE, 0), ...localSet(LOW),
    // an odd last entry joins the first lane: low + w * (square ? x * x : x)
    ...localGet(TABLE), I32_LOAD, 2, 12, IF, VOID,
    ...localGet(LOW),
    ...localGet(WEIGHTS), F64_LOAD, 3, 0,
    ...gathered(0), ...localTee(X), ...localGet(X), F64_MUL, ...localGet(X), ...localGet(SQUARE), SELECT,
    F64_MUL, F64_ADD, ...localSet(LOW),
    END,
    ...localGet(OUT), ...localGet(LOW), ...localGet(ACC), ...simd(F64X2_EXTRACT_LANE, 1), F64_ADD, F64_STORE, 3, 0,
    ...advance(OUT, 8), ...advance(TABLE, BAND_BYTES),
    ...localGet(BANDS), ...i32Const(1), I32_SUB, ...localSet(BANDS),
    BR, 0, END, END,
  ];
}

function assemble(): Uint8Array {
  const spectrumType = [0x60, ...vector([[I32], [I32], [I32], [I32]]), ...vector([])];
  const signalType = [0x60, ...vector([[I32], [I32], [I32]]), ...vector([[I32]])];
  const banksType = [0x60, ...vector([[I32], [I32], [I32]]), ...vector([])];
  return moduleImportingMemory(
    [spectrumType, signalType, banksType],
    [
      { name: "spectrum", type: 0, locals: [[14, V128]], body: spectrumBody() },
      { name: "signal", type: 1, locals: [[7, V128]], body: signalBody() },
      { name: "banks", type: 2, locals: [[4, I32], [2, F64], [2, V128]], body: banksBody() },
    ],
  );
}

let compiled: WasmModule | null | undefined;

/**
 * A kernel for spectra of `bins` and signals of `samples` values (multiples of 4, < 2^20), or null without
 * WebAssembly SIMD or for other sizes (the caller keeps the descriptors' own loops).
 */
export function createDescriptorSumsKernel(bins: number, samples: number, banks: readonly KernelBank[] = []): DescriptorSumsKernel | null {
  const wasm = wasmApi();
  const fits = (n: number): boolean => n > 0 && n % 4 === 0 && n < 1 << 20;
  if (wasm === undefined || !fits(bins) || !fits(samples)) return null;
  if (compiled === undefined) compiled = compileWasm(assemble());
  if (compiled === null) return null;
  try {
    for (const { bank } of banks) {
      for (let e = 0; e < bank.bins.length; e++) if (!(bank.bins[e]! >= 0 && bank.bins[e]! < bins)) return null;
    }
    const bandCount = banks.reduce((n, { bank }) => n + bank.bandCount, 0);
    const entryCount = banks.reduce((n, { bank }) => n + bank.weights.length, 0);
    const spectrumBytes = 0;
    const previousBytes = spectrumBytes + bins * 4;
    const signalBytes = previousBytes + bins * 4;
    const sumsBytes = signalBytes + samples * 4;
    const bankSumsBytes = sumsBytes + SUM_COUNT * 8;
    const weightsBytes = bankSumsBytes + bandCount * 8;
    const binsBytes = weightsBytes + entryCount * 8;
    const tableBytes = binsBytes + entryCount * 4;
    const totalBytes = tableBytes + bandCount * BAND_BYTES;
    const memory = new wasm.Memory({ initial: Math.ceil(totalBytes / WASM_PAGE_BYTES) });
    const exports = new wasm.Instance(compiled, { env: { memory } }).exports;
    const spectrum = exports["spectrum"] as (spectrum: number, previous: number, end: number, out: number) => void;
    const signal = exports["signal"] as (signal: number, end: number, out: number) => number;
    const runBanks = exports["banks"] as (table: number, bands: number, out: number) => void;
    const previous = new Float32Array(memory.buffer, previousBytes, bins);
    // banks: weights as they are, bins as byte pointers into the spectrum, one table row per band
    const weights = new Float64Array(memory.buffer, weightsBytes, entryCount);
    const binPointers = new Int32Array(memory.buffer, binsBytes, entryCount);
    const table = new Int32Array(memory.buffer, tableBytes, (bandCount * BAND_BYTES) / 4);
    const bankSums: Float64Array[] = [];
    let entryBase = 0;
    let band = 0;
    for (const { bank, square } of banks) {
      bankSums.push(new Float64Array(memory.buffer, bankSumsBytes + band * 8, bank.bandCount));
      for (let e = 0; e < bank.weights.length; e++) {
        weights[entryBase + e] = bank.weights[e]!;
        binPointers[entryBase + e] = spectrumBytes + 4 * bank.bins[e]!;
      }
      for (let b = 0; b < bank.bandCount; b++, band++) {
        const first = bank.rowStart[b]!;
        const length = bank.rowStart[b + 1]! - first;
        const row = band * (BAND_BYTES / 4);
        table[row] = weightsBytes + 8 * (entryBase + first);
        table[row + 1] = binsBytes + 4 * (entryBase + first);
        table[row + 2] = length >> 1;
        table[row + 3] = length & 1;
        table[row + 4] = square ? 1 : 0;
      }
      entryBase += bank.weights.length;
    }
    return {
      spectrum: new Float32Array(memory.buffer, spectrumBytes, bins),
      signal: new Float32Array(memory.buffer, signalBytes, samples),
      sums: new Float64Array(memory.buffer, sumsBytes, SUM_COUNT),
      runSpectrum: () => spectrum(spectrumBytes, previousBytes, previousBytes, sumsBytes),
      runSignal: () => signal(signalBytes, sumsBytes, sumsBytes + SUM.squares4 * 8),
      resetPrevious: () => previous.fill(0),
      bankSums,
      runBanks: () => runBanks(tableBytes, bandCount, bankSumsBytes),
    };
  } catch {
    return null;
  }
}
