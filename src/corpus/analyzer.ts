/**
 * The analysis port of the indexer: a file path in, its units (or why not) out. Two implementations:
 * a `worker_threads` pool (piscina, one thread per core; the main thread stays free for queries) and an
 * inline one (same thread; for tests of the indexing logic and for tiny jobs).
 */
import { availableParallelism } from "node:os";
import { Piscina } from "piscina";
import type { AnalysisOptions, FileAnalysis } from "../io/analyze-file.js";
import { analyzeFile } from "../io/analyze-file.js";
import { describeError } from "./analysis-worker.js";
import { siblingModuleUrl, sourceModeExecArgv } from "./source-mode.js";

export interface AnalysisJob {
  readonly path: string;
  readonly options: Partial<AnalysisOptions>;
}

export type AnalysisOutcome =
  | { readonly ok: true; readonly analysis: FileAnalysis }
  | { readonly ok: false; readonly error: { readonly code: string; readonly message: string } };

export interface Analyzer {
  /** How many jobs run at once. */
  readonly concurrency: number;
  analyze(job: AnalysisJob): Promise<AnalysisOutcome>;
  close(): Promise<void>;
}

/** Analyses on the calling thread, one job at a time. */
export function createInlineAnalyzer(): Analyzer {
  return {
    concurrency: 1,
    async analyze(job) {
      try {
        return { ok: true, analysis: await analyzeFile(job.path, job.options) };
      } catch (error) {
        return { ok: false, error: describeError(error) };
      }
    },
    async close() {},
  };
}

export interface WorkerAnalyzerOptions {
  /** Worker threads; default one per core. */
  readonly threads?: number;
}

/** Analyses in a pool of worker threads (see `source-mode.ts` for how workers load from source). */
export function createWorkerAnalyzer(options: WorkerAnalyzerOptions = {}): Analyzer {
  const threads = Math.max(1, Math.floor(options.threads ?? availableParallelism()));
  const execArgv = sourceModeExecArgv();
  const pool = new Piscina({
    filename: siblingModuleUrl("analysis-worker"),
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: 60_000,
    ...(execArgv.length > 0 ? { execArgv } : {}),
  });
  return {
    concurrency: threads,
    analyze: (job) => pool.run(job) as Promise<AnalysisOutcome>,
    close: () => pool.destroy(),
  };
}
