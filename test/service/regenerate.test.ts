import { readFile, stat, writeFile, copyFile, chmod, mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInlineAnalyzer, createWorkerAnalyzer } from "../../src/corpus/analyzer.js";
import { DecodeError, ParameterError, WriteError } from "../../src/core/errors.js";
import { openAudioFile, readWholeFile } from "../../src/io/audio-reader.js";
import { searchCandidates } from "../../src/service/candidate-search.js";
import { MassAudio } from "../../src/service/mass-audio.js";
import { SourceCache } from "../../src/service/source-cache.js";
import { regenerate, regenerateAudio, RegenerateError, rerender, sidecarPathOf } from "../../src/service/regenerate.js";
import { CC0_CORPUS, makeTempDir, copyCorpusFiles } from "../corpus/helpers.js";

const TARGET = "loop_amen.flac";
const FILES = [TARGET, "loop_breakbeat.flac", "loop_industrial.flac", "bd_haus.flac", "sn_dub.flac", "elec_tick.flac", "drum_cymbal_closed.flac", "tabla_te1.flac", "elec_snare.flac", "perc_snap.flac"];

interface SidecarUnit {
  source: { unitId: number; path: string; startFrame: number; endFrame: number; categories: string[] } | null;
  slot: { startFrame: number; endFrame: number };
}

describe("regenerate (real SQLite + HNSW, CC0 files)", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let service: MassAudio;
  let root: string;
  let targetPath: string;

  beforeAll(async () => {
    ({ dir, cleanup } = await makeTempDir("regen"));
    root = join(dir, "Samples");
    await copyCorpusFiles(root, FILES);
    targetPath = join(root, TARGET);
    service = await MassAudio.open({ dataDir: join(dir, "db"), analyzer: createInlineAnalyzer() });
    await service.addRoot(root);
    await service.index();
  }, 60_000);

  afterAll(async () => {
    await service.close();
    await cleanup();
  });

  it("with its own file allowed and zero variety, reproduces the clip (near-zero error)", async () => {
    const outPath = join(dir, "self.wav");
    const result = await regenerate(service, {
      target: { path: targetPath },
      outPath,
      options: { includeTarget: true, variety: 0, novelty: 0, peak: "off" },
    });
    const original = await readWholeFile(targetPath);
    const output = await readWholeFile(outPath);
    expect(output.info.sampleRateHz).toBe(original.info.sampleRateHz);
    expect(output.info.channelCount).toBe(original.info.channelCount);
    expect(output.info.bitDepth).toBe(16);
    expect(output.channels[0]!.length).toBe(original.channels[0]!.length);
    const sidecar = JSON.parse(await readFile(result.sidecarPath, "utf8")) as { units: SidecarUnit[] };
    const first = sidecar.units.find((u) => u.source)!.slot.startFrame;
    const last = sidecar.units[sidecar.units.length - 1]!.slot.endFrame;
    for (const unit of sidecar.units) {
      expect(unit.source?.path).toBe(targetPath);
      expect(unit.source?.startFrame).toBe(unit.slot.startFrame);
    }
    let signal = 0;
    let error = 0;
    for (let c = 0; c < original.channels.length; c++) {
      for (let n = first; n < last; n++) {
        signal += original.channels[c]![n]! ** 2;
        error += (output.channels[c]![n]! - original.channels[c]![n]!) ** 2;
      }
    }
    const snrDb = 10 * Math.log10(signal / error);
    expect(snrDb).toBeGreaterThan(60);
  });

  it("excludes the target's own file by default and lists every unit in the sidecar", async () => {
    const outPath = join(dir, "excluded.wav");
    const result = await regenerate(service, { target: { path: targetPath }, outPath });
    expect(result.sidecarPath).toBe(sidecarPathOf(outPath));
    const sidecar = JSON.parse(await readFile(result.sidecarPath, "utf8")) as { units: SidecarUnit[]; options: { seed: number } };
    expect(sidecar.units.length).toBe(result.units);
    expect(result.unitsFilled).toBe(result.units);
    for (const unit of sidecar.units) {
      expect(unit.source).not.toBeNull();
      expect(unit.source!.path).not.toBe(targetPath);
      expect(unit.source!.endFrame).toBeGreaterThan(unit.source!.startFrame);
    }
    const output = await readWholeFile(outPath);
    let peak = 0;
    for (const data of output.channels) for (const v of data) peak = Math.max(peak, Math.abs(v));
    expect(peak).toBeGreaterThan(0.05);
    expect(peak).toBeLessThanOrEqual(1);
  });

  it("excludes copies of the target's file too (same content at another path)", async () => {
    const copy = join(dir, "copy-of-target.flac");
    await copyFile(targetPath, copy);
    const audio = await regenerateAudio(service, { target: { path: copy } });
    for (const unit of audio.units) expect(unit.source!.path).not.toBe(targetPath);
  });

  it("gives identical bytes for the same seed, and other bytes for another seed", async () => {
    const options = { variety: 0.7, novelty: 0.5, fit: "loop" };
    const a = await regenerate(service, { target: { path: targetPath }, outPath: join(dir, "seed-a.wav"), options: { ...options, seed: 11 } });
    const b = await regenerate(service, { target: { path: targetPath }, outPath: join(dir, "seed-b.wav"), options: { ...options, seed: 11 } });
    const c = await regenerate(service, { target: { path: targetPath }, outPath: join(dir, "seed-c.wav"), options: { ...options, seed: 12 } });
    const bytesA = await readFile(a.outPath);
    expect(bytesA.equals(await readFile(b.outPath))).toBe(true);
    expect(bytesA.equals(await readFile(c.outPath))).toBe(false);
  });

  it("the service's regenerate (shared source cache) writes the same bytes as a one-off regeneration", async () => {
    const options = { variety: 0.5, seed: 21 };
    const once = await regenerate(service, { target: { path: targetPath }, outPath: join(dir, "once.wav"), options });
    for (const name of ["warm-1.wav", "warm-2.wav"]) {
      const warm = await service.regenerate({ target: { path: targetPath }, outPath: join(dir, name), options });
      expect((await readFile(warm.outPath)).equals(await readFile(once.outPath))).toBe(true);
    }
  });

  it("reads each source file's ranges in increasing order, each once, however the timeline orders them", async () => {
    const reads = new Map<string, number[]>();
    const cache = new SourceCache({
      maxBytes: 256 * 1024 * 1024,
      open: async (path) => {
        const reader = await openAudioFile(path);
        const readRange = reader.readRange.bind(reader);
        reader.readRange = (startFrame: number, endFrame: number) => {
          reads.set(path, [...(reads.get(path) ?? []), startFrame]);
          return readRange(startFrame, endFrame);
        };
        return reader;
      },
    });
    try {
      const audio = await regenerateAudio(service, { target: { path: targetPath }, options: { variety: 0.8, seed: 5 } }, undefined, { cache });
      const used = audio.units.filter((u) => u.source).length;
      expect(used).toBeGreaterThan(5);
      let calls = 0;
      for (const starts of reads.values()) {
        calls += starts.length;
        expect(starts).toEqual([...starts].sort((a, b) => a - b));
      }
      const stats = cache.stats();
      expect(stats.misses).toBe(calls); // every range decoded once...
      expect(stats.hits).toBeGreaterThanOrEqual(used); // ...and every unit then read from the cache
    } finally {
      await cache.close(); // a cache passed in stays open after the regeneration: its owner closes it
    }
  });

  it("never violates maxUses, category and folder constraints", async () => {
    const audio = await regenerateAudio(service, {
      target: { path: targetPath },
      options: { maxUses: 1, k: 32, fit: "stretch" },
      filter: { categories: ["loop"] },
    });
    const ids = audio.units.map((u) => u.source?.unitId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const unit of audio.units) expect(unit.source!.categories).toContain("loop");
    const kicks = await regenerateAudio(service, { target: { path: targetPath }, filter: { folders: [`${root}/bd_*`] } });
    for (const unit of kicks.units) expect(unit.source!.path).toBe(join(root, "bd_haus.flac"));
  });

  it("layers: each next layer uses other units at the same slot, matched to the residual", async () => {
    const one = await regenerateAudio(service, { target: { path: targetPath }, options: { layers: 1 } });
    const two = await regenerateAudio(service, { target: { path: targetPath }, options: { layers: 2 } });
    const first = two.units.filter((u) => u.layer === 1);
    const second = two.units.filter((u) => u.layer === 2);
    expect(first.length).toBe(one.units.length);
    expect(second.length).toBe(one.units.length);
    expect(first.map((u) => u.source?.unitId)).toEqual(one.units.map((u) => u.source?.unitId));
    for (const unit of second) {
      const same = first.find((u) => u.index === unit.index)!;
      if (unit.source) expect(unit.source.unitId).not.toBe(same.source?.unitId);
    }
    let peak = 0;
    for (const data of two.channels) for (const v of data) peak = Math.max(peak, Math.abs(v));
    expect(peak).toBeLessThanOrEqual(1);
  });

  it("keeps duration ranges, cuts on a grid on request, and goes stereo when the sources are stereo", async () => {
    const short = await regenerateAudio(service, { target: { path: targetPath }, filter: { durationSec: { max: 0.25 } } });
    for (const unit of short.units) expect((unit.source!.endFrame - unit.source!.startFrame) / 44100).toBeLessThanOrEqual(0.25 + 1e-6);
    const grid = await regenerateAudio(service, { target: { path: targetPath }, analysis: { segment: "grid", gridMs: 250 } });
    const lengths = grid.units.map((u) => u.slot.endFrame - u.slot.startFrame);
    // Cells snap to the analysis hop (512 frames at 44.1 kHz): each within a hop, on average 250 ms.
    for (const length of lengths.slice(0, -1)) expect(Math.abs(length - 11025)).toBeLessThanOrEqual(512);
    const inner = lengths.slice(0, -1);
    expect(Math.abs(inner.reduce((a, b) => a + b, 0) / inner.length - 11025)).toBeLessThan(300);
    const mono = (await readWholeFile(join(root, "bd_haus.flac"))).channels.slice(0, 1);
    const stereo = await regenerateAudio(service, { target: { channels: mono, sampleRateHz: 44100 }, filter: { categories: ["loop"] } });
    expect(stereo.channels).toHaveLength(2);
  });

  it("re-renders a sidecar: same options give the same bytes; other fit options keep the same units", async () => {
    const original = await regenerate(service, { target: { path: targetPath }, outPath: join(dir, "orig.wav"), options: { layers: 2, variety: 0.3, seed: 5 } });
    const again = await rerender({ sidecarPath: original.sidecarPath, outPath: join(dir, "again.wav") });
    expect((await readFile(again.outPath)).equals(await readFile(original.outPath))).toBe(true);
    const looped = await rerender({ sidecarPath: original.sidecarPath, outPath: join(dir, "looped.wav"), options: { fit: "loop", pitch: "2", wet: 0.8 } });
    const before = JSON.parse(await readFile(original.sidecarPath, "utf8")) as { units: SidecarUnit[] };
    const after = JSON.parse(await readFile(looped.sidecarPath, "utf8")) as { units: (SidecarUnit & { semitones: number })[]; options: { fit: string; semitones: number } };
    expect(after.options).toMatchObject({ fit: "loop", semitones: 2 });
    expect(after.units.map((u) => u.source?.unitId)).toEqual(before.units.map((u) => u.source?.unitId));
    for (const unit of after.units) expect(unit.semitones).toBe(2);
    await expect(rerender({ sidecarPath: original.sidecarPath, outPath: join(dir, "x.wav"), options: { k: 3 } as never })).rejects.toBeInstanceOf(ParameterError);
    await expect(rerender({ sidecarPath: original.outPath, outPath: join(dir, "x.wav") })).rejects.toBeInstanceOf(ParameterError);
  });

  it("renders at another rate and bit depth on request", async () => {
    const result = await regenerate(service, { target: { path: targetPath }, outPath: join(dir, "hi.wav"), options: { rateHz: 48000, bitDepth: "24", pitch: "follow" } });
    const output = await readWholeFile(result.outPath);
    expect(output.info.sampleRateHz).toBe(48000);
    expect(output.info.bitDepth).toBe(24);
    const original = await readWholeFile(targetPath);
    expect(output.channels[0]!.length).toBe(Math.round((original.channels[0]!.length * 48000) / 44100));
  });

  it("batched candidate search agrees with the corpus search (ids and distances)", async () => {
    const { analyzeFile } = await import("../../src/io/analyze-file.js");
    const analysis = await analyzeFile(targetPath);
    const vectors = analysis.units.map((u) => u.vector);
    const own = service.corpus.store.getFileByPath(targetPath)!.id;
    for (const [filter, weights] of [[{}, undefined], [{ excludeFileIds: [own] }, { pitch: 0, timbre: 2 }], [{ categories: ["drum"] }, undefined]] as const) {
      const batch = searchCandidates(service.corpus, vectors, 5, filter, weights);
      vectors.forEach((vector, i) => {
        const single = service.corpus.search({ point: service.corpus.toPoint(vector), k: 5, filter, weights });
        expect(batch[i]!.unitIds).toEqual(single.hits.map((h) => h.unitId));
        batch[i]!.distances.forEach((d, j) => expect(d).toBeCloseTo(single.hits[j]!.distance, 4));
      });
    }
  });

  it("analysing in the worker pool and yielding at every step gives the bytes of one pass on the main thread", async () => {
    const clip = await readWholeFile(targetPath);
    const requests = [
      { target: { path: targetPath }, options: { variety: 0.4, seed: 3 } },
      { target: { channels: clip.channels, sampleRateHz: 44100 }, options: { fit: "stretch", layers: 2 } },
    ];
    const analyzer = createWorkerAnalyzer({ threads: 1 });
    try {
      for (const request of requests) {
        const inline = await regenerateAudio(service, request, undefined, { analyzer: null, sliceMs: Infinity });
        const sliced = await regenerateAudio(service, request, undefined, { analyzer, sliceMs: 0 });
        expect(sliced.units).toEqual(inline.units);
        sliced.channels.forEach((data, c) => expect(Buffer.from(data.buffer, data.byteOffset, data.byteLength).equals(Buffer.from(inline.channels[c]!.buffer, inline.channels[c]!.byteOffset, inline.channels[c]!.byteLength))).toBe(true));
      }
      // The caller's clip is untouched (the worker got a copy).
      expect(clip.channels[0]!.length).toBeGreaterThan(0);
      await expect(regenerateAudio(service, { target: { path: join(dir, "no-such.wav") } }, undefined, { analyzer })).rejects.toBeInstanceOf(DecodeError);
    } finally {
      await analyzer.close();
    }
  }, 60_000);

  it("keeps the event loop turning while it works", async () => {
    let turns = 0;
    let running = true;
    const turn = (): void => {
      turns++;
      if (running) setImmediate(turn);
    };
    setImmediate(turn);
    const audio = await regenerateAudio(service, { target: { path: targetPath } }, undefined, { sliceMs: 0 });
    running = false;
    // At least one turn per target unit in each of search, selection, reading and rendering.
    expect(turns).toBeGreaterThan(4 * audio.units.length);
  });

  it("index search with the target's file left out agrees with the filtered corpus search", async () => {
    const { analyzeFile } = await import("../../src/io/analyze-file.js");
    const vectors = (await analyzeFile(targetPath)).units.map((u) => u.vector);
    const own = service.corpus.store.getFileByPath(targetPath)!.id;
    const filter = { excludeFileIds: [own] };
    const indexed = searchCandidates(service.corpus, vectors, 5, filter, undefined, { exactMaxUnits: 0 });
    vectors.forEach((vector, i) => {
      const single = service.corpus.search({ point: service.corpus.toPoint(vector), k: 5, filter });
      expect(indexed[i]!.unitIds).toEqual(single.hits.map((h) => h.unitId));
      // HNSW distances are single precision; the filtered search on this small corpus ranks exactly.
      indexed[i]!.distances.forEach((d, j) => expect(d).toBeCloseTo(single.hits[j]!.distance, 5));
      for (const id of indexed[i]!.unitIds) expect(service.corpus.unit(id).fileId).not.toBe(own);
    });
  });

  it("refuses a silent target with a typed error", async () => {
    const silence = [new Float32Array(44100)];
    await expect(regenerateAudio(service, { target: { channels: silence, sampleRateHz: 44100 } })).rejects.toMatchObject({ reason: "target_no_units" });
  });

  it("refuses a filter that matches nothing, and an empty corpus", async () => {
    await expect(regenerateAudio(service, { target: { path: targetPath }, filter: { folders: ["/nowhere/**"] } })).rejects.toBeInstanceOf(RegenerateError);
    const empty = await MassAudio.open({ dataDir: join(dir, "empty-db"), analyzer: createInlineAnalyzer() });
    try {
      await expect(regenerateAudio(empty, { target: { path: targetPath } })).rejects.toMatchObject({ reason: "empty_corpus" });
    } finally {
      await empty.close();
    }
  });

  it("refuses bad input without leaving a partial output file", async () => {
    const notAudio = join(dir, "notes.wav");
    await writeFile(notAudio, "this is not audio at all, just some text ".repeat(20));
    const out = join(dir, "bad-out");
    await mkdir(out);
    await expect(regenerate(service, { target: { path: notAudio }, outPath: join(out, "x.wav") })).rejects.toBeInstanceOf(DecodeError);
    await expect(regenerate(service, { target: { path: targetPath }, outPath: join(dir, "missing", "x.wav") })).rejects.toBeInstanceOf(WriteError);
    await expect(regenerate(service, { target: { path: targetPath }, outPath: join(out, "y.wav"), options: { variety: 3 } })).rejects.toBeInstanceOf(ParameterError);
    await chmod(out, 0o500);
    try {
      if (process.getuid?.() !== 0) {
        await expect(regenerate(service, { target: { path: targetPath }, outPath: join(out, "z.wav") })).rejects.toBeInstanceOf(WriteError);
      }
    } finally {
      await chmod(out, 0o755);
    }
    expect(await readdir(out)).toEqual([]);
    await expect(stat(join(dir, "missing"))).rejects.toThrow();
  });
});

describe("SourceCache", () => {
  const path = join(CC0_CORPUS, "loop_amen.flac");

  it("returns the same samples as a whole-file read, and serves repeats from memory", async () => {
    const whole = await readWholeFile(path);
    const cache = new SourceCache({ maxBytes: 1 << 20 });
    try {
      const range = await cache.read(path, 10_000, 12_000);
      expect(range.sampleRateHz).toBe(44100);
      expect(range.channels).toHaveLength(2);
      expect(Array.from(range.channels[1]!)).toEqual(Array.from(whole.channels[1]!.subarray(10_000, 12_000)));
      expect(await cache.read(path, 10_000, 12_000)).toBe(range);
      expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, entries: 1, bytes: 2 * 2000 * 4 });
    } finally {
      await cache.close();
    }
  });

  it("forgets a file's ranges on request (its content changed)", async () => {
    const cache = new SourceCache({ maxBytes: 1 << 20 });
    try {
      const first = await cache.read(path, 0, 1000);
      await cache.read(path, 1000, 2000);
      cache.forget(path);
      expect(cache.stats()).toMatchObject({ bytes: 0, entries: 0 });
      const again = await cache.read(path, 0, 1000);
      expect(again).not.toBe(first);
      expect(Array.from(again.channels[0]!)).toEqual(Array.from(first.channels[0]!));
    } finally {
      await cache.close();
    }
  });

  it("evicts the least recently used ranges to stay within its memory limit", async () => {
    const cache = new SourceCache({ maxBytes: 3 * 8000 }); // three stereo ranges of 1000 frames
    try {
      for (const start of [0, 1000, 2000]) await cache.read(path, start, start + 1000);
      await cache.read(path, 0, 1000); // refresh the first
      await cache.read(path, 3000, 4000); // evicts 1000..2000
      expect(cache.stats().bytes).toBeLessThanOrEqual(3 * 8000);
      const before = cache.stats().misses;
      await cache.read(path, 0, 1000);
      expect(cache.stats().misses).toBe(before);
      await cache.read(path, 1000, 2000);
      expect(cache.stats().misses).toBe(before + 1);
    } finally {
      await cache.close();
    }
  });
});
