/**
 * Streaming band-limited sample-rate conversion: a Kaiser-windowed sinc evaluated as a polyphase filter
 * (Smith, "Digital Audio Resampling", ccrma.stanford.edu/~jos/resample; the design formulas are Kaiser's,
 * as in Oppenheim & Schafer 7.6).
 *
 * Timing is exact: output sample n is the band-limited input evaluated at input time `n * in / out` (the
 * filter is centred on that instant, so there is no group delay to compensate), the first output is at
 * input time 0, and a whole stream of L input samples gives `round(L * out / in)` outputs. Samples before
 * the stream's start and after its end count as zero.
 *
 * Paths: equal rates copy. A ratio of exactly 2:1 is a halfband filter: the cutoff sits at a quarter of the
 * input rate, so every even tap but the centre is zero; the history is kept split into even and odd
 * samples and only the odd taps are multiplied. Any other ratio with a reduced fraction `out/in = L/M`
 * small enough uses a table of L polyphase rows; larger fractions interpolate linearly between 1024 rows.
 * When the input rate is at least 4x the output rate, cheap wide-transition 2:1 halfband stages run first.
 * The dot products run in a WebAssembly SIMD kernel (`fir-simd.ts`) where available, else in JS.
 */

import { ParameterError } from "../errors.js";
import { createPolyphaseKernel, KERNEL_TAP_MULTIPLE, type AddCentreKernel, type PolyphaseKernel, type SplitKernel } from "./fir-simd.js";

/** Resampler quality: "high" (default) for analysis and rendering, "fast" for previews. */
export type ResampleQuality = "fast" | "high";

/** Options of {@link StreamingResampler}. */
export interface ResamplerOptions {
  /**
   * "high" (default): flat within 0.01 dB to 0.915 x the lower Nyquist, >= 80 dB stopband from 1.085 x.
   * "fast": flat to 0.8 x, >= 60 dB from 1.2 x.
   */
  readonly quality?: ResampleQuality;
  /** Use the WebAssembly SIMD kernel when the runtime has it (default true); false forces the JS loops. */
  readonly simd?: boolean;
}

interface FilterSpec {
  /** Passband edge as a fraction of the lower of the two Nyquist frequencies. */
  readonly passbandFraction: number;
  /** Stopband edge as a fraction of the lower Nyquist; the cutoff sits halfway, at the Nyquist. */
  readonly stopbandFraction: number;
  /** Design stopband attenuation in dB (Kaiser's formulas are approximate: a few dB of margin). */
  readonly attenuationDb: number;
}

const FILTER_SPECS: Record<ResampleQuality, FilterSpec> = {
  high: { passbandFraction: 0.915, stopbandFraction: 1.085, attenuationDb: 86 },
  fast: { passbandFraction: 0.8, stopbandFraction: 1.2, attenuationDb: 62 },
};

/**
 * Pre-decimation stage (rate r -> r/2, used while r >= 4 x the output rate): passes the final passband,
 * rejects only what would alias below the final stopband edge. Its transition is wide, so it is short.
 */
const PRE_STAGE_ATTENUATION_DB: Record<ResampleQuality, number> = { high: 90, fast: 66 };

/** Largest polyphase table (rows x taps) built for an exact rational ratio; beyond it rows are interpolated. */
const MAX_EXACT_TABLE_ENTRIES = 1 << 20;
/** Rows of the interpolated table (phase resolution 1/1024 of an input sample). */
const INTERPOLATED_PHASES = 1024;
/** Input samples copied into a stage's history per step. */
const BLOCK_SAMPLES = 4096;

function gcd(a: number, b: number): number {
  while (b !== 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/** Zeroth-order modified Bessel function of the first kind (power series). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const quarterSquare = (x * x) / 4;
  for (let k = 1; k < 200; k++) {
    term *= quarterSquare / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

/** A Kaiser-windowed sinc lowpass h(t), t in input samples, zero for |t| >= halfWidth. */
class KaiserSinc {
  readonly halfWidth: number;
  /** Identifies the kernel's values (cutoff, attenuation, half-width: the shape `at` evaluates). */
  readonly key: string;
  private readonly cutoff: number;
  private readonly beta: number;
  private readonly i0Beta: number;

  /**
   * @param cutoffCyclesPerSample -6 dB point, in cycles per input sample
   * @param transitionCyclesPerSample transition width (pass edge to stop edge), cycles per input sample
   * @param attenuationDb stopband attenuation
   * @param halfWidthMultiple the half-width is rounded up to a multiple of this
   * @param minHalfWidth lower bound of the half-width
   */
  constructor(
    cutoffCyclesPerSample: number,
    transitionCyclesPerSample: number,
    attenuationDb: number,
    halfWidthMultiple: number,
    minHalfWidth: number,
  ) {
    // Kaiser: span N - 1 = (A - 7.95) / (2.285 * transition width in rad/sample); beta for A > 50 dB
    const span = (attenuationDb - 7.95) / (2.285 * 2 * Math.PI * transitionCyclesPerSample);
    this.halfWidth = halfWidthMultiple * Math.ceil(Math.max(span / 2, minHalfWidth) / halfWidthMultiple);
    this.cutoff = cutoffCyclesPerSample;
    this.beta = 0.1102 * (attenuationDb - 8.7);
    this.i0Beta = besselI0(this.beta);
    this.key = `${cutoffCyclesPerSample}|${attenuationDb}|${this.halfWidth}`;
  }

  at(t: number): number {
    if (Math.abs(t) >= this.halfWidth) return 0;
    const x = 2 * this.cutoff * t;
    const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
    const w = t / this.halfWidth;
    return 2 * this.cutoff * sinc * (besselI0(this.beta * Math.sqrt(1 - w * w)) / this.i0Beta);
  }
}

/**
 * Polyphase tables already built, by kernel and phase grid: a file at a common rate needs the same table
 * as the one before it, and building one evaluates the Kaiser window (a Bessel series) rows x taps times
 * (milliseconds for 48 -> 22.05 kHz). At most `MAX_CACHED_TABLES` are kept (oldest dropped first).
 */
const TABLE_CACHE = new Map<string, Float32Array>();
const MAX_CACHED_TABLES = 16;

/**
 * The table of a polyphase stage: `rows` rows of `2 * halfWidth` taps, row r the kernel at phase
 * r / phaseCount, each row normalised to unity DC gain (removes the phase-dependent DC ripple of the
 * truncated kernel). Shared: callers copy it, never write to it.
 */
function polyphaseTable(kernelShape: KaiserSinc, up: number, rows: number, phaseCount: number): Float32Array {
  const key = `${kernelShape.key}|${up}|${rows}|${phaseCount}`;
  let table = TABLE_CACHE.get(key);
  if (table !== undefined) return table;
  const halfWidth = kernelShape.halfWidth;
  const taps = 2 * halfWidth;
  table = new Float32Array(rows * taps);
  const row = new Float64Array(taps);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let k = 0; k < taps; k++) {
      row[k] = kernelShape.at(r / phaseCount - (k - halfWidth + 1));
      sum += row[k]!;
    }
    for (let k = 0; k < taps; k++) table[r * taps + k] = row[k]! / sum;
  }
  if (TABLE_CACHE.size >= MAX_CACHED_TABLES) TABLE_CACHE.delete(TABLE_CACHE.keys().next().value!);
  TABLE_CACHE.set(key, table);
  return table;
}

const HALFBAND_CACHE = new Map<string, { odd: Float32Array; centre: number }>();

/**
 * A halfband kernel's odd taps `h(2j - R + 1)`, j < R, and centre tap `h(0)`, scaled to unity DC gain;
 * cached by kernel (shared: callers copy the taps, never write to them).
 */
function halfbandTaps(sinc: KaiserSinc): { odd: Float32Array; centre: number } {
  let taps = HALFBAND_CACHE.get(sinc.key);
  if (taps !== undefined) return taps;
  const halfWidth = sinc.halfWidth;
  const odd = new Float64Array(halfWidth);
  let sum = sinc.at(0);
  for (let j = 0; j < halfWidth; j++) {
    odd[j] = sinc.at(2 * j - halfWidth + 1);
    sum += odd[j]!;
  }
  taps = { odd: Float32Array.from(odd, (tap) => tap / sum), centre: sinc.at(0) / sum };
  if (HALFBAND_CACHE.size >= MAX_CACHED_TABLES) HALFBAND_CACHE.delete(HALFBAND_CACHE.keys().next().value!);
  HALFBAND_CACHE.set(sinc.key, taps);
  return taps;
}

/** What `StreamingResampler` needs of one stage (a ratio up/down in reduced integers). */
interface ResampleStage {
  readonly up: number;
  readonly down: number;
  readonly samplesIn: number;
  readonly samplesOut: number;
  /** Upper bound of outputs a flush can add. */
  readonly maxFlushOutput: number;
  /** Upper bound of outputs for `inputLength` more inputs: ceil(inputLength * up / down). */
  maxOutputFor(inputLength: number): number;
  /** Consumes input[inputOffset ..+ inputLength), writes the outputs now complete at output[outputOffset ..]. */
  process(input: Float32Array, inputOffset: number, inputLength: number, output: Float32Array, outputOffset: number): number;
  /** Emits outputs until `totalOutputs` in all, reading zeros past the end of the input. */
  flush(output: Float32Array, outputOffset: number, totalOutputs: number): number;
  reset(): void;
}

/**
 * One general stage, out/in = up/down (reduced). Output n is centred on input index floor(n * down / up)
 * plus the fraction phase / up, with phase = (n * down) mod up; it uses the 2R taps j = -R+1 .. R around
 * the centre, weighted by table row `phase`. Table, history and an output scratch live in one float32 heap
 * (WebAssembly memory when the SIMD kernel is used).
 */
class PolyphaseStage implements ResampleStage {
  readonly up: number;
  readonly down: number;
  /** Half-width R of the kernel in input samples (2R is a multiple of the kernel's tap group). */
  readonly halfWidth: number;
  /** Taps per output: 2R. */
  readonly taps: number;
  private readonly interpolated: boolean;
  private readonly heap: Float32Array;
  private readonly kernel: PolyphaseKernel | null;
  /** Float indices into `heap` (the table starts at 0). */
  private readonly historyOffset: number;
  private readonly historyCapacity: number;
  private readonly scratchOffset: number;
  private readonly scratchCapacity: number;
  private readonly stepWhole: number;
  private readonly stepPhase: number;
  private historyLength = 0;
  /** Absolute input index of the first history sample. */
  private historyStart = 0;
  private inputCount = 0;
  /** Next output's index n, its centre floor(n * down / up) and its phase (n * down) mod up. */
  private outputCount = 0;
  private centre = 0;
  private phase = 0;

  constructor(up: number, down: number, sinc: (minHalfWidth: number) => KaiserSinc, useSimd: boolean) {
    this.up = up;
    this.down = down;
    this.stepWhole = Math.floor(down / up);
    this.stepPhase = down % up;
    const kernelShape = sinc(this.stepWhole + 2);
    const halfWidth = kernelShape.halfWidth;
    this.halfWidth = halfWidth;
    this.taps = 2 * halfWidth;
    this.interpolated = up * this.taps > MAX_EXACT_TABLE_ENTRIES;
    const rows = this.interpolated ? INTERPOLATED_PHASES + 1 : up;
    this.historyOffset = rows * this.taps;
    this.historyCapacity = this.taps + BLOCK_SAMPLES;
    this.scratchOffset = this.historyOffset + this.historyCapacity;
    this.scratchCapacity = BLOCK_SAMPLES;
    const heapFloats = this.scratchOffset + this.scratchCapacity;
    const simd = useSimd && !this.interpolated ? createPolyphaseKernel(heapFloats) : null;
    this.kernel = simd === null ? null : simd.kernel;
    this.heap = simd === null ? new Float32Array(heapFloats) : simd.heap;

    this.heap.set(polyphaseTable(kernelShape, up, rows, this.interpolated ? INTERPOLATED_PHASES : up), 0);
    this.reset();
  }

  reset(): void {
    this.heap.fill(0, this.historyOffset, this.historyOffset + this.historyCapacity);
    // x[-R+1 .. -1] = 0: the first output (input time 0) sees silence before the stream
    this.historyLength = this.halfWidth - 1;
    this.historyStart = -(this.halfWidth - 1);
    this.inputCount = 0;
    this.outputCount = 0;
    this.centre = 0;
    this.phase = 0;
  }

  get samplesIn(): number {
    return this.inputCount;
  }

  get samplesOut(): number {
    return this.outputCount;
  }

  maxOutputFor(inputLength: number): number {
    return Math.floor((inputLength * this.up + this.down - 1) / this.down);
  }

  get maxFlushOutput(): number {
    return Math.floor((this.halfWidth * this.up + this.down - 1) / this.down) + 1;
  }

  process(input: Float32Array, inputOffset: number, inputLength: number, output: Float32Array, outputOffset: number): number {
    const heap = this.heap;
    let consumed = 0;
    let written = 0;
    while (consumed < inputLength) {
      const take = Math.min(inputLength - consumed, this.historyCapacity - this.historyLength);
      const to = this.historyOffset + this.historyLength;
      const from = inputOffset + consumed;
      for (let i = 0; i < take; i++) heap[to + i] = input[from + i]!;
      this.historyLength += take;
      consumed += take;
      written += this.drain(output, outputOffset + written, Number.POSITIVE_INFINITY);
      this.compact();
    }
    this.inputCount += inputLength;
    return written;
  }

  flush(output: Float32Array, outputOffset: number, totalOutputs: number): number {
    let written = 0;
    while (this.outputCount < totalOutputs) {
      // zeros up to the support of the last output still due
      const lastCentre = Math.floor(((totalOutputs - 1) * this.down) / this.up);
      const needed = lastCentre + this.halfWidth + 1 - (this.historyStart + this.historyLength);
      const take = Math.max(0, Math.min(needed, this.historyCapacity - this.historyLength));
      const to = this.historyOffset + this.historyLength;
      this.heap.fill(0, to, to + take);
      this.historyLength += take;
      written += this.drain(output, outputOffset + written, totalOutputs - this.outputCount);
      this.compact();
    }
    return written;
  }

  /** Computes every output whose support lies in the history (at most `limit`); returns how many. */
  private drain(output: Float32Array, outputOffset: number, limit: number): number {
    const end = this.historyStart + this.historyLength - this.halfWidth;
    if (this.centre >= end || limit <= 0) return 0;
    // outputs n with centre * up + phase + n * down < end * up
    const available = Math.floor(((end - this.centre) * this.up - this.phase + this.down - 1) / this.down);
    const count = Math.min(available, limit);
    const kernel = this.kernel;
    if (kernel === null) {
      this.drainJs(output, outputOffset, count);
    } else {
      const heap = this.heap;
      let done = 0;
      while (done < count) {
        const chunk = Math.min(count - done, this.scratchCapacity);
        const start = this.centre - this.halfWidth + 1 - this.historyStart;
        kernel(
          4 * this.historyOffset,
          0,
          this.taps,
          4 * this.scratchOffset,
          chunk,
          start,
          this.phase,
          this.stepWhole,
          this.stepPhase,
          this.up,
        );
        const from = this.scratchOffset;
        const to = outputOffset + done;
        for (let i = 0; i < chunk; i++) output[to + i] = heap[from + i]!;
        this.advance(chunk);
        done += chunk;
      }
    }
    this.outputCount += count;
    return count;
  }

  private advance(outputs: number): void {
    const delta = this.phase + outputs * this.down;
    this.centre += Math.floor(delta / this.up);
    this.phase = delta % this.up;
  }

  private drainJs(output: Float32Array, outputOffset: number, count: number): void {
    const heap = this.heap;
    const taps = this.taps;
    const up = this.up;
    const stepWhole = this.stepWhole;
    const stepPhase = this.stepPhase;
    let base = this.historyOffset + this.centre - this.halfWidth + 1 - this.historyStart;
    let phase = this.phase;
    for (let n = 0; n < count; n++) {
      let value: number;
      if (!this.interpolated) {
        value = dot(heap, phase * taps, base, taps);
      } else {
        const position = (phase / up) * INTERPOLATED_PHASES;
        const row = Math.floor(position);
        const weight = position - row;
        const a = dot(heap, row * taps, base, taps);
        const b = weight === 0 ? a : dot(heap, (row + 1) * taps, base, taps);
        value = a + weight * (b - a);
      }
      output[outputOffset + n] = value;
      base += stepWhole;
      phase += stepPhase;
      if (phase >= up) {
        phase -= up;
        base++;
      }
    }
    this.advance(count);
  }

  /** Drops history samples no future output needs. */
  private compact(): void {
    const keepFrom = this.centre - this.halfWidth + 1 - this.historyStart;
    if (keepFrom <= 0) return;
    const drop = Math.min(keepFrom, this.historyLength);
    const offset = this.historyOffset;
    this.heap.copyWithin(offset, offset + drop, offset + this.historyLength);
    this.historyLength -= drop;
    this.historyStart += drop;
  }
}

/**
 * A 2:1 decimator with a halfband kernel (cutoff at a quarter of the input rate): output n is centred on
 * input 2n and equals `h(0) x[2n] + sum_j g_j x[2n - R + 1 + 2j]`, the odd taps g_j = h(2j - R + 1),
 * j < R. The history is split by parity, so the kernel runs over R contiguous odd samples (half the taps
 * of the general stage) and the centre tap is added while copying out.
 */
class HalfbandStage implements ResampleStage {
  readonly up = 1;
  readonly down = 2;
  /** R: the odd taps span -(R-1) .. R-1 (R a multiple of the kernel's tap group). */
  readonly halfWidth: number;
  private readonly centreTap: number;
  private readonly heap: Float32Array;
  private readonly kernel: PolyphaseKernel | null;
  /** The parity split and centre-tap kernels on the same heap (with `kernel`). */
  private readonly split: SplitKernel | null;
  private readonly addCentre: AddCentreKernel | null;
  /** Float indices into `heap`: odd taps at 0, then odd history, even history, output scratch. */
  private readonly oddOffset: number;
  private readonly evenOffset: number;
  private readonly historyCapacity: number;
  private readonly scratchOffset: number;
  private readonly scratchCapacity: number;
  /** odd[k] = x[2k + 1], even[k] = x[2k]; the histories hold indices start .. start + length - 1. */
  private oddStart = 0;
  private oddLength = 0;
  private evenStart = 0;
  private evenLength = 0;
  /** Absolute index of the next sample to append (real input or flush padding). */
  private nextIndex = 0;
  private inputCount = 0;
  private outputCount = 0;

  constructor(sinc: KaiserSinc, useSimd: boolean) {
    const halfWidth = sinc.halfWidth;
    this.halfWidth = halfWidth;
    this.oddOffset = halfWidth;
    this.historyCapacity = halfWidth + BLOCK_SAMPLES / 2 + 1;
    this.evenOffset = this.oddOffset + this.historyCapacity;
    this.scratchOffset = this.evenOffset + this.historyCapacity;
    this.scratchCapacity = BLOCK_SAMPLES;
    const heapFloats = this.scratchOffset + this.scratchCapacity;
    const simd = useSimd ? createPolyphaseKernel(heapFloats) : null;
    this.kernel = simd === null ? null : simd.kernel;
    this.split = simd === null ? null : simd.split;
    this.addCentre = simd === null ? null : simd.addCentre;
    this.heap = simd === null ? new Float32Array(heapFloats) : simd.heap;
    const taps = halfbandTaps(sinc);
    this.centreTap = taps.centre;
    this.heap.set(taps.odd, 0);
    this.reset();
  }

  reset(): void {
    this.heap.fill(0, this.oddOffset, this.scratchOffset);
    // output 0 reads odd[-R/2 .. R/2 - 1]: the negative indices are the silence before the stream
    this.oddStart = -this.halfWidth / 2;
    this.oddLength = this.halfWidth / 2;
    this.evenStart = 0;
    this.evenLength = 0;
    this.nextIndex = 0;
    this.inputCount = 0;
    this.outputCount = 0;
  }

  get samplesIn(): number {
    return this.inputCount;
  }

  get samplesOut(): number {
    return this.outputCount;
  }

  maxOutputFor(inputLength: number): number {
    return Math.floor((inputLength + 1) / 2);
  }

  get maxFlushOutput(): number {
    return this.halfWidth / 2 + 1;
  }

  process(input: Float32Array, inputOffset: number, inputLength: number, output: Float32Array, outputOffset: number): number {
    let consumed = 0;
    let written = 0;
    while (consumed < inputLength) {
      const take = Math.min(inputLength - consumed, BLOCK_SAMPLES);
      this.append(input, inputOffset + consumed, take);
      consumed += take;
      written += this.drain(output, outputOffset + written, Number.POSITIVE_INFINITY);
      this.compact();
    }
    this.inputCount += inputLength;
    return written;
  }

  flush(output: Float32Array, outputOffset: number, totalOutputs: number): number {
    let written = 0;
    while (this.outputCount < totalOutputs) {
      // output n needs odd[n + R/2 - 1] = x[2n + R - 1]
      const lastNeeded = 2 * (totalOutputs - 1) + this.halfWidth - 1;
      const zeros = Math.max(0, Math.min(lastNeeded + 1 - this.nextIndex, BLOCK_SAMPLES));
      this.appendZeros(zeros);
      written += this.drain(output, outputOffset + written, totalOutputs - this.outputCount);
      this.compact();
    }
    return written;
  }

  private append(input: Float32Array, from: number, count: number): void {
    const heap = this.heap;
    let index = this.nextIndex;
    let odd = this.oddOffset + this.oddLength;
    let even = this.evenOffset + this.evenLength;
    let i = 0;
    if ((index & 1) === 1 && count > 0) {
      heap[odd++] = input[from]!;
      i = 1;
    }
    const split = this.split;
    const pairs = split === null ? 0 : ((count - i) >> 1) & ~3;
    if (pairs > 0) {
      // stage the samples in the scratch (free until `drain`), then split them by parity four pairs a step
      const staging = this.scratchOffset;
      heap.set(input.subarray(from + i, from + i + 2 * pairs), staging);
      split!(4 * staging, 4 * even, 4 * odd, pairs);
      even += pairs;
      odd += pairs;
      i += 2 * pairs;
    }
    for (; i + 1 < count; i += 2) {
      heap[even++] = input[from + i]!;
      heap[odd++] = input[from + i + 1]!;
    }
    if (i < count) heap[even++] = input[from + i]!;
    index += count;
    this.nextIndex = index;
    this.oddLength = odd - this.oddOffset;
    this.evenLength = even - this.evenOffset;
  }

  private appendZeros(count: number): void {
    const oddCount = (Math.floor((this.nextIndex + count) / 2)) - Math.floor(this.nextIndex / 2);
    const evenCount = count - oddCount;
    const odd = this.oddOffset + this.oddLength;
    const even = this.evenOffset + this.evenLength;
    this.heap.fill(0, odd, odd + oddCount);
    this.heap.fill(0, even, even + evenCount);
    this.oddLength += oddCount;
    this.evenLength += evenCount;
    this.nextIndex += count;
  }

  private drain(output: Float32Array, outputOffset: number, limit: number): number {
    const half = this.halfWidth / 2;
    const n0 = this.outputCount;
    // outputs n with odd[n + R/2 - 1] received
    const available = this.oddStart + this.oddLength - half + 1 - n0;
    const count = Math.min(available, limit);
    if (count <= 0) return 0;
    const heap = this.heap;
    const centreTap = this.centreTap;
    const kernel = this.kernel;
    let done = 0;
    while (done < count) {
      const chunk = Math.min(count - done, this.scratchCapacity);
      const n = n0 + done;
      const oddBase = this.oddOffset + n - half - this.oddStart;
      const even = this.evenOffset + n - this.evenStart;
      const to = outputOffset + done;
      if (kernel !== null) {
        const scratch = this.scratchOffset;
        kernel(4 * oddBase, 0, this.halfWidth, 4 * scratch, chunk, 0, 0, 1, 0, 1);
        const vectorised = this.addCentre === null ? 0 : chunk & ~3;
        if (vectorised > 0) {
          this.addCentre!(4 * scratch, 4 * even, vectorised, centreTap);
          output.set(heap.subarray(scratch, scratch + vectorised), to);
        }
        for (let i = vectorised; i < chunk; i++) output[to + i] = heap[scratch + i]! + centreTap * heap[even + i]!;
      } else {
        for (let i = 0; i < chunk; i++) output[to + i] = dot(heap, 0, oddBase + i, this.halfWidth) + centreTap * heap[even + i]!;
      }
      done += chunk;
    }
    this.outputCount = n0 + count;
    return count;
  }

  /** Drops history samples no future output needs: odd below n - R/2, even below n. */
  private compact(): void {
    const n = this.outputCount;
    const heap = this.heap;
    const dropOdd = Math.min(n - this.halfWidth / 2 - this.oddStart, this.oddLength);
    if (dropOdd > 0) {
      heap.copyWithin(this.oddOffset, this.oddOffset + dropOdd, this.oddOffset + this.oddLength);
      this.oddLength -= dropOdd;
      this.oddStart += dropOdd;
    }
    const dropEven = Math.min(n - this.evenStart, this.evenLength);
    if (dropEven > 0) {
      heap.copyWithin(this.evenOffset, this.evenOffset + dropEven, this.evenOffset + this.evenLength);
      this.evenLength -= dropEven;
      this.evenStart += dropEven;
    }
  }
}

/** sum_k heap[a + k] * heap[b + k], k < count, four accumulators to break the add dependency chain. */
function dot(heap: Float32Array, a: number, b: number, count: number): number {
  let acc0 = 0;
  let acc1 = 0;
  let acc2 = 0;
  let acc3 = 0;
  let k = 0;
  for (; k + 3 < count; k += 4) {
    acc0 += heap[a + k]! * heap[b + k]!;
    acc1 += heap[a + k + 1]! * heap[b + k + 1]!;
    acc2 += heap[a + k + 2]! * heap[b + k + 2]!;
    acc3 += heap[a + k + 3]! * heap[b + k + 3]!;
  }
  for (; k < count; k++) acc0 += heap[a + k]! * heap[b + k]!;
  return acc0 + acc1 + (acc2 + acc3);
}

export class StreamingResampler {
  readonly inputRateHz: number;
  readonly outputRateHz: number;
  readonly quality: ResampleQuality;
  /** out/in as a reduced fraction. */
  private readonly up: number;
  private readonly down: number;
  private readonly identity: boolean;
  /** Pre-decimation halfband stages (each 2:1), then the final stage. */
  private readonly stages: ResampleStage[];
  /** Intermediate buffers between stages (stage s writes scratch[s]). */
  private readonly scratch: Float32Array[];
  private inputCount = 0;
  private outputCount = 0;
  private finished = false;

  /**
   * @param inputRateHz input sample rate (integer Hz >= 1)
   * @param outputRateHz output sample rate (integer Hz >= 1)
   * @param options quality "high" (default) or "fast"
   * @throws ParameterError when a rate is not a positive integer or the quality is unknown
   */
  constructor(inputRateHz: number, outputRateHz: number, options?: ResamplerOptions) {
    for (const [name, rate] of [
      ["inputRateHz", inputRateHz],
      ["outputRateHz", outputRateHz],
    ] as const) {
      if (!Number.isInteger(rate) || rate < 1 || rate > 10_000_000) {
        throw new ParameterError(`${name} must be an integer between 1 and 10000000 Hz, got ${rate}`);
      }
    }
    const quality = options?.quality ?? "high";
    if (quality !== "high" && quality !== "fast") {
      throw new ParameterError(`quality must be "fast" or "high", got ${String(quality)}`);
    }
    const spec = FILTER_SPECS[quality];
    this.inputRateHz = inputRateHz;
    this.outputRateHz = outputRateHz;
    this.quality = quality;
    const divisor = gcd(inputRateHz, outputRateHz);
    this.up = outputRateHz / divisor;
    this.down = inputRateHz / divisor;
    this.identity = inputRateHz === outputRateHz;
    this.stages = [];
    this.scratch = [];
    if (this.identity) return;

    const useSimd = options?.simd ?? true;
    const lowNyquistHz = Math.min(inputRateHz, outputRateHz) / 2;
    const passbandHz = spec.passbandFraction * lowNyquistHz;
    const stopbandHz = spec.stopbandFraction * lowNyquistHz;
    let rateHz = inputRateHz;
    while (rateHz >= 4 * outputRateHz && rateHz % 2 === 0) {
      // rate -> rate/2 keeps 0..passband and removes rate/2 - stopband .. rate/2 + stopband
      // aliases of this stage's transition band must land above the final stopband edge
      const transitionHz = rateHz / 2 - 2 * stopbandHz;
      const sinc = new KaiserSinc(0.25, transitionHz / rateHz, PRE_STAGE_ATTENUATION_DB[quality], KERNEL_TAP_MULTIPLE, 2);
      this.stages.push(new HalfbandStage(sinc, useSimd));
      rateHz /= 2;
    }
    const finalDivisor = gcd(rateHz, outputRateHz);
    const up = outputRateHz / finalDivisor;
    const down = rateHz / finalDivisor;
    // the cutoff (-6 dB) sits at the lower Nyquist, halfway through the transition band
    const cutoff = lowNyquistHz / rateHz;
    const transition = (stopbandHz - passbandHz) / rateHz;
    if (up === 1 && down === 2) {
      this.stages.push(
        new HalfbandStage(new KaiserSinc(cutoff, transition, spec.attenuationDb, KERNEL_TAP_MULTIPLE, 2), useSimd),
      );
    } else {
      const sinc = (minHalfWidth: number): KaiserSinc =>
        new KaiserSinc(cutoff, transition, spec.attenuationDb, KERNEL_TAP_MULTIPLE / 2, minHalfWidth);
      this.stages.push(new PolyphaseStage(up, down, sinc, useSimd));
    }
    for (let s = 0; s + 1 < this.stages.length; s++) {
      const stage = this.stages[s]!;
      this.scratch.push(new Float32Array(stage.maxOutputFor(BLOCK_SAMPLES) + stage.maxFlushOutput));
    }
  }

  /**
   * Upper bound of the samples `process` writes for `inputLength` inputs; size output buffers with it.
   * @param inputLength number of input samples (integer >= 0)
   */
  maxOutputFor(inputLength: number): number {
    if (this.identity) return inputLength;
    // ceil(len * out / in), plus one per stage for the rounding of intermediate counts
    return Math.floor((inputLength * this.up + this.down - 1) / this.down) + this.stages.length;
  }

  /** Upper bound of the samples `flush` writes. */
  get maxFlushOutput(): number {
    if (this.identity) return 0;
    const last = this.stages[this.stages.length - 1]!;
    let bound = last.maxFlushOutput;
    // each earlier stage's tail passes through the later ones
    for (let s = this.stages.length - 2; s >= 0; s--) bound += this.stages[s]!.maxFlushOutput;
    return bound + 2;
  }

  /** Input samples consumed since construction or `reset()`. */
  get samplesIn(): number {
    return this.inputCount;
  }

  /** Output samples produced since construction or `reset()`. */
  get samplesOut(): number {
    return this.outputCount;
  }

  /**
   * Consumes `input[0 .. inputLength)` and writes the outputs that are now complete to `output` (from
   * index 0). Output lags input by the filter's half-width; `flush` delivers the rest. Allocation-free.
   * @param input input samples
   * @param inputLength how many to consume (0 .. input.length)
   * @param output receives up to `maxOutputFor(inputLength)` samples
   * @returns the number of samples written
   * @throws ParameterError when `inputLength` is out of range, `output` is shorter than
   *   `maxOutputFor(inputLength)`, or the stream was flushed (call `reset()`)
   */
  process(input: Float32Array, inputLength: number, output: Float32Array): number {
    if (this.finished) throw new ParameterError("StreamingResampler.process after flush: call reset() first");
    if (!Number.isInteger(inputLength) || inputLength < 0 || inputLength > input.length) {
      throw new ParameterError(`StreamingResampler.process: inputLength ${inputLength} is outside 0..${input.length}`);
    }
    if (output.length < this.maxOutputFor(inputLength)) {
      throw new ParameterError(
        `StreamingResampler.process: output holds ${output.length} samples, maxOutputFor(${inputLength}) = ${this.maxOutputFor(inputLength)}`,
      );
    }
    this.inputCount += inputLength;
    if (this.identity) {
      for (let i = 0; i < inputLength; i++) output[i] = input[i]!;
      this.outputCount += inputLength;
      return inputLength;
    }
    const stages = this.stages;
    const last = stages.length - 1;
    if (last === 0) {
      const written = stages[0]!.process(input, 0, inputLength, output, 0);
      this.outputCount += written;
      return written;
    }
    // multistage: feed the first stage in blocks so the intermediate buffers never overflow
    let written = 0;
    for (let offset = 0; offset < inputLength; offset += BLOCK_SAMPLES) {
      const count = Math.min(BLOCK_SAMPLES, inputLength - offset);
      let length = stages[0]!.process(input, offset, count, this.scratch[0]!, 0);
      for (let s = 1; s < last; s++) {
        length = stages[s]!.process(this.scratch[s - 1]!, 0, length, this.scratch[s]!, 0);
      }
      written += stages[last]!.process(this.scratch[last - 1]!, 0, length, output, written);
    }
    this.outputCount += written;
    return written;
  }

  /**
   * End of stream: writes the outputs still due, so that the stream holds `round(samplesIn * out / in)`
   * samples in all. Afterwards only `reset()` may be called (a second `flush` returns 0).
   * @param output receives up to `maxFlushOutput` samples
   * @returns the number of samples written
   * @throws ParameterError when `output` is shorter than `maxFlushOutput`
   */
  flush(output: Float32Array): number {
    if (this.finished) return 0;
    if (output.length < this.maxFlushOutput) {
      throw new ParameterError(
        `StreamingResampler.flush: output holds ${output.length} samples, maxFlushOutput = ${this.maxFlushOutput}`,
      );
    }
    this.finished = true;
    if (this.identity) return 0;
    // round(L * up / down) in integers: floor((2 L up + down) / (2 down))
    const total = Math.floor((2 * this.inputCount * this.up + this.down) / (2 * this.down));
    const stages = this.stages;
    const last = stages.length - 1;
    let written = 0;
    if (last > 0) {
      // flush each earlier stage through the later ones; each ends at its own round(L/2) count
      for (let s = 0; s < last; s++) {
        const stage = stages[s]!;
        const stageTotal = Math.floor((2 * stage.samplesIn * stage.up + stage.down) / (2 * stage.down));
        let length = stage.flush(this.scratch[s]!, 0, stageTotal);
        for (let t = s + 1; t < last; t++) {
          length = stages[t]!.process(this.scratch[t - 1]!, 0, length, this.scratch[t]!, 0);
        }
        written += stages[last]!.process(this.scratch[last - 1]!, 0, length, output, written);
      }
    }
    const remaining = Math.max(0, total - this.outputCount - written);
    written += stages[last]!.flush(output, written, stages[last]!.samplesOut + remaining);
    this.outputCount += written;
    return written;
  }

  /** Forgets the stream: the next `process` starts a new one at input time 0. */
  reset(): void {
    for (const stage of this.stages) stage.reset();
    this.inputCount = 0;
    this.outputCount = 0;
    this.finished = false;
  }
}

/**
 * Resamples a whole signal in one call (convenience over {@link StreamingResampler}).
 * @param input mono samples at `inputRateHz`
 * @param inputRateHz integer Hz >= 1
 * @param outputRateHz integer Hz >= 1
 * @returns `round(input.length * out / in)` samples at `outputRateHz`; a copy when the rates are equal
 * @throws ParameterError when a rate is invalid
 */
export function resampleAll(
  input: Float32Array,
  inputRateHz: number,
  outputRateHz: number,
  options?: ResamplerOptions,
): Float32Array {
  const resampler = new StreamingResampler(inputRateHz, outputRateHz, options);
  const output = new Float32Array(resampler.maxOutputFor(input.length) + resampler.maxFlushOutput);
  let length = resampler.process(input, input.length, output);
  length += resampler.flush(output.subarray(length));
  return output.slice(0, length);
}
