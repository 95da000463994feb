/**
 * Streaming side of unit embeddings: keeps the recent mono signal at the model's rate, cuts out each
 * unit as the segmenter closes it, and runs the embedder on batches of units. Memory is bounded by the
 * segmenter's latency (the longest unit) plus one batch of unit slices (each at most `maxSpanSamples`).
 */

/** What the collector needs of an embedder (`UnitEmbedder` in `onnx-embedder.ts` satisfies it). */
export interface UnitEmbedderPort {
  /** Rate the mono input must be at. */
  readonly sampleRateHz: number;
  /** Length of one unit vector. */
  readonly size: number;
  /** The longest stretch of a unit the model looks at (from its start), in samples at `sampleRateHz`. */
  readonly maxUnitSamples: number;
  embedUnits(mono: Float32Array, units: ReadonlyArray<{ startSample: number; endSample: number }>): Promise<Float32Array[]>;
}

/** Units gathered before a batch runs: 64 units. */
export const EMBED_BATCH_UNITS = 64;

export class UnitEmbeddingCollector {
  /** Samples `[base, base + length)` of the stream. */
  private buffer = new Float32Array(1 << 16);
  private base = 0;
  private length = 0;
  /** Samples before this position are no longer needed (the last closed unit ended there). */
  private keepFrom = 0;
  private readonly pending: { unitIndex: number; samples: Float32Array }[] = [];
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
      let size = this.buffer.length;
      while (size < this.length + count) size *= 2;
      const grown = new Float32Array(size);
      grown.set(this.buffer.subarray(0, this.length));
      this.buffer = grown;
    }
    this.buffer.set(samples.subarray(0, count), this.length);
    this.length += count;
  }

  /**
   * Records a closed unit `[startSample, endSample)` (stream positions at the embedder's rate). Silent
   * units get no embedding (null). Units must arrive in order, their samples already pushed.
   */
  addUnit(unitIndex: number, startSample: number, endSample: number, silent: boolean): void {
    this.results[unitIndex] = null;
    this.keepFrom = Math.max(this.keepFrom, endSample);
    if (silent) return;
    const from = Math.max(startSample, this.base);
    const to = Math.min(endSample, from + this.embedder.maxUnitSamples, this.base + this.length);
    const samples = new Float32Array(Math.max(0, to - from));
    samples.set(this.buffer.subarray(from - this.base, to - this.base));
    this.pending.push({ unitIndex, samples });
  }

  /** Embeds the pending units (one batch call). */
  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending.splice(0, this.pending.length);
    let total = 0;
    for (const unit of batch) total += unit.samples.length;
    const mono = new Float32Array(total);
    const spans: { startSample: number; endSample: number }[] = [];
    let offset = 0;
    for (const unit of batch) {
      mono.set(unit.samples, offset);
      spans.push({ startSample: offset, endSample: offset + unit.samples.length });
      offset += unit.samples.length;
    }
    const vectors = await this.embedder.embedUnits(mono, spans);
    batch.forEach((unit, i) => {
      this.results[unit.unitIndex] = vectors[i] ?? null;
    });
  }

  /** Flushes and returns one embedding (or null for silent units) per unit index seen. */
  async finish(unitCount: number): Promise<(Float32Array | null)[]> {
    await this.flush();
    return Array.from({ length: unitCount }, (_, i) => this.results[i] ?? null);
  }
}
