/**
 * A large synthetic corpus for the regeneration benchmark, built once and cached under the OS temp folder
 * (keyed by its parameters and the schema versions it depends on).
 *
 * Every unit points at real CC0 audio, so reads and rendering are real: the CC0 corpus is replicated
 * through symbolic links (`links/cNNNN/<file>`, one folder per copy), each copy's units keep their files'
 * frames and get their descriptor vectors jittered in the fitted feature space (Gaussian, `JITTER_Z` robust
 * standard deviations per column, duration kept), so the index holds `units` distinct points in clusters
 * around the real units, as a real collection of similar sounds would. Files listed in `keepOnce` (the
 * benchmark's target files) are stored once with their real vectors and never replicated.
 *
 * The rows are written straight into the store, then `MassAudio.open` fits the feature space, builds the
 * HNSW index from the store (a few minutes for 1,000,000 units) and writes its snapshot; later runs load
 * the snapshot.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { performance } from "node:perf_hooks";
import { descriptorIndex, DESCRIPTOR_COUNT, DESCRIPTOR_SCHEMA_VERSION } from "../src/core/analysis/schema.js";
import type { Unit } from "../src/core/analysis/unit.js";
import type { Corpus } from "../src/corpus/corpus.js";
import type { FeatureSpace } from "../src/corpus/feature-space.js";
import { CorpusStore, STORE_FORMAT_VERSION, type FileRecord, type UnitRecord } from "../src/corpus/store.js";
import { MassAudio } from "../src/service/mass-audio.js";
import { seededRandom } from "./bench-util.js";

/** Jitter of the replicated vectors: 0.3 robust standard deviations per column. */
const JITTER_Z = 0.3;
/** Bump when the way the corpus is made changes (invalidates cached builds). */
const BUILD_FORMAT = 1;
const DURATION = descriptorIndex("durationSec");
/** Floor before log10, as the feature space's (1e-3). */
const LOG_FLOOR = 1e-3;

function gaussian(random: () => number): number {
  const u = Math.max(1e-12, random());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** A copy of `vector` moved by `JITTER_Z` robust standard deviations (Gaussian) in every column but duration. */
function jitter(space: FeatureSpace, vector: Float32Array, random: () => number): Float32Array {
  const out = Float32Array.from(vector);
  for (let c = 0; c < DESCRIPTOR_COUNT; c++) {
    const v = vector[c]!;
    if (c === DURATION || !Number.isFinite(v)) continue;
    const step = JITTER_Z * space.scale[c]! * gaussian(random);
    out[c] = space.transforms[c] === "log" ? Math.pow(10, Math.log10(Math.max(v, LOG_FLOOR)) + step) : v + step;
  }
  return out;
}

function asUnit(record: UnitRecord, index: number, vector: Float32Array, rate: number): Unit {
  return {
    index,
    startFrame: record.startFrame,
    endFrame: record.endFrame,
    startSec: record.startFrame / rate,
    endSec: record.endFrame / rate,
    silent: record.silent,
    vector,
  };
}

export interface LargeCorpus {
  readonly dataDir: string;
  readonly units: number;
  readonly files: number;
  readonly builtNow: boolean;
  readonly buildSec: number;
}

/**
 * Returns the data folder of a corpus of `units` units made from `seed` (an indexed CC0 corpus), building
 * it when no cached build with the same parameters exists.
 * @param keepOnce absolute paths of seed files stored once, unreplicated (the benchmark's targets).
 */
export async function largeCorpus(seed: Corpus, units: number, keepOnce: readonly string[], log: (line: string) => void): Promise<LargeCorpus> {
  const files: { record: FileRecord; units: UnitRecord[] }[] = [];
  for (let after = 0; ; ) {
    const page = seed.store.filesAfter(after, 4096);
    if (page.length === 0) break;
    for (const record of page) if (record.status === "ok" && record.unitCount > 0) files.push({ record, units: seed.store.unitsOfFile(record.id) });
    after = page[page.length - 1]!.id;
  }
  files.sort((a, b) => (a.record.path < b.record.path ? -1 : 1));
  const analysisVersion = files[0]?.record.analysisVersion ?? "";
  const rootOptions = seed.store.listRoots()[0]?.analysisOptions ?? "{}";
  const key = createHash("sha256")
    .update(JSON.stringify({ BUILD_FORMAT, units, JITTER_Z, DESCRIPTOR_SCHEMA_VERSION, STORE_FORMAT_VERSION, analysisVersion, rootOptions, keepOnce: keepOnce.map((p) => basename(p)), files: files.map((f) => [basename(f.record.path), f.record.fingerprint, f.units.length]) }))
    .digest("hex")
    .slice(0, 12);
  const dataDir = join(tmpdir(), `mass-audio-regen-bench-${units}-${key}`);
  const readyPath = join(dataDir, "ready.json");
  if (existsSync(readyPath)) {
    const ready = JSON.parse(await readFile(readyPath, "utf8")) as { units: number; files: number; buildSec: number };
    return { dataDir, units: ready.units, files: ready.files, builtNow: false, buildSec: ready.buildSec };
  }

  const started = performance.now();
  await rm(dataDir, { recursive: true, force: true });
  const linksDir = join(dataDir, "links");
  const dbDir = join(dataDir, "db");
  await mkdir(linksDir, { recursive: true });
  const store = CorpusStore.open(dbDir);
  let written = 0;
  let fileCount = 0;
  try {
    const root = store.addRoot(linksDir, rootOptions);
    const random = seededRandom(20261129);
    const once = new Set(keepOnce);
    const add = async (folder: string, source: { record: FileRecord; units: UnitRecord[] }, replicate: boolean, limit: number): Promise<number> => {
      const path = join(linksDir, folder, basename(source.record.path));
      await symlink(source.record.path, path);
      const identity = { sizeBytes: source.record.sizeBytes, mtimeMs: source.record.mtimeMs, fingerprint: source.record.fingerprint };
      const file = store.markPending(root.id, path, identity, source.record.categoryMask);
      const rate = source.record.sampleRateHz ?? 44_100;
      const chosen = source.units.slice(0, limit);
      store.commitAnalysis(file.id, identity, {
        analysisVersion: source.record.analysisVersion ?? analysisVersion,
        format: source.record.format ?? "flac",
        sampleRateHz: rate,
        channelCount: source.record.channelCount ?? 1,
        frameCount: source.record.frameCount,
        durationSec: source.record.durationSec,
        analysisSec: 0,
        units: chosen.map((u, i) => asUnit(u, i, replicate ? jitter(seed.space, u.vector, random) : u.vector, rate)),
      });
      fileCount++;
      return chosen.length;
    };
    await mkdir(join(linksDir, "once"));
    for (const source of files) if (once.has(source.record.path)) written += await add("once", source, false, Infinity);
    const replicated = files.filter((f) => !once.has(f.record.path));
    for (let copy = 1; written < units; copy++) {
      const folder = `c${String(copy).padStart(5, "0")}`;
      await mkdir(join(linksDir, folder));
      for (const source of replicated) {
        if (written >= units) break;
        written += await add(folder, source, true, units - written);
      }
      if (copy % 100 === 0) log(`  large corpus: ${written} / ${units} units stored (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    }
  } finally {
    store.close();
  }
  log(`  large corpus: ${written} units in ${fileCount} files stored; building the index (minutes)`);
  let lastLog = performance.now();
  const service = await MassAudio.open({
    dataDir: dbDir,
    onOpenProgress: (p) => {
      if (performance.now() - lastLog < 10_000) return;
      lastLog = performance.now();
      log(`  large corpus: ${p.phase} ${p.done} / ${p.total} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    },
  });
  await service.close();
  const buildSec = (performance.now() - started) / 1000;
  const temp = `${readyPath}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify({ units: written, files: fileCount, buildSec }));
  await rename(temp, readyPath);
  log(`  large corpus: ready in ${buildSec.toFixed(0)} s (${dataDir})`);
  return { dataDir, units: written, files: fileCount, builtNow: true, buildSec };
}

/** The store folder of a large corpus (`MassAudio.open({ dataDir })`). */
export function largeCorpusDbDir(corpus: LargeCorpus): string {
  return join(corpus.dataDir, "db");
}
