/**
 * Worker-thread entry (piscina): analyses one file with the corpus analysis code path. Errors are
 * returned as data, because thrown errors lose their type and fields when they cross the thread boundary.
 */
import { isMainThread } from "node:worker_threads";
import { move, transferableSymbol, valueSymbol, workerData } from "piscina";
import { MassAudioError } from "../core/errors.js";
import { analyzeClip, analyzeFile, prepareAnalysis } from "../io/analyze-file.js";
import { readWholeFile } from "../io/audio-reader.js";
import type { AnalysisJob, AnalysisOutcome, TargetAnalysisJob, TargetAnalysisOutcome } from "./analyzer.js";
import { ANALYSIS_THREAD_NICE, lowerThreadPriority } from "./thread-priority.js";

// In a pool thread (not when the inline analyzer imports this module on the main thread): analysis
// yields the core to the main thread, which answers queries (see thread-priority.ts).
if (!isMainThread) lowerThreadPriority((workerData as { nice?: number } | undefined)?.nice ?? ANALYSIS_THREAD_NICE);

export default async function analyse(job: AnalysisJob): Promise<AnalysisOutcome> {
  try {
    // onnxruntime loads only in threads that embed
    const embedder = job.embeddingModelDir ? await (await import("./embedder-cache.js")).embedderFor(job.embeddingModelDir) : undefined;
    return { ok: true, analysis: await analyzeFile(job.path, job.options, embedder ? { embedder } : {}) };
  } catch (error) {
    return { ok: false, error: describeError(error) };
  }
}

/**
 * Prepares this thread for work (named task `warm`, run while the main thread walks the folders): modules
 * are loaded with the thread; this loads the embedding model's session (the slowest first step of a job)
 * and builds the analysis state of the default options (`prepareAnalysis`), so the first file starts at
 * full speed. Never fails (a broken model is reported by the first real job).
 */
export async function warm(job: { readonly embeddingModelDir?: string }): Promise<boolean> {
  try {
    const embedder = job.embeddingModelDir ? await (await import("./embedder-cache.js")).embedderFor(job.embeddingModelDir) : undefined;
    prepareAnalysis({}, embedder ? { embedder } : {});
    return true;
  } catch {
    return false;
  }
}

/**
 * Analyses a regeneration target with `analyzeSamples` (as the main thread would); a file target is
 * decoded whole and its samples move back to the caller (transferred, not copied).
 */
export async function analyseTarget(job: TargetAnalysisJob): Promise<TargetAnalysisOutcome | ReturnType<typeof move>> {
  try {
    const embedder = job.embeddingModelDir ? await (await import("./embedder-cache.js")).embedderFor(job.embeddingModelDir) : undefined;
    const ports = embedder ? { embedder } : {};
    if ("path" in job) {
      const { info, channels } = await readWholeFile(job.path);
      const { units, embeddings } = await analyzeClip(channels, info.sampleRateHz, job.options, job.path, ports);
      const outcome: TargetAnalysisOutcome = {
        ok: true,
        units,
        sampleRateHz: info.sampleRateHz,
        bitDepth: info.bitDepth,
        channels,
        ...(embeddings ? { embeddings } : {}),
      };
      // piscina's movable wrapper: the value goes back with its sample buffers transferred, not copied.
      return move({ [transferableSymbol]: channels.map((c) => c.buffer), [valueSymbol]: outcome } as unknown as Parameters<typeof move>[0]);
    }
    const { units, embeddings } = await analyzeClip(job.channels, job.sampleRateHz, job.options, job.name, ports);
    return { ok: true, units, sampleRateHz: job.sampleRateHz, bitDepth: undefined, ...(embeddings ? { embeddings } : {}) };
  } catch (error) {
    return { ok: false, error: describeError(error) };
  }
}

export function describeError(error: unknown): { code: string; message: string } {
  if (error instanceof MassAudioError) return { code: error.code, message: error.message };
  if (error instanceof Error) return { code: (error as NodeJS.ErrnoException).code ?? "internal", message: error.message };
  return { code: "internal", message: String(error) };
}
