/**
 * A few WebAssembly binary encoders, enough to assemble small SIMD kernels byte by byte (no build step, no
 * binary blob): LEB128 integers, sections, vectors, and the instructions our kernels use. Encodings follow
 * the WebAssembly core spec 5.x and the fixed-width SIMD proposal (opcodes after the 0xfd prefix).
 */

/**
 * The slice of the WebAssembly JS API used by the kernels (the project's `lib` has no DOM, and @types/node
 * does not declare the global); at run time this is Node's own `WebAssembly`.
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
export interface WasmModule {
  readonly __brand?: "WebAssembly.Module";
}
export interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { readonly exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
}
declare const WebAssembly: WasmApi | undefined;

/** Node's `WebAssembly`, or undefined where there is none. */
export function wasmApi(): WasmApi | undefined {
  return typeof WebAssembly === "object" ? WebAssembly : undefined;
}

/** Compiles `bytes` once validated; null when WebAssembly (or an instruction the bytes use, e.g. SIMD) is missing. */
export function compileWasm(bytes: Uint8Array): WasmModule | null {
  try {
    const wasm = wasmApi();
    return wasm !== undefined && wasm.validate(bytes) ? new wasm.Module(bytes) : null;
  } catch {
    return null;
  }
}

/** WebAssembly memory page: 64 KiB. */
export const WASM_PAGE_BYTES = 65536;

export const I32 = 0x7f;
export const F64 = 0x7c;
export const V128 = 0x7b;

export function unsignedLeb(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
}

export function signedLeb(value: number): number[] {
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

export function vector(items: number[][]): number[] {
  return [...unsignedLeb(items.length), ...items.flat()];
}

export function section(id: number, content: number[]): number[] {
  return [id, ...unsignedLeb(content.length), ...content];
}

export function name(text: string): number[] {
  const bytes = Array.from(text, (c) => c.charCodeAt(0));
  return [...unsignedLeb(bytes.length), ...bytes];
}

export const localGet = (index: number): number[] => [0x20, ...unsignedLeb(index)];
export const localSet = (index: number): number[] => [0x21, ...unsignedLeb(index)];
export const localTee = (index: number): number[] => [0x22, ...unsignedLeb(index)];
export const i32Const = (value: number): number[] => [0x41, ...signedLeb(value)];
export const simd = (opcode: number, ...immediates: number[]): number[] => [0xfd, ...unsignedLeb(opcode), ...immediates];
/** `v128.const` of 16 bytes. */
export const v128Const = (bytes: ArrayLike<number>): number[] => [...simd(V128_CONST), ...Array.from(bytes)];
/** `v128.const` of the doubles `(lo, hi)` (both lanes `lo` when `hi` is left out), exact bits. */
export const f64x2Const = (lo: number, hi = lo): number[] => v128Const(new Uint8Array(Float64Array.of(lo, hi).buffer));
/** `i8x16.shuffle` with its 16 lane indices (0-15: first operand, 16-31: second). */
export const shuffle = (lanes: readonly number[]): number[] => simd(I8X16_SHUFFLE, ...lanes);

export const I32_ADD = 0x6a;
export const I32_SUB = 0x6b;
export const I32_MUL = 0x6c;
export const I32_SHL = 0x74;
export const I32_GE_S = 0x4e;
export const I32_GE_U = 0x4f;
export const F32_ADD = 0x92;
export const F32_STORE = 0x38;
export const BLOCK = 0x02;
export const LOOP = 0x03;
export const IF = 0x04;
export const END = 0x0b;
export const BR = 0x0c;
export const BR_IF = 0x0d;
export const VOID = 0x40;
export const V128_LOAD = 0x00;
export const V128_STORE = 0x0b;
export const V128_CONST = 0x0c;
export const I8X16_SHUFFLE = 0x0d;
export const F32X4_EXTRACT_LANE = 0x1f;
export const F32X4_DEMOTE_F64X2_ZERO = 0x5e;
export const F64X2_PROMOTE_LOW_F32X4 = 0x5f;
export const F32X4_ADD = 0xe4;
export const F32X4_MUL = 0xe6;
export const F64X2_SPLAT = 0x14;
export const F64X2_SQRT = 0xef;
export const F64X2_ADD = 0xf0;
export const F64X2_MUL = 0xf2;

/** Float32 lanes `a, b, c, d` as i8x16.shuffle lane bytes (lanes 0-3 of the first operand, 4-7 of the second). */
export function floatLanes(a: number, b: number, c: number, d: number): number[] {
  return [a, b, c, d].flatMap((lane) => [4 * lane, 4 * lane + 1, 4 * lane + 2, 4 * lane + 3]);
}
/** (x0, x1, y0, y1): the low halves of two vectors. */
export const LOW_HALVES = floatLanes(0, 1, 4, 5);
/** (x2, x3, x2, x3): the high half of one vector moved down (for `f64x2.promote_low_f32x4`). */
export const HIGH_HALF = floatLanes(2, 3, 2, 3);
/** Even / odd float32 lanes of two vectors: (x0, x2, y0, y2) / (x1, x3, y1, y3). */
export const EVEN_LANES = floatLanes(0, 2, 4, 6);
export const ODD_LANES = floatLanes(1, 3, 5, 7);

/** `local[end] = local[base] + (local[count] << 2)`: the byte end of `count` float32 values. */
export function endPointer(base: number, count: number, end: number): number[] {
  return [...localGet(base), ...localGet(count), ...i32Const(2), I32_SHL, I32_ADD, ...localSet(end)];
}

/** `local[pointer] += bytes`. */
export function advance(pointer: number, bytes: number): number[] {
  return [...localGet(pointer), ...i32Const(bytes), I32_ADD, ...localSet(pointer)];
}

/** A loop running `step` while `local[pointer] < local[end]` (unsigned). */
export function loopUntil(pointer: number, end: number, step: number[]): number[] {
  return [BLOCK, VOID, LOOP, VOID, ...localGet(pointer), ...localGet(end), I32_GE_U, BR_IF, 1, ...step, BR, 0, END, END];
}

/** `v128.load` from `local[pointer] + offset`. */
export function loadAt(pointer: number, offset = 0): number[] {
  return [...localGet(pointer), ...simd(V128_LOAD, 0, offset)];
}

/** A function type `(i32 x paramCount) -> ()`. */
export function i32VoidType(paramCount: number): number[] {
  return [0x60, ...vector(new Array<number[]>(paramCount).fill([I32])), ...vector([])];
}

/**
 * A module importing `env.memory` (at least one page) with the given functions, all exported by name.
 * @param functions per function: its type index, its locals (`[count, valtype]` groups) and its body
 *   (without the final `end`)
 */
export function moduleImportingMemory(
  types: number[][],
  functions: ReadonlyArray<{ name: string; type: number; locals: ReadonlyArray<readonly [number, number]>; body: number[] }>,
): Uint8Array {
  const bodies = functions.map((f) => {
    const code = [...vector(f.locals.map(([count, type]) => [...unsignedLeb(count), type])), ...f.body, END];
    return [...unsignedLeb(code.length), ...code];
  });
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector(types)),
    ...section(2, vector([[...name("env"), ...name("memory"), 0x02, 0x00, 0x01]])),
    ...section(3, vector(functions.map((f) => unsignedLeb(f.type)))),
    ...section(7, vector(functions.map((f, i) => [...name(f.name), 0x00, ...unsignedLeb(i)]))),
    ...section(10, vector(bodies)),
  ]);
}

// ---- Scalar code, built in place (e.g. the FLAC frame kernel, src/io/flac-kernel.ts) ----

export const I64 = 0x7e;
export const F32 = 0x7d;

/** A function type `(params) -> (results)`, each a value type (`I32`, `I64`, `F32`, `F64`, `V128`). */
export function funcType(params: readonly number[], results: readonly number[]): number[] {
  return [0x60, ...vector(params.map((p) => [p])), ...vector(results.map((r) => [r]))];
}

export const UNREACHABLE = 0x00;
export const ELSE = 0x05;
export const RETURN = 0x0f;
export const SELECT = 0x1b;
export const I32_LOAD = 0x28;
export const I64_LOAD = 0x29;
export const F32_LOAD = 0x2a;
export const F64_LOAD = 0x2b;
export const I32_LOAD8_U = 0x2d;
export const I32_LOAD16_U = 0x2f;
export const I32_STORE = 0x36;
export const I64_STORE = 0x37;
export const F64_STORE = 0x39;
export const F64_CONST = 0x44;
export const I32_EQZ = 0x45;
export const I32_EQ = 0x46;
export const I32_NE = 0x47;
export const I32_LT_S = 0x48;
export const I32_LT_U = 0x49;
export const I32_GT_S = 0x4a;
export const I32_GT_U = 0x4b;
export const I32_LE_S = 0x4c;
export const I32_LE_U = 0x4d;
export const F32_EQ = 0x5b;
export const I32_AND = 0x71;
export const I32_OR = 0x72;
export const I32_XOR = 0x73;
export const I32_SHR_S = 0x75;
export const I32_SHR_U = 0x76;
export const I32_ROTL = 0x77;
export const I32_ROTR = 0x78;
export const I64_CLZ = 0x79;
export const I64_ADD = 0x7c;
export const I64_MUL = 0x7e;
export const I64_OR = 0x84;
export const I64_SHL = 0x86;
export const I64_SHR_S = 0x87;
export const I64_SHR_U = 0x88;
export const F32_MUL = 0x94;
export const F64_ABS = 0x99;
export const F64_ADD = 0xa0;
export const F64_SUB = 0xa1;
export const F64_MUL = 0xa2;
export const I32_WRAP_I64 = 0xa7;
export const I64_EXTEND_I32_S = 0xac;
export const I64_EXTEND_I32_U = 0xad;
export const F32_CONVERT_I32_S = 0xb2;
export const F32_DEMOTE_F64 = 0xb6;
export const F64_CONVERT_I32_S = 0xb7;
export const F64_PROMOTE_F32 = 0xbb;

/**
 * Appends instructions to a growing byte buffer, so generating a module costs about one typed-array store per
 * byte. (Array spreads and nested fragments cost ~0.3-1 us per element or node in cold, unoptimised
 * JavaScript, and large plain arrays add copying and garbage collection: a 16 KB module built that way took
 * 30-50 ms to assemble in a fresh worker thread.) Methods return `this` to chain.
 */
export class CodeBuilder {
  private buffer = new Uint8Array(4096);
  private size = 0;

  /** The bytes appended so far (a view, valid until the next append). */
  get bytes(): Uint8Array {
    return this.buffer.subarray(0, this.size);
  }
  /** Appends one opcode or immediate byte. */
  op(code: number): this {
    if (this.size === this.buffer.length) {
      const grown = new Uint8Array(this.buffer.length * 2);
      grown.set(this.buffer);
      this.buffer = grown;
    }
    this.buffer[this.size++] = code;
    return this;
  }
  private uleb(value: number): this {
    while (value >= 0x80) {
      this.op((value & 0x7f) | 0x80);
      value >>>= 7;
    }
    return this.op(value);
  }
  private sleb(value: number): this {
    while (value < -64 || value > 63) {
      this.op((value & 0x7f) | 0x80);
      value >>= 7;
    }
    return this.op(value & 0x7f);
  }
  get(local: number): this {
    return this.op(0x20).uleb(local);
  }
  set(local: number): this {
    return this.op(0x21).uleb(local);
  }
  tee(local: number): this {
    return this.op(0x22).uleb(local);
  }
  /** `i32.const` */
  i32(value: number): this {
    return this.op(0x41).sleb(value | 0);
  }
  /** `i64.const` of a value in the int32 range (sign-extended). */
  i64(value: number): this {
    return this.op(0x42).sleb(value | 0);
  }
  /** A load or store with a constant byte offset (alignment hint 0: any address). */
  memory(opcode: number, offset = 0): this {
    return this.op(opcode).op(0).uleb(offset);
  }
  call(functionIndex: number): this {
    return this.op(0x10).uleb(functionIndex);
  }
  br(depth: number): this {
    return this.op(BR).uleb(depth);
  }
  brIf(depth: number): this {
    return this.op(BR_IF).uleb(depth);
  }
  /** `br_table` with the label depths of cases 0, 1, ... and the default depth. */
  brTable(depths: readonly number[], defaultDepth: number): this {
    this.op(0x0e).uleb(depths.length);
    for (const depth of depths) this.uleb(depth);
    return this.uleb(defaultDepth);
  }
  /** A SIMD instruction (0xfd prefix) without immediates. */
  simd(opcode: number): this {
    return this.op(0xfd).uleb(opcode);
  }
  /** `v128.load` / `v128.store` with a constant byte offset (alignment hint 0). */
  simdMemory(opcode: number, offset = 0): this {
    return this.simd(opcode).op(0).uleb(offset);
  }
  /** `i8x16.shuffle` with its 16 lane indices (0-15: first operand, 16-31: second). */
  shuffle(lanes: readonly number[]): this {
    this.simd(I8X16_SHUFFLE);
    for (const lane of lanes) this.op(lane);
    return this;
  }
}

export const I32X4_SPLAT = 0x11;
export const F32X4_SPLAT = 0x13;
export const I32X4_EXTRACT_LANE = 0x1b;
export const I64X2_EXTRACT_LANE = 0x1d;
export const F64X2_EXTRACT_LANE = 0x21;
export const F64X2_REPLACE_LANE = 0x22;
export const F32X4_EQ = 0x41;
export const F32X4_LT = 0x43;
export const V128_AND = 0x4e;
export const V128_OR = 0x50;
export const V128_XOR = 0x51;
export const I32X4_BITMASK = 0xa4;
export const I32X4_SHL = 0xab;
export const I32X4_SHR_S = 0xac;
export const I32X4_ADD = 0xae;
export const I32X4_SUB = 0xb1;
export const F64X2_ABS = 0xec;
export const F64X2_SUB = 0xf1;
export const F32X4_CONVERT_I32X4_S = 0xfa;
export const F64X2_CONVERT_LOW_I32X4_S = 0xfe;

/**
 * As `moduleImportingMemory`, for bodies built by `CodeBuilder` (without the final `end`), copied into the
 * module with `Uint8Array.set`. Every function is exported by name.
 */
export function moduleImportingMemoryFromBodies(
  types: readonly number[][],
  functions: ReadonlyArray<{ name: string; type: number; locals: ReadonlyArray<readonly [number, number]>; body: Uint8Array }>,
): Uint8Array {
  const sectionOf = (id: number, content: number[]): number[] => [id, ...unsignedLeb(content.length), ...content];
  const heads = functions.map((f) => {
    const locals = vector(f.locals.map(([count, type]) => [...unsignedLeb(count), type]));
    return [...unsignedLeb(locals.length + f.body.length + 1), ...locals];
  });
  const codeBytes = heads.reduce((sum, head, i) => sum + head.length + functions[i]!.body.length + 1, 0);
  const front = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...sectionOf(1, vector(types as number[][])),
    ...sectionOf(2, vector([[...name("env"), ...name("memory"), 0x02, 0x00, 0x01]])),
    ...sectionOf(3, vector(functions.map((f) => unsignedLeb(f.type)))),
    ...sectionOf(7, vector(functions.map((f, i) => [...name(f.name), 0x00, ...unsignedLeb(i)]))),
    10,
    ...unsignedLeb(unsignedLeb(functions.length).length + codeBytes),
    ...unsignedLeb(functions.length),
  ];
  const module = new Uint8Array(front.length + codeBytes);
  module.set(front);
  let at = front.length;
  functions.forEach((f, i) => {
    module.set(heads[i]!, at);
    at += heads[i]!.length;
    module.set(f.body, at);
    at += f.body.length;
    module[at++] = END;
  });
  return module;
}
