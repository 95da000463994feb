import { describe, expect, it } from "vitest";
import { buildLattice, type CandidateLattice, type LatticeCandidate } from "../../../src/core/select/candidate-lattice.js";
import { createSeededRandom } from "../../../src/core/select/seeded-random.js";
import { selectSequence, type SelectionOptions } from "../../../src/core/select/sequence-select.js";
import { ParameterError } from "../../../src/core/errors.js";

type Info = Omit<LatticeCandidate, "unitId">;

function info(fileId: number, unitIndex: number, joinIn = 0, joinOut = joinIn): Info {
  return { fileId, unitIndex, joinIn: Float32Array.of(joinIn), joinOut: Float32Array.of(joinOut) };
}

function lattice(steps: [number, number][][], infos: Record<number, Info>): CandidateLattice {
  return buildLattice(
    steps.map((pairs) => ({ unitIds: pairs.map((p) => p[0]), distances: pairs.map((p) => p[1]) })),
    (id) => infos[id] ?? info(id, 0),
  );
}

function chosenIds(l: CandidateLattice, options: Partial<SelectionOptions>): number[] {
  return selectSequence(l, options).choices.map((c) => (c.candidate < 0 ? -1 : l.candidates[c.candidate]!.unitId));
}

/** Exhaustive reference: every path, the same cost definition, the minimum. */
function bruteForce(l: CandidateLattice, o: SelectionOptions): { ids: number[]; cost: number } {
  let best = { ids: [] as number[], cost: Infinity };
  const walk = (t: number, path: number[]): void => {
    if (t === l.steps.length) {
      let cost = 0;
      const uses = new Map<number, { count: number; boredom: number; last: number }>();
      let prev: LatticeCandidate | undefined;
      for (let s = 0; s < path.length; s++) {
        const c = l.candidates[l.steps[s]!.options[path[s]!]!]!;
        const u = uses.get(c.unitId);
        if (o.maxUses > 0 && u && u.count >= o.maxUses) return;
        const boredom = u ? u.boredom * 0.5 ** ((s - u.last) / o.boredomHalfLifeSteps) : 0;
        const cont = prev !== undefined && prev.fileId === c.fileId && c.unitIndex === prev.unitIndex + 1;
        const join = prev === undefined || cont ? 0 : Math.abs(prev.joinOut[0]! - c.joinIn[0]!);
        cost += o.targetWeight * l.steps[s]!.targetCosts[path[s]!]! + o.joinWeight * join - (cont ? o.stickiness * o.stickinessBonus : 0) + o.novelty * o.repeatPenalty * boredom;
        uses.set(c.unitId, { count: (u?.count ?? 0) + 1, boredom: boredom + 1, last: s });
        prev = c;
      }
      if (cost < best.cost - 1e-12) best = { ids: path.map((p, s) => l.candidates[l.steps[s]!.options[p]!]!.unitId), cost };
      return;
    }
    for (let i = 0; i < l.steps[t]!.options.length; i++) walk(t + 1, [...path, i]);
  };
  walk(0, []);
  return best;
}

describe("selectSequence", () => {
  it("with only target costs picks the nearest candidate at every step", () => {
    const l = lattice([[[1, 0.5], [2, 0.1]], [[3, 0.2], [4, 0.9]], [[5, 0.3], [6, 0.2]]], {});
    expect(chosenIds(l, { joinWeight: 0 })).toEqual([2, 3, 6]);
  });

  it("join cost trades a slightly worse target for a smooth join", () => {
    // Step 0: unit 1 (ends at level 0) or 2 (ends at level 5), equal target costs.
    // Step 1: unit 3 (starts at 0, target 0.3) or 4 (starts at 5, target 0.2).
    const infos = { 1: info(10, 0, 0, 0), 2: info(11, 0, 5, 5), 3: info(12, 0, 0, 0), 4: info(13, 0, 9, 9) };
    const l = lattice([[[1, 0.2], [2, 0.2]], [[3, 0.3], [4, 0.2]]], infos);
    expect(chosenIds(l, { joinWeight: 0 })).toEqual([1, 4]);
    expect(chosenIds(l, { joinWeight: 1 })).toEqual([1, 3]);
  });

  it("stickiness prefers the unit that follows the previous choice in its own file", () => {
    const infos = { 1: info(7, 3), 2: info(7, 4), 3: info(8, 0) };
    const l = lattice([[[1, 0.1]], [[3, 0.2], [2, 0.4]]], infos);
    expect(chosenIds(l, { joinWeight: 0 })).toEqual([1, 3]);
    expect(chosenIds(l, { joinWeight: 0, stickiness: 1 })).toEqual([1, 2]);
    const choice = selectSequence(l, { joinWeight: 0, stickiness: 1 }).choices[1]!;
    expect(choice.continues).toBe(true);
  });

  it("novelty avoids repeating a unit while it is still boring, and boredom decays", () => {
    const steps: [number, number][][] = Array.from({ length: 6 }, () => [[1, 0.1], [2, 0.6]] as [number, number][]);
    const l = lattice(steps, {});
    expect(chosenIds(l, { joinWeight: 0 })).toEqual([1, 1, 1, 1, 1, 1]);
    const ids = chosenIds(l, { joinWeight: 0, novelty: 1 });
    expect(new Set(ids)).toEqual(new Set([1, 2]));
    for (let t = 1; t < ids.length; t++) expect(ids[t] === 1 && ids[t - 1] === 1).toBe(false);
  });

  it("matches an exhaustive search on random small lattices (beam wide enough)", () => {
    const random = createSeededRandom(99);
    for (let trial = 0; trial < 40; trial++) {
      const steps: [number, number][][] = [];
      const infos: Record<number, Info> = {};
      for (let id = 1; id <= 6; id++) infos[id] = info(1 + Math.floor(random() * 2), Math.floor(random() * 4), random() * 3, random() * 3);
      for (let t = 0; t < 4; t++) {
        const pool = [1, 2, 3, 4, 5, 6].sort(() => random() - 0.5).slice(0, 3);
        steps.push(pool.map((id) => [id, random()] as [number, number]));
      }
      const l = lattice(steps, infos);
      const options: SelectionOptions = {
        targetWeight: 1, joinWeight: random(), stickiness: random(), stickinessBonus: 1, novelty: random(), repeatPenalty: 2,
        boredomHalfLifeSteps: 2, variety: 0, varietyScale: 0.5, maxUses: trial % 2, beamWidth: 4096, seed: 1,
      };
      const reference = bruteForce(l, options);
      const result = selectSequence(l, options);
      expect(result.cost).toBeCloseTo(reference.cost, 9);
    }
  });

  it("never uses a unit more than maxUses times", () => {
    const random = createSeededRandom(5);
    const steps: [number, number][][] = Array.from({ length: 30 }, () => Array.from({ length: 8 }, (_, i) => [1 + ((i * 7 + Math.floor(random() * 100)) % 100), random()] as [number, number]));
    const l = lattice(steps.map((s) => s.filter((p, i) => s.findIndex((q) => q[0] === p[0]) === i)), {});
    for (const maxUses of [1, 2, 3]) {
      const ids = chosenIds(l, { maxUses, variety: 0.7, seed: maxUses });
      const counts = new Map<number, number>();
      for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
      expect(Math.max(...counts.values())).toBeLessThanOrEqual(maxUses);
    }
  });

  it("throws a ParameterError when maxUses leaves a step without any allowed candidate", () => {
    const l = lattice([[[1, 0.1]], [[1, 0.1]]], {});
    expect(() => selectSequence(l, { maxUses: 1 })).toThrow(ParameterError);
  });

  it("is deterministic by seed; variety 0 ignores the seed; variety > 0 explores", () => {
    const random = createSeededRandom(3);
    const steps: [number, number][][] = Array.from({ length: 20 }, (_, t) => Array.from({ length: 6 }, (_, i) => [t * 10 + i + 1, 0.2 + 0.1 * random()] as [number, number]));
    const l = lattice(steps, {});
    expect(chosenIds(l, { seed: 1 })).toEqual(chosenIds(l, { seed: 2 }));
    const a = chosenIds(l, { variety: 0.8, seed: 42 });
    expect(chosenIds(l, { variety: 0.8, seed: 42 })).toEqual(a);
    expect(chosenIds(l, { variety: 0.8, seed: 43 })).not.toEqual(a);
    expect(a).not.toEqual(chosenIds(l, {}));
  });

  it("leaves steps without candidates silent and breaks continuity there", () => {
    const infos = { 1: info(7, 0), 2: info(7, 1) };
    const l = lattice([[[1, 0.1]], [], [[2, 0.1]]], infos);
    const result = selectSequence(l, { stickiness: 1 });
    expect(result.choices.map((c) => c.candidate)).toEqual([0, -1, 1]);
    expect(result.choices[2]!.continues).toBe(false);
  });

  it("rejects options out of range", () => {
    const l = lattice([[[1, 0.1]]], {});
    expect(() => selectSequence(l, { variety: 1.5 })).toThrow(ParameterError);
    expect(() => selectSequence(l, { beamWidth: 0 })).toThrow(ParameterError);
    expect(() => buildLattice([{ unitIds: [1], distances: [-1] }], () => info(1, 0))).toThrow(ParameterError);
  });
});
