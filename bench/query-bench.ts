/**
 * Query benchmark: k = 10 nearest neighbours among N synthetic unit vectors of the real dimensionality
 * (DESCRIPTOR_COUNT), HNSW (the corpus index with its default parameters) against an exact scan
 * measured in the same run.
 *
 * Synthetic data model: real descriptor vectors are strongly correlated (a few underlying factors:
 * brightness, noisiness, level, pitch...) and clustered (kicks, hats, pads...), so points are drawn from
 * a mixture of 64 Gaussian clusters in a 10-dimensional latent space, projected onto all columns, plus
 * independent noise on every column (30 % of the latent scale). i.i.d. uniform vectors would be the
 * adversarial worst case for any ANN index and describe no real corpus; that case is reported too, at
 * a smaller size, so the difference is visible.
 *
 * Figures: build time, p50/p99 latency (1000 queries), recall@10 against the exact answer, exact-scan
 * latency and the speedup, snapshot save time, snapshot load time (median of fresh processes: wall, CPU,
 * time to the first answer from the load and from the process start; which loader, see
 * `src/corpus/hnsw-loader.ts`) and RSS of a fresh process holding the loaded index.
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { DESCRIPTOR_COUNT } from "../src/core/analysis/schema.js";
import { snapshotLoader } from "../src/corpus/hnsw-loader.js";
import { DEFAULT_HNSW_PARAMS, VectorIndex, type HnswParams } from "../src/corpus/vector-index.js";
import { median, seededRandom, type BenchFigure } from "./bench-util.js";

export interface QueryBenchOptions {
  /** Corpus size; default 1,000,000 (100,000 with `quick`). */
  readonly units?: number;
  readonly quick?: boolean;
  readonly hnsw?: HnswParams;
  /** Queries timed (default 1000). */
  readonly queries?: number;
  /** Queries checked against the exact answer (default 100; each costs one exact scan). */
  readonly truthQueries?: number;
  /** Also measure the uniform worst case (default true). */
  readonly uniform?: boolean;
  readonly log?: (line: string) => void;
}

const LATENT_DIMS = 10;
const CLUSTERS = 64;
const NOISE = 0.3;
const K = 10;

function gaussian(random: () => number): number {
  const u = Math.max(1e-12, random());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** Draws `count` points (row-major Float32Array) from the clustered latent model, seeded. */
export function clusteredPoints(count: number, dim: number, seed: number): Float32Array {
  const model = seededRandom(12345);
  const projection = Float64Array.from({ length: dim * LATENT_DIMS }, () => gaussian(model) / Math.sqrt(LATENT_DIMS));
  const centres = Float64Array.from({ length: CLUSTERS * LATENT_DIMS }, () => 2.5 * gaussian(model));
  const spread = Float64Array.from({ length: CLUSTERS }, () => 0.5 + model());
  const random = seededRandom(seed);
  const out = new Float32Array(count * dim);
  const latent = new Float64Array(LATENT_DIMS);
  for (let i = 0; i < count; i++) {
    const cluster = Math.floor(random() * CLUSTERS);
    for (let l = 0; l < LATENT_DIMS; l++) latent[l] = centres[cluster * LATENT_DIMS + l]! + spread[cluster]! * gaussian(random);
    for (let c = 0; c < dim; c++) {
      let x = 0;
      for (let l = 0; l < LATENT_DIMS; l++) x += projection[c * LATENT_DIMS + l]! * latent[l]!;
      out[i * dim + c] = x + NOISE * gaussian(random);
    }
  }
  return out;
}

/** i.i.d. standard Gaussian points (the adversarial case). */
export function uniformPoints(count: number, dim: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: count * dim }, () => gaussian(random));
}

function row(points: Float32Array, i: number, dim: number): number[] {
  return Array.from(points.subarray(i * dim, (i + 1) * dim));
}

/** Exact k nearest (labels 1..count) by a full scan; the reference the index is measured against. */
function exactKnn(points: Float32Array, count: number, dim: number, query: number[], k: number): number[] {
  const bestD = new Float64Array(k).fill(Infinity);
  const bestI = new Int32Array(k).fill(-1);
  for (let i = 0; i < count; i++) {
    let d = 0;
    const offset = i * dim;
    for (let c = 0; c < dim; c++) {
      const diff = points[offset + c]! - query[c]!;
      d += diff * diff;
    }
    if (d >= bestD[k - 1]!) continue;
    let j = k - 1;
    while (j > 0 && bestD[j - 1]! > d) {
      bestD[j] = bestD[j - 1]!;
      bestI[j] = bestI[j - 1]!;
      j--;
    }
    bestD[j] = d;
    bestI[j] = i;
  }
  return Array.from(bestI, (i) => i + 1);
}

function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

interface CaseResult {
  buildSec: number;
  p50Ms: number;
  p99Ms: number;
  recallAt10: number;
  exactMs: number;
  sweep: { ef: number; p50Ms: number; recallAt10: number }[];
  index: VectorIndex;
}

function runCase(
  points: Float32Array,
  queries: Float32Array,
  count: number,
  params: HnswParams,
  timedQueries: number,
  truthQueries: number,
  log: (line: string) => void,
  label: string,
): CaseResult {
  const dim = DESCRIPTOR_COUNT;
  const index = VectorIndex.create(dim, params, count);
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    index.add(i + 1, row(points, i, dim));
    if ((i + 1) % 100_000 === 0) log(`  ${label}: built ${i + 1} / ${count} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  }
  const buildSec = (performance.now() - t0) / 1000;
  log(`  ${label}: exact answers for ${truthQueries} queries`);
  const truth: number[][] = [];
  const exactTimes: number[] = [];
  for (let q = 0; q < truthQueries; q++) {
    const t = performance.now();
    truth.push(exactKnn(points, count, dim, row(queries, q, dim), K));
    exactTimes.push(performance.now() - t);
  }
  const measure = (ef: number): { p50Ms: number; p99Ms: number; recallAt10: number } => {
    for (let q = 0; q < Math.min(100, timedQueries); q++) index.search(row(queries, q, dim), K, ef); // warm-up
    const times: number[] = [];
    const vectors = Array.from({ length: timedQueries }, (_, q) => row(queries, q, dim));
    for (let q = 0; q < timedQueries; q++) {
      const t = performance.now();
      index.search(vectors[q]!, K, ef);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    let found = 0;
    for (let q = 0; q < truthQueries; q++) {
      const expected = new Set(truth[q]);
      for (const label of index.search(vectors[q]!, K, ef).labels) if (expected.has(label)) found++;
    }
    return { p50Ms: percentile(times, 0.5), p99Ms: percentile(times, 0.99), recallAt10: found / (truthQueries * K) };
  };
  const main = measure(params.efSearch);
  const sweep = [16, 32, 64, 128].map((ef) => ({ ef, ...measure(ef) }));
  return { buildSec, ...main, exactMs: median(exactTimes), sweep, index };
}

/** What one fresh process measured loading the snapshot. */
interface LoadRun {
  /** `VectorIndex.load` wall time. */
  loadSec: number;
  /** CPU time of the process during the load (robust to other processes sharing the cores). */
  loadCpuSec: number;
  /** From the start of the load to the first k-NN answer. */
  firstAnswerSec: number;
  /** From the start of the process (node startup, imports) to the first k-NN answer. */
  processToAnswerSec: number;
  rssMb: number;
  points: number;
}

/** Child mode: load a snapshot, answer one query, report times and RSS (a fresh process, as the daemon would be). */
async function loadChild(path: string, dim: number): Promise<void> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const index = await VectorIndex.load(path, dim);
  const t1 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const query = Array.from({ length: dim }, () => 0);
  index.search(query, K, DEFAULT_HNSW_PARAMS.efSearch);
  const t2 = performance.now();
  const run: LoadRun = {
    loadSec: (t1 - t0) / 1000,
    loadCpuSec: (cpu.user + cpu.system) / 1e6,
    firstAnswerSec: (t2 - t0) / 1000,
    processToAnswerSec: t2 / 1000, // performance.now() counts from the process start
    rssMb: process.memoryUsage().rss / 2 ** 20,
    points: index.storedCount,
  };
  process.stdout.write(JSON.stringify(run) + "\n");
}

/** Fresh processes loading the snapshot: the median of several runs (the machine may be shared). */
const LOAD_RUNS = 3;

function medianRun(runs: readonly LoadRun[]): LoadRun {
  const pick = (key: keyof LoadRun): number => median(runs.map((r) => r[key]));
  return {
    loadSec: pick("loadSec"),
    loadCpuSec: pick("loadCpuSec"),
    firstAnswerSec: pick("firstAnswerSec"),
    processToAnswerSec: pick("processToAnswerSec"),
    rssMb: pick("rssMb"),
    points: pick("points"),
  };
}

export async function runQueryBench(options: QueryBenchOptions = {}): Promise<{ figures: BenchFigure[]; json: Record<string, unknown> }> {
  const quick = options.quick ?? false;
  const count = options.units ?? (quick ? 100_000 : 1_000_000);
  const params = options.hnsw ?? DEFAULT_HNSW_PARAMS;
  const timed = options.queries ?? 1000;
  const truthQueries = options.truthQueries ?? 100;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const dim = DESCRIPTOR_COUNT;

  log(`query bench: ${count} clustered points x ${dim} dims, M=${params.m} efConstruction=${params.efConstruction} ef=${params.efSearch}`);
  const points = clusteredPoints(count, dim, 1);
  const queries = clusteredPoints(timed, dim, 2);
  const clustered = runCase(points, queries, count, params, timed, truthQueries, log, "clustered");

  const dir = await mkdtemp(join(tmpdir(), "mass-audio-query-bench-"));
  const loader = snapshotLoader();
  const loadRuns: LoadRun[] = [];
  let snapshotBytes = 0;
  let saveSec = Number.NaN;
  try {
    const file = join(dir, "bench.hnsw");
    const t0 = performance.now();
    await clustered.index.write(file);
    saveSec = (performance.now() - t0) / 1000;
    snapshotBytes = (await stat(file)).size;
    const self = fileURLToPath(import.meta.url);
    log(`  snapshot: ${(snapshotBytes / 2 ** 20).toFixed(0)} MB written in ${saveSec.toFixed(2)} s; ${LOAD_RUNS} loads in fresh processes (${loader.detail})`);
    for (let run = 0; run < LOAD_RUNS; run++) {
      if (self.endsWith(".js")) {
        const output = execFileSync(process.execPath, [self, "--load-child", file, String(dim)], { encoding: "utf8" });
        loadRuns.push(JSON.parse(output.trim().split("\n").pop()!) as LoadRun);
      } else {
        const t1 = performance.now();
        await VectorIndex.load(file, dim);
        const loadSec = (performance.now() - t1) / 1000;
        loadRuns.push({ loadSec, loadCpuSec: Number.NaN, firstAnswerSec: loadSec, processToAnswerSec: Number.NaN, rssMb: Number.NaN, points: count });
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const load = medianRun(loadRuns);

  const uniformCount = Math.min(count, 100_000);
  let uniform: CaseResult | undefined;
  if (options.uniform ?? true) {
    log(`uniform worst case: ${uniformCount} i.i.d. Gaussian points`);
    uniform = runCase(uniformPoints(uniformCount, dim, 3), uniformPoints(timed, dim, 4), uniformCount, params, timed, truthQueries, log, "uniform");
  }

  const speedup = clustered.exactMs / clustered.p50Ms;
  const json: Record<string, unknown> = {
    units: count,
    dimensions: dim,
    m: params.m,
    efConstruction: params.efConstruction,
    efSearch: params.efSearch,
    buildSec: clustered.buildSec,
    buildPointsPerSec: count / clustered.buildSec,
    p50Ms: clustered.p50Ms,
    p99Ms: clustered.p99Ms,
    recallAt10: clustered.recallAt10,
    exactScanMs: clustered.exactMs,
    speedupVsExact: speedup,
    snapshotMb: snapshotBytes / 2 ** 20,
    saveSec,
    fastSnapshotLoader: loader.fast,
    loadSec: load.loadSec,
    loadCpuSec: load.loadCpuSec,
    firstAnswerSec: load.firstAnswerSec,
    processToFirstAnswerSec: load.processToAnswerSec,
    loadRuns,
    loadedRssMb: load.rssMb,
    ...Object.fromEntries(clustered.sweep.flatMap((s) => [[`ef${s.ef}P50Ms`, s.p50Ms], [`ef${s.ef}Recall`, s.recallAt10]])),
    ...(uniform
      ? {
          uniformUnits: uniformCount,
          uniformP50Ms: uniform.p50Ms,
          uniformRecallAt10: uniform.recallAt10,
          ...Object.fromEntries(uniform.sweep.map((s) => [`uniformEf${s.ef}Recall`, s.recallAt10])),
        }
      : {}),
  };
  const figures: BenchFigure[] = [
    { name: `build ${count} points`, value: clustered.buildSec, unit: "s" },
    { name: "query p50 (k=10)", value: clustered.p50Ms, unit: "ms", goal: "<= 0.5 ms", pass: clustered.p50Ms <= 0.5 },
    { name: "query p99 (k=10)", value: clustered.p99Ms, unit: "ms", goal: "<= 2 ms", pass: clustered.p99Ms <= 2 },
    { name: "recall@10", value: clustered.recallAt10, unit: "", goal: ">= 0.95", pass: clustered.recallAt10 >= 0.95 },
    { name: "exact scan (same run)", value: clustered.exactMs, unit: "ms" },
    { name: "speedup vs exact", value: speedup, unit: "x", goal: ">= 50x", pass: speedup >= 50 },
    { name: `snapshot save (${(snapshotBytes / 2 ** 20).toFixed(0)} MB)`, value: saveSec, unit: "s" },
    { name: `snapshot load (median of ${LOAD_RUNS})`, value: load.loadSec, unit: "s", goal: "<= 3 s", pass: load.loadSec <= 3 },
    { name: "snapshot load, CPU time", value: load.loadCpuSec, unit: `s (${loader.fast ? "fast" : "stock"} loader)` },
    { name: "load start to first answer", value: load.firstAnswerSec, unit: "s" },
    { name: "process start to first answer", value: load.processToAnswerSec, unit: "s" },
    { name: "RSS with index loaded", value: load.rssMb, unit: "MB", goal: "<= 1024 MB", pass: load.rssMb <= 1024 },
    ...clustered.sweep.map((s) => ({ name: `ef=${s.ef}: p50 / recall`, value: s.recallAt10, unit: `recall, p50 ${s.p50Ms.toFixed(3)} ms` })),
  ];
  if (uniform) {
    figures.push(
      ...uniform.sweep.map((s) => ({
        name: `uniform ${uniformCount}, ef=${s.ef}`,
        value: s.recallAt10,
        unit: `recall, p50 ${s.p50Ms.toFixed(3)} ms`,
      })),
    );
  }
  return { figures, json };
}

if (process.argv[2] === "--load-child" && process.argv[1] === fileURLToPath(import.meta.url)) {
  await loadChild(process.argv[3]!, Number(process.argv[4]));
}
