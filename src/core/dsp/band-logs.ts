/**
 * Log-compressed band sums of a spectrum: `fround(log(alpha * sum_b + beta))` for every band `b` of a bank
 * whose bands are contiguous runs of bins, `sum_b = sum_i w_b[i] * x[start_b + i]` (or `x^2`: power from
 * magnitudes) added in bin order in double precision. The per-frame core of SuperFlux novelty (`log10(λ X +
 * 1)`) and of log-mel front ends (`ln(mel + offset)`).
 *
 * Two implementations with the same results: WebAssembly SIMD (`band-logs-wasm.ts`) where available, else
 * JavaScript (the band loop here and `Float32LogBatch`). Each band's sum takes the same steps in both, and
 * both logarithms give exactly `Math.fround(Math.log*(...))`.
 */
import { createBandLogsKernel, type BandLogsKernel, type ContiguousBank } from "./band-logs-wasm.js";
import { FAST_LOG_TABLES, Float32LogBatch } from "./fast-log.js";
import { ParameterError } from "../errors.js";

export type { ContiguousBank } from "./band-logs-wasm.js";

/** Options of `BandLogs`. */
export interface BandLogsOptions {
  /** Sum `w * x * x` (a power spectrum from magnitudes) instead of `w * x`. */
  readonly square: boolean;
  /** Use WebAssembly when the runtime has it (default true); false forces JavaScript. */
  readonly wasm?: boolean;
}

/**
 * Allocates its buffers (and WebAssembly memory) once; `log10` and `ln` are allocation-free.
 */
export class BandLogs {
  readonly bandCount: number;
  readonly binCount: number;
  /** Write each frame's spectrum here (`binCount` values) before `log10` / `ln`. */
  readonly spectrum: Float32Array;
  private readonly bank: ContiguousBank;
  private readonly square: boolean;
  private readonly kernel: BandLogsKernel | null;
  /** JavaScript path: the sums, then their logarithms. */
  private readonly batch: Float32LogBatch | null;
  /** `kernel.results` of the bands (made once). */
  private readonly results: Float32Array;

  /**
   * @param bank the bands (read once: the tables are copied)
   * @param binCount spectrum length; every band must end inside it
   * @throws ParameterError when a band reaches past `binCount`
   */
  constructor(bank: ContiguousBank, binCount: number, options: BandLogsOptions) {
    this.bandCount = bank.starts.length;
    this.binCount = binCount;
    for (let b = 0; b < this.bandCount; b++) {
      if (!(bank.starts[b]! >= 0 && bank.lengths[b]! >= 0 && bank.starts[b]! + bank.lengths[b]! <= binCount)) {
        throw new ParameterError(`BandLogs: band ${b} (bins ${bank.starts[b]} + ${bank.lengths[b]}) reaches past the ${binCount}-bin spectrum`);
      }
    }
    this.square = options.square;
    this.kernel = options.wasm === false ? null : createBandLogsKernel(bank, binCount, options.square, this.bandCount, FAST_LOG_TABLES);
    if (this.kernel !== null) {
      this.bank = bank;
      this.batch = null;
      this.spectrum = this.kernel.spectrum;
      this.results = this.kernel.results.subarray(0, this.bandCount);
    } else {
      this.bank = {
        starts: Int32Array.from(bank.starts),
        lengths: Int32Array.from(bank.lengths),
        offsets: Int32Array.from(bank.offsets),
        weights: Float64Array.from(bank.weights),
      };
      this.batch = new Float32LogBatch(this.bandCount, { wasm: false });
      this.spectrum = new Float32Array(binCount);
      this.results = new Float32Array(0);
    }
  }

  /** True when WebAssembly does the work. */
  get accelerated(): boolean {
    return this.kernel !== null;
  }

  /** `out[outOffset + b] = Math.fround(Math.log10(alpha * sum_b + beta))` of `spectrum`, exactly. */
  log10(alpha: number, beta: number, out: Float32Array, outOffset = 0): void {
    this.run(alpha, beta, out, outOffset, true);
  }

  /** `out[outOffset + b] = Math.fround(Math.log(alpha * sum_b + beta))` of `spectrum`, exactly. */
  ln(alpha: number, beta: number, out: Float32Array, outOffset = 0): void {
    this.run(alpha, beta, out, outOffset, false);
  }

  private run(alpha: number, beta: number, out: Float32Array, outOffset: number, decimal: boolean): void {
    const kernel = this.kernel;
    if (kernel === null) {
      const batch = this.batch!;
      this.sumsJs(batch.args, alpha, beta);
      if (decimal) batch.log10(this.bandCount, out, outOffset);
      else batch.ln(this.bandCount, out, outOffset);
      return;
    }
    kernel.sums(alpha, beta);
    const fallbacks = kernel.logs(this.bandCount, decimal ? Math.LOG10E : 1);
    out.set(this.results, outOffset);
    const positions = kernel.fallbacks;
    const args = kernel.args;
    for (let k = 0; k < fallbacks; k++) {
      const b = positions[k]!;
      out[outOffset + b] = decimal ? Math.log10(args[b]!) : Math.log(args[b]!);
    }
  }

  /** `args[b] = alpha * sum_b + beta`, each band's terms in bin order, two bands at a time (two dependency chains). */
  private sumsJs(args: Float64Array, alpha: number, beta: number): void {
    const { starts, lengths, offsets, weights } = this.bank;
    const x = this.spectrum;
    const bands = this.bandCount;
    const square = this.square;
    let b = 0;
    for (; b + 1 < bands; b += 2) {
      const start0 = starts[b]!;
      const length0 = lengths[b]!;
      const offset0 = offsets[b]!;
      const start1 = starts[b + 1]!;
      const length1 = lengths[b + 1]!;
      const offset1 = offsets[b + 1]!;
      const common = length0 < length1 ? length0 : length1;
      let sum0 = 0;
      let sum1 = 0;
      let i = 0;
      if (square) {
        for (; i < common; i++) {
          const a0 = x[start0 + i]!;
          const a1 = x[start1 + i]!;
          sum0 += weights[offset0 + i]! * (a0 * a0);
          sum1 += weights[offset1 + i]! * (a1 * a1);
        }
        for (let j = i; j < length0; j++) sum0 += weights[offset0 + j]! * (x[start0 + j]! * x[start0 + j]!);
        for (let j = i; j < length1; j++) sum1 += weights[offset1 + j]! * (x[start1 + j]! * x[start1 + j]!);
      } else {
        for (; i < common; i++) {
          sum0 += weights[offset0 + i]! * x[start0 + i]!;
          sum1 += weights[offset1 + i]! * x[start1 + i]!;
        }
        for (let j = i; j < length0; j++) sum0 += weights[offset0 + j]! * x[start0 + j]!;
        for (let j = i; j < length1; j++) sum1 += weights[offset1 + j]! * x[start1 + j]!;
      }
      args[b] = alpha * sum0 + beta;
      args[b + 1] = alpha * sum1 + beta;
    }
    if (b < bands) {
      const start = starts[b]!;
      const length = lengths[b]!;
      const offset = offsets[b]!;
      let sum = 0;
      for (let i = 0; i < length; i++) sum += weights[offset + i]! * (square ? x[start + i]! * x[start + i]! : x[start + i]!);
      args[b] = alpha * sum + beta;
    }
  }
}
