/**
 * The analysis port of the indexer: a file path in, its units (or why not) out. Two implementations:
 * a `worker_threads` pool (piscina, one thread per core; the main thread stays free for queries) and an
 * inline one (same thread; for tests of the indexing logic and for tiny jobs).
 */
import { availableParallelism } from "node:os";
import { Piscina } from "piscina";
import type { Unit } from "../core/analysis/unit.js";
import type { AnalysisOptions, FileAnalysis } from "../io/analyze-file.js";
import analyse from "./analysis-worker.js";
import { siblingModuleUrl, sourceModeExecArgv } from "./source-mode.js";
import { ANALYSIS_THREAD_NICE } from "./thread-priority.js";

export interface AnalysisJob {
  readonly path: string;
  readonly options: Partial<AnalysisOptions>;
  /** Folder of the embedding model to run on the units (loaded once per thread). */
  readonly embeddingModelDir?: string;
}

export type AnalysisOutcome =
  | { readonly ok: true; readonly analysis: FileAnalysis }
  | { readonly ok: false; readonly error: { readonly code: string; readonly message: string } };

/** A regeneration target to analyse: a file (decoded whole; its samples come back) or samples in memory. */
export type TargetAnalysisJob = (
  | { readonly path: string; readonly options: Partial<AnalysisOptions> }
  | { readonly channels: readonly Float32Array[]; readonly sampleRateHz: number; readonly name: string; readonly options: Partial<AnalysisOptions> }
) & {
  /** Folder of the corpus's embedding model: the target units get embeddings as corpus units do. */
  readonly embeddingModelDir?: string;
};

export type TargetAnalysisOutcome =
  | {
      readonly ok: true;
      readonly units: Unit[];
      readonly sampleRateHz: number;
      readonly bitDepth: number | undefined;
      /** The decoded samples of a file target (absent for samples in memory). */
      readonly channels?: Float32Array[];
      /** One embedding per unit (null for silent units) when the job named a model. */
      readonly embeddings?: (Float32Array | null)[];
    }
  | { readonly ok: false; readonly error: { readonly code: string; readonly message: string } };

export interface Analyzer {
  /** How many jobs run at once. */
  readonly concurrency: number;
  analyze(job: AnalysisJob): Promise<AnalysisOutcome>;
  /**
   * Analyses a regeneration target (`analyzeSamples`, the corpus code path) off the calling thread.
   * The buffers of a samples job may be transferred (detached): pass arrays the caller does not need, or
   * arrays over SharedArrayBuffers (read in place; leave them unchanged until the promise settles).
   * Optional: without it, regeneration analyses on its own thread.
   */
  analyzeTarget?(job: TargetAnalysisJob): Promise<TargetAnalysisOutcome>;
  /**
   * Gets every thread ready (its modules and the embedding model's session loaded) while the caller does
   * other work (walking folders, loading the index): the first files then start at full speed.
   * Optional; never rejects.
   */
  warm?(embeddingModelDir?: string): Promise<void>;
  close(): Promise<void>;
}

/** Analyses on the calling thread, one job at a time. */
export function createInlineAnalyzer(): Analyzer {
  return {
    concurrency: 1,
    analyze: (job) => analyse(job),
    async close() {},
  };
}

export interface WorkerAnalyzerOptions {
  /** Worker threads; default one per core. */
  readonly threads?: number;
  /**
   * Nice value of the worker threads on Linux (0..19, default `ANALYSIS_THREAD_NICE` = 10; 0 = as the
   * process): queries on the main thread then preempt analysis.
   */
  readonly nice?: number;
}

/**
 * Analyses in a pool of worker threads (see `source-mode.ts` for how workers load from source). Files
 * (indexing, background work) run in `threads` threads at the lowered priority; regeneration targets (a
 * musician waits for them) run in a thread of their own at normal priority, started on first use, so they
 * never queue behind a folder being indexed nor lose the core to it.
 */
export function createWorkerAnalyzer(options: WorkerAnalyzerOptions = {}): Analyzer {
  const threads = Math.max(1, Math.floor(options.threads ?? availableParallelism()));
  const execArgv = sourceModeExecArgv();
  const poolOf = (size: number, nice: number): Piscina =>
    new Piscina({
      filename: siblingModuleUrl("analysis-worker"),
      minThreads: size,
      maxThreads: size,
      idleTimeout: 60_000,
      workerData: { nice },
      ...(execArgv.length > 0 ? { execArgv } : {}),
    });
  const pool = poolOf(threads, options.nice ?? ANALYSIS_THREAD_NICE);
  let targetPool: Piscina | undefined;
  return {
    concurrency: threads,
    analyze: (job) => pool.run(job) as Promise<AnalysisOutcome>,
    // Samples move to the worker (transferred, not copied by structured cloning on this thread).
    analyzeTarget: (job) =>
      (targetPool ??= poolOf(1, 0)).run(job, {
        name: "analyseTarget",
        // buffers move to the worker; shared memory is read there in place
        transferList: "channels" in job ? job.channels.flatMap((c) => (c.buffer instanceof ArrayBuffer ? [c.buffer] : [])) : [],
      }) as Promise<TargetAnalysisOutcome>,
    warm: async (embeddingModelDir) => {
      // one task per thread: idle threads take one task each
      const job = embeddingModelDir ? { embeddingModelDir } : {};
      await Promise.all(Array.from({ length: threads }, () => pool.run(job, { name: "warm" }).catch(() => false)));
    },
    close: async () => {
      await Promise.all([pool.destroy(), targetPool?.destroy()]);
    },
  };
}
