/**
 * The stereo case of `mixdownToMono` as a small WebAssembly SIMD function, assembled here byte by byte:
 * `out[i] = fround(0.5 * (left[i] + right[i]))` with the sum and the product in double precision, as the
 * JavaScript expression computes them (IEEE-754, round to nearest, no fused operations), so results are
 * bit-identical, four samples per step. Pure: no I/O; `createStereoMixKernel` returns null where
 * WebAssembly SIMD is missing, and the caller keeps its loop.
 *
 * In WAT terms (byte pointers into the kernel's own memory, count a multiple of 4):
 *
 *   (func $mix (param $left $right $out $count i32)
 *     for each block of 4 samples: out = demote((promote(left) + promote(right)) * 0.5), low and high halves)
 */
import {
  advance,
  compileWasm,
  endPointer,
  F32X4_DEMOTE_F64X2_ZERO,
  f64x2Const,
  F64X2_ADD,
  F64X2_MUL,
  F64X2_PROMOTE_LOW_F32X4,
  HIGH_HALF,
  I32,
  i32VoidType,
  loadAt,
  localGet,
  loopUntil,
  LOW_HALVES,
  moduleImportingMemory,
  shuffle,
  simd,
  V128_STORE,
  WASM_PAGE_BYTES,
  wasmApi,
  type WasmModule,
} from "./wasm-assembler.js";

/** A kernel on its own memory, for blocks of up to `capacity` frames. */
export interface StereoMixKernel {
  readonly capacity: number;
  /** Write the left and right channels here (`count` samples each) before `run(count)`. */
  readonly left: Float32Array;
  readonly right: Float32Array;
  /** `run` writes the mix here. */
  readonly out: Float32Array;
  /** Mixes the first `count` samples (a multiple of 4, <= capacity). */
  run(count: number): void;
}

function assemble(): Uint8Array {
  // params: 0 left, 1 right, 2 out, 3 count; locals: 4 end (i32)
  const half = f64x2Const(0.5);
  const mixHalf = (high: boolean): number[] => [
    ...loadAt(0),
    ...(high ? [...loadAt(0), ...shuffle(HIGH_HALF)] : []),
    ...simd(F64X2_PROMOTE_LOW_F32X4),
    ...loadAt(1),
    ...(high ? [...loadAt(1), ...shuffle(HIGH_HALF)] : []),
    ...simd(F64X2_PROMOTE_LOW_F32X4),
    ...simd(F64X2_ADD),
    ...half,
    ...simd(F64X2_MUL),
    ...simd(F32X4_DEMOTE_F64X2_ZERO),
  ];
  const body = [
    ...endPointer(0, 3, 4),
    ...loopUntil(0, 4, [
      ...localGet(2),
      ...mixHalf(false),
      ...mixHalf(true),
      ...shuffle(LOW_HALVES),
      ...simd(V128_STORE, 0, 0),
      ...advance(0, 16),
      ...advance(1, 16),
      ...advance(2, 16),
    ]),
  ];
  return moduleImportingMemory([i32VoidType(4)], [{ name: "mix", type: 0, locals: [[1, I32]], body }]);
}

let compiled: WasmModule | null | undefined;

/** A kernel for blocks of up to `capacity` frames (a multiple of 4), or null without WebAssembly SIMD. */
export function createStereoMixKernel(capacity: number): StereoMixKernel | null {
  const wasm = wasmApi();
  if (wasm === undefined || capacity <= 0 || capacity % 4 !== 0) return null;
  if (compiled === undefined) compiled = compileWasm(assemble());
  if (compiled === null) return null;
  try {
    const bytes = capacity * 4;
    const memory = new wasm.Memory({ initial: Math.ceil((3 * bytes) / WASM_PAGE_BYTES) });
    const mix = new wasm.Instance(compiled, { env: { memory } }).exports["mix"] as (left: number, right: number, out: number, count: number) => void;
    return {
      capacity,
      left: new Float32Array(memory.buffer, 0, capacity),
      right: new Float32Array(memory.buffer, bytes, capacity),
      out: new Float32Array(memory.buffer, 2 * bytes, capacity),
      run: (count) => mix(0, bytes, 2 * bytes, count),
    };
  } catch {
    return null;
  }
}
