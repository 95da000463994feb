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
 */

/**
 * The slice of the WebAssembly JS API used here (the project's `lib` has no DOM, and @types/node does not
 * declare the global); at run time this is Node's own `WebAssembly`.
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmModule {
  readonly __brand?: "WebAssembly.Module";
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { readonly exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
}
declare const WebAssembly: WasmApi | undefined;

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

/** WebAssembly memory page: 64 KiB. */
const WASM_PAGE_BYTES = 65536;

/** The kernel consumes taps in groups of this many (two float32x4 accumulators). */
export const KERNEL_TAP_MULTIPLE = 8;

const I32 = 0x7f;
const V128 = 0x7b;

function unsignedLeb(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
}

function signedLeb(value: number): number[] {
  const bytes: number[] = [];
  while (true) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0)) {
      bytes.push(byte);
      return bytes;
    }
    bytes.push(byte | 0x80);
  }
}

function vector(items: number[][]): number[] {
  return [...unsignedLeb(items.length), ...items.flat()];
}

function section(id: number, content: number[]): number[] {
  return [id, ...unsignedLeb(content.length), ...content];
}

function name(text: string): number[] {
  const bytes = Array.from(text, (c) => c.charCodeAt(0));
  return [...unsignedLeb(bytes.length), ...bytes];
}

// instruction encoders (WebAssembly core spec 5.4, SIMD proposal opcodes after the 0xfd prefix)
const localGet = (index: number): number[] => [0x20, ...unsignedLeb(index)];
const localSet = (index: number): number[] => [0x21, ...unsignedLeb(index)];
const localTee = (index: number): number[] => [0x22, ...unsignedLeb(index)];
const i32Const = (value: number): number[] => [0x41, ...signedLeb(value)];
const simd = (opcode: number, ...immediates: number[]): number[] => [0xfd, ...unsignedLeb(opcode), ...immediates];
const I32_ADD = 0x6a;
const I32_SUB = 0x6b;
const I32_MUL = 0x6c;
const I32_SHL = 0x74;
const I32_GE_S = 0x4e;
const F32_ADD = 0x92;
const F32_STORE = 0x38;
const BLOCK = 0x02;
const LOOP = 0x03;
const IF = 0x04;
const END = 0x0b;
const BR = 0x0c;
const BR_IF = 0x0d;
const VOID = 0x40;
const V128_LOAD = 0x00;
const V128_CONST = 0x0c;
const F32X4_EXTRACT_LANE = 0x1f;
const F32X4_ADD = 0xe4;
const F32X4_MUL = 0xe6;

/** The module's bytes: imports `env.memory`, exports `polyphase`. */
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
  const locals = vector([
    [...unsignedLeb(5), I32],
    [...unsignedLeb(2), V128],
  ]);
  const code = [...locals, ...body];
  const functionType = [0x60, ...vector(new Array<number[]>(10).fill([I32])), ...vector([])];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector([functionType])),
    ...section(2, vector([[...name("env"), ...name("memory"), 0x02, 0x00, 0x01]])),
    ...section(3, vector([[0]])),
    ...section(7, vector([[...name("polyphase"), 0x00, 0]])),
    ...section(10, vector([[...unsignedLeb(code.length), ...code]])),
  ]);
}

let compiled: WasmModule | null | undefined;

function compiledModule(): WasmModule | null {
  if (compiled === undefined) {
    try {
      const bytes = assemble();
      const wasm = typeof WebAssembly === "object" ? WebAssembly : undefined;
      compiled = wasm !== undefined && wasm.validate(bytes) ? new wasm.Module(bytes) : null;
    } catch {
      compiled = null;
    }
  }
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
export function createPolyphaseKernel(floatCount: number): { heap: Float32Array; kernel: PolyphaseKernel } | null {
  const module = compiledModule();
  if (module === null || WebAssembly === undefined) return null;
  const memory = new WebAssembly.Memory({ initial: Math.ceil((4 * floatCount) / WASM_PAGE_BYTES) });
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  return { heap: new Float32Array(memory.buffer, 0, floatCount), kernel: instance.exports["polyphase"] as PolyphaseKernel };
}
