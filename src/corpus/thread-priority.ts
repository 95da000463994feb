/**
 * Scheduling priority of analysis threads. Indexing keeps every core busy; the main thread answers
 * queries (OSC `find`, progress) and must not wait behind a worker for a scheduler time slice. On Linux
 * the nice value belongs to a thread (`setpriority(PRIO_PROCESS, 0, n)` changes the calling thread only,
 * and threads it starts later inherit it: onnxruntime's and libuv's), so an analysis worker lowers its
 * own priority and the main thread keeps its own. Elsewhere the call would lower the whole process, so
 * it is not made.
 */
import { getPriority, setPriority } from "node:os";

/** Nice value of analysis worker threads: 10 (weight ~1/10 of a normal thread when both want the core). */
export const ANALYSIS_THREAD_NICE = 10;

/**
 * Lowers the calling thread's scheduling priority to `nice` (never raises it: a process started with
 * `nice -n 15` stays there).
 * @param nice 0 (normal) .. 19 (lowest); 0 leaves the priority as it is.
 * @returns the calling thread's nice value afterwards, or undefined when not applied (not Linux, or the
 *   system refused).
 */
export function lowerThreadPriority(nice: number = ANALYSIS_THREAD_NICE): number | undefined {
  if (process.platform !== "linux") return undefined;
  const wanted = Math.max(0, Math.min(19, Math.round(nice)));
  try {
    if (getPriority(0) < wanted) setPriority(0, wanted);
    return getPriority(0);
  } catch {
    return undefined;
  }
}
