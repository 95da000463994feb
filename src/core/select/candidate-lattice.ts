/**
 * The candidate lattice: for every target unit (a step), the corpus units that could replace it, with
 * their target distances; plus, for every distinct candidate, what the sequence costs need to know
 * (its file and position for stickiness, its edge features for the join cost).
 */
import { ParameterError } from "../errors.js";

export interface LatticeCandidate {
  /** Opaque id of the unit (the corpus unit id). */
  readonly unitId: number;
  /** Source file id; with `unitIndex` it tells whether a unit directly follows another in its file. */
  readonly fileId: number;
  /** Position of the unit within its file, 0-based, in time order. */
  readonly unitIndex: number;
  /** Features at the unit's start (e.g. z-scored level and brightness), `joinDimension` values. */
  readonly joinIn: Float32Array;
  /** The same features at the unit's end. */
  readonly joinOut: Float32Array;
}

export interface LatticeStep {
  /** Indices into `CandidateLattice.candidates`; may be empty (the step is left silent). */
  readonly options: Int32Array;
  /** Target distance of each option (same order), >= 0 (RMS z-distance). */
  readonly targetCosts: Float64Array;
}

export interface CandidateLattice {
  readonly candidates: readonly LatticeCandidate[];
  readonly steps: readonly LatticeStep[];
}

/**
 * Builds a lattice from per-step (unit id, distance) lists, sharing candidates that appear in several steps.
 * @param steps per target unit, its candidates as parallel arrays.
 * @param describe returns the file / position / join features of a unit id (called once per distinct id).
 * @throws ParameterError on mismatched lengths, negative or non-finite distances, or join vectors of
 *   different lengths.
 */
export function buildLattice(
  steps: readonly { readonly unitIds: ArrayLike<number>; readonly distances: ArrayLike<number> }[],
  describe: (unitId: number) => Omit<LatticeCandidate, "unitId">,
): CandidateLattice {
  const candidates: LatticeCandidate[] = [];
  const indexOf = new Map<number, number>();
  let joinDimension = -1;
  const out: LatticeStep[] = steps.map((step, s) => {
    if (step.unitIds.length !== step.distances.length) {
      throw new ParameterError(`lattice step ${s}: ${step.unitIds.length} unit ids but ${step.distances.length} distances`);
    }
    const options = new Int32Array(step.unitIds.length);
    const targetCosts = new Float64Array(step.unitIds.length);
    for (let i = 0; i < step.unitIds.length; i++) {
      const unitId = step.unitIds[i]!;
      const distance = step.distances[i]!;
      if (!Number.isFinite(distance) || distance < 0) throw new ParameterError(`lattice step ${s}: distance ${distance} is not >= 0`);
      let index = indexOf.get(unitId);
      if (index === undefined) {
        const info = describe(unitId);
        if (joinDimension < 0) joinDimension = info.joinIn.length;
        if (info.joinIn.length !== joinDimension || info.joinOut.length !== joinDimension) {
          throw new ParameterError(`lattice: unit ${unitId} has join features of another length`);
        }
        index = candidates.length;
        candidates.push({ unitId, ...info });
        indexOf.set(unitId, index);
      }
      options[i] = index;
      targetCosts[i] = distance;
    }
    return { options, targetCosts };
  });
  return { candidates, steps: out };
}

/** RMS difference between `a.joinOut` and `b.joinIn` (0 for empty join features). */
export function joinDistance(a: LatticeCandidate, b: LatticeCandidate): number {
  const n = a.joinOut.length;
  if (n === 0) return 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const d = a.joinOut[i]! - b.joinIn[i]!;
    sum += d * d;
  }
  return Math.sqrt(sum / n);
}

/** True when `b` is the unit right after `a` in the same source file. */
export function follows(a: LatticeCandidate, b: LatticeCandidate): boolean {
  return a.fileId === b.fileId && b.unitIndex === a.unitIndex + 1;
}
