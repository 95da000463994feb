/**
 * `npm run bench -- <name> [--json] [--quick]`: benchmarks measured side by side with their reference in
 * the same run, printed as a table with ratios, or as one JSON object with `--json`.
 */
import { printFigures, type BenchFigure } from "./bench-util.js";

type BenchRun = (options: { quick: boolean }) => Promise<{ figures: BenchFigure[]; json: Record<string, unknown> }>;

const BENCHES: Record<string, { doc: string; load: () => Promise<BenchRun> }> = {
  osc: { doc: "OSC daemon: 1,000 finds/s for 10 s (alone, with regenerations), lost replies, p50/p99; fuzz; shutdown", load: async () => (await import("./osc-bench.js")).runOscBench },
  analysis: {
    doc: "decode + onsets + descriptors throughput (WAV, FLAC, MP3), vs Meyda and aubio; 2-hour file peak RSS",
    load: async () => (await import("./analysis-bench.js")).runAnalysisBench,
  },
  query: {
    doc: "k-NN query latency and recall on 1,000,000 units (--quick: 100,000) vs exact scan; build/load time, RSS",
    load: async () => (await import("./query-bench.js")).runQueryBench,
  },
  index: {
    doc: "indexing throughput (CC0 corpus, generated hour), query latency while indexing, watch latency",
    load: async () => (await import("./index-bench.js")).runIndexBench,
  },
  embed: {
    doc: "ONNX embeddings on one core: front end + inference, batch sizes, share of indexing time (CC0 corpus)",
    load: async () => (await import("./embed-bench.js")).runEmbedBench,
  },
  "flac-seek": { doc: "unit range reads from a 1-hour FLAC, seeking vs decode-forward", load: async () => (await import("./flac-seek-bench.js")).runFlacSeekBench },
  regen: {
    doc: "16-s target vs the CC0 corpus end to end, per-stage split, render speed",
    load: async () => (await import("./regen-bench.js")).runRegenBench,
  },
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes("--json");
  const quick = args.includes("--quick");
  const names = args.filter((a) => !a.startsWith("--"));
  const selected = names.length > 0 ? names : ["analysis"];
  const unknown = selected.filter((n) => !(n in BENCHES));
  if (unknown.length > 0) {
    process.stderr.write(`unknown benchmark: ${unknown.join(", ")}\navailable:\n`);
    for (const [name, b] of Object.entries(BENCHES)) process.stderr.write(`  ${name.padEnd(10)} ${b.doc}\n`);
    process.exitCode = 2;
    return;
  }
  const results: Record<string, unknown> = { node: process.version, date: new Date().toISOString() };
  for (const name of selected) {
    const run = await BENCHES[name]!.load();
    const result = await run({ quick });
    results[name] = result.json;
    if (!json) printFigures(`bench ${name}${quick ? " (quick)" : ""}`, result.figures);
  }
  if (json) process.stdout.write(JSON.stringify(results, null, 2) + "\n");
}

await main();
