/**
 * The per-frame glue around an FFT as WebAssembly SIMD kernels working in the FFT's own memory (imported,
 * so a frame is windowed where the transform reads it and its magnitudes are taken where it writes them):
 * windowing by a float32 or float64 window, and magnitudes of interleaved complex bins. Assembled byte by
 * byte (see `wasm-assembler.ts`). Pure: no I/O; `createSpectrumKernels` returns null where WebAssembly SIMD
 * is missing, and callers keep their JavaScript loops.
 *
 * Every kernel rounds exactly as the JavaScript it replaces (IEEE-754 binary32/binary64, round to nearest,
 * no fused operations), so results are bit-identical:
 * - `window32`: `dst[i] = fround(src[i] * win[i])`, float32 window (`f32x4.mul`: the exact product of two
 *   float32 values rounded once, as JS's double product, exact at 48 bits, stored to a Float32Array);
 * - `window64`: `dst[i] = fround(src[i] * win[i])`, float64 window (product rounded to double, then to float32);
 * - `magnitude`: `out[k] = fround(sqrt(re_k * re_k + im_k * im_k))` in double precision.
 *
 * In WAT terms (all pointers are byte offsets, counts are multiples of 4):
 *
 *   (func $window32 (param $src $win $dst $count i32))   ;; four float32 lanes per step
 *   (func $window64 (param $src $win $dst $count i32))   ;; 4 samples per step: two f64x2 products, demoted
 *   (func $magnitude (param $spectrum $out $count i32))  ;; 4 bins per step: re/im split by shuffles, f64x2
 */
import {
  advance,
  compileWasm,
  endPointer,
  EVEN_LANES,
  F32X4_DEMOTE_F64X2_ZERO,
  F32X4_MUL,
  F64X2_ADD,
  F64X2_MUL,
  F64X2_PROMOTE_LOW_F32X4,
  F64X2_SQRT,
  HIGH_HALF,
  I32,
  i32VoidType,
  loadAt,
  localGet,
  localSet,
  localTee,
  loopUntil,
  LOW_HALVES,
  moduleImportingMemory,
  ODD_LANES,
  shuffle,
  simd,
  V128,
  V128_STORE,
  wasmApi,
  type WasmMemory,
  type WasmModule,
} from "./wasm-assembler.js";

/** The kernels of one instance; every pointer is a byte offset into the memory they were created on. */
export interface SpectrumKernels {
  /** `dst[i] = src[i] * win[i]` for i < count (float32 window); count % 4 == 0; dst may equal src. */
  readonly window32: (src: number, win: number, dst: number, count: number) => void;
  /** `dst[i] = fround(src[i] * win[i])` for i < count (float64 window); count % 4 == 0; dst may equal src. */
  readonly window64: (src: number, win: number, dst: number, count: number) => void;
  /** `out[k] = fround(sqrt(re^2 + im^2))` of the pairs `spectrum[2k], spectrum[2k+1]`, k < count; count % 4 == 0. */
  readonly magnitude: (spectrum: number, out: number, count: number) => void;
}

/** Kernels process this many values per step: callers handle the rest of a length themselves. */
export const SPECTRUM_KERNEL_STEP = 4;

function assemble(): Uint8Array {
  const load = loadAt;
  // window32(src 0, win 1, dst 2, count 3); local 4: end
  const window32 = [
    ...endPointer(0, 3, 4),
    ...loopUntil(0, 4, [
      ...localGet(2),
      ...load(0),
      ...load(1),
      ...simd(F32X4_MUL),
      ...simd(V128_STORE, 0, 0),
      ...advance(0, 16),
      ...advance(1, 16),
      ...advance(2, 16),
    ]),
  ];
  // window64(src 0, win 1, dst 2, count 3); local 4: end; local 5: x (v128)
  const window64 = [
    ...endPointer(0, 3, 4),
    ...loopUntil(0, 4, [
      ...localGet(2),
      ...load(0),
      ...localTee(5),
      ...simd(F64X2_PROMOTE_LOW_F32X4),
      ...load(1),
      ...simd(F64X2_MUL),
      ...simd(F32X4_DEMOTE_F64X2_ZERO),
      ...localGet(5),
      ...localGet(5),
      ...shuffle(HIGH_HALF),
      ...simd(F64X2_PROMOTE_LOW_F32X4),
      ...load(1, 16),
      ...simd(F64X2_MUL),
      ...simd(F32X4_DEMOTE_F64X2_ZERO),
      ...shuffle(LOW_HALVES),
      ...simd(V128_STORE, 0, 0),
      ...advance(0, 16),
      ...advance(1, 32),
      ...advance(2, 16),
    ]),
  ];
  // magnitude(spectrum 0, out 1, count 2); local 3: end; v128 locals 4: re, 5: im, 6: t
  const squareOf = (source: number, high: boolean): number[] => [
    ...localGet(source),
    ...(high ? [...localGet(source), ...shuffle(HIGH_HALF)] : []),
    ...simd(F64X2_PROMOTE_LOW_F32X4),
    ...localTee(6),
    ...localGet(6),
    ...simd(F64X2_MUL),
  ];
  const modulus = (high: boolean): number[] => [
    ...squareOf(4, high),
    ...squareOf(5, high),
    ...simd(F64X2_ADD),
    ...simd(F64X2_SQRT),
    ...simd(F32X4_DEMOTE_F64X2_ZERO),
  ];
  const magnitude = [
    ...endPointer(1, 2, 3),
    ...loopUntil(1, 3, [
      ...load(0),
      ...load(0, 16),
      ...shuffle(EVEN_LANES),
      ...localSet(4),
      ...load(0),
      ...load(0, 16),
      ...shuffle(ODD_LANES),
      ...localSet(5),
      ...localGet(1),
      ...modulus(false),
      ...modulus(true),
      ...shuffle(LOW_HALVES),
      ...simd(V128_STORE, 0, 0),
      ...advance(0, 32),
      ...advance(1, 16),
    ]),
  ];
  return moduleImportingMemory(
    [i32VoidType(4), i32VoidType(3)],
    [
      { name: "window32", type: 0, locals: [[1, I32]], body: window32 },
      { name: "window64", type: 0, locals: [[1, I32], [1, V128]], body: window64 },
      { name: "magnitude", type: 1, locals: [[1, I32], [3, V128]], body: magnitude },
    ],
  );
}

let compiled: WasmModule | null | undefined;

/**
 * The kernels instantiated on `memory` (typically an FFT module's exported memory), or null without
 * WebAssembly SIMD. Views on `memory.buffer` must be refreshed by the caller if the memory grows.
 */
export function createSpectrumKernels(memory: WasmMemory): SpectrumKernels | null {
  if (compiled === undefined) compiled = compileWasm(assemble());
  const wasm = wasmApi();
  if (compiled === null || wasm === undefined) return null;
  try {
    const exports = new wasm.Instance(compiled, { env: { memory } }).exports;
    return {
      window32: exports["window32"] as SpectrumKernels["window32"],
      window64: exports["window64"] as SpectrumKernels["window64"],
      magnitude: exports["magnitude"] as SpectrumKernels["magnitude"],
    };
  } catch {
    return null;
  }
}

/** The kernels on a fresh memory of `bytes` (for tests and engines without their own memory), or null. */
export function createStandaloneSpectrumKernels(bytes: number): { memory: WasmMemory; kernels: SpectrumKernels } | null {
  const wasm = wasmApi();
  if (wasm === undefined) return null;
  const memory = new wasm.Memory({ initial: Math.max(1, Math.ceil(bytes / 65536)) });
  const kernels = createSpectrumKernels(memory);
  return kernels === null ? null : { memory, kernels };
}
