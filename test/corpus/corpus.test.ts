import { cp, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Corpus } from "../../src/corpus/corpus.js";
import { StoreError } from "../../src/corpus/corpus-error.js";
import { INDEX_DIR_NAME } from "../../src/corpus/data-dir.js";
import { LOCK_FILE_NAME } from "../../src/corpus/writer-lock.js";
import { addSyntheticFile, createRng, exactNearest, makeTempDir, syntheticUnits } from "./helpers.js";

const FROZEN = { growthFactor: 4, freezeAtUnits: 0 };

describe("Corpus", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, cleanup } = await makeTempDir("corpus"));
  });
  afterEach(async () => cleanup());

  it("finds a stored unit as its own nearest neighbour, at distance 0", async () => {
    const corpus = await Corpus.open({ dataDir: dir });
    const root = corpus.addRoot("/virtual/root", "{}");
    const random = createRng(1);
    for (let f = 0; f < 10; f++) addSyntheticFile(corpus, root.id, `/virtual/root/f${f}.wav`, syntheticUnits(random, 30));
    await corpus.whenIndexed();
    const unit = corpus.unit(123);
    const result = corpus.search({ point: corpus.toPoint(unit.vector), k: 5 });
    expect(result.hits[0]!.unitId).toBe(123);
    expect(result.hits[0]!.distance).toBeCloseTo(0, 5);
    expect(result.hits).toHaveLength(5);
    await corpus.close();
  });

  it("refits the feature space at every doubling of the corpus and keeps results exact", async () => {
    const corpus = await Corpus.open({ dataDir: dir, refit: { growthFactor: 2, freezeAtUnits: 1_000_000 } });
    const root = corpus.addRoot("/virtual/root", "{}");
    const random = createRng(2);
    const spaces = new Set<number>();
    for (let f = 0; f < 12; f++) {
      addSyntheticFile(corpus, root.id, `/virtual/root/f${f}.wav`, syntheticUnits(random, 10 * (f + 1)));
      await corpus.whenIndexed();
      await corpus.maintain();
      spaces.add(corpus.space.id);
    }
    await corpus.whenIndexed();
    // Corpus sizes 10, 30, 60, 100 ... 780 units: refits at 10, 30, 60, 150, 360 and 780 units.
    expect([...spaces].length).toBe(6);
    expect(corpus.space.fittedOnUnits).toBe(780);
    const query = corpus.toPoint(corpus.unit(77).vector);
    const hits = corpus.search({ point: query, k: 10 }).hits.map((h) => h.unitId);
    expect(hits).toEqual(exactNearest(corpus, query, 10));
    await corpus.close();
  });

  it("while a corpus grows fast, refits at every quadrupling, and at a doubling once the interval is over", async () => {
    let now = 1_000_000;
    const corpus = await Corpus.open({
      dataDir: dir,
      nowMs: () => now,
      refit: { growthFactor: 2, freezeAtUnits: 1_000_000, minIntervalMs: 60_000, eagerGrowthFactor: 4 },
    });
    const root = corpus.addRoot("/virtual/root", "{}");
    const random = createRng(8);
    let files = 0;
    const grow = async (units: number): Promise<number> => {
      addSyntheticFile(corpus, root.id, `/virtual/root/f${files++}.wav`, syntheticUnits(random, units));
      await corpus.whenIndexed();
      await corpus.maintain();
      await corpus.whenIndexed();
      return corpus.space.fittedOnUnits;
    };
    expect(await grow(100)).toBe(100); // the first fit never waits
    expect(await grow(100)).toBe(100); // x2 within the interval: held back
    expect(await grow(200)).toBe(400); // x4: at once
    expect(await grow(400)).toBe(400); // x2 again, too soon
    now += 60_000;
    await corpus.maintain();
    await corpus.whenIndexed();
    expect(corpus.space.fittedOnUnits).toBe(800);
    const query = corpus.toPoint(corpus.unit(321).vector);
    expect(corpus.search({ point: query, k: 10 }).hits.map((h) => h.unitId)).toEqual(exactNearest(corpus, query, 10));
    await corpus.close();
  });

  it("runs a held-back refit when its interval is over, without further changes", async () => {
    const corpus = await Corpus.open({ dataDir: dir, refit: { growthFactor: 2, freezeAtUnits: 1_000_000, minIntervalMs: 300, eagerGrowthFactor: 4 } });
    const root = corpus.addRoot("/virtual/root", "{}");
    const random = createRng(9);
    addSyntheticFile(corpus, root.id, "/virtual/root/a.wav", syntheticUnits(random, 100));
    await corpus.whenIndexed();
    await corpus.maintain();
    addSyntheticFile(corpus, root.id, "/virtual/root/b.wav", syntheticUnits(random, 150));
    await corpus.whenIndexed();
    await corpus.maintain();
    expect(corpus.space.fittedOnUnits).toBe(100);
    // nothing else happens: the corpus's own timer runs the refit (polled, no call into the corpus)
    for (let waited = 0; corpus.space.fittedOnUnits !== 250 && waited < 5000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(corpus.space.fittedOnUnits).toBe(250);
    await corpus.close();
  });

  it("refits in slices: the event loop turns while the feature space is fitted and the index rebuilt", async () => {
    const corpus = await Corpus.open({ dataDir: dir, refit: FROZEN });
    const root = corpus.addRoot("/virtual/root", "{}");
    const random = createRng(6);
    for (let f = 0; f < 20; f++) addSyntheticFile(corpus, root.id, `/virtual/root/f${f}.wav`, syntheticUnits(random, 200));
    await corpus.whenIndexed();
    const before = corpus.space.id;
    let turns = 0;
    let refitting = true;
    const spin = (): void => {
      turns++;
      if (refitting) setImmediate(spin);
    };
    setImmediate(spin);
    await corpus.refitNow();
    refitting = false;
    expect(corpus.space.id).not.toBe(before);
    expect(corpus.space.fittedOnUnits).toBe(4000);
    // 4,000 units: clustering alone is ~60 steps of 128 points x up to 20 iterations
    expect(turns).toBeGreaterThan(10);
    const query = corpus.toPoint(corpus.unit(1234).vector);
    expect(corpus.search({ point: query, k: 10 }).hits.map((h) => h.unitId)).toEqual(exactNearest(corpus, query, 10));
    await corpus.close();
  });

  it("reopens from the snapshot and replays changes made after it", async () => {
    let corpus = await Corpus.open({ dataDir: dir, refit: FROZEN });
    const root = corpus.addRoot("/virtual/root", "{}");
    const random = createRng(3);
    const files = [];
    for (let f = 0; f < 8; f++) files.push(addSyntheticFile(corpus, root.id, `/virtual/root/f${f}.wav`, syntheticUnits(random, 25)));
    await corpus.whenIndexed();
    await corpus.snapshot();
    const snapshotSeq = corpus.health().snapshot!.seq;
    // Changes after the snapshot: one file deleted, two added. A kill now would leave them only in the store.
    corpus.deleteFile(files[2]!.id);
    addSyntheticFile(corpus, root.id, "/virtual/root/new1.wav", syntheticUnits(random, 25));
    addSyntheticFile(corpus, root.id, "/virtual/root/new2.wav", syntheticUnits(random, 25));
    await corpus.whenIndexed();
    // A crash image: the data folder as it is on disk right now, without the final snapshot of close().
    const crashed = `${dir}-crashed`;
    await cp(dir, crashed, { recursive: true });
    await rm(join(crashed, LOCK_FILE_NAME));
    await corpus.close();

    corpus = await Corpus.open({ dataDir: crashed, refit: FROZEN });
    const health = corpus.health();
    expect(health.loadedFrom).toBe("snapshot");
    expect(health.indexedSeq).toBe(corpus.store.lastSeq());
    expect(health.indexedSeq).toBeGreaterThan(snapshotSeq);
    expect(corpus.catalog.liveUnitCount).toBe(8 * 25 - 25 + 50);
    const random2 = createRng(99);
    for (let q = 0; q < 20; q++) {
      const id = 1 + Math.floor(random2() * corpus.catalog.maxUnitId);
      if (!corpus.catalog.isLive(id)) continue;
      const point = corpus.toPoint(corpus.unit(id).vector);
      const hits = corpus.search({ point, k: 10 }).hits.map((h) => h.unitId);
      expect(hits).toEqual(exactNearest(corpus, point, 10));
    }
    // No unit of the deleted file comes back.
    expect(corpus.catalog.unitsOfFile(files[2]!.id)).toEqual([]);
    await corpus.close();
    await rm(crashed, { recursive: true, force: true });
  });

  it("rebuilds from the store when the snapshot is corrupt", async () => {
    let corpus = await Corpus.open({ dataDir: dir, refit: FROZEN });
    const root = corpus.addRoot("/virtual/root", "{}");
    const random = createRng(4);
    for (let f = 0; f < 5; f++) addSyntheticFile(corpus, root.id, `/virtual/root/f${f}.wav`, syntheticUnits(random, 20));
    await corpus.close();
    const indexDir = join(dir, INDEX_DIR_NAME);
    const [snapshot] = (await readdir(indexDir)).filter((name) => name.endsWith(".hnsw"));
    expect(snapshot).toBeDefined();
    const sizeBytes = Number(/-b(\d+)\.hnsw$/.exec(snapshot!)![1]);
    await writeFile(join(indexDir, snapshot!), Buffer.alloc(sizeBytes, 0x5a)); // same size, garbage content
    const phases: string[] = [];
    corpus = await Corpus.open({ dataDir: dir, refit: FROZEN, onProgress: (p) => phases.push(p.phase) });
    expect(corpus.health().loadedFrom).toBe("rebuild");
    expect(phases).toContain("rebuild");
    expect(corpus.catalog.liveUnitCount).toBe(100);
    const point = corpus.toPoint(corpus.unit(42).vector);
    expect(corpus.search({ point, k: 1 }).hits[0]!.unitId).toBe(42);
    await corpus.close();
  });

  it("drops units of another descriptor schema on open (never a mixed index) and marks their files pending", async () => {
    let corpus = await Corpus.open({ dataDir: dir });
    const root = corpus.addRoot("/virtual/root", "{}");
    const random = createRng(6);
    const current = addSyntheticFile(corpus, root.id, "/virtual/root/current.wav", syntheticUnits(random, 5));
    const identity = { sizeBytes: 1, mtimeMs: 1, fingerprint: "old" };
    const old = corpus.markPending(root.id, "/virtual/root/old.wav", identity, 0);
    corpus.commitAnalysis(old.id, identity, {
      analysisVersion: "s0-from-an-older-schema",
      format: "wav",
      sampleRateHz: 44100,
      channelCount: 1,
      frameCount: 1,
      durationSec: 1,
      analysisSec: 0,
      units: syntheticUnits(random, 7),
    });
    await corpus.close();
    corpus = await Corpus.open({ dataDir: dir });
    expect(corpus.store.getFile(old.id)!.status).toBe("pending");
    expect(corpus.store.unitsOfFile(old.id)).toEqual([]);
    expect(corpus.store.unitsOfFile(current.id)).toHaveLength(5);
    expect(corpus.catalog.liveUnitCount).toBe(5);
    await corpus.close();
  });

  it("refuses a second writer but lets a reader open beside it", async () => {
    const writer = await Corpus.open({ dataDir: dir });
    const root = writer.addRoot("/virtual/root", "{}");
    addSyntheticFile(writer, root.id, "/virtual/root/a.wav", syntheticUnits(createRng(5), 12));
    await writer.whenIndexed();
    await expect(Corpus.open({ dataDir: dir })).rejects.toBeInstanceOf(StoreError);
    const reader = await Corpus.open({ dataDir: dir, readOnly: true });
    expect(reader.catalog.liveUnitCount).toBe(12);
    const point = reader.toPoint(reader.unit(3).vector);
    expect(reader.search({ point, k: 1 }).hits[0]!.unitId).toBe(3);
    await reader.close();
    await writer.close();
  });
});
