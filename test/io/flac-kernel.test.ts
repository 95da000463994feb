import { describe, it, expect } from "vitest";
import { createFlacKernel, flacKernelLayout, FLAC_KERNEL_COEFS, type FlacKernel } from "../../src/io/flac-kernel.js";
import { seededRandom } from "./helpers/pcm-builders.js";

/** MSB-first bit writer for hand-made subframes. */
class Bits {
  readonly bytes: number[] = [];
  private acc = 0;
  private count = 0;
  put(value: number, bits: number): this {
    for (let b = bits - 1; b >= 0; b--) {
      this.acc = (this.acc << 1) | (Math.floor(value / 2 ** b) & 1);
      if (++this.count === 8) {
        this.bytes.push(this.acc);
        this.acc = 0;
        this.count = 0;
      }
    }
    return this;
  }
  signed(value: number, bits: number): this {
    return this.put(value < 0 ? value + 2 ** bits : value, bits);
  }
  unary(zeros: number): this {
    for (let i = 0; i < zeros; i++) this.put(0, 1);
    return this.put(1, 1);
  }
  /** One Rice-coded residual value with parameter k (zigzag, quotient in unary, k low bits). */
  rice(value: number, k: number): this {
    const folded = value >= 0 ? 2 * value : -2 * value - 1;
    this.unary(Math.floor(folded / 2 ** k));
    return k > 0 ? this.put(folded % 2 ** k, k) : this;
  }
  /** Bits written so far. */
  get length(): number {
    return this.bytes.length * 8 + this.count;
  }
  /** The bytes, the last one padded with zeros. */
  finish(): Uint8Array {
    const out = [...this.bytes];
    if (this.count > 0) out.push(this.acc << (8 - this.count));
    return Uint8Array.from(out);
  }
}

const BLOCK = 4608;
const INPUT_BYTES = 1 << 20;

function kernel(): FlacKernel {
  const k = createFlacKernel(flacKernelLayout(BLOCK, 2, BLOCK, INPUT_BYTES));
  if (k === null) throw new Error("no WebAssembly");
  return k;
}

/** Decodes `bytes` (the subframes after a frame header) as one mono frame; returns the result and channel 0. */
function decodeMono(k: FlacKernel, bytes: Uint8Array, frames: number, bps: number, end = bytes.length + 8): { read: number; samples: Int32Array } {
  const layout = k.layout;
  new Uint8Array(k.memory.buffer, layout.input, bytes.length).set(bytes);
  const read = k.decodeFrame(layout.input, layout.input + end, 0, frames, bps);
  return { read: read > 0 ? read - layout.input : -(-read - layout.input), samples: new Int32Array(k.memory.buffer, layout.work, frames).slice() };
}

/** A FIXED order-0 subframe (samples = residual) whose residual is `partitions`, each `[k, values]` (k 15/31: escape with raw bits). */
function fixedOrder0(partitions: ReadonlyArray<readonly [number, readonly number[], number?]>, method: 0 | 1): Bits {
  const w = new Bits().put(0, 1).put(8, 6).put(0, 1); // FIXED, order 0, no wasted bits
  w.put(method, 2).put(Math.log2(partitions.length), 4);
  const escape = method === 0 ? 15 : 31;
  for (const [k, values, rawBits] of partitions) {
    w.put(k, method === 0 ? 4 : 5);
    if (k === escape) {
      w.put(rawBits!, 5);
      for (const v of values) w.signed(v, rawBits!);
    } else {
      for (const v of values) w.rice(v, k);
    }
  }
  return w;
}

describe("FLAC kernel: residuals (Rice, escape) by known answer", () => {
  it("decodes Rice codes of known values for every parameter 0-14 (4-bit parameters), sign and magnitude", () => {
    const k = kernel();
    for (let param = 0; param <= 14; param++) {
      const values = [0, 1, -1, 2, -2, 5, -8, 100, -100, 2 ** param, -(2 ** param) - 1, 3 * 2 ** param + 7, 0, 0, -3, 7];
      const w = fixedOrder0([[param, values]], 0);
      const { read, samples } = decodeMono(k, w.finish(), values.length, 16);
      expect(Array.from(samples)).toEqual(values);
      expect(read).toBe(Math.ceil(w.length / 8)); // consumed up to the last bit, rounded up
    }
  });
  it("k = 0: each value is its quotient alone (unary), runs of zeros and long quotients included", () => {
    const values = [0, 0, 0, 0, -1, 1, -50, 50, 0, 200, -200, 0];
    const { samples } = decodeMono(kernel(), fixedOrder0([[0, values]], 0).finish(), values.length, 16);
    expect(Array.from(samples)).toEqual(values);
  });
  it("decodes large residuals: quotients past the 64-bit cache, and 5-bit parameters up to 30 (the wide path)", () => {
    const k = kernel();
    const random = seededRandom(3);
    // k = 2 with values up to +-400: quotients up to 400 zeros, far past one refill
    const long = Array.from({ length: 64 }, () => Math.round((random() - 0.5) * 800));
    expect(Array.from(decodeMono(k, fixedOrder0([[2, long]], 0).finish(), long.length, 16).samples)).toEqual(long);
    for (const param of [20, 24, 25, 28, 30]) {
      const values = Array.from({ length: 32 }, (_, i) => Math.round((random() - 0.5) * 2 ** Math.min(param + 3, 31)) + (i % 3) - 1);
      values[0] = 2 ** 30 - 1;
      values[1] = -(2 ** 30);
      const { samples } = decodeMono(k, fixedOrder0([[param, values]], 1).finish(), values.length, 24);
      expect(Array.from(samples), `k = ${param}`).toEqual(values);
    }
  });
  it("decodes escape partitions (raw two's complement, 0-31 bits) between Rice partitions", () => {
    const k = kernel();
    const partitions: Array<[number, number[], number?]> = [
      [3, [1, -2, 3, -4]],
      [15, [0, 0, 0, 0], 0], // 0 raw bits: zeros, no bits read
      [15, [-(2 ** 30), 2 ** 30 - 1, -1, 0], 31],
      [15, [-8, 7, 0, -1], 4],
    ];
    const { samples } = decodeMono(k, fixedOrder0(partitions, 0).finish(), 16, 16);
    expect(Array.from(samples)).toEqual(partitions.flatMap(([, v]) => v));
    const wide: Array<[number, number[], number?]> = [
      [31, [5, -6], 8],
      [26, [2 ** 29, -(2 ** 29)]],
    ];
    expect(Array.from(decodeMono(k, fixedOrder0(wide, 1).finish(), 4, 16).samples)).toEqual([5, -6, 2 ** 29, -(2 ** 29)]);
  });
  it("reports a malformed subframe with the offset where reading stopped, and traps when the input runs out", () => {
    const k = kernel();
    // a reserved subframe type (2): malformed after the 8 header bits
    expect(decodeMono(k, new Bits().put(0, 1).put(2, 6).put(0, 1).put(0, 32).finish(), 16, 16).read).toBe(-1);
    // a residual coding method of 2 (reserved): malformed after header (8 bits) + method (2 bits)
    expect(decodeMono(k, new Bits().put(0x10, 8).put(2, 2).put(0, 30).finish(), 16, 16).read).toBe(-2);
    // 4096 values cannot fit in 16 bytes: the reader gives up (trap) and says it ran out of input
    const values = new Array<number>(4096).fill(1000);
    const bytes = fixedOrder0([[2, values]], 0).finish();
    expect(() => decodeMono(k, bytes, values.length, 16, 16)).toThrow();
    expect(k.ranOut()).toBe(true);
    decodeMono(k, bytes, values.length, 16); // the whole frame: no trap, the flag is cleared
    expect(k.ranOut()).toBe(false);
  });
});

/** The TypeScript LPC restore the kernel replaced (float64 fallback), as the reference. */
function referenceLpc(s: Int32Array, res: Int32Array, frames: number, order: number, coefs: readonly number[], shift: number, bits: number): void {
  let inRange = shift + bits <= 32;
  if (inRange) {
    const half = 2 ** (bits - 1);
    let outside = 0;
    for (let i = order; i < frames; i++) {
      let sum = 0;
      for (let j = 0; j < order; j++) sum = (sum + Math.imul(coefs[j]!, s[i - 1 - j]!)) | 0;
      const value = (res[i]! + (sum >> shift)) | 0;
      s[i] = value;
      outside |= (value + half) >>> bits;
    }
    inRange = outside === 0;
  }
  if (inRange) return;
  for (let i = order; i < frames; i++) {
    let sum = 0;
    for (let j = 0; j < order; j++) sum += coefs[j]! * s[i - 1 - j]!;
    s[i] = res[i]! + Math.floor(sum / 2 ** shift);
  }
}

/** Runs the kernel's restoreLpc on copies of `s` (warm-up in s[0, order)) and `res`; returns the samples. */
function kernelLpc(k: FlacKernel, s: Int32Array, res: Int32Array, order: number, coefs: readonly number[], shift: number, bits: number): Int32Array {
  const { layout, memory } = k;
  new Int32Array(memory.buffer, FLAC_KERNEL_COEFS, coefs.length).set(coefs);
  new Int32Array(memory.buffer, layout.work, s.length).set(s);
  new Int32Array(memory.buffer, layout.residual, res.length).set(res);
  k.restoreLpc(layout.work, layout.residual, s.length, order, shift, bits);
  return new Int32Array(memory.buffer, layout.work, s.length).slice();
}

describe("FLAC kernel: prediction by known answer", () => {
  it("restores an LPC-coded sine exactly (order 2 resonator: s[i] = 2 cos(w) s[i-1] - s[i-2], 14-bit coefficients)", () => {
    const k = kernel();
    const frames = 1000;
    const shift = 13;
    const coefs = [Math.round(2 * Math.cos(0.05) * 2 ** shift), -(2 ** shift)];
    // the signal the predictor implies from two warm-up samples and a zero residual, computed in floats
    const want = new Int32Array(frames);
    want[0] = 10000;
    want[1] = 9990;
    for (let i = 2; i < frames; i++) want[i] = Math.floor((coefs[0]! * want[i - 1]! + coefs[1]! * want[i - 2]!) / 2 ** shift);
    const s = new Int32Array(frames);
    s.set(want.subarray(0, 2));
    expect(kernelLpc(k, s, new Int32Array(frames), 2, coefs, shift, 16)).toEqual(want);
    // a known residual adds sample by sample: here a single impulse of 100 at frame 500 changes all later samples
    const res = new Int32Array(frames);
    res[500] = 100;
    const got = kernelLpc(k, s, res, 2, coefs, shift, 16);
    expect(Array.from(got.subarray(0, 500))).toEqual(Array.from(want.subarray(0, 500)));
    expect(got[500]).toBe(want[500]! + 100);
  });
  it("falls back to exact sums when the 32-bit sum overflows while the samples stay in range", () => {
    const k = kernel();
    // order 3, shift 15, 17-bit samples near the top of the range: 3 x 16383 x 65535 > 2^31 overflows 32 bits
    const frames = 64;
    const coefs = [16383, 16383, 16383];
    expect(3 * 16383 * 65535).toBeGreaterThan(2 ** 31 - 1);
    const want = new Int32Array(frames);
    const res = new Int32Array(frames);
    for (let i = 0; i < frames; i++) {
      want[i] = 65535 - (i % 7);
      if (i >= 3) res[i] = want[i]! - Math.floor((coefs[0]! * want[i - 1]! + coefs[1]! * want[i - 2]! + coefs[2]! * want[i - 3]!) / 2 ** 15);
    }
    const s = new Int32Array(frames);
    s.set(want.subarray(0, 3));
    // the 32-bit path would be off by 2^17 (leaving the 17-bit range): the exact redo gives the signal back
    expect(kernelLpc(k, s, res, 3, coefs, 15, 17)).toEqual(want);
    const ref = Int32Array.from(s);
    referenceLpc(ref, res, frames, 3, coefs, 15, 17);
    expect(ref).toEqual(want);
  });
  it("matches the reference bit for bit for every order 1-32, in range, overflowing and with shift + bits > 32", () => {
    const k = kernel();
    const random = seededRandom(11);
    for (let order = 1; order <= 32; order++) {
      for (const [bits, shift, precision, residualBits] of [
        [16, 12, 14, 4], // ordinary: small residuals, stays in range
        [17, 15, 15, 17], // large residuals and coefficients: leaves the range, exact fallback
        [25, 15, 15, 25], // shift + bits > 32: exact path directly
        [24, 0, 15, 31], // garbage: values wrap in 32 bits
      ] as const) {
        const frames = 300;
        const coefs = Array.from({ length: order }, () => Math.floor((random() - 0.5) * 2 ** precision));
        const s = new Int32Array(frames);
        for (let i = 0; i < order; i++) s[i] = Math.floor((random() - 0.5) * 2 ** bits);
        const res = Int32Array.from({ length: frames }, () => Math.floor((random() - 0.5) * 2 ** residualBits));
        const want = Int32Array.from(s);
        referenceLpc(want, res, frames, order, coefs, shift, bits);
        expect(kernelLpc(k, s, res, order, coefs, shift, bits), `order ${order}, ${bits} bits, shift ${shift}`).toEqual(want);
      }
    }
  });
  it("restores fixed predictors of orders 0-4 (a cubic polynomial, and 32-bit wrap-around)", () => {
    const k = kernel();
    const { layout, memory } = k;
    const frames = 50;
    const poly = Int32Array.from({ length: frames }, (_, i) => 3 * i * i * i - 40 * i * i + 7 * i - 1000);
    for (let order = 0; order <= 4; order++) {
      // residual of the order-n predictor = n-th difference
      let diff = Array.from(poly);
      const residual = Int32Array.from(poly);
      for (let n = 0; n < order; n++) diff = diff.map((v, i) => (i === 0 ? v : v - diff[i - 1]!));
      for (let i = order; i < frames; i++) residual[i] = diff[i]!;
      new Int32Array(memory.buffer, layout.work, frames).set(residual);
      k.restoreFixed(layout.work, frames, order);
      expect(new Int32Array(memory.buffer, layout.work, frames).slice(), `order ${order}`).toEqual(poly);
    }
    // 32-bit wrap-around, as the Int32Array stores of the TypeScript decoder
    const s = Int32Array.from([2 ** 31 - 1, 2 ** 31 - 1, 5]);
    new Int32Array(memory.buffer, layout.work, 3).set(s);
    k.restoreFixed(layout.work, 3, 2);
    expect(new Int32Array(memory.buffer, layout.work, 3)[2]).toBe((5 + 2 * (2 ** 31 - 1) - (2 ** 31 - 1)) | 0);
  });
});

describe("FLAC kernel: CRC-16 and output", () => {
  it("computes the CRC-16 of FLAC frames (CRC-16/BUYPASS: '123456789' -> 0xFEE8), any length and alignment", () => {
    const k = kernel();
    const { layout, memory } = k;
    const input = new Uint8Array(memory.buffer, layout.input, 4096);
    input.set(Array.from("123456789", (c) => c.charCodeAt(0)), 3);
    expect(k.crc16(layout.input + 3, layout.input + 12)).toBe(0xfee8);
    // against a bitwise CRC over random bytes of every length 0-100
    const random = seededRandom(5);
    for (let i = 0; i < 200; i++) input[i] = Math.floor(random() * 256);
    for (let length = 0; length <= 100; length++) {
      let crc = 0;
      for (let i = 0; i < length; i++) {
        crc ^= input[7 + i]! << 8;
        for (let b = 0; b < 8; b++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x8005) & 0xffff : (crc << 1) & 0xffff;
      }
      expect(k.crc16(layout.input + 7, layout.input + 7 + length), `length ${length}`).toBe(crc);
    }
  });
  it("writes sample / 2^(bps-1), undoing each stereo mode exactly (sums beyond 32 bits included)", () => {
    const k = kernel();
    const { layout, memory } = k;
    const frames = 37; // not a multiple of 4: SIMD steps and the scalar rest
    const random = seededRandom(9);
    const a = Int32Array.from({ length: frames }, () => Math.floor((random() - 0.5) * 2 ** 24));
    const b = Int32Array.from({ length: frames }, () => Math.floor((random() - 0.5) * 2 ** 25));
    a[0] = 2 ** 31 - 1; // left - side and side + right leave the 32-bit range
    b[0] = -(2 ** 31);
    a[1] = -(2 ** 31);
    b[1] = -(2 ** 31);
    const bps = 24;
    const scale = 1 / 2 ** (bps - 1);
    const expected: Record<number, [(i: number) => number, (i: number) => number]> = {
      1: [(i) => a[i]! * scale, (i) => b[i]! * scale],
      8: [(i) => a[i]! * scale, (i) => (a[i]! - b[i]!) * scale],
      9: [(i) => (a[i]! + b[i]!) * scale, (i) => b[i]! * scale],
      10: [(i) => ((((a[i]! << 1) | (b[i]! & 1)) + b[i]!) >> 1) * scale, (i) => ((((a[i]! << 1) | (b[i]! & 1)) - b[i]!) >> 1) * scale],
    };
    for (const code of [1, 8, 9, 10]) {
      new Int32Array(memory.buffer, layout.work, frames).set(a);
      new Int32Array(memory.buffer, layout.work + layout.workStride, frames).set(b);
      k.emit(code, 2, frames, 5, scale);
      for (let c = 0; c < 2; c++) {
        const got = new Float32Array(memory.buffer, layout.output + c * layout.outputStride + 5 * 4, frames);
        const want = Float32Array.from({ length: frames }, (_, i) => expected[code]![c]!(i));
        expect(got, `channel code ${code}, channel ${c}`).toEqual(want);
      }
    }
  });
});
