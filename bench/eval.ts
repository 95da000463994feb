/**
 * `npm run eval -- <name> [--json] [--seed N] [--sequences N]`: quality evaluations, each against its
 * reference measured in the same run.
 *   onsets   onset F-measure (±30 ms) on seeded sequences of CC0 one-shots, ours vs aubioonset's defaults
 *   regen    log-mel distance target vs output, joins and repeats: engine vs nearest-only vs random units
 *            [--quick] [--model NAME|DIR|none (the corpus's embedding; default: the default model)] [--weights GROUP=W,...]
 *   retrieval  leave-one-file-out P@1/5/10 and mAP of same-label files: descriptors vs embedding vs combined
 *            [--corpus DIR] [--label prefix|folder] [--files LIST] [--queries-per-file N] [--model NAME|DIR|none]
 *            [--weights GROUP=W,... (repeatable: each an extra space scored in the same run)]
 */
import { printFigures, type BenchFigure } from "./bench-util.js";
import { evalOnsets } from "./eval-onsets.js";
import { runRegenEval } from "./eval-regen.js";
import { DEFAULT_MODEL_NAME } from "../src/io/onnx-embedder.js";
import { parseWeights } from "../src/cli/corpus-options.js";
import { resolveWeights } from "../src/corpus/search.js";
import { evalRetrieval, readFileList, retrievalFigures, type LabelMode } from "./eval-retrieval.js";

function flag(args: readonly string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : fallback;
}

async function onsets(args: readonly string[]): Promise<{ figures: BenchFigure[]; json: Record<string, unknown> }> {
  const sequences = flag(args, "sequences", 10);
  const seeds = args.includes("--seed") ? [flag(args, "seed", 1)] : [1, 2];
  const figures: BenchFigure[] = [];
  const json: Record<string, unknown> = { sequences, toleranceMs: 30 };
  for (const seed of seeds) {
    const r = await evalOnsets({ sequences, seed });
    json[`seed${seed}`] = r;
    figures.push({ name: `seed ${seed}: ours F-measure (P ${r.ours.precision.toFixed(3)}, R ${r.ours.recall.toFixed(3)})`, value: r.ours.f, unit: "", goal: ">= 0.92", pass: r.ours.f >= 0.92 });
    if (r.aubio) {
      figures.push({ name: `seed ${seed}: aubioonset F-measure (P ${r.aubio.precision.toFixed(3)}, R ${r.aubio.recall.toFixed(3)})`, value: r.aubio.f, unit: "" });
      figures.push({ name: `seed ${seed}: ours - aubio`, value: r.ours.f - r.aubio.f, unit: "F points", goal: "> 0", pass: r.ours.f > r.aubio.f });
    } else {
      figures.push({ name: `seed ${seed}: ${r.aubioNote ?? "aubio skipped"}`, value: 0, unit: "" });
    }
  }
  return { figures, json };
}

function option(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

async function retrieval(args: readonly string[]): Promise<{ figures: BenchFigure[]; json: Record<string, unknown> }> {
  const label = option(args, "label") ?? "prefix";
  if (label !== "prefix" && label !== "folder") throw new Error(`--label ${label}: expected prefix or folder`);
  const filesList = option(args, "files");
  const corpusDir = option(args, "corpus");
  const model = option(args, "model") ?? DEFAULT_MODEL_NAME;
  const weightings = args.flatMap((arg, i) => (arg === "--weights" && args[i + 1] !== undefined ? [args[i + 1]!] : [])).map((text) => ({
    name: `weights ${text}`,
    weights: resolveWeights(parseWeights(text)),
  }));
  const result = await evalRetrieval({
    weightings,
    service: { embeddingModel: model === "none" ? null : model },
    label: label as LabelMode,
    queriesPerFile: flag(args, "queries-per-file", 8),
    ...(corpusDir ? { corpusDir } : {}),
    ...(filesList ? { files: await readFileList(filesList) } : {}),
  });
  return { figures: retrievalFigures(result), json: { ...result } };
}

const EVALS: Record<string, (args: readonly string[]) => Promise<{ figures: BenchFigure[]; json: Record<string, unknown> }>> = {
  onsets,
  retrieval,
  regen: (args) => {
    const model = option(args, "model");
    const weights = option(args, "weights");
    return runRegenEval({
      quick: args.includes("--quick"),
      seed: flag(args, "seed", 1),
      ...(model !== undefined ? { model: model === "none" ? null : model } : {}),
      ...(weights !== undefined ? { weights: parseWeights(weights) } : {}),
    });
  },
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const name = args.find((a) => !a.startsWith("--") && !/^\d+$/.test(a)) ?? "onsets";
  const run = EVALS[name];
  if (!run) {
    process.stderr.write(`unknown evaluation "${name}"; available: ${Object.keys(EVALS).join(", ")}\n`);
    process.exitCode = 2;
    return;
  }
  const result = await run(args);
  if (args.includes("--json")) process.stdout.write(JSON.stringify({ [name]: result.json }, null, 2) + "\n");
  else printFigures(`eval ${name}`, result.figures);
}

await main();
