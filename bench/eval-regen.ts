/**
 * Regeneration quality (`npm run eval -- regen [--quick] [--model NAME|DIR|none] [--weights GROUP=W,...]`): the CC0 loops
 * (17; 6 with --quick) are regenerated from the CC0 corpus (their own
 * file excluded) by three methods in the same run, on the same segmentation and the same candidates:
 *
 *   engine   the full sequence search (default options)
 *   nearest  nearest unit only: per target unit the closest candidate (no join, stickiness or novelty cost)
 *   random   a random corpus unit per target unit (seeded)
 *
 * Figures per method: log-mel spectral distance between target and output (dB RMS over 40 mel bands,
 * 2048-sample frames, 512 hop; per unit = mean over the unit's frames; overall = mean over units),
 * join discontinuity (spectral jump across each join between unrelated units in the output, minus the
 * jump at the same place in the target, dB), audible joins (excess jump > 6 dB), and repeats (uses of a
 * unit beyond its first; immediate repeats).
 *
 * The corpus is indexed as `mass-audio index` does it: with the default embedding model (`--model none`:
 * descriptors only). Regeneration runs at its default weights unless `--weights` names some.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { createMelFilterBank } from "../src/core/analysis/descriptors/mel-filter-bank.js";
import type { SparseFilterBank } from "../src/core/analysis/descriptors/sparse-filter-bank.js";
import { RealFft } from "../src/core/dsp/fft.js";
import { hannWindow } from "../src/core/dsp/window.js";
import { createSeededRandom } from "../src/core/select/seeded-random.js";
import { selectSequence } from "../src/core/select/sequence-select.js";
import { compileFilter } from "../src/corpus/unit-filter.js";
import type { GroupWeights } from "../src/corpus/feature-space.js";
import { DEFAULT_MODEL_NAME } from "../src/io/onnx-embedder.js";
import { MassAudio } from "../src/service/mass-audio.js";
import { regenerateAudio, type RegeneratedAudio, type RegenerateDeps } from "../src/service/regenerate.js";
import { CC0_CORPUS_DIR, type BenchFigure } from "./bench-util.js";

export const CC0_DIR = CC0_CORPUS_DIR;
const FRAME = 2048;
const HOP = 512;
const MEL_BANDS = 40;
/** Floor of the log-mel values: -100 dB (silence compares equal to silence). */
const FLOOR_DB = -100;
/** A join whose spectral jump exceeds the target's by this much counts as audible: 6 dB. */
const AUDIBLE_JUMP_DB = 6;

/** Quick runs use these; full runs every `loop_*` file of the CC0 corpus (17). */
const QUICK_TARGETS = ["loop_amen.flac", "loop_breakbeat.flac", "loop_compus.flac", "loop_industrial.flac", "loop_perc1.flac", "loop_mika.flac"];

export type Method = "engine" | "nearest" | "random";

export interface MethodScore {
  /** Mean over units of the per-unit log-mel distance, dB. */
  logMelDb: number;
  /** Mean excess spectral jump at joins between unrelated units, dB. */
  joinExcessDb: number;
  audibleJoins: number;
  joins: number;
  repeats: number;
  immediateRepeats: number;
  units: number;
}

class LogMel {
  private readonly fft = new RealFft(FRAME);
  private readonly window = hannWindow(FRAME);
  private readonly bank: SparseFilterBank;
  private readonly frame = new Float32Array(FRAME);
  private readonly amplitude = new Float32Array(FRAME / 2 + 1);
  constructor(sampleRateHz: number) {
    this.bank = createMelFilterBank(MEL_BANDS, sampleRateHz, FRAME);
  }

  /** Log-mel frame (dB) of the mono mix starting at `start`. */
  at(channels: readonly Float32Array[], start: number, out: Float64Array): void {
    for (let i = 0; i < FRAME; i++) {
      let v = 0;
      const n = start + i;
      for (const data of channels) v += n >= 0 && n < data.length ? data[n]! : 0;
      this.frame[i] = (v / channels.length) * this.window[i]!;
    }
    this.fft.amplitude(this.frame, this.amplitude);
    const b = this.bank;
    for (let band = 0; band < b.bandCount; band++) {
      let e = 0;
      for (let j = b.rowStart[band]!; j < b.rowStart[band + 1]!; j++) e += b.weights[j]! * this.amplitude[b.bins[j]!]! ** 2;
      out[band] = Math.max(FLOOR_DB, 10 * Math.log10(e + 1e-30));
    }
  }
}

function rmsDiff(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s / a.length);
}

/** Scores one regeneration against its target. */
export function scoreRegeneration(audio: RegeneratedAudio): MethodScore {
  const mel = new LogMel(audio.sampleRateHz);
  const a = new Float64Array(MEL_BANDS);
  const b = new Float64Array(MEL_BANDS);
  const target = audio.targetChannels;
  const output = audio.channels;
  const perUnit: number[] = [];
  for (const unit of audio.units) {
    let sum = 0;
    let count = 0;
    for (let start = unit.slot.startFrame - FRAME / 2; start + FRAME / 2 < unit.slot.endFrame; start += HOP) {
      mel.at(target, start, a);
      mel.at(output, start, b);
      sum += rmsDiff(a, b);
      count++;
    }
    if (count === 0) {
      mel.at(target, unit.slot.startFrame - FRAME / 2, a);
      mel.at(output, unit.slot.startFrame - FRAME / 2, b);
      sum = rmsDiff(a, b);
      count = 1;
    }
    perUnit.push(sum / count);
  }
  let excess = 0;
  let joins = 0;
  let audible = 0;
  for (let i = 1; i < audio.units.length; i++) {
    const unit = audio.units[i]!;
    const previous = audio.units[i - 1]!;
    if (!unit.source || !previous.source || unit.continues || previous.slot.endFrame !== unit.slot.startFrame) continue;
    const boundary = unit.slot.startFrame;
    mel.at(output, boundary - FRAME, a);
    mel.at(output, boundary, b);
    const jumpOut = rmsDiff(a, b);
    mel.at(target, boundary - FRAME, a);
    mel.at(target, boundary, b);
    const jumpTarget = rmsDiff(a, b);
    const e = Math.max(0, jumpOut - jumpTarget);
    excess += e;
    joins++;
    if (e > AUDIBLE_JUMP_DB) audible++;
  }
  const ids = audio.units.flatMap((u) => (u.source ? [u.source.unitId] : []));
  let immediate = 0;
  for (let i = 1; i < ids.length; i++) if (ids[i] === ids[i - 1]) immediate++;
  return {
    logMelDb: perUnit.reduce((s, v) => s + v, 0) / Math.max(1, perUnit.length),
    joinExcessDb: joins > 0 ? excess / joins : 0,
    audibleJoins: audible,
    joins,
    repeats: ids.length - new Set(ids).size,
    immediateRepeats: immediate,
    units: audio.units.length,
  };
}

function baselineDeps(method: Method, service: MassAudio, seed: number): RegenerateDeps {
  if (method === "nearest") {
    return { selector: (lattice, options) => selectSequence(lattice, { ...options, joinWeight: 0, stickiness: 0, novelty: 0, variety: 0, maxUses: 0 }) };
  }
  if (method === "random") {
    const random = createSeededRandom(seed);
    const catalog = service.corpus.catalog;
    return {
      candidates: (_step, _unit, filter) => {
        const compiled = compileFilter(filter, catalog, service.corpus.clusters());
        for (let attempt = 0; attempt < 10_000; attempt++) {
          const id = 1 + Math.floor(random() * catalog.maxUnitId);
          if (catalog.isLive(id) && compiled.test(id)) return { unitIds: [id], distances: [0] };
        }
        return { unitIds: [], distances: [] };
      },
    };
  }
  return {};
}

export interface RegenEvalResult {
  /** The corpus's embedding model (`name@version`), null for descriptors only. */
  model: string | null;
  /** The weights asked for (null: the regeneration defaults). */
  weights: Partial<GroupWeights> | null;
  corpusUnits: number;
  targets: Record<string, Record<Method, MethodScore>>;
  mean: Record<Method, MethodScore>;
}

export interface RegenEvalOptions {
  readonly quick?: boolean;
  readonly seed?: number;
  /** Embedding model of the corpus (name or folder); null: descriptors only. Default: the default model. */
  readonly model?: string | null;
  /** Regeneration weights (missing groups: the regeneration defaults). */
  readonly weights?: Partial<GroupWeights>;
  readonly log?: (line: string) => void;
}

/** Regenerates each target by the three methods and scores them. */
export async function evalRegen(options: RegenEvalOptions = {}): Promise<RegenEvalResult> {
  const seed = options.seed ?? 1;
  const dataDir = await mkdtemp(join(tmpdir(), "mass-audio-eval-regen-"));
  const service = await MassAudio.open({ dataDir, embeddingModel: options.model === undefined ? DEFAULT_MODEL_NAME : options.model });
  const weights = options.weights ? { weights: options.weights } : {};
  try {
    await service.addRoot(CC0_DIR);
    options.log?.("indexing the CC0 corpus...");
    await service.index();
    // Scored in a space fitted on the whole corpus: the refits during indexing happen at times that depend
    // on how fast the workers run, which moved every figure by up to ~1 dB from run to run.
    await service.corpus.refitNow();
    const targets: Record<string, Record<Method, MethodScore>> = {};
    const names = options.quick ? QUICK_TARGETS : readdirSync(CC0_DIR).filter((name) => name.startsWith("loop_")).sort();
    for (const name of names) {
      const scores = {} as Record<Method, MethodScore>;
      for (const method of ["engine", "nearest", "random"] as const) {
        const audio = await regenerateAudio(service, { target: { path: join(CC0_DIR, name) }, options: { seed }, ...weights }, undefined, baselineDeps(method, service, seed));
        scores[method] = scoreRegeneration(audio);
      }
      targets[name] = scores;
      options.log?.(`${name}: ${(["engine", "nearest", "random"] as const).map((m) => `${m} ${scores[m].logMelDb.toFixed(2)} dB`).join(", ")}`);
    }
    const mean = {} as Record<Method, MethodScore>;
    for (const method of ["engine", "nearest", "random"] as const) {
      const list = Object.values(targets).map((t) => t[method]);
      const avg = (key: keyof MethodScore): number => list.reduce((s, v) => s + v[key], 0) / list.length;
      const sum = (key: keyof MethodScore): number => list.reduce((s, v) => s + v[key], 0);
      mean[method] = {
        logMelDb: avg("logMelDb"),
        joinExcessDb: avg("joinExcessDb"),
        audibleJoins: sum("audibleJoins"),
        joins: sum("joins"),
        repeats: sum("repeats"),
        immediateRepeats: sum("immediateRepeats"),
        units: sum("units"),
      };
    }
    return { model: service.corpus.embedding?.model ?? null, weights: options.weights ?? null, corpusUnits: service.corpus.catalog.liveUnitCount, targets, mean };
  } finally {
    await service.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Figures for `npm run eval -- regen`. */
export async function runRegenEval(options: Omit<RegenEvalOptions, "log">): Promise<{ figures: BenchFigure[]; json: Record<string, unknown> }> {
  const result = await evalRegen({ ...options, log: (line) => process.stderr.write(`${line}\n`) });
  const { engine, nearest, random } = result.mean;
  const figures: BenchFigure[] = [
    { name: "engine log-mel distance", value: engine.logMelDb, unit: "dB" },
    { name: "nearest-only log-mel distance", value: nearest.logMelDb, unit: "dB" },
    { name: "random-units log-mel distance", value: random.logMelDb, unit: "dB" },
    { name: "engine / random", value: engine.logMelDb / random.logMelDb, unit: "x", goal: "<= 0.8", pass: engine.logMelDb <= 0.8 * random.logMelDb },
    { name: "engine / nearest-only", value: engine.logMelDb / nearest.logMelDb, unit: "x", goal: "<= 1.0", pass: engine.logMelDb <= nearest.logMelDb },
    { name: `engine join excess (${engine.joins} joins)`, value: engine.joinExcessDb, unit: "dB" },
    { name: `nearest-only join excess (${nearest.joins} joins)`, value: nearest.joinExcessDb, unit: "dB" },
    { name: "engine audible joins", value: engine.audibleJoins, unit: "", goal: `< nearest (${nearest.audibleJoins})`, pass: engine.audibleJoins < nearest.audibleJoins },
    { name: "engine repeats", value: engine.repeats, unit: "", goal: `< nearest (${nearest.repeats})`, pass: engine.repeats < nearest.repeats },
    { name: "nearest-only repeats", value: nearest.repeats, unit: "" },
    { name: "random repeats", value: random.repeats, unit: "" },
  ];
  return { figures, json: result as unknown as Record<string, unknown> };
}
