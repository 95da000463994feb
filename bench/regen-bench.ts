/**
 * Regeneration benchmark (`npm run bench -- regen [--quick] [--json]`): a 16-second stereo target (two CC0
 * loops back to back) regenerated end to end and warm (corpus open, worker pool started, source ranges
 * cached), with the split per stage (analysis, search + lattice, selection, source reads, rendering) and
 * the longest main-thread stall, against
 *
 * - the CC0 corpus (the target's two files left out of the candidates), and
 * - a large synthetic corpus of 1,000,000 units (100,000 with `--quick`) made of replicated CC0 units
 *   with jittered vectors, every unit pointing at real CC0 audio (see `regen-large-corpus.ts`; built once,
 *   a few minutes per million units, and cached under the OS temp folder).
 *
 * The engine runs as the service runs it: target analysis in the worker pool, everything else on the main
 * thread in slices of about 4 ms, reusing one render workspace (as `regenerate` reuses its holder's between
 * regenerations). The same runs with everything on the main thread in one go (analysis
 * inline, no slicing) are measured in the same process for comparison. Stalls are measured in separate
 * runs while a query (`find`) is issued every millisecond: the longest gap between two turns of the event
 * loop during a regeneration, and the longest time a query waited; once more with the WAV and sidecar
 * written (`regenerate`, whose WAV encoding is sliced too).
 *
 * Rendering speed is seconds of audio per second of render stage, for the default fit (trim) and for
 * WSOLA stretching.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { RenderWorkspace } from "../src/core/render/render-workspace.js";
import { createWorkerAnalyzer, type Analyzer } from "../src/corpus/analyzer.js";
import { MassAudio } from "../src/service/mass-audio.js";
import { regenerate, regenerateAudio, type RegenerateDeps, type RegenerateRequest, type StageTimings } from "../src/service/regenerate.js";
import { SourceCache } from "../src/service/source-cache.js";
import { concatenatedTarget, median, type BenchFigure } from "./bench-util.js";
import { CC0_DIR } from "./eval-regen.js";
import { largeCorpus, largeCorpusDbDir } from "./regen-large-corpus.js";

const TARGET_FILES = ["loop_garzul.flac", "loop_mika.flac"];
/** Target length: 16 s. */
const TARGET_SEC = 16;
/** Interval of the queries issued while measuring stalls: 1 ms. */
const QUERY_INTERVAL_MS = 1;

type Target = { channels: Float32Array[]; sampleRateHz: number };

function buildTarget(): Promise<Target> {
  return concatenatedTarget(TARGET_FILES, TARGET_SEC);
}

function medianTimings(list: readonly StageTimings[]): StageTimings {
  const pick = (key: keyof StageTimings): number => median(list.map((t) => t[key]));
  return {
    analyseMs: pick("analyseMs"),
    searchMs: pick("searchMs"),
    selectMs: pick("selectMs"),
    readMs: pick("readMs"),
    renderMs: pick("renderMs"),
    writeMs: pick("writeMs"),
  };
}

interface RunFigures {
  /** Per-stage medians. */
  readonly stages: StageTimings;
  /** Median wall time of a whole regeneration (audio, no write). */
  readonly endToEndMs: number;
  readonly endToEndAllMs: number[];
  readonly units: number;
}

/**
 * Times regenerations with each set of deps, the sets taking turns run after run (so that a change of
 * machine load over the measurement falls on all of them alike).
 */
async function timeRuns(service: MassAudio, request: RegenerateRequest, variants: readonly RegenerateDeps[], runs: number): Promise<RunFigures[]> {
  for (const deps of variants) {
    await regenerateAudio(service, request, undefined, deps); // warm-up: caches, JIT
    await regenerateAudio(service, request, undefined, deps);
  }
  const timings: StageTimings[][] = variants.map(() => []);
  const walls: number[][] = variants.map(() => []);
  let units = 0;
  for (let i = 0; i < runs; i++) {
    for (let v = 0; v < variants.length; v++) {
      const t0 = performance.now();
      const audio = await regenerateAudio(service, request, undefined, variants[v]!);
      walls[v]!.push(performance.now() - t0);
      timings[v]!.push(audio.timings);
      units = audio.units.length;
    }
  }
  return variants.map((_, v) => ({ stages: medianTimings(timings[v]!), endToEndMs: median(walls[v]!), endToEndAllMs: walls[v]!, units }));
}

interface StallFigures {
  /** Median over runs of the longest event-loop gap during a regeneration, ms. */
  readonly medianLongestMs: number;
  /** Longest gap over all runs, ms. */
  readonly longestMs: number;
  /** Longest time a query issued during a regeneration waited for its answer, ms. */
  readonly longestQueryMs: number;
  readonly queries: number;
}

/** Runs `work` while a `find` is due every millisecond; measures event-loop gaps and query waits. */
async function measureStalls(service: MassAudio, work: () => Promise<unknown>, runs: number, query: Float32Array): Promise<StallFigures> {
  const longest: number[] = [];
  let longestQuery = 0;
  let queries = 0;
  for (let i = 0; i < runs; i++) {
    let running = true;
    let gap = 0;
    let last = performance.now();
    const ticker = (async () => {
      while (running) {
        const due = performance.now() + QUERY_INTERVAL_MS;
        await new Promise((resolve) => setTimeout(resolve, QUERY_INTERVAL_MS));
        const woke = performance.now();
        gap = Math.max(gap, woke - last);
        await service.find({ target: { vector: query }, k: 10 });
        queries++;
        const answered = performance.now();
        longestQuery = Math.max(longestQuery, answered - due);
        last = answered;
      }
    })();
    await work();
    running = false;
    await ticker;
    longest.push(gap);
  }
  return { medianLongestMs: median(longest), longestMs: Math.max(...longest), longestQueryMs: longestQuery, queries };
}

interface CorpusFigures {
  readonly units: number;
  readonly sliced: RunFigures;
  readonly inline: RunFigures;
  readonly stalls: StallFigures;
  readonly inlineStalls: StallFigures;
  /** Stalls of `regenerate` (WAV + sidecar written). */
  readonly writeStalls: StallFigures;
  /** The probe's gaps with no regeneration running, as long as one takes (the machine's noise floor). */
  readonly idleStalls: StallFigures;
}

/** The engine as the service runs it (worker analysis, slices) and all on the main thread, same corpus and request. */
async function measureCorpus(service: MassAudio, request: RegenerateRequest, analyzer: Analyzer, cache: SourceCache, runs: number, outDir: string): Promise<CorpusFigures> {
  const sliced: RegenerateDeps = { cache, analyzer, workspace: new RenderWorkspace() };
  // the reference reuses a workspace of its own too: runs alternate, and its garbage would otherwise be
  // collected during the next sliced run
  const inline: RegenerateDeps = { cache, analyzer: null, sliceMs: Number.POSITIVE_INFINITY, workspace: new RenderWorkspace() };
  const first = await regenerateAudio(service, request, undefined, sliced);
  const query = service.corpus.unit(first.units.find((u) => u.source)!.source!.unitId).vector;
  const stallRuns = Math.max(3, Math.ceil(runs / 2));
  return {
    units: service.corpus.catalog.liveUnitCount,
    ...(await timeRuns(service, request, [sliced, inline], runs).then(([a, b]) => ({ sliced: a!, inline: b! }))),
    stalls: await measureStalls(service, () => regenerateAudio(service, request, undefined, sliced), stallRuns, query),
    inlineStalls: await measureStalls(service, () => regenerateAudio(service, request, undefined, inline), stallRuns, query),
    writeStalls: await measureStalls(service, () => regenerate(service, { ...request, outPath: join(outDir, "stall.wav") }, undefined, sliced), stallRuns, query),
    idleStalls: await measureStalls(service, () => new Promise((resolve) => setTimeout(resolve, 150)), stallRuns, query),
  };
}

function stageFigures(label: string, f: CorpusFigures, goalMs: number): BenchFigure[] {
  const t = f.sliced.stages;
  return [
    { name: `${label}: analysis (worker)`, value: t.analyseMs, unit: "ms" },
    { name: `${label}: search + lattice`, value: t.searchMs, unit: "ms" },
    { name: `${label}: selection`, value: t.selectMs, unit: "ms" },
    { name: `${label}: source reads (warm cache)`, value: t.readMs, unit: "ms" },
    { name: `${label}: render + mix`, value: t.renderMs, unit: "ms" },
    { name: `${label}: end to end, warm`, value: f.sliced.endToEndMs, unit: "ms", goal: `<= ${goalMs}`, pass: f.sliced.endToEndMs <= goalMs },
    { name: `${label}: longest main-thread stall`, value: f.stalls.medianLongestMs, unit: `ms (max ${f.stalls.longestMs.toFixed(1)})`, goal: "<= 5 (aim)", pass: f.stalls.medianLongestMs <= 5 },
    { name: `${label}: longest find wait while regenerating`, value: f.stalls.longestQueryMs, unit: "ms" },
    { name: `${label}: probe's longest gap, nothing running (noise floor)`, value: f.idleStalls.medianLongestMs, unit: `ms (max ${f.idleStalls.longestMs.toFixed(1)})` },
    { name: `${label}: longest stall incl. WAV + sidecar write`, value: f.writeStalls.medianLongestMs, unit: `ms (max ${f.writeStalls.longestMs.toFixed(1)})` },
    { name: `${label}: same, all on the main thread: end to end`, value: f.inline.endToEndMs, unit: "ms" },
    { name: `${label}: same, all on the main thread: stall`, value: f.inlineStalls.medianLongestMs, unit: "ms" },
  ];
}

export const runRegenBench = async (options: { quick: boolean }): Promise<{ figures: BenchFigure[]; json: Record<string, unknown> }> => {
  const runs = options.quick ? 5 : 9;
  const largeUnits = options.quick ? 100_000 : 1_000_000;
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const dir = await mkdtemp(join(tmpdir(), "mass-audio-regen-bench-"));
  const analyzer = createWorkerAnalyzer();
  const indexing = await MassAudio.open({ dataDir: join(dir, "db"), analyzer });
  try {
    await indexing.addRoot(CC0_DIR);
    await indexing.index();
  } finally {
    await indexing.close();
  }
  // Measured on a settled corpus: no index pumps, refits or snapshots running between the slices.
  const service = await MassAudio.open({ dataDir: join(dir, "db"), readOnly: true, analyzer });
  try {
    const target = await buildTarget();
    const excludeFileIds = TARGET_FILES.flatMap((name) => {
      const file = service.corpus.store.getFileByPath(join(CC0_DIR, name));
      return file ? [file.id] : [];
    });
    const cache = new SourceCache({ maxBytes: 256 * 1024 * 1024 });
    const request: RegenerateRequest = { target: { ...target, name: "16 s target" }, filter: { excludeFileIds }, options: { seed: 1 } };
    log("regen bench: CC0 corpus");
    const cc0 = await measureCorpus(service, request, analyzer, cache, runs, dir);

    const stretchRequest: RegenerateRequest = { ...request, options: { seed: 1, fit: "stretch" } };
    const [stretch] = (await timeRuns(service, stretchRequest, [{ cache, analyzer, workspace: new RenderWorkspace() }], runs)) as [RunFigures];
    const written: StageTimings[] = [];
    for (let i = 0; i < Math.min(3, runs); i++) {
      written.push((await regenerate(service, { ...request, outPath: join(dir, `out-${i}.wav`) }, undefined, { cache, analyzer })).timings);
    }
    const w = medianTimings(written);

    log(`regen bench: ${largeUnits}-unit corpus`);
    const large = await largeCorpus(service.corpus, largeUnits, TARGET_FILES.map((name) => join(CC0_DIR, name)), log);
    const openStarted = performance.now();
    const big = await MassAudio.open({ dataDir: largeCorpusDbDir(large), readOnly: true, analyzer });
    const openSec = (performance.now() - openStarted) / 1000;
    let bigFigures: CorpusFigures;
    try {
      const bigExclude = TARGET_FILES.flatMap((name) => {
        const file = big.corpus.store.getFileByPath(join(large.dataDir, "links", "once", name));
        return file ? [file.id] : [];
      });
      const bigCache = new SourceCache({ maxBytes: 256 * 1024 * 1024 });
      bigFigures = await measureCorpus(big, { ...request, filter: { excludeFileIds: bigExclude } }, analyzer, bigCache, runs, dir);
      await bigCache.close();
    } finally {
      await big.close();
    }
    await cache.close();

    const renderSpeed = (TARGET_SEC * 1000) / cc0.sliced.stages.renderMs;
    const stretchSpeed = (TARGET_SEC * 1000) / stretch.stages.renderMs;
    const figures: BenchFigure[] = [
      { name: "CC0 corpus units", value: cc0.units, unit: "" },
      { name: `target units (${TARGET_SEC} s)`, value: cc0.sliced.units, unit: "" },
      ...stageFigures("CC0", cc0, 100),
      { name: "CC0: incl. WAV + sidecar write", value: w.analyseMs + w.searchMs + w.selectMs + w.readMs + w.renderMs + w.writeMs, unit: `ms (write ${w.writeMs.toFixed(1)})` },
      { name: "rendering speed (trim)", value: renderSpeed, unit: "x realtime", goal: ">= 200", pass: renderSpeed >= 200 },
      { name: "rendering speed (WSOLA stretch)", value: stretchSpeed, unit: "x realtime" },
      { name: `large corpus units${large.builtNow ? ` (built now, ${large.buildSec.toFixed(0)} s)` : " (cached)"}`, value: bigFigures.units, unit: `(opened in ${openSec.toFixed(1)} s)` },
      ...stageFigures(largeUnits >= 1_000_000 ? "1M" : `${largeUnits / 1000}k`, bigFigures, 300),
    ];
    return {
      figures,
      json: {
        targetSec: TARGET_SEC,
        targetUnits: cc0.sliced.units,
        runs,
        cc0,
        stretch: stretch.stages,
        written: w,
        renderSpeed,
        stretchSpeed,
        large: { ...large, openSec, ...bigFigures },
      },
    };
  } finally {
    await service.close();
    await analyzer.close();
    await rm(dir, { recursive: true, force: true });
  }
};
