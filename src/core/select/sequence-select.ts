/**
 * Sequence selection over a candidate lattice: one candidate per target unit, chosen for the whole
 * sequence, not unit by unit. The cost of a path is the sum over steps of
 *
 *   targetWeight x target distance
 * + joinWeight x join distance to the previous choice (0 when the choice continues the previous one
 *   in its own file: that join is seamless by construction)
 * - stickiness x stickinessBonus when the choice is the unit that follows the previous choice in its file
 *   (Samplebrain's "stickiness")
 * + novelty x repeatPenalty x boredom(unit), where boredom grows by 1 on every use and halves every
 *   `boredomHalfLifeSteps` steps (Samplebrain's novelty/boredom; AudioGuide's repetition limits)
 * - temperature x Gumbel noise drawn once per lattice node from the seeded RNG (controlled randomness:
 *   with only target costs this samples each step from softmax(-distance / temperature)).
 *
 * The repetition term depends on the whole history, so the search is a beam search (Viterbi with a
 * bounded number of hypotheses, each carrying its own use counts) rather than plain Viterbi. With a beam
 * at least as wide as the number of paths it is exact; `maxUses` is a hard constraint (never violated).
 */
import { ParameterError } from "../errors.js";
import type { CandidateLattice } from "./candidate-lattice.js";
import { createSeededRandom, gumbel } from "./seeded-random.js";

export interface SelectionOptions {
  /** Weight of the target distance: default 1. */
  readonly targetWeight: number;
  /** Weight of the join (concatenation) distance: default 0.5. */
  readonly joinWeight: number;
  /** 0..1: how strongly continuing the previous unit's own file is preferred. */
  readonly stickiness: number;
  /** Cost subtracted at stickiness 1 (RMS z-distance units): default 1. */
  readonly stickinessBonus: number;
  /** 0..1: how strongly recently used units are avoided. */
  readonly novelty: number;
  /** Cost added at novelty 1 for a unit used right before: default 2. */
  readonly repeatPenalty: number;
  /** Steps after which a use's boredom halves: default 4. */
  readonly boredomHalfLifeSteps: number;
  /** 0..1: randomness (Gumbel temperature in RMS z-distance units at 1: `varietyScale`). */
  readonly variety: number;
  /** Temperature at variety 1: default 0.5. */
  readonly varietyScale: number;
  /** Most uses of one unit in the sequence; 0 = unlimited. */
  readonly maxUses: number;
  /** Hypotheses kept per step: default 32. */
  readonly beamWidth: number;
  /** Seed of the noise (only used when variety > 0). */
  readonly seed: number;
}

export const DEFAULT_SELECTION_OPTIONS: SelectionOptions = {
  targetWeight: 1,
  joinWeight: 0.5,
  stickiness: 0,
  stickinessBonus: 1,
  novelty: 0,
  repeatPenalty: 2,
  boredomHalfLifeSteps: 4,
  variety: 0,
  varietyScale: 0.5,
  maxUses: 0,
  beamWidth: 32,
  seed: 1,
};

export interface StepChoice {
  /** Index into the step's options, -1 when the step has no options (silent). */
  readonly option: number;
  /** Index into `lattice.candidates`, -1 when silent. */
  readonly candidate: number;
  readonly targetCost: number;
  readonly joinCost: number;
  /** True when the choice continues the previous step's unit in its own file. */
  readonly continues: boolean;
  /** Repetition cost paid at this step (before the novelty weight). */
  readonly boredom: number;
}

export interface Selection {
  readonly choices: StepChoice[];
  /** Total path cost (noise included). */
  readonly cost: number;
}

/** One use of a unit, in a list shared between hypotheses (a path's uses, newest first). */
interface UseNode {
  /** Dense id of the unit (one per distinct unit id of the lattice). */
  readonly unit: number;
  readonly step: number;
  readonly next: UseNode | null;
}

interface Hypothesis {
  readonly cost: number;
  /** Candidate chosen at the previous step; -1 when that step was silent or at the start. */
  readonly last: number;
  readonly parent: Hypothesis | null;
  readonly choice: StepChoice | null;
  readonly uses: UseNode | null;
}

function checkUnit(name: string, value: number): void {
  if (!(value >= 0 && value <= 1)) throw new ParameterError(`${name}: expected a number in [0, 1], got ${value}`);
}

function checkNonNegative(name: string, value: number): void {
  if (!(Number.isFinite(value) && value >= 0)) throw new ParameterError(`${name}: expected a finite number >= 0, got ${value}`);
}

/** Validates and completes selection options. @throws ParameterError on a value out of range. */
export function resolveSelectionOptions(given: Partial<SelectionOptions> = {}): SelectionOptions {
  const options = { ...DEFAULT_SELECTION_OPTIONS, ...given };
  checkUnit("stickiness", options.stickiness);
  checkUnit("novelty", options.novelty);
  checkUnit("variety", options.variety);
  for (const key of ["targetWeight", "joinWeight", "stickinessBonus", "repeatPenalty", "varietyScale"] as const) checkNonNegative(key, options[key]);
  if (!(options.boredomHalfLifeSteps > 0 && Number.isFinite(options.boredomHalfLifeSteps))) {
    throw new ParameterError(`boredomHalfLifeSteps: expected a number > 0, got ${options.boredomHalfLifeSteps}`);
  }
  if (!(Number.isInteger(options.maxUses) && options.maxUses >= 0)) throw new ParameterError(`maxUses: expected an integer >= 0, got ${options.maxUses}`);
  if (!(Number.isInteger(options.beamWidth) && options.beamWidth >= 1 && options.beamWidth <= 4096)) {
    throw new ParameterError(`beamWidth: expected an integer in [1, 4096], got ${options.beamWidth}`);
  }
  if (!Number.isFinite(options.seed)) throw new ParameterError(`seed: expected a number, got ${options.seed}`);
  return options;
}

/**
 * The beam search as a step-by-step object, so that a caller can spread a long selection over several
 * event-loop turns (`step()` one lattice step at a time until `done`, then `result()`). `selectSequence`
 * runs it to the end at once; both give the same choices.
 */
export class SequenceSearch {
  private readonly lattice: CandidateLattice;
  private readonly options: SelectionOptions;
  private readonly temperature: number;
  private readonly random: () => number;
  private readonly stickBonus: number;
  private readonly repeatWeight: number;
  /** Dense unit id of every candidate (candidates sharing a unit id share it). */
  private readonly unitOf: Int32Array;
  /** Per dense unit id: its first option index at the current step, -1 when not among the options. */
  private readonly slotOf: Int32Array;
  /** 0.5^(age / half-life) for every age a use can have. */
  private readonly decay: Float64Array;
  /** Join features of every candidate, `joinDimension` values each. */
  private readonly joinIn: Float32Array;
  private readonly joinOut: Float32Array;
  private readonly joinDimension: number;
  private readonly fileOf: Float64Array;
  private readonly indexOf: Float64Array;
  // Per-step scratch, sized for the widest step and the beam.
  private readonly noise: Float64Array;
  private readonly useCount: Int32Array;
  private readonly useBoredom: Float64Array;
  private readonly cost: Float64Array;
  private readonly parentOf: Int32Array;
  private readonly optionOf: Int32Array;
  private readonly joinOf: Float64Array;
  private readonly boredomOf: Float64Array;
  private readonly continuesOf: Uint8Array;
  private beam: Hypothesis[] = [{ cost: 0, last: -1, parent: null, choice: null, uses: null }];
  private t = 0;

  /** @throws ParameterError on bad options. */
  constructor(lattice: CandidateLattice, given: Partial<SelectionOptions> = {}) {
    this.lattice = lattice;
    const options = resolveSelectionOptions(given);
    this.options = options;
    this.temperature = options.variety * options.varietyScale;
    this.random = createSeededRandom(options.seed);
    this.stickBonus = options.stickiness * options.stickinessBonus;
    this.repeatWeight = options.novelty * options.repeatPenalty;
    const candidates = lattice.candidates;
    const denseOf = new Map<number, number>();
    this.unitOf = new Int32Array(candidates.length);
    const dimension = candidates[0]?.joinOut.length ?? 0;
    this.joinDimension = dimension;
    this.joinIn = new Float32Array(candidates.length * dimension);
    this.joinOut = new Float32Array(candidates.length * dimension);
    this.fileOf = new Float64Array(candidates.length);
    this.indexOf = new Float64Array(candidates.length);
    candidates.forEach((candidate, c) => {
      let dense = denseOf.get(candidate.unitId);
      if (dense === undefined) {
        dense = denseOf.size;
        denseOf.set(candidate.unitId, dense);
      }
      this.unitOf[c] = dense;
      if (candidate.joinIn.length !== dimension || candidate.joinOut.length !== dimension) {
        throw new ParameterError(`selection: candidate ${c} has join features of another length`);
      }
      this.joinIn.set(candidate.joinIn, c * dimension);
      this.joinOut.set(candidate.joinOut, c * dimension);
      this.fileOf[c] = candidate.fileId;
      this.indexOf[c] = candidate.unitIndex;
    });
    this.slotOf = new Int32Array(denseOf.size).fill(-1);
    const steps = lattice.steps.length;
    this.decay = new Float64Array(steps + 1);
    for (let age = 0; age <= steps; age++) this.decay[age] = Math.pow(0.5, age / options.boredomHalfLifeSteps);
    let widest = 0;
    for (const step of lattice.steps) widest = Math.max(widest, step.options.length);
    this.noise = new Float64Array(widest);
    this.useCount = new Int32Array(widest);
    this.useBoredom = new Float64Array(widest);
    const width = options.beamWidth;
    this.cost = new Float64Array(width);
    this.parentOf = new Int32Array(width);
    this.optionOf = new Int32Array(width);
    this.joinOf = new Float64Array(width);
    this.boredomOf = new Float64Array(width);
    this.continuesOf = new Uint8Array(width);
  }

  /** True when every step has been expanded. */
  get done(): boolean {
    return this.t >= this.lattice.steps.length;
  }

  /**
   * Expands the beam over the next lattice step.
   * @throws ParameterError when `maxUses` leaves the step with no allowed candidate on every kept path.
   */
  step(): void {
    const t = this.t;
    const step = this.lattice.steps[t];
    if (!step) return;
    this.t++;
    const n = step.options.length;
    if (n === 0) {
      const silent: StepChoice = { option: -1, candidate: -1, targetCost: 0, joinCost: 0, continues: false, boredom: 0 };
      this.beam = this.beam.map((h) => ({ cost: h.cost, last: -1, parent: h, choice: silent, uses: h.uses }));
      return;
    }
    const options = this.options;
    const { noise, useCount, useBoredom, cost, parentOf, optionOf, joinOf, boredomOf, continuesOf, unitOf, slotOf, decay } = this;
    const { joinIn, joinOut, fileOf, indexOf } = this;
    const dimension = this.joinDimension;
    // Noise drawn once per node, in a fixed order: the same seed gives the same perturbation.
    if (this.temperature > 0) for (let i = 0; i < n; i++) noise[i] = this.temperature * gumbel(this.random);
    else noise.fill(0, 0, n);
    const stickBonus = this.stickBonus;
    const repeatWeight = this.repeatWeight;
    const targetWeight = options.targetWeight;
    const joinWeight = options.joinWeight;
    const maxUses = options.maxUses;

    // The best `beamWidth` expansions, kept sorted while they are generated (flat arrays, no objects).
    // Strict comparisons keep equal costs in generation order (beam order, then option order): deterministic.
    const width = options.beamWidth;
    let count = 0;
    for (let i = 0; i < n; i++) {
      const unit = unitOf[step.options[i]!]!;
      if (slotOf[unit] === -1) slotOf[unit] = i;
    }
    const beam = this.beam;
    for (let b = 0; b < beam.length; b++) {
      const h = beam[b]!;
      const previous = h.last;
      // Use counts and boredom (sum of 0.5^(age / half-life) over past uses) of this step's options.
      useCount.fill(0, 0, n);
      useBoredom.fill(0, 0, n);
      for (let node = h.uses; node; node = node.next) {
        const slot = slotOf[node.unit]!;
        if (slot < 0) continue;
        useCount[slot] = useCount[slot]! + 1;
        useBoredom[slot] = useBoredom[slot]! + decay[t - node.step]!;
      }
      for (let i = 0; i < n; i++) {
        const c = step.options[i]!;
        const slot = slotOf[unitOf[c]!]!;
        if (maxUses > 0 && useCount[slot]! >= maxUses) continue;
        const continues = previous >= 0 && fileOf[previous] === fileOf[c] && indexOf[c] === indexOf[previous]! + 1;
        let joinCost = 0;
        if (previous >= 0 && !continues && dimension > 0) {
          // RMS difference between the previous unit's end and this unit's start (`joinDistance`).
          let sum = 0;
          const a = previous * dimension;
          const z = c * dimension;
          for (let j = 0; j < dimension; j++) {
            const d = joinOut[a + j]! - joinIn[z + j]!;
            sum += d * d;
          }
          joinCost = Math.sqrt(sum / dimension);
        }
        const boredom = useBoredom[slot]!;
        const total =
          h.cost +
          targetWeight * step.targetCosts[i]! +
          joinWeight * joinCost -
          (continues ? stickBonus : 0) +
          repeatWeight * boredom -
          noise[i]!;
        if (count === width && !(total < cost[width - 1]!)) continue;
        let j = count < width ? count++ : width - 1;
        while (j > 0 && cost[j - 1]! > total) {
          cost[j] = cost[j - 1]!;
          parentOf[j] = parentOf[j - 1]!;
          optionOf[j] = optionOf[j - 1]!;
          joinOf[j] = joinOf[j - 1]!;
          boredomOf[j] = boredomOf[j - 1]!;
          continuesOf[j] = continuesOf[j - 1]!;
          j--;
        }
        cost[j] = total;
        parentOf[j] = b;
        optionOf[j] = i;
        joinOf[j] = joinCost;
        boredomOf[j] = boredom;
        continuesOf[j] = continues ? 1 : 0;
      }
    }
    for (let i = 0; i < n; i++) slotOf[unitOf[step.options[i]!]!] = -1;
    if (count === 0) {
      throw new ParameterError(`selection: no candidate allowed at step ${t} (maxUses ${options.maxUses} too low for k; raise k or maxUses)`);
    }
    const next: Hypothesis[] = new Array<Hypothesis>(count);
    for (let e = 0; e < count; e++) {
      const option = optionOf[e]!;
      const c = step.options[option]!;
      const parent = beam[parentOf[e]!]!;
      const uses: UseNode = { unit: unitOf[c]!, step: t, next: parent.uses };
      const choice: StepChoice = {
        option,
        candidate: c,
        targetCost: step.targetCosts[option]!,
        joinCost: joinOf[e]!,
        continues: continuesOf[e] === 1,
        boredom: boredomOf[e]!,
      };
      next[e] = { cost: cost[e]!, last: c, parent, choice, uses };
    }
    this.beam = next;
  }

  /** The best path (call when `done`; before, the best path over the steps expanded so far). */
  result(): Selection {
    const best = this.beam[0]!;
    const choices: StepChoice[] = [];
    for (let h: Hypothesis | null = best; h && h.choice; h = h.parent) choices.push(h.choice);
    choices.reverse();
    return { choices, cost: best.cost };
  }
}

/**
 * Chooses one candidate per step minimising the sequence cost (see the file comment).
 * @param lattice candidates per target unit (`buildLattice`).
 * @param given options; missing ones take `DEFAULT_SELECTION_OPTIONS`.
 * @returns one choice per step, in step order. Deterministic for given lattice, options and seed.
 * @throws ParameterError on bad options, or when `maxUses` leaves a step with no allowed candidate on
 *   every kept path (raise k or maxUses).
 */
export function selectSequence(lattice: CandidateLattice, given: Partial<SelectionOptions> = {}): Selection {
  const search = new SequenceSearch(lattice, given);
  while (!search.done) search.step();
  return search.result();
}
