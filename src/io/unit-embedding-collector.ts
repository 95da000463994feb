/**
 * Streaming side of unit embeddings: keeps the recent mono signal at the model's rate, cuts out each
 * unit as the segmenter closes it, and runs the embedder on batches of units. Memory is bounded by the
 * segmenter's latency (the longest unit) plus one batch of unit slices (each at most `maxSpanSamples`).
 */

import type { UnitRange } from "./onnx-embedder.js"; // a type only: onnxruntime is not loaded here

/** What the collector needs of an embedder (`UnitEmbedder` in `onnx-embedder.ts` satisfies it). */
export interface UnitEmbedderPort {
  /** Rate the mono input must be at. */
  readonly sampleRateHz: number;
  /** Length of one unit vector. */
  readonly size: number;
  /** The longest stretch of a unit the model looks at (from its start), in samples at `sampleRateHz`. */
  readonly maxUnitSamples: number;
  /** Units carry their descriptors (a model with a unit head needs them; others ignore them). */
  embedUnits(mono: Float32Array, units: ReadonlyArray<UnitRange>): Promise<Float32Array[]>;
}

/** Units gathered before a batch runs: 64 units. */
export const EMBED_BATCH_UNITS = 64;

const NO_SAMPLES = new Float32Array(0);
/** Smallest batch buffer: 16384 samples (0.74 s at 22.05 kHz). */
const MIN_BATCH_SAMPLES = 1 << 14;
/**
 * Batch buffers no collector uses any more, kept for the next ones (per thread): a batch holds megabytes
 * (up to 64 units of `maxUnitSamples`), and a fresh array per file costs its page faults every time.
 * At most `MAX_IDLE_BATCH_BUFFERS`, the largest kept.
 */
const IDLE_BATCH_BUFFERS: Float32Array<ArrayBuffer>[] = [];
const MAX_IDLE_BATCH_BUFFERS = 2;

function takeBatchBuffer(minLength: number): Float32Array<ArrayBuffer> {
  const index = IDLE_BATCH_BUFFERS.findIndex((buffer) => buffer.length >= minLength);
  return index >= 0 ? IDLE_BATCH_BUFFERS.splice(index, 1)[0]! : new Float32Array(minLength);
}

function giveBatchBuffer(buffer: Float32Array<ArrayBuffer>): void {
  if (buffer.length === 0) return;
  if (IDLE_BATCH_BUFFERS.length < MAX_IDLE_BATCH_BUFFERS) {
    IDLE_BATCH_BUFFERS.push(buffer);
    return;
  }
  let smallest = 0;
  for (let i = 1; i < IDLE_BATCH_BUFFERS.length; i++) if (IDLE_BATCH_BUFFERS[i]!.length < IDLE_BATCH_BUFFERS[smallest]!.length) smallest = i;
  if (IDLE_BATCH_BUFFERS[smallest]!.length < buffer.length) IDLE_BATCH_BUFFERS[smallest] = buffer;
}

/** First size of a collector's signal buffer: 65536 samples (3 s at 22.05 kHz). */
const INITIAL_SIGNAL_SAMPLES = 1 << 16;
/**
 * Signal buffers of finished collectors, kept for the next ones (per thread): a fresh 256 KiB array per
 * file costs its zeroing and page faults every time. At most `MAX_IDLE_SIGNAL_BUFFERS`.
 */
const IDLE_SIGNAL_BUFFERS: Float32Array[] = [];
const MAX_IDLE_SIGNAL_BUFFERS = 2;

export class UnitEmbeddingCollector {
  /** Samples `[base, base + length)` of the stream. */
  private buffer = IDLE_SIGNAL_BUFFERS.pop() ?? new Float32Array(INITIAL_SIGNAL_SAMPLES);
  private base = 0;
  private length = 0;
  /** Samples before this position are no longer needed (the last closed unit ended there). */
  private keepFrom = 0;
  /** Units waiting for a batch: index, and their samples' span in `pendingSamples`. */
  private readonly pending: (UnitRange & { unitIndex: number })[] = [];
  /** The pending units' samples, one after the other (`pendingLength` used): the batch's signal. */
  private pendingSamples: Float32Array<ArrayBuffer> = NO_SAMPLES;
  private pendingLength = 0;
  private readonly results: (Float32Array | null)[] = [];

  constructor(private readonly embedder: UnitEmbedderPort) {}

  /** Units waiting for a batch. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /** Appends `samples[0 .. count)` (mono, at the embedder's rate). */
  push(samples: Float32Array, count: number): void {
    const drop = Math.min(this.length, Math.max(0, this.keepFrom - this.base));
    if (drop > 0 && this.length + count > this.buffer.length) {
      this.buffer.copyWithin(0, drop, this.length);
      this.base += drop;
      this.length -= drop;
    }
    if (this.length + count > this.buffer.length) {
      let size = Math.max(this.buffer.length, INITIAL_SIGNAL_SAMPLES);
      while (size < this.length + count) size *= 2;
      const grown = new Float32Array(size);
      grown.set(this.buffer.subarray(0, this.length));
      this.buffer = grown;
    }
    this.buffer.set(samples.subarray(0, count), this.length);
    this.length += count;
  }

  /**
   * Records a closed unit `[startSample, endSample)` (stream positions at the embedder's rate) and its
   * analysis descriptors (for a model with a unit head). Silent units get no embedding (null). Units must
   * arrive in order, their samples already pushed.
   */
  addUnit(unitIndex: number, startSample: number, endSample: number, silent: boolean, descriptors?: Float32Array): void {
    this.results[unitIndex] = null;
    this.keepFrom = Math.max(this.keepFrom, endSample);
    if (silent) return;
    const from = Math.max(startSample, this.base);
    const to = Math.min(endSample, from + this.embedder.maxUnitSamples, this.base + this.length);
    const count = Math.max(0, to - from);
    const start = this.pendingLength;
    if (start + count > this.pendingSamples.length) {
      let size = Math.max(this.pendingSamples.length, MIN_BATCH_SAMPLES);
      while (size < start + count) size *= 2;
      const grown = takeBatchBuffer(size);
      grown.set(this.pendingSamples.subarray(0, start));
      giveBatchBuffer(this.pendingSamples);
      this.pendingSamples = grown;
    }
    if (count > 0) this.pendingSamples.set(this.buffer.subarray(from - this.base, to - this.base), start);
    this.pendingLength = start + count;
    this.pending.push({ unitIndex, startSample: start, endSample: start + count, ...(descriptors ? { descriptors } : {}) });
  }

  /** Embeds the pending units (one batch call). */
  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending.splice(0, this.pending.length);
    // the batch's samples must stay intact until the embedder is done: units added meanwhile go elsewhere
    const full = this.pendingSamples;
    const mono = full.subarray(0, this.pendingLength);
    this.pendingSamples = NO_SAMPLES;
    this.pendingLength = 0;
    let vectors: Float32Array[];
    try {
      vectors = await this.embedder.embedUnits(mono, batch);
    } finally {
      giveBatchBuffer(full);
    }
    batch.forEach((unit, i) => {
      this.results[unit.unitIndex] = vectors[i] ?? null;
    });
  }

  /**
   * Flushes and returns one embedding (or null for silent units) per unit index seen. The collector is
   * done afterwards (its signal buffer goes to the next collector of this thread).
   */
  async finish(unitCount: number): Promise<(Float32Array | null)[]> {
    await this.flush();
    if (this.buffer.length > 0 && IDLE_SIGNAL_BUFFERS.length < MAX_IDLE_SIGNAL_BUFFERS) IDLE_SIGNAL_BUFFERS.push(this.buffer);
    this.buffer = NO_SAMPLES;
    this.base = 0;
    this.length = 0;
    return Array.from({ length: unitCount }, (_, i) => this.results[i] ?? null);
  }
}
