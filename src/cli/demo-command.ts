/**
 * `mass-audio demo` (what `npm start` runs) on the bundled CC0 material: analyses it and prints a summary
 * (units per category, speed, the bundled loop cut into units), indexes it into a demo corpus, and
 * regenerates the bundled loop from the other sounds, printing where the result is and what it is made of.
 */
import { Command } from "commander";
import { mkdir } from "node:fs/promises";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { descriptorIndex } from "../core/analysis/schema.js";
import { runAnalyze, formatUnitTable, midiToNoteName } from "./analyze-command.js";
import { runIndex } from "./index-command.js";
import { demoDir } from "./paths.js";
import { runRegen } from "./regen-command.js";

/**
 * Where the demo keeps its corpus and output: kept between runs, so a second `npm start` skips indexing;
 * one folder per installed copy (named after its demo folder), so two checkouts never share a demo corpus.
 */
export function demoDataDir(): string {
  const id = createHash("sha256").update(demoDir()).digest("hex").slice(0, 8);
  return join(tmpdir(), `mass-audio-demo-${id}`);
}

const PITCH = descriptorIndex("pitchMidi");
const CONFIDENCE = descriptorIndex("pitchConfidence");

/** Category of a demo file from its Sonic Pi file-name prefix (`bd_`, `sn_`, `tabla_` ...). */
function prefixOf(path: string): string {
  const name = basename(path);
  const cut = name.indexOf("_");
  return cut > 0 ? name.slice(0, cut) : "other";
}

export async function runDemo(out: (line: string) => void): Promise<void> {
  const root = demoDir();
  out(`mass-audio demo: analysing the bundled CC0 Sonic Pi samples in ${root}\n`);
  const result = await runAnalyze([join(root, "corpus"), join(root, "target")], {}, {
    json: false,
    out: () => {},
    err: (line) => out(line),
  });
  const byCategory = new Map<string, { files: number; units: number; audioSec: number }>();
  let audioSec = 0;
  let wallSec = 0;
  let units = 0;
  for (const analysis of result.analysed) {
    const key = prefixOf(analysis.info.path);
    const entry = byCategory.get(key) ?? { files: 0, units: 0, audioSec: 0 };
    entry.files++;
    entry.units += analysis.units.length;
    entry.audioSec += analysis.audioSec;
    byCategory.set(key, entry);
    audioSec += analysis.audioSec;
    wallSec += analysis.analysisSec;
    units += analysis.units.length;
  }
  out("category   files  units  audio s");
  for (const [key, entry] of [...byCategory.entries()].sort()) {
    out(`${key.padEnd(10)} ${String(entry.files).padStart(5)} ${String(entry.units).padStart(6)} ${entry.audioSec.toFixed(1).padStart(8)}`);
  }
  out(
    `\n${result.analysed.length} files, ${units} units, ${audioSec.toFixed(1)} s of audio analysed in ${wallSec.toFixed(2)} s ` +
      `(${(audioSec / Math.max(wallSec, 1e-9)).toFixed(0)}x realtime, one core)`,
  );
  const pitched = result.analysed
    .flatMap((a) => a.units.map((u) => ({ path: a.info.path, unit: u })))
    .filter((x) => x.unit.vector[CONFIDENCE]! > 0.8)
    .slice(0, 5);
  if (pitched.length > 0) {
    out("\nclearly pitched units, for example:");
    for (const { path, unit } of pitched) {
      out(`  ${basename(path)} @ ${unit.startSec.toFixed(2)} s: ${midiToNoteName(unit.vector[PITCH]!)} (confidence ${unit.vector[CONFIDENCE]!.toFixed(2)})`);
    }
  }
  const loop = result.analysed.find((a) => a.info.path.includes(join("target", "")));
  if (loop) out(`\nthe bundled loop, cut into units:\n${formatUnitTable(loop)}`);
  if (result.failed.length > 0) out(`\n${result.failed.length} file(s) could not be analysed (see above).`);

  const dataDir = demoDataDir();
  out(`\nindexing ${join(root, "corpus")} into the demo corpus ${dataDir} ...`);
  await runIndex([join(root, "corpus")], { db: dataDir }, { out, err: out, progress: false });
  const outDir = join(dataDir, "out");
  await mkdir(outDir, { recursive: true });
  const target = join(root, "target", "loop_amen.flac");
  out(`\nregenerating ${basename(target)} from the corpus (seed 1) ...`);
  await runRegen(target, { db: dataDir, out: join(outDir, "loop_amen-regen.wav"), regen: { seed: 1 } }, { out });
  out(
    "\nnext: `mass-audio index ~/Samples`, then `mass-audio find FILE --at SECONDS` or " +
      "`mass-audio regen CLIP -o OUT.wav [--variety 0.3 --seed 2]`; `mass-audio --help` for every command.",
  );
}

export function registerDemoCommand(program: Command): void {
  program.addCommand(
    new Command("demo").description("analyse the bundled CC0 demo material and print a summary (npm start)").action(async () => {
      await runDemo((line) => process.stdout.write(line + "\n"));
    }),
  );
}
