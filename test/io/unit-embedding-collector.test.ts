import { describe, expect, it } from "vitest";
import { UnitEmbeddingCollector, type UnitEmbedderPort } from "../../src/io/unit-embedding-collector.js";

/**
 * A port that "embeds" a unit as [first sample, last sample, length]: the collector's job is to hand
 * each unit's own samples to the model, and this makes every delivered sample checkable.
 */
function probePort(maxUnitSamples: number): UnitEmbedderPort & { calls: number } {
  return {
    sampleRateHz: 22050,
    size: 3,
    maxUnitSamples,
    calls: 0,
    async embedUnits(mono, units) {
      this.calls++;
      return units.map((u) => Float32Array.of(mono[u.startSample]!, mono[u.endSample - 1]!, u.endSample - u.startSample));
    },
  };
}

/** Stream value at position n: n itself (exact in float32 below 2^24). */
function ramp(from: number, count: number): Float32Array {
  return Float32Array.from({ length: count }, (_, i) => from + i);
}

describe("UnitEmbeddingCollector", () => {
  it("hands each unit exactly its own samples, across pushes of any size", async () => {
    const port = probePort(1 << 20);
    const collector = new UnitEmbeddingCollector(port);
    let pushed = 0;
    for (const size of [1000, 70000, 3, 150000, 4097]) {
      collector.push(ramp(pushed, size), size);
      pushed += size;
    }
    collector.addUnit(0, 100, 5000, false);
    collector.addUnit(1, 5000, 200000, false);
    collector.addUnit(2, 200000, 225100, false);
    const out = await collector.finish(3);
    expect(out.map((v) => Array.from(v!))).toEqual([
      [100, 4999, 4900],
      [5000, 199999, 195000],
      [200000, 225099, 25100],
    ]);
  });

  it("hands units their own samples when it reuses the signal buffer of a finished collector", async () => {
    const port = probePort(1 << 20);
    const before = new UnitEmbeddingCollector(port);
    before.push(Float32Array.from({ length: 90000 }, () => -7), 90000);
    before.addUnit(0, 0, 90000, false);
    await before.finish(1);
    const collector = new UnitEmbeddingCollector(port);
    collector.push(ramp(0, 3000), 3000);
    collector.push(ramp(3000, 100000), 100000);
    collector.addUnit(0, 10, 2990, false);
    collector.addUnit(1, 2990, 103000, false);
    const out = await collector.finish(2);
    expect(out.map((v) => Array.from(v!))).toEqual([
      [10, 2989, 2980],
      [2990, 102999, 100010],
    ]);
  });

  it("cuts long units to the model's reach and gives silent units no embedding", async () => {
    const port = probePort(2048);
    const collector = new UnitEmbeddingCollector(port);
    collector.push(ramp(0, 100000), 100000);
    collector.addUnit(0, 0, 30000, true);
    collector.addUnit(1, 30000, 90000, false);
    const out = await collector.finish(2);
    expect(out[0]).toBeNull();
    expect(Array.from(out[1]!)).toEqual([30000, 30000 + 2047, 2048]);
  });

  it("keeps memory bounded by dropping samples before the last closed unit", async () => {
    const port = probePort(4096);
    const collector = new UnitEmbeddingCollector(port);
    const block = 65536;
    let position = 0;
    let unitIndex = 0;
    const samples = ramp(0, block);
    // one hour at 22.05 kHz in blocks; a 0.5 s unit closes after every block
    for (let b = 0; b < 1200; b++) {
      collector.push(samples, block);
      position += block;
      collector.addUnit(unitIndex++, position - 11025, position, false);
      if (collector.pendingCount >= 64) await collector.flush();
    }
    const out = await collector.finish(unitIndex);
    expect(out).toHaveLength(1200);
    expect(out.every((v) => v !== null && v[2] === 4096)).toBe(true);
    const buffer = (collector as unknown as { buffer: Float32Array }).buffer;
    expect(buffer.length).toBeLessThanOrEqual(4 * block);
  });

  it("runs one model call per flush, in unit order", async () => {
    const port = probePort(1000);
    const collector = new UnitEmbeddingCollector(port);
    collector.push(ramp(0, 10000), 10000);
    for (let i = 0; i < 10; i++) collector.addUnit(i, i * 1000, i * 1000 + 500, i % 3 === 0);
    expect(collector.pendingCount).toBe(6);
    const out = await collector.finish(10);
    expect(port.calls).toBe(1);
    expect(out.map((v) => (v ? v[0] : null))).toEqual([null, 1000, 2000, null, 4000, 5000, null, 7000, 8000, null]);
  });
  it("keeps a batch's samples intact while the model reads them, with other collectors adding units meanwhile", async () => {
    // a port that reads the units only after other work had a chance to run (as an ORT run does)
    const slowPort: UnitEmbedderPort = {
      sampleRateHz: 22050,
      size: 2,
      maxUnitSamples: 1 << 20,
      async embedUnits(mono, units) {
        await new Promise((resolve) => setImmediate(resolve));
        return units.map((u) => {
          let sum = 0;
          for (let i = u.startSample; i < u.endSample; i++) sum += mono[i]!;
          return Float32Array.of(mono[u.startSample]!, sum);
        });
      },
    };
    const run = async (offset: number): Promise<number[][]> => {
      const collector = new UnitEmbeddingCollector(slowPort);
      collector.push(ramp(offset, 50000), 50000);
      for (let u = 0; u < 5; u++) collector.addUnit(u, u * 10000, u * 10000 + 4000, false);
      const first = collector.flush();
      collector.push(ramp(offset + 50000, 50000), 50000);
      for (let u = 5; u < 10; u++) collector.addUnit(u, u * 10000, u * 10000 + 4000, false);
      await first;
      return (await collector.finish(10)).map((v) => Array.from(v!));
    };
    const results = await Promise.all([run(0), run(100000), run(200000)]);
    results.forEach((units, r) =>
      units.forEach(([start, sum], u) => {
        const from = r * 100000 + u * 10000;
        expect(start).toBe(from);
        expect(sum).toBe(Math.fround(4000 * from + (4000 * 3999) / 2));
      }),
    );
  });
});
