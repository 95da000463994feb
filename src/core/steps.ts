/**
 * Step generators: long computations written as generators that `yield` (pause) every so often and
 * `return` their result, so that one body serves both callers that run it in one go and callers that
 * spread it over event-loop turns (`runStepsSliced` in `src/service/time-slicer.ts`).
 */

/** A computation that pauses with `yield` and returns its result. */
export type Steps<T> = Generator<void, T>;

/**
 * Runs a step generator to its end without pausing.
 * @returns the generator's return value.
 */
export function runSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}
