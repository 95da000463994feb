/**
 * Logarithms rounded to float32 in batches, bit-identical to `Math.fround(Math.log(x))` and
 * `Math.fround(Math.log10(x))` for every x, at a fraction of their cost (each `Math.log*` is a call into
 * fdlibm; per-frame log compressions make ~100 of them per STFT frame).
 *
 * Method: x = 2^e * m with m in [1, 2) (e and m read from the bits of the stored doubles, one pass after the
 * arguments were written, so no store-to-load stall), m = c_j (1 + r) with c_j = 1 + j/256 the start of m's
 * bucket (0 <= r < 2^-8; c_0 = 1 exactly, so arguments near 1 keep their relative accuracy), and
 * ln x = e ln 2 + ln c_j + log1p(r), log1p by its Taylor series to r^7 (truncation < 2^-60 relative). That
 * double y is within a few 1e-16 of the true value, as is fdlibm's (< 1 ulp). When every double within a
 * safe margin of y (|y| 2^-40 + 2^-50, far above both errors) rounds to the same float32, that float32 is
 * also the rounding of Math.log*(x); otherwise (y within ~1e-12 of a float32 rounding boundary: a few
 * values in 100,000), and for zero, negative, subnormal, infinite or NaN arguments, Math.log* itself is used.
 */

import { createBandLogsKernel, type BandLogsKernel, type LogTables } from "./band-logs-wasm.js";

/** Mantissa buckets: 256, indexed by the top 8 mantissa bits. */
const BUCKET_BITS = 8;
const BUCKETS = 1 << BUCKET_BITS;
/** 1 / c_j rounded, and ln of the exact reciprocal of that stored value (so m / c_j = 1 + r as computed). */
const INVERSE = new Float64Array(BUCKETS);
const LOG_C = new Float64Array(BUCKETS);
for (let j = 0; j < BUCKETS; j++) {
  INVERSE[j] = 1 / (1 + j / BUCKETS);
  LOG_C[j] = j === 0 ? 0 : -Math.log(INVERSE[j]!);
}
/** 2^-(field - 1023) for every biased exponent field 1 .. 2046 of a normal double (scales x to m exactly). */
const SCALE = new Float64Array(2047);
for (let field = 1; field < 2047; field++) SCALE[field] = Math.pow(2, 1023 - field);
const LN2 = Math.LN2;
const LOG10_E = Math.LOG10E;
const RELATIVE_MARGIN = Math.pow(2, -40);
const ABSOLUTE_MARGIN = Math.pow(2, -50);
/** Index of the high 32-bit word (sign, exponent, top of the mantissa) of a double in a Uint32Array view. */
const HIGH_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
/** The tables and constants, as the WebAssembly kernel receives them. */
export const FAST_LOG_TABLES: LogTables = {
  scale: SCALE,
  inverse: INVERSE,
  logC: LOG_C,
  ln2: LN2,
  relativeMargin: RELATIVE_MARGIN,
  absoluteMargin: ABSOLUTE_MARGIN,
};

/** Options of `Float32LogBatch`. */
export interface Float32LogBatchOptions {
  /** Use the WebAssembly kernel when the runtime has it (default true); false forces the JavaScript loop. */
  readonly wasm?: boolean;
}

/**
 * A batch of logarithm arguments and the code that takes their logarithms to float32: the same method in
 * WebAssembly (`band-logs-wasm.ts`, the same results) where available, else in JavaScript. Allocates its
 * argument array once; `log10` and `ln` are allocation-free.
 */
export class Float32LogBatch {
  /** Write the arguments here (`args[0 .. count)`), then call `log10` or `ln`. */
  readonly args: Float64Array;
  private readonly words: Uint32Array;
  private readonly kernel: BandLogsKernel | null;
  /** `kernel.results` of the last batch's length (made once per length, not per call). */
  private resultsView: Float32Array = new Float32Array(0);

  /**
   * @param capacity the most arguments per batch (integer >= 1).
   * @param options `wasm: false` forces the JavaScript loop.
   */
  constructor(capacity: number, options: Float32LogBatchOptions = {}) {
    const size = Math.max(1, capacity);
    this.kernel = options.wasm === false ? null : createBandLogsKernel(undefined, 0, false, size, FAST_LOG_TABLES);
    this.args = this.kernel?.args ?? new Float64Array(size);
    this.words = new Uint32Array(this.args.buffer, this.args.byteOffset, 2 * size);
  }

  /** True when the WebAssembly kernel takes the logarithms. */
  get accelerated(): boolean {
    return this.kernel !== null;
  }

  /**
   * `out[outOffset + i] = Math.fround(Math.log10(args[i]))` for i < count, exactly.
   * @param count 0 .. args.length
   */
  log10(count: number, out: Float32Array, outOffset = 0): void {
    this.run(count, out, outOffset, true);
  }

  /**
   * `out[outOffset + i] = Math.fround(Math.log(args[i]))` for i < count, exactly.
   * @param count 0 .. args.length
   */
  ln(count: number, out: Float32Array, outOffset = 0): void {
    this.run(count, out, outOffset, false);
  }

  private run(count: number, out: Float32Array, outOffset: number, decimal: boolean): void {
    const args = this.args;
    const kernel = this.kernel;
    if (kernel !== null) {
      const fallbacks = kernel.logs(count, decimal ? LOG10_E : 1);
      if (this.resultsView.length !== count) this.resultsView = kernel.results.subarray(0, count);
      out.set(this.resultsView, outOffset);
      const positions = kernel.fallbacks;
      for (let k = 0; k < fallbacks; k++) {
        const i = positions[k]!;
        out[outOffset + i] = decimal ? Math.log10(args[i]!) : Math.log(args[i]!);
      }
      return;
    }
    const words = this.words;
    const factor = decimal ? LOG10_E : 1;
    for (let i = 0; i < count; i++) {
      const x = args[i]!;
      const high = words[2 * i + HIGH_WORD]!;
      // biased exponent with the sign bit above it: 1 .. 2046 only for positive normal finite x
      const field = high >>> 20;
      let value = Number.NaN;
      if (field >= 1 && field <= 2046) {
        const bucket = (high >>> (20 - BUCKET_BITS)) & (BUCKETS - 1);
        const r = x * SCALE[field]! * INVERSE[bucket]! - 1;
        const log1p = r * (1 - r * (1 / 2 - r * (1 / 3 - r * (1 / 4 - r * (1 / 5 - r * (1 / 6 - r * (1 / 7)))))));
        const y = ((field - 1023) * LN2 + LOG_C[bucket]! + log1p) * factor;
        const margin = (y < 0 ? -y : y) * RELATIVE_MARGIN + ABSOLUTE_MARGIN;
        const low = Math.fround(y - margin);
        if (low === Math.fround(y + margin)) value = low;
      }
      out[outOffset + i] = value === value ? value : decimal ? Math.log10(x) : Math.log(x);
    }
  }
}
