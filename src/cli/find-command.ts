/**
 * `mass-audio find TARGET [--at SECONDS] [-k N] [--folder GLOB] [--category C] [--weights ...] [--json]`:
 * the units most similar to a unit id, to a corpus file at a time, or to any audio file (analysed with
 * the corpus analysis code). Opens the corpus read-only, so it runs beside `index --watch`.
 */
import { existsSync } from "node:fs";
import { Command, Option } from "commander";
import { createInlineAnalyzer } from "../corpus/analyzer.js";
import { MassAudio, type FindHit, type FindRequest, type FindResult, type MassAudioOptions } from "../service/mass-audio.js";
import { addDbOption, collect, excludeFiles, existingDataDir, FIND_WEIGHTS_DOC, parseFilterFlags, parseNumber, parseWeights, type FilterFlags } from "./corpus-options.js";

export interface FindRunOptions extends FilterFlags {
  readonly db?: string;
  readonly at?: string;
  readonly k?: string;
  readonly weights?: string;
  readonly excludeFile?: string[];
  readonly json?: boolean;
}

/** TARGET -> a unit id (digits that are not a file name) or a path. */
export function parseTarget(target: string, at: number | undefined): FindRequest["target"] {
  if (/^\d+$/.test(target) && !existsSync(target)) return { unitId: Number(target) };
  return at === undefined ? { path: target } : { path: target, atSec: at };
}

function pad(text: string, width: number, left = false): string {
  if (text.length >= width) return text;
  return left ? text + " ".repeat(width - text.length) : " ".repeat(width - text.length) + text;
}

/** Human-readable result table. */
export function formatFindResult(result: FindResult): string {
  const q = result.query;
  const where = q.path ? `${q.path}${q.startSec !== undefined ? ` @ ${q.startSec.toFixed(3)}-${q.endSec?.toFixed(3)} s` : ""}` : q.source;
  const lines = [`query: ${q.unitId !== undefined ? `unit ${q.unitId}, ` : ""}${where}`];
  if (result.hits.length === 0) {
    lines.push("no matches");
    return lines.join("\n");
  }
  lines.push(`${pad("#", 3)} ${pad("dist", 6)} ${pad("unit", 8)} ${pad("start s", 9)} ${pad("end s", 9)}  categories  path`);
  result.hits.forEach((hit: FindHit, i) => {
    lines.push(
      `${pad(String(i + 1), 3)} ${pad(hit.distance.toFixed(3), 6)} ${pad(String(hit.unitId), 8)} ${pad(hit.startSec.toFixed(3), 9)} ` +
        `${pad(hit.endSec.toFixed(3), 9)}  ${pad(hit.categories.join(",") || "-", 10, true)}  ${hit.path}`,
    );
  });
  lines.push(`(${result.strategy}, ${result.tookMs.toFixed(1)} ms)`);
  return lines.join("\n");
}

/**
 * Runs `find` and prints the result.
 * @throws ParameterError / NotFoundError / StoreError / DecodeError with a message for the user.
 */
export async function runFind(
  target: string,
  options: FindRunOptions,
  io: { out: (line: string) => void; service?: Partial<MassAudioOptions> },
): Promise<FindResult> {
  const at = options.at === undefined ? undefined : parseNumber(options.at, "at", { max: 1e7 });
  const k = options.k === undefined ? 10 : parseNumber(options.k, "k", { integer: true, min: 1, max: 10_000 });
  const filter = parseFilterFlags(options);
  const weights = options.weights === undefined ? undefined : parseWeights(options.weights);
  const dataDir = existingDataDir(options.db);
  // One-shot: an audio target is analysed on this thread (no worker pool to start).
  const service = await MassAudio.open({ dataDir, readOnly: true, analyzer: createInlineAnalyzer(), ...io.service });
  try {
    const result = await service.find({
      target: parseTarget(target, at),
      k,
      filter: excludeFiles(filter, options.excludeFile, service.corpus.store),
      ...(weights ? { weights } : {}),
    });
    io.out(options.json ? JSON.stringify(result) : formatFindResult(result));
    return result;
  } finally {
    await service.close();
  }
}

export function registerFindCommand(program: Command): void {
  const command = new Command("find")
    .description("find the units most similar to a unit id, a corpus file (at a time) or any audio file")
    .argument("<target>", "unit id, or path of an audio file")
    .option("--at <seconds>", "time in the target file (default: its first non-silent unit)")
    .addOption(new Option("-k, --k <n>", "number of results (1..10000)").default("10"))
    .option("--folder <glob>", "only units under folders matching the glob (repeatable)", collect)
    .option("--category <name>", "only units of these categories (repeatable or comma-separated)", collect)
    .option("--cluster <id>", "only units of these clusters (repeatable)", collect)
    .option("--duration <min..max>", "unit duration range in seconds, e.g. 0.05..0.5")
    .option("--pitch <min..max>", "pitch range in MIDI notes, e.g. 48..72 (unpitched units never match)")
    .option("--loudness <min..max>", "mean level range in dBFS, e.g. -30..-6")
    .option("--exclude-file <path>", "leave out units of this file (repeatable)", collect)
    .option("--weights <list>", FIND_WEIGHTS_DOC)
    .option("--json", "print the result as JSON");
  addDbOption(command);
  command.action(async (target: string, flags: FindRunOptions) => {
    await runFind(target, flags, { out: (line) => process.stdout.write(`${line}\n`) });
  });
  program.addCommand(command);
}
