import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { descriptorIndex, DESCRIPTOR_GROUPS } from "../../src/core/analysis/schema.js";
import { ParameterError } from "../../src/core/errors.js";
import { categoryMask } from "../../src/corpus/categories.js";
import { Corpus } from "../../src/corpus/corpus.js";
import { columnWeights, DEFAULT_GROUP_WEIGHTS, standardise } from "../../src/corpus/feature-space.js";
import { resolveWeights } from "../../src/corpus/search.js";
import type { FileRecord } from "../../src/corpus/store.js";
import { addSyntheticFile, allUnits, createRng, exactNearest, makeTempDir, syntheticUnits, syntheticVector } from "./helpers.js";

const FILES = 120;
const UNITS_PER_FILE = 100; // 12,000 units
const RARE_UNITS = 12; // 0.1 % of the corpus

describe("search with filters", () => {
  let corpus: Corpus;
  let cleanup: () => Promise<void>;
  let files: FileRecord[];
  const drumMask = categoryMask(["kick"]) | categoryMask(["drum"]);

  beforeAll(async () => {
    const temp = await makeTempDir("search");
    cleanup = temp.cleanup;
    corpus = await Corpus.open({ dataDir: temp.dir });
    const root = corpus.addRoot("/lib", "{}");
    const random = createRng(7);
    files = [];
    for (let f = 0; f < FILES; f++) {
      const units = syntheticUnits(random, UNITS_PER_FILE);
      const folder = f % 2 === 0 ? "Drums/Kicks" : `Misc/${f % 7}`;
      files.push(addSyntheticFile(corpus, root.id, `/lib/${folder}/file${f}.wav`, units, f % 2 === 0 ? drumMask : 0));
    }
    // The rare units: 9.5 s long (everything else is at most 1.55 s), one per file.
    for (let i = 0; i < RARE_UNITS; i++) {
      const units = syntheticUnits(random, 1, 44100, { durationSec: 9.5 });
      files.push(addSyntheticFile(corpus, root.id, `/lib/Long/long${i}.wav`, units));
    }
    await corpus.whenIndexed();
    await corpus.maintain(); // the last refit (at >= 4x the previous fit) and its rebuild
    await corpus.whenIndexed();
  }, 120_000);

  afterAll(async () => {
    await corpus.close();
    await cleanup();
  });

  function randomQuery(seed: number): number[] {
    return corpus.toPoint(syntheticVector(createRng(seed)));
  }

  it("answers a filter matching 0.1 % of the units exactly (every match ranked)", () => {
    for (let q = 0; q < 10; q++) {
      const point = randomQuery(100 + q);
      const outcome = corpus.search({ point, k: 10, filter: { durationSec: { min: 9 } } });
      const truth = exactNearest(corpus, point, 10, (id) => corpus.catalog.unitDurationSec[id]! >= 9);
      expect(outcome.strategy).toBe("exact");
      expect(outcome.hits.map((h) => h.unitId)).toEqual(truth);
    }
  });

  it("keeps recall@10 >= 0.9 for a filter matching half of the units (filtered HNSW), every hit passing the filter", () => {
    let found = 0;
    for (let q = 0; q < 20; q++) {
      const point = randomQuery(200 + q);
      const outcome = corpus.search({ point, k: 10, filter: { categories: ["kick"] } });
      expect(outcome.strategy).toBe("hnsw-filtered");
      const truth = new Set(exactNearest(corpus, point, 10, (id) => (corpus.catalog.fileMask[corpus.catalog.unitFile[id]!]! & drumMask) !== 0));
      for (const hit of outcome.hits) {
        expect(corpus.catalog.fileMask[corpus.catalog.unitFile[hit.unitId]!]! & drumMask).not.toBe(0);
        if (truth.has(hit.unitId)) found++;
      }
      expect(outcome.hits).toHaveLength(10);
    }
    expect(found / 200).toBeGreaterThanOrEqual(0.9);
  });

  it("keeps recall@10 >= 0.9 unfiltered", () => {
    let found = 0;
    for (let q = 0; q < 20; q++) {
      const point = randomQuery(300 + q);
      const truth = new Set(exactNearest(corpus, point, 10));
      for (const hit of corpus.search({ point, k: 10 }).hits) if (truth.has(hit.unitId)) found++;
    }
    expect(found / 200).toBeGreaterThanOrEqual(0.9);
  });

  it("applies folder globs, ranges and exclusions together", () => {
    const point = randomQuery(400);
    const excluded = files[10]!.id; // a Drums/Kicks file
    const outcome = corpus.search({
      point,
      k: 20,
      filter: { folders: ["drums/KICKS"], loudnessDb: { min: -30, max: -10 }, pitchMidi: { min: 40, max: 80 }, excludeFileIds: [excluded] },
    });
    expect(outcome.hits.length).toBeGreaterThan(0);
    for (const hit of outcome.hits) {
      const fileId = corpus.catalog.unitFile[hit.unitId]!;
      expect(corpus.catalog.file(fileId)!.path).toMatch(/\/Drums\/Kicks\//);
      expect(fileId).not.toBe(excluded);
      expect(corpus.catalog.unitLoudnessDb[hit.unitId]).toBeGreaterThanOrEqual(-30);
      expect(corpus.catalog.unitLoudnessDb[hit.unitId]).toBeLessThanOrEqual(-10);
      const pitch = corpus.catalog.unitPitchMidi[hit.unitId]!;
      expect(pitch >= 40 && pitch <= 80).toBe(true); // unpitched (NaN) units never pass a pitch range
    }
  });

  it("filters by cluster id", () => {
    const point = randomQuery(500);
    const first = corpus.search({ point, k: 1 }).hits[0]!;
    const cluster = corpus.clusterOf(first.unitId);
    expect(cluster).toBeGreaterThanOrEqual(0);
    const outcome = corpus.search({ point, k: 10, filter: { clusters: [cluster] } });
    expect(outcome.hits[0]!.unitId).toBe(first.unitId);
    for (const hit of outcome.hits) expect(corpus.clusterOf(hit.unitId)).toBe(cluster);
  });

  it("returns nothing (not an error) when no unit matches", () => {
    const outcome = corpus.search({ point: randomQuery(600), k: 5, filter: { durationSec: { min: 100 } } });
    expect(outcome.hits).toEqual([]);
  });

  it("re-ranks by group weights: pitch-only weights order candidates by pitch columns alone", () => {
    const point = randomQuery(700);
    const weights = { timbre: 0, pitch: 1, loudness: 0, duration: 0 };
    const outcome = corpus.search({ point, k: 10, weights });
    const w = columnWeights(resolveWeights(weights), 0);
    const w0 = columnWeights(DEFAULT_GROUP_WEIGHTS, 0);
    // Every returned distance equals the RMS z-distance over the pitch columns.
    let total = 0;
    for (let c = 0; c < w.length; c++) total += w[c]!;
    for (const hit of outcome.hits) {
      const z = new Float64Array(w.length);
      standardise(corpus.space, corpus.unit(hit.unitId).vector, z);
      let d = 0;
      for (let c = 0; c < w.length; c++) {
        const qz = point[c]! / Math.sqrt(w0[c]!);
        d += w[c]! * (qz - z[c]!) ** 2;
      }
      expect(hit.distance).toBeCloseTo(Math.sqrt(d / total), 4);
      expect(DESCRIPTOR_GROUPS.length).toBe(w.length);
    }
    for (let i = 1; i < outcome.hits.length; i++) expect(outcome.hits[i]!.distance).toBeGreaterThanOrEqual(outcome.hits[i - 1]!.distance);
  });

  it("an embedding weight changes nothing in a space without an embedding: same hits, one plain HNSW query", () => {
    for (let q = 0; q < 5; q++) {
      const point = randomQuery(750 + q);
      const plain = corpus.search({ point, k: 10 });
      for (const embedding of [0, 3]) {
        const outcome = corpus.search({ point, k: 10, weights: { embedding } });
        expect(outcome).toEqual(plain);
        expect(outcome.candidates).toBe(plain.candidates);
      }
    }
  });

  it("fills missing weight groups from the base it is given", () => {
    expect(resolveWeights({ timbre: 2 })).toEqual({ ...DEFAULT_GROUP_WEIGHTS, timbre: 2 });
    const base = { timbre: 1, pitch: 1, loudness: 1, duration: 1, embedding: 0 };
    expect(resolveWeights({ pitch: 0.5 }, base)).toEqual({ ...base, pitch: 0.5 });
    expect(resolveWeights(undefined, base)).toEqual(base);
    expect(() => resolveWeights({ timbre: 0, pitch: 0, loudness: 0, duration: 0 }, base)).toThrow(ParameterError);
  });

  it("rejects bad weights and k", () => {
    const point = randomQuery(800);
    expect(() => corpus.search({ point, k: 0 })).toThrow(ParameterError);
    expect(() => corpus.search({ point, k: 5, weights: { colour: 1 } as never })).toThrow(ParameterError);
    expect(() => corpus.search({ point, k: 5, weights: { timbre: -1 } })).toThrow(ParameterError);
    expect(() => corpus.search({ point, k: 5, filter: { categories: ["banjo"] } })).toThrow(ParameterError);
    expect(() => corpus.search({ point, k: 5, filter: { durationSec: { min: 2, max: 1 } } })).toThrow(ParameterError);
  });

  it("holds every stored unit exactly once", () => {
    const ids = allUnits(corpus).map((u) => u.id);
    expect(new Set(ids).size).toBe(FILES * UNITS_PER_FILE + RARE_UNITS);
    expect(corpus.catalog.liveUnitCount).toBe(ids.length);
  });
});

describe("group weights on a known answer", () => {
  it("picks the timbre twin with timbre-only weights and the loudness twin with loudness-only weights", async () => {
    const { dir, cleanup } = await makeTempDir("weights");
    const corpus = await Corpus.open({ dataDir: dir, refit: { growthFactor: 4, freezeAtUnits: 40 } });
    const root = corpus.addRoot("/w", "{}");
    const random = createRng(11);
    addSyntheticFile(corpus, root.id, "/w/bulk.wav", syntheticUnits(random, 40));
    await corpus.whenIndexed();
    await corpus.maintain();
    const query = syntheticVector(createRng(12));
    const loud = descriptorIndex("rmsDb.mean");
    const timbreTwin = Float32Array.from(query);
    timbreTwin[loud] = query[loud]! + 40; // same timbre, very different loudness
    const loudnessTwin = syntheticVector(createRng(13));
    for (let c = 0; c < query.length; c++) if (DESCRIPTOR_GROUPS[c] === "loudness") loudnessTwin[c] = query[c]!;
    const units = syntheticUnits(random, 2);
    const twins = [
      { ...units[0]!, vector: timbreTwin },
      { ...units[1]!, vector: loudnessTwin },
    ];
    const file = addSyntheticFile(corpus, root.id, "/w/twins.wav", twins);
    await corpus.whenIndexed();
    const [timbreId, loudnessId] = corpus.catalog.unitsOfFile(file.id);
    const point = corpus.toPoint(query);
    const timbreOnly = corpus.search({ point, k: 1, weights: { timbre: 1, pitch: 1, loudness: 0, duration: 0 } });
    expect(timbreOnly.hits[0]!.unitId).toBe(timbreId);
    const loudnessOnly = corpus.search({ point, k: 1, weights: { timbre: 0, pitch: 0, loudness: 1, duration: 0 } });
    expect(loudnessOnly.hits[0]!.unitId).toBe(loudnessId);
    expect(loudnessOnly.hits[0]!.distance).toBeCloseTo(0, 5);
    await corpus.close();
    await cleanup();
  });
});
