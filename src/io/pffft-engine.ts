/**
 * The PFFFT real FFT (Julien Pommier, BSD; `@echogarden/pffft-wasm`), compiled to WebAssembly with SIMD,
 * as a `RealFftEngine` for `RealFft`. About 3x faster than fft.js for 1024 points on this project's
 * benchmark machine. It lives at the edge because it reads the `.wasm` file; the core receives it as an
 * injected engine factory and falls back to fft.js without it.
 *
 * The module is instantiated synchronously (WebAssembly.Module/Instance), once per thread.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { RealFftEngine, RealFftEngineFactory } from "../core/dsp/fft.js";
import { createSpectrumKernels, SPECTRUM_KERNEL_STEP, type SpectrumKernels } from "../core/dsp/spectrum-simd.js";

/** The slice of the WebAssembly JS API used here (no DOM lib; @types/node does not declare the global). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
}
declare const WebAssembly: WasmApi;

interface PffftExports {
  readonly d: WasmMemory;
  readonly e: () => void; // __wasm_call_ctors
  readonly f: (bytes: number) => number; // pffft_aligned_malloc
  readonly k: (size: number, transform: number) => number; // pffft_new_setup(N, PFFFT_REAL = 0)
  readonly p: (setup: number, input: number, output: number, work: number, direction: number) => void; // pffft_transform_ordered
}

const PFFFT_REAL = 0;
const PFFFT_FORWARD = 0;
const PFFFT_BACKWARD = 1;
/** PFFFT needs N to be a multiple of 32 for real transforms (SIMD width 4 x 16, see pffft.h). */
const PFFFT_MIN_SIZE = 32;

let cached: PffftModule | null | undefined;

function instantiate(): PffftModule | null {
  if (cached !== undefined) return cached;
  try {
    const require = createRequire(import.meta.url);
    const gluePath = require.resolve("@echogarden/pffft-wasm/simd");
    let bytes = readFileSync(join(dirname(gluePath), "pffft.wasm"));
    if (!WebAssembly.validate(bytes)) {
      bytes = readFileSync(join(dirname(require.resolve("@echogarden/pffft-wasm")), "pffft.wasm"));
    }
    const holder: { exports?: PffftExports } = {};
    const heap = (): Uint8Array => new Uint8Array(holder.exports!.d.buffer);
    const imports = {
      a: {
        a: () => {
          throw new Error("pffft: assertion failed");
        },
        b: (requestedBytes: number) => {
          const memory = holder.exports!.d;
          const pages = Math.ceil((requestedBytes - memory.buffer.byteLength) / 65536);
          try {
            memory.grow(pages);
            return 1;
          } catch {
            return 0;
          }
        },
        c: (dest: number, src: number, count: number) => heap().copyWithin(dest, src, src + count),
      },
    };
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), imports);
    const exports = instance.exports as unknown as PffftExports;
    holder.exports = exports;
    exports.e();
    cached = { exports, views: new HeapViews(exports.d), kernels: createSpectrumKernels(exports.d), engines: new Map() };
  } catch {
    cached = null;
  }
  return cached;
}

/** Float32 and float64 views of the module's memory, replaced when the memory grows (growing detaches the old buffer). */
class HeapViews {
  f32: Float32Array;
  f64: Float64Array;
  constructor(private readonly memory: WasmMemory) {
    this.f32 = new Float32Array(memory.buffer);
    this.f64 = new Float64Array(memory.buffer);
  }

  /** The float32 view, refreshed if the memory grew (a detached view has length 0). */
  current(): Float32Array {
    if (this.f32.length === 0) {
      this.f32 = new Float32Array(this.memory.buffer);
      this.f64 = new Float64Array(this.memory.buffer);
    }
    return this.f32;
  }
}

interface PffftModule {
  readonly exports: PffftExports;
  readonly views: HeapViews;
  /** SIMD windowing / magnitude kernels on the same memory; null without WebAssembly SIMD (JS loops then). */
  readonly kernels: SpectrumKernels | null;
  /**
   * One engine per transform size, shared by every `RealFft` of the thread: an engine holds no state
   * between calls (calls never interleave), and its WebAssembly buffers are never freed, so engines made
   * per file would grow the module's memory without bound while indexing.
   */
  readonly engines: Map<number, PffftEngine>;
}

/** Windows whose values an engine keeps in its memory at once (the analysis uses two per size). */
const WINDOW_SLOTS = 4;

class PffftEngine implements RealFftEngine {
  private readonly wasm: PffftExports;
  private readonly views: HeapViews;
  private readonly kernels: SpectrumKernels | null;
  private readonly setup: number;
  private readonly inputPtr: number;
  private readonly outputPtr: number;
  private readonly workPtr: number;
  /** size / 2 float32 magnitudes written by the kernel. */
  private readonly magnitudePtr: number;
  /** Room for `WINDOW_SLOTS` float64 windows of `size` values. */
  private readonly windowPtrs: number[] = [];
  /** The window whose values sit in each slot (windows are constant tables: cached by identity). */
  private readonly windowSources: (Float32Array | Float64Array | null)[] = [];
  /** Slot to overwrite on the next miss (round robin). */
  private nextWindowSlot = 0;
  /**
   * Views of the module's memory and of the last spectrum given to `inverse`, made once instead of per
   * call (a subarray is an object: one per frame was most of the analysis's young garbage). Rebuilt when
   * the memory grows (a new heap) or the caller's array changes.
   */
  private viewHeap: Float32Array | null = null;
  private magnitudeView: Float32Array = new Float32Array(0);
  private outputTailView: Float32Array = new Float32Array(0);
  private spectrumSource: ArrayLike<number> | null = null;
  private spectrumTailView: Float32Array | Float64Array = new Float32Array(0);

  constructor(
    module: PffftModule,
    readonly size: number,
  ) {
    this.wasm = module.exports;
    this.views = module.views;
    this.kernels = module.kernels;
    const wasm = this.wasm;
    this.setup = wasm.k(size, PFFFT_REAL);
    if (this.setup === 0) throw new Error(`pffft: no setup for size ${size}`);
    this.inputPtr = wasm.f(size * 4);
    this.outputPtr = wasm.f(size * 4);
    this.workPtr = wasm.f(size * 4);
    this.magnitudePtr = wasm.f(size * 2);
    for (let slot = 0; slot < WINDOW_SLOTS; slot++) {
      this.windowPtrs.push(wasm.f(size * 8));
      this.windowSources.push(null);
    }
  }

  /** Makes the memory views again when `heap` is not the one they were made on. */
  private viewsOn(heap: Float32Array): void {
    if (this.viewHeap === heap) return;
    this.viewHeap = heap;
    const o = this.outputPtr >> 2;
    const m = this.magnitudePtr >> 2;
    this.outputTailView = heap.subarray(o + 2, o + this.size);
    this.magnitudeView = heap.subarray(m, m + (this.size >> 1));
  }

  /** Byte offset of `window`'s values in the module's memory, copying them to a slot on first use. */
  private windowPointer(window: Float32Array | Float64Array, heap: Float32Array): number {
    const sources = this.windowSources;
    for (let slot = 0; slot < WINDOW_SLOTS; slot++) if (sources[slot] === window) return this.windowPtrs[slot]!;
    const slot = this.nextWindowSlot;
    this.nextWindowSlot = (slot + 1) % WINDOW_SLOTS;
    const pointer = this.windowPtrs[slot]!;
    if (window instanceof Float64Array) this.views.f64.set(window, pointer >> 3);
    else heap.set(window, pointer >> 2);
    sources[slot] = window;
    return pointer;
  }

  /** Copies the first `count` values of `input` to the transform's input buffer. */
  private copyIn(heap: Float32Array, input: ArrayLike<number>, count: number): void {
    const inBase = this.inputPtr >> 2;
    if (input instanceof Float32Array || input instanceof Float64Array) {
      heap.set(input.length === count ? input : input.subarray(0, count), inBase);
    } else {
      for (let i = 0; i < count; i++) heap[inBase + i] = input[i]!;
    }
  }

  private transform(direction: number): void {
    this.wasm.p(this.setup, this.inputPtr, this.outputPtr, this.workPtr, direction);
  }

  forward(input: ArrayLike<number>, out: Float32Array | Float64Array): void {
    const heap = this.views.current();
    const n = this.size;
    this.copyIn(heap, input, n);
    this.transform(PFFFT_FORWARD);
    const o = this.outputPtr >> 2;
    // ordered real output: [X0.re, X(N/2).re, X1.re, X1.im, ...]
    out[0] = heap[o]!;
    out[1] = 0;
    this.viewsOn(heap);
    out.set(this.outputTailView, 2);
    out[n] = heap[o + 1]!;
    out[n + 1] = 0;
  }

  amplitude(input: ArrayLike<number>, out: Float32Array): void {
    const heap = this.views.current();
    this.copyIn(heap, input, this.size);
    this.transform(PFFFT_FORWARD);
    this.magnitudes(heap, out);
  }

  windowedAmplitude(input: Float32Array, window: Float32Array | Float64Array, out: Float32Array): void {
    const heap = this.views.current();
    const n = this.size;
    const length = window.length;
    const inBase = this.inputPtr >> 2;
    this.copyIn(heap, input, length);
    const kernels = this.kernels;
    let done = 0;
    if (kernels !== null) {
      const pointer = this.windowPointer(window, heap);
      done = length - (length % SPECTRUM_KERNEL_STEP);
      if (window instanceof Float64Array) kernels.window64(this.inputPtr, pointer, this.inputPtr, done);
      else kernels.window32(this.inputPtr, pointer, this.inputPtr, done);
    }
    for (let i = done; i < length; i++) heap[inBase + i] = heap[inBase + i]! * window[i]!;
    if (length < n) heap.fill(0, inBase + length, inBase + n);
    this.transform(PFFFT_FORWARD);
    this.magnitudes(heap, out);
  }

  /** |X_k| for k < out.length from the transform's output (after `transform`). */
  private magnitudes(heap: Float32Array, out: Float32Array): void {
    const o = this.outputPtr >> 2;
    const bins = out.length;
    const half = this.size >> 1;
    const last = bins > half ? half : bins;
    if (this.kernels !== null) {
      // pair 0 holds (X0.re, X(N/2).re): its "modulus" is overwritten below
      this.kernels.magnitude(this.outputPtr, this.magnitudePtr, half);
      this.viewsOn(heap);
      if (last === half) out.set(this.magnitudeView);
      else out.set(this.magnitudeView.subarray(0, last));
    } else {
      for (let k = 1; k < last; k++) {
        const re = heap[o + 2 * k]!;
        const im = heap[o + 2 * k + 1]!;
        out[k] = Math.sqrt(re * re + im * im);
      }
    }
    out[0] = Math.abs(heap[o]!);
    if (bins > half) out[half] = Math.abs(heap[o + 1]!);
  }

  inverse(spectrum: ArrayLike<number>, outSignal: Float32Array | Float64Array): void {
    const heap = this.views.current();
    const n = this.size;
    const inBase = this.inputPtr >> 2;
    heap[inBase] = spectrum[0]!;
    heap[inBase + 1] = spectrum[n]!;
    if (spectrum instanceof Float32Array || spectrum instanceof Float64Array) {
      if (this.spectrumSource !== spectrum || this.spectrumTailView.length !== n - 2) {
        this.spectrumSource = spectrum;
        this.spectrumTailView = spectrum.subarray(2, n);
      }
      heap.set(this.spectrumTailView, inBase + 2);
    } else {
      for (let i = 2; i < n; i++) heap[inBase + i] = spectrum[i]!;
    }
    this.transform(PFFFT_BACKWARD);
    const o = this.outputPtr >> 2;
    const scale = 1 / n; // PFFFT's backward transform is unnormalised
    for (let i = 0; i < n; i++) outSignal[i] = heap[o + i]! * scale;
  }
}

/**
 * A factory of PFFFT engines, or `undefined` when WebAssembly (SIMD or plain) cannot be loaded here:
 * callers then keep the fft.js path. Engines are shared per size within a thread (they keep no state
 * between calls), so asking for one per file costs nothing and leaks no WebAssembly memory.
 */
export function pffftEngineFactory(): RealFftEngineFactory | undefined {
  const wasm = instantiate();
  if (!wasm) return undefined;
  return (size: number) => {
    if (!(size >= PFFFT_MIN_SIZE && size % PFFFT_MIN_SIZE === 0)) return undefined;
    let engine = wasm.engines.get(size);
    if (engine === undefined) {
      engine = new PffftEngine(wasm, size);
      wasm.engines.set(size, engine);
    }
    return engine;
  };
}
