/** Test helpers: temp data folders and synthetic units with known structure (seeded). */
import { chmod, copyFile, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DESCRIPTOR_COUNT, descriptorIndex } from "../../src/core/analysis/schema.js";
import type { Unit } from "../../src/core/analysis/unit.js";
import { createRng } from "../../src/corpus/clusters.js";
import type { Corpus } from "../../src/corpus/corpus.js";
import { SCHEMA_VERSION_PREFIX } from "../../src/corpus/scanner.js";
import type { AnalysisCommit, FileRecord } from "../../src/corpus/store.js";
import { CORPUS_DIR } from "../helpers/corpus.js";

export { REPO_ROOT, CORPUS_DIR as CC0_CORPUS } from "../helpers/corpus.js";

export async function makeTempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `mass-audio-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Copies CC0 corpus files into `dir` (created if needed), writable so tests can change them. */
export async function copyCorpusFiles(dir: string, names: readonly string[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const name of names) {
    await copyFile(join(CORPUS_DIR, name), join(dir, name));
    await chmod(join(dir, name), 0o644);
  }
}

const DURATION = descriptorIndex("durationSec");
const PITCH = descriptorIndex("pitchMidi");
const LOUDNESS = descriptorIndex("rmsDb.mean");

export interface SyntheticOptions {
  readonly durationSec?: number;
  readonly pitchMidi?: number;
  readonly loudnessDb?: number;
}

/** Gaussian via Box-Muller. */
export function gaussian(random: () => number): number {
  const u = Math.max(1e-12, random());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** Latent dimensions of the synthetic descriptor model (real descriptor columns are strongly correlated). */
const LATENT = 6;
const PROJECTION = (() => {
  const random = createRng(4242);
  return Float32Array.from({ length: DESCRIPTOR_COUNT * LATENT }, () => gaussian(random));
})();

/**
 * A synthetic raw descriptor vector: one of 16 cluster centres plus a 6-dimensional latent Gaussian
 * projected onto all columns, plus a little independent noise; duration / pitch / loudness columns set to
 * realistic values.
 */
export function syntheticVector(random: () => number, options: SyntheticOptions = {}): Float32Array {
  const cluster = Math.floor(random() * 16);
  const centre = createRng(1000 + cluster);
  const latent = Array.from({ length: LATENT }, () => gaussian(random));
  const v = new Float32Array(DESCRIPTOR_COUNT);
  for (let c = 0; c < DESCRIPTOR_COUNT; c++) {
    let x = 3 * gaussian(centre) + 0.1 * gaussian(random);
    for (let l = 0; l < LATENT; l++) x += PROJECTION[c * LATENT + l]! * latent[l]!;
    v[c] = x;
  }
  v[DURATION] = options.durationSec ?? 0.05 + random() * 1.5;
  v[PITCH] = options.pitchMidi ?? (random() < 0.5 ? 0 : 36 + random() * 48);
  v[LOUDNESS] = options.loudnessDb ?? -40 + random() * 36;
  return v;
}

/** `count` consecutive units of 0.25 s at `sampleRateHz`. */
export function syntheticUnits(random: () => number, count: number, sampleRateHz = 44100, options: SyntheticOptions = {}): Unit[] {
  const length = Math.round(0.25 * sampleRateHz);
  return Array.from({ length: count }, (_, i) => ({
    index: i,
    startFrame: i * length,
    endFrame: (i + 1) * length,
    startSec: (i * length) / sampleRateHz,
    endSec: ((i + 1) * length) / sampleRateHz,
    silent: false,
    vector: syntheticVector(random, options),
  }));
}

let fakeFingerprint = 0;

/** Records a (virtual) analysed file with the given units, as the indexer would. */
export function addSyntheticFile(corpus: Corpus, rootId: number, path: string, units: Unit[], categoryMask = 0): FileRecord {
  const identity = { sizeBytes: 1000 + units.length, mtimeMs: 1_700_000_000_000, fingerprint: `fp${++fakeFingerprint}` };
  const file = corpus.markPending(rootId, path, identity, categoryMask);
  corpus.commitAnalysis(file.id, identity, syntheticAnalysis(units));
  return corpus.store.getFile(file.id)!;
}

/** The analysis of a (virtual) 44.1 kHz mono WAV made of `units`, as a worker would return it. */
export function syntheticAnalysis(units: Unit[], embeddings?: (Float32Array | null)[]): AnalysisCommit {
  return {
    analysisVersion: `${SCHEMA_VERSION_PREFIX}synthetic`,
    format: "wav",
    sampleRateHz: 44100,
    channelCount: 1,
    frameCount: units.length > 0 ? units[units.length - 1]!.endFrame : 0,
    durationSec: units.length > 0 ? units[units.length - 1]!.endSec : 0,
    analysisSec: 0,
    units,
    ...(embeddings ? { embeddings } : {}),
  };
}

const pointCache = new WeakMap<Corpus, { key: string; points: { id: number; point: number[] }[] }>();

function allPoints(corpus: Corpus): { id: number; point: number[] }[] {
  const key = `${corpus.space.id}:${corpus.store.lastSeq()}`;
  const cached = pointCache.get(corpus);
  if (cached && cached.key === key) return cached.points;
  const points = allUnits(corpus).map((unit) => ({ id: unit.id, point: corpus.toPoint(unit.vector) }));
  pointCache.set(corpus, { key, points });
  return points;
}

/** Exact k nearest unit ids by squared distance in index space (ground truth). */
export function exactNearest(corpus: Corpus, query: number[], k: number, accept: (unitId: number) => boolean = () => true): number[] {
  const scored: { id: number; d: number }[] = [];
  for (const unit of allPoints(corpus)) {
    if (!corpus.catalog.isLive(unit.id) || !accept(unit.id)) continue;
    const point = unit.point;
    let d = 0;
    for (let c = 0; c < point.length; c++) d += (point[c]! - query[c]!) ** 2;
    scored.push({ id: unit.id, d });
  }
  scored.sort((a, b) => a.d - b.d || a.id - b.id);
  return scored.slice(0, k).map((s) => s.id);
}

export function allUnits(corpus: Corpus): { id: number; vector: Float32Array }[] {
  const out: { id: number; vector: Float32Array }[] = [];
  let after = 0;
  for (;;) {
    const rows = corpus.store.unitVectorsAfter(after, 4096);
    if (rows.length === 0) return out;
    out.push(...rows);
    after = rows[rows.length - 1]!.id;
  }
}

export { createRng };
