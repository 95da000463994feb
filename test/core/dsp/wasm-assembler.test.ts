import { describe, it, expect } from "vitest";
import {
  BLOCK,
  CodeBuilder,
  compileWasm,
  END,
  funcType,
  I32,
  I32_ADD,
  I32_LOAD,
  I32_STORE,
  I64,
  I64_SHR_S,
  I32_WRAP_I64,
  moduleImportingMemoryFromBodies,
  VOID,
  wasmApi,
} from "../../../src/core/dsp/wasm-assembler.js";

type Exports = Record<string, (...args: number[]) => number>;

function instantiate(module: Uint8Array): { exports: Exports; memory: { buffer: ArrayBuffer } } {
  const wasm = wasmApi()!;
  const compiled = compileWasm(module);
  expect(compiled).not.toBeNull();
  const memory = new wasm.Memory({ initial: 1 });
  return { exports: new wasm.Instance(compiled!, { env: { memory } }).exports as Exports, memory };
}

describe("CodeBuilder and moduleImportingMemoryFromBodies", () => {
  it("encodes i32 and i64 constants across the LEB128 byte boundaries exactly", () => {
    const values = [0, 1, -1, 63, 64, -64, -65, 127, 128, 8191, 8192, -8193, 2 ** 31 - 1, -(2 ** 31), 0xff00ff00 | 0];
    const functions = values.map((v, i) => ({ name: `c${i}`, type: 0, locals: [], body: new CodeBuilder().i32(v).bytes }));
    // i64 constants, shifted down 32 and back: the sign extension of the int32 value
    functions.push({ name: "wide", type: 0, locals: [], body: new CodeBuilder().i64(-5).i64(1).op(I64_SHR_S).op(I32_WRAP_I64).bytes });
    const { exports } = instantiate(moduleImportingMemoryFromBodies([funcType([], [I32])], functions));
    values.forEach((v, i) => expect(exports[`c${i}`]!()).toBe(v));
    expect(exports["wide"]!()).toBe(-3); // -5 >> 1 (arithmetic)
  });
  it("addresses locals past 127, memory offsets past 127 and br_table cases", () => {
    // f(x): locals 0..199 (x is local 0), local 150 = x + 1, stored at byte 4 * 40 + 300 and loaded back
    const body = new CodeBuilder().get(0).i32(1).op(I32_ADD).set(150);
    body.i32(160).get(150).memory(I32_STORE, 300).i32(160).memory(I32_LOAD, 300);
    // g(x): switch (x) { case 0: 10; case 1: 20; default: 30 }
    const g = new CodeBuilder();
    g.op(BLOCK).op(VOID).op(BLOCK).op(VOID).op(BLOCK).op(VOID).op(BLOCK).op(VOID);
    g.get(0).brTable([0, 1], 2);
    g.op(END).i32(10).set(1).br(2);
    g.op(END).i32(20).set(1).br(1);
    g.op(END).i32(30).set(1);
    g.op(END).get(1);
    const { exports, memory } = instantiate(
      moduleImportingMemoryFromBodies(
        [funcType([I32], [I32])],
        [
          { name: "f", type: 0, locals: [[199, I32], [1, I64]], body: body.bytes },
          { name: "g", type: 0, locals: [[1, I32]], body: g.bytes },
        ],
      ),
    );
    expect(exports["f"]!(41)).toBe(42);
    expect(new Int32Array(memory.buffer, 460, 1)[0]).toBe(42);
    expect([0, 1, 2, 7].map((x) => exports["g"]!(x))).toEqual([10, 20, 30, 30]);
  });
  it("grows its buffer past the initial 4 KiB without losing bytes", () => {
    const body = new CodeBuilder().i32(0);
    for (let i = 0; i < 3000; i++) body.i32(1).op(I32_ADD); // 3 bytes each: ~9 KB
    const { exports } = instantiate(moduleImportingMemoryFromBodies([funcType([], [I32])], [{ name: "count", type: 0, locals: [], body: body.bytes }]));
    expect(exports["count"]!()).toBe(3000);
  });
});
