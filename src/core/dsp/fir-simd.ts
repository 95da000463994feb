/**
 * The resampler's inner loop as a tiny WebAssembly SIMD function (assembled here, byte by byte, so there is
 * no build step and no binary blob): for each of `count` outputs, a dot product of one polyphase row with a
 * window of the history, four float32 lanes at a time. It runs ~4x faster than the same loop in JavaScript,
 * which is what keeps 44.1 -> 22.05 kHz well inside the analysis budget. Pure: no I/O, no native code;
 * `createPolyphaseKernel` returns null where WebAssembly SIMD is missing and the caller falls back to JS.
 *
 * The function, in WAT terms (all pointers are byte offsets into the instance's memory, float32 data):
 *
 *   (func $polyphase (param $history $table $taps $out $count $start $phase $stepWhole $stepPhase $up i32)
 *     for n in 0 .. count-1:
 *       out[n] = sum_{k < taps} table[phase * taps + k] * history[start + k]     ;; taps % 8 == 0
 *       start += stepWhole; phase += stepPhase; if (phase >= up) { phase -= up; start += 1 })
 *
 * and, for the 2:1 halfband stage, `split` (a block of input into its even and odd samples, by shuffles)
 * and `addCentre` (the centre tap added in double precision, rounded as the JavaScript expression is).
 */
import {
  advance,
  BLOCK,
  BR,
  BR_IF,
  compileWasm,
  END,
  endPointer,
  EVEN_LANES,
  F32_ADD,
  F32_STORE,
  F32X4_ADD,
  F32X4_DEMOTE_F64X2_ZERO,
  F32X4_EXTRACT_LANE,
  F32X4_MUL,
  F64,
  F64X2_ADD,
  F64X2_MUL,
  F64X2_PROMOTE_LOW_F32X4,
  F64X2_SPLAT,
  HIGH_HALF,
  I32,
  i32Const,
  I32_ADD,
  I32_GE_S,
  I32_MUL,
  I32_SHL,
  I32_SUB,
  i32VoidType,
  IF,
  loadAt,
  localGet,
  localSet,
  localTee,
  LOOP,
  loopUntil,
  LOW_HALVES,
  moduleImportingMemory,
  ODD_LANES,
  shuffle,
  simd,
  V128,
  V128_CONST,
  V128_LOAD,
  V128_STORE,
  vector,
  VOID,
  WASM_PAGE_BYTES,
  wasmApi,
  type WasmModule,
} from "./wasm-assembler.js";

/** Signature of the exported function (see the file comment). */
export type PolyphaseKernel = (
  historyByteOffset: number,
  tableByteOffset: number,
  taps: number,
  outByteOffset: number,
  count: number,
  start: number,
  phase: number,
  stepWhole: number,
  stepPhase: number,
  up: number,
) => void;

/** The kernel consumes taps in groups of this many (two float32x4 accumulators). */
export const KERNEL_TAP_MULTIPLE = 8;

/**
 * `even[j] = src[2j]`, `odd[j] = src[2j + 1]` for j < pairs (pairs % 4 == 0): the halfband stage's split of
 * its input by parity. Byte offsets.
 */
export type SplitKernel = (srcByteOffset: number, evenByteOffset: number, oddByteOffset: number, pairs: number) => void;

/**
 * `values[i] = fround(values[i] + tap * even[i])` in double precision (count % 4 == 0), rounding exactly as
 * the same JavaScript expression stored to a Float32Array: the halfband stage's centre tap. Byte offsets.
 */
export type AddCentreKernel = (valuesByteOffset: number, evenByteOffset: number, count: number, tap: number) => void;

/** The module's functions on one heap. */
export interface PolyphaseKernels {
  readonly heap: Float32Array;
  readonly kernel: PolyphaseKernel;
  readonly split: SplitKernel;
  readonly addCentre: AddCentreKernel;
}

/** The module's bytes: imports `env.memory`, exports `polyphase`, `split` and `addCentre`. */
function assemble(): Uint8Array {
  // params 0..9 as in PolyphaseKernel; locals: 10 n, 11 k, 12 historyPtr, 13 tablePtr, 14 rowBytes, 15-16 acc
  const [history, table, taps, out, count, start, phase, stepWhole, stepPhase, up] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const [n, k, historyPtr, tablePtr, rowBytes, acc0, acc1] = [10, 11, 12, 13, 14, 15, 16];
  const zero = simd(V128_CONST, ...new Array<number>(16).fill(0));
  const multiplyAdd = (acc: number, byteOffset: number): number[] => [
    ...localGet(acc),
    ...localGet(tablePtr),
    ...simd(V128_LOAD, 2, byteOffset),
    ...localGet(historyPtr),
    ...simd(V128_LOAD, 0, byteOffset),
    ...simd(F32X4_MUL),
    ...simd(F32X4_ADD),
    ...localSet(acc),
  ];
  const body = [
    ...localGet(taps), ...i32Const(2), I32_SHL, ...localSet(rowBytes),
    ...i32Const(0), ...localSet(n),
    BLOCK, VOID,
    LOOP, VOID,
    ...localGet(n), ...localGet(count), I32_GE_S, BR_IF, 1,
    ...localGet(history), ...localGet(start), ...i32Const(2), I32_SHL, I32_ADD, ...localSet(historyPtr),
    ...localGet(table), ...localGet(phase), ...localGet(rowBytes), I32_MUL, I32_ADD, ...localSet(tablePtr),
    ...localGet(taps), ...localSet(k),
    ...zero, ...localSet(acc0),
    ...zero, ...localSet(acc1),
    LOOP, VOID,
    ...multiplyAdd(acc0, 0),
    ...multiplyAdd(acc1, 16),
    ...localGet(tablePtr), ...i32Const(32), I32_ADD, ...localSet(tablePtr),
    ...localGet(historyPtr), ...i32Const(32), I32_ADD, ...localSet(historyPtr),
    ...localGet(k), ...i32Const(8), I32_SUB, ...localTee(k),
    BR_IF, 0,
    END,
    ...localGet(acc0), ...localGet(acc1), ...simd(F32X4_ADD), ...localSet(acc0),
    ...localGet(out), ...localGet(n), ...i32Const(2), I32_SHL, I32_ADD,
    ...localGet(acc0), ...simd(F32X4_EXTRACT_LANE, 0), ...localGet(acc0), ...simd(F32X4_EXTRACT_LANE, 1), F32_ADD,
    ...localGet(acc0), ...simd(F32X4_EXTRACT_LANE, 2), ...localGet(acc0), ...simd(F32X4_EXTRACT_LANE, 3), F32_ADD,
    F32_ADD,
    F32_STORE, 2, 0,
    ...localGet(start), ...localGet(stepWhole), I32_ADD, ...localSet(start),
    ...localGet(phase), ...localGet(stepPhase), I32_ADD, ...localSet(phase),
    ...localGet(phase), ...localGet(up), I32_GE_S,
    IF, VOID,
    ...localGet(phase), ...localGet(up), I32_SUB, ...localSet(phase),
    ...localGet(start), ...i32Const(1), I32_ADD, ...localSet(start),
    END,
    ...localGet(n), ...i32Const(1), I32_ADD, ...localSet(n),
    BR, 0,
    END,
    END,
    END,
  ];
  // split(src 0, even 1, odd 2, pairs 3): 4 pairs per step; local 4: end
  const split = [
    ...localGet(0), ...localGet(3), ...i32Const(3), I32_SHL, I32_ADD, ...localSet(4),
    ...loopUntil(0, 4, [
      ...localGet(1), ...loadAt(0), ...loadAt(0, 16), ...shuffle(EVEN_LANES), ...simd(V128_STORE, 0, 0),
      ...localGet(2), ...loadAt(0), ...loadAt(0, 16), ...shuffle(ODD_LANES), ...simd(V128_STORE, 0, 0),
      ...advance(0, 32),
      ...advance(1, 16),
      ...advance(2, 16),
    ]),
  ];
  // addCentre(values 0, even 1, count 2, tap 3: f64); local 4: end; v128 locals 5: tap x2, 6: v, 7: e
  const half = (high: boolean): number[] => [
    ...localGet(6),
    ...(high ? [...localGet(6), ...shuffle(HIGH_HALF)] : []),
    ...simd(F64X2_PROMOTE_LOW_F32X4),
    ...localGet(5),
    ...localGet(7),
    ...(high ? [...localGet(7), ...shuffle(HIGH_HALF)] : []),
    ...simd(F64X2_PROMOTE_LOW_F32X4),
    ...simd(F64X2_MUL),
    ...simd(F64X2_ADD),
    ...simd(F32X4_DEMOTE_F64X2_ZERO),
  ];
  const addCentre = [
    ...localGet(3), ...simd(F64X2_SPLAT), ...localSet(5),
    ...endPointer(0, 2, 4),
    ...loopUntil(0, 4, [
      ...loadAt(0), ...localSet(6),
      ...loadAt(1), ...localSet(7),
      ...localGet(0),
      ...half(false),
      ...half(true),
      ...shuffle(LOW_HALVES),
      ...simd(V128_STORE, 0, 0),
      ...advance(0, 16),
      ...advance(1, 16),
    ]),
  ];
  return moduleImportingMemory(
    [i32VoidType(10), i32VoidType(4), [0x60, ...vector([[I32], [I32], [I32], [F64]]), ...vector([])]],
    [
      { name: "polyphase", type: 0, locals: [[5, I32], [2, V128]], body: body.slice(0, -1) },
      { name: "split", type: 1, locals: [[1, I32]], body: split },
      { name: "addCentre", type: 2, locals: [[1, I32], [3, V128]], body: addCentre },
    ],
  );
}

let compiled: WasmModule | null | undefined;

function compiledModule(): WasmModule | null {
  if (compiled === undefined) compiled = compileWasm(assemble());
  return compiled;
}

/** True when this runtime has WebAssembly SIMD (Node >= 16.4); false means the JS fallback is used. */
export function simdAvailable(): boolean {
  return compiledModule() !== null;
}

/**
 * A float32 heap of `floatCount` values with the kernel instantiated on it, or null without WebAssembly
 * SIMD. The memory is never grown, so views on `memory.buffer` stay valid.
 * @param floatCount heap size in float32 values
 */
export function createPolyphaseKernel(floatCount: number): PolyphaseKernels | null {
  const module = compiledModule();
  const wasm = wasmApi();
  if (module === null || wasm === undefined) return null;
  const memory = new wasm.Memory({ initial: Math.ceil((4 * floatCount) / WASM_PAGE_BYTES) });
  const exports = new wasm.Instance(module, { env: { memory } }).exports;
  return {
    heap: new Float32Array(memory.buffer, 0, floatCount),
    kernel: exports["polyphase"] as PolyphaseKernel,
    split: exports["split"] as SplitKernel,
    addCentre: exports["addCentre"] as AddCentreKernel,
  };
}
