/**
 * Worker-thread entry (piscina): analyses one file with the corpus analysis code path. Errors are
 * returned as data, because thrown errors lose their type and fields when they cross the thread boundary.
 */
import { MassAudioError } from "../core/errors.js";
import { analyzeFile } from "../io/analyze-file.js";
import type { AnalysisJob, AnalysisOutcome } from "./analyzer.js";

export default async function analyse(job: AnalysisJob): Promise<AnalysisOutcome> {
  try {
    return { ok: true, analysis: await analyzeFile(job.path, job.options) };
  } catch (error) {
    return { ok: false, error: describeError(error) };
  }
}

export function describeError(error: unknown): { code: string; message: string } {
  if (error instanceof MassAudioError) return { code: error.code, message: error.message };
  if (error instanceof Error) return { code: (error as NodeJS.ErrnoException).code ?? "internal", message: error.message };
  return { code: "internal", message: String(error) };
}
