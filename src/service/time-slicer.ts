/**
 * Cooperative time slicing for long main-thread work (a regeneration's search, selection and rendering):
 * loops ask `due()` after each piece of work and, when the slice is used up, `await pause()` so that the
 * event loop runs what is waiting (OSC `find` requests, progress replies, index pumps) before the next
 * slice. No work runs longer than about one slice between two turns of the event loop.
 */
import { performance } from "node:perf_hooks";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { Steps } from "../core/steps.js";

/** Main-thread work between two yields: 4 ms (a waiting query is answered within about this). */
export const DEFAULT_SLICE_MS = 4;

export interface Yielder {
  /** True when the current slice is used up (cheap: one clock read). */
  due(): boolean;
  /** Lets the event loop run, then starts a new slice. */
  pause(): Promise<void>;
}

/** A `Yielder` with a time budget per slice. */
export class TimeSlicer implements Yielder {
  private sliceStart = performance.now();

  /** @param sliceMs budget per slice, ms; Infinity never yields. */
  constructor(private readonly sliceMs: number = DEFAULT_SLICE_MS) {}

  due(): boolean {
    return performance.now() - this.sliceStart >= this.sliceMs;
  }

  async pause(): Promise<void> {
    await yieldToEventLoop();
    this.sliceStart = performance.now();
  }

  /** Starts a new slice (after an await that let the event loop run anyway: I/O, a worker). */
  restart(): void {
    this.sliceStart = performance.now();
  }

  /** Pauses when the slice is used up. */
  async check(): Promise<void> {
    if (this.due()) await this.pause();
  }
}

/**
 * Runs a step generator (`src/core/steps.ts`) to its end, pausing whenever the yielder's slice is used up.
 * @returns the generator's return value.
 */
export async function runStepsSliced<T>(steps: Steps<T>, yielder: Yielder): Promise<T> {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
    if (yielder.due()) await yielder.pause();
  }
}
