/**
 * `mass-audio regen TARGET -o OUT.wav [--seed N] [--k N] [--folder GLOB] [--category C] [--weights ...]
 * [--variety 0..1] [--stickiness 0..1] [--novelty 0..1] [--fit trim|loop|stretch] [--pitch keep|follow|N]
 * [--wet 0..1] [--dynamics 0..1] [--segment ...] [--json]`: rebuilds TARGET from units of the corpus and
 * writes OUT.wav plus OUT.json (every unit used). Opens the corpus read-only, so it runs beside
 * `index --watch`.
 */
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { Command, Option } from "commander";
import { ANALYSIS_PARAMETERS, type AnalysisOptions } from "../core/analysis/analysis-params.js";
import { ParameterError } from "../core/errors.js";
import type { ParamDef } from "../core/params.js";
import { REGEN_PARAMETERS, type RegenOptions } from "../core/select/regen-params.js";
import { createInlineAnalyzer } from "../corpus/analyzer.js";
import { MassAudio, type MassAudioOptions } from "../service/mass-audio.js";
import { regenerate, rerender, type RegenerateProgress, type RegenerateResult } from "../service/regenerate.js";
import { addDbOption, collect, excludeFiles, existingDataDir, REGEN_WEIGHTS_DOC, parseFilterFlags, parseWeights, type FilterFlags } from "./corpus-options.js";
import { addParamFlags, readParamFlags } from "./param-flags.js";
import { createProgress } from "./progress.js";

export interface RegenRunOptions extends Omit<FilterFlags, "pitch"> {
  readonly db?: string;
  readonly out?: string;
  readonly pitchRange?: string;
  readonly weights?: string;
  readonly excludeFile?: string[];
  readonly json?: boolean;
  readonly progress?: boolean;
  /** Regen options (raw flag values) by key. */
  readonly regen?: Partial<Record<keyof RegenOptions, unknown>>;
  readonly analysis?: Partial<AnalysisOptions>;
}

export interface RegenSummary extends RegenerateResult {
  /** Source files used, most used first. */
  readonly sources: { readonly path: string; readonly units: number }[];
}

const STAGES = ["analyse", "search", "select", "read", "render", "write"] as const;

/** Human-readable summary of a regeneration. */
export function formatRegenResult(summary: RegenSummary): string {
  const t = summary.timings;
  const lines = [
    `wrote ${summary.outPath} (${summary.seconds.toFixed(2)} s, ${summary.sampleRateHz} Hz, ${summary.channelCount} ch, ${summary.format})`,
    `sidecar ${summary.sidecarPath}`,
    `${summary.unitsFilled}/${summary.units} units from ${summary.sources.length} files:`,
    ...summary.sources.slice(0, 10).map((s) => `  ${String(s.units).padStart(4)}  ${s.path}`),
    ...(summary.sources.length > 10 ? [`  ... and ${summary.sources.length - 10} more`] : []),
    `analyse ${t.analyseMs.toFixed(0)} ms, search ${t.searchMs.toFixed(0)} ms, select ${t.selectMs.toFixed(0)} ms, ` +
      `read ${t.readMs.toFixed(0)} ms, render ${t.renderMs.toFixed(0)} ms, write ${t.writeMs.toFixed(0)} ms`,
  ];
  return lines.join("\n");
}

/**
 * Runs `regen` and prints the result.
 * @throws ParameterError / RegenerateError / DecodeError / WriteError / StoreError with a message for the user.
 */
export async function runRegen(
  target: string,
  options: RegenRunOptions,
  io: { out: (line: string) => void; service?: Partial<MassAudioOptions> },
): Promise<RegenSummary> {
  const filter = parseFilterFlags({ ...options, pitch: options.pitchRange });
  const weights = options.weights === undefined ? undefined : parseWeights(options.weights);
  const dataDir = existingDataDir(options.db);
  const service = await MassAudio.open({ dataDir, readOnly: true, analyzer: createInlineAnalyzer(), ...io.service });
  const bar = createProgress(STAGES.length, { enabled: options.progress ?? false, label: "regen", format: "regen [{bar}] {stage}" });
  let stage = -1;
  const onProgress = (p: RegenerateProgress): void => {
    const index = STAGES.indexOf(p.stage);
    if (index > stage) {
      bar.increment(index - stage, { stage: p.stage });
      stage = index;
    }
  };
  try {
    const result = await regenerate(
      service,
      {
        target: { path: target },
        outPath: options.out ?? defaultOutName(target),
        options: options.regen ?? {},
        filter: excludeFiles(filter, options.excludeFile, service.corpus.store),
        ...(weights ? { weights } : {}),
        ...(options.analysis ? { analysis: options.analysis } : {}),
      },
      onProgress,
    );
    bar.stop();
    const summary: RegenSummary = { ...result, sources: await sourcesOf(result.sidecarPath) };
    io.out(options.json ? JSON.stringify(summary) : formatRegenResult(summary));
    return summary;
  } finally {
    bar.stop();
    await service.close();
  }
}

/**
 * Re-renders a sidecar with other render options (`regen --from OUT.json -o NEW.wav --fit loop`).
 * @throws ParameterError for a bad sidecar or an option that would change the selection.
 */
export async function runRerender(
  sidecarPath: string,
  options: { readonly out?: string; readonly json?: boolean; readonly regen?: Partial<Record<keyof RegenOptions, unknown>> },
  io: { out: (line: string) => void },
): Promise<RegenSummary> {
  const outPath = options.out ?? defaultOutName(sidecarPath);
  const result = await rerender({ sidecarPath, outPath, options: options.regen ?? {} });
  const summary: RegenSummary = { ...result, sources: await sourcesOf(result.sidecarPath) };
  io.out(options.json ? JSON.stringify(summary) : formatRegenResult(summary));
  return summary;
}

async function sourcesOf(sidecarPath: string): Promise<RegenSummary["sources"]> {
  const sidecar = JSON.parse(await readFile(sidecarPath, "utf8")) as { units: { source: { path: string } | null }[] };
  const counts = new Map<string, number>();
  for (const unit of sidecar.units) if (unit.source) counts.set(unit.source.path, (counts.get(unit.source.path) ?? 0) + 1);
  return [...counts.entries()].map(([path, units]) => ({ path, units })).sort((a, b) => b.units - a.units || a.path.localeCompare(b.path));
}

/** The values of a table's flags that were given on the command line (defaults left to the table). */
function givenFlags(cmd: Command, flags: Record<string, unknown>, table: Record<string, ParamDef>): Record<string, unknown> {
  const given: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(readParamFlags(flags, table))) {
    const def = table[key]!;
    const attribute = def.flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (cmd.getOptionValueSource(attribute) === "cli") given[key] = def.kind === "boolean" ? true : value;
  }
  return given;
}

/** Registers `regen` on the program. */
export function registerRegenCommand(program: Command): void {
  const command = new Command("regen")
    .description("regenerate a clip from units of the corpus (concatenative resynthesis): writes OUT.wav and OUT.json")
    .argument("[target]", "audio file to regenerate (not with --from)")
    .option("--from <sidecar>", "re-render the units listed in a sidecar with other render options (fit, pitch, dynamics, wet, crossfade, peak, rate, bit depth)")
    .addOption(new Option("-o, --out <file>", "output WAV file, default TARGET-regen.wav here (the JSON sidecar goes beside it)"))
    .option("--folder <glob>", "only units under folders matching the glob (repeatable)", collect)
    .option("--category <name>", "only units of these categories (repeatable or comma-separated)", collect)
    .option("--cluster <id>", "only units of these clusters (repeatable)", collect)
    .option("--duration <min..max>", "unit duration range in seconds, e.g. 0.05..0.5")
    .option("--pitch-range <min..max>", "unit pitch range in MIDI notes (unpitched units never match)")
    .option("--loudness <min..max>", "unit mean level range in dBFS")
    .option("--exclude-file <path>", "leave out units of this file (repeatable)", collect)
    .option("--weights <list>", REGEN_WEIGHTS_DOC)
    .option("--json", "print the result as JSON")
    .option("--no-progress", "no progress bar");
  addParamFlags(command, REGEN_PARAMETERS);
  addParamFlags(command, ANALYSIS_PARAMETERS);
  addDbOption(command);
  command.action(async (target: string | undefined, flags: RegenRunOptions & Record<string, unknown>, cmd: Command) => {
    const write = { out: (line: string) => process.stdout.write(`${line}\n`) };
    if (typeof flags["from"] === "string") {
      if (target !== undefined) throw new ParameterError("regen: give either TARGET or --from SIDECAR, not both");
      await runRerender(flags["from"], { out: flags.out, json: flags.json, regen: givenFlags(cmd, flags, REGEN_PARAMETERS) }, write);
      return;
    }
    if (target === undefined) throw new ParameterError("regen: give the TARGET audio file (or --from SIDECAR)");
    await runRegen(
      target,
      {
        ...flags,
        regen: givenFlags(cmd, flags, REGEN_PARAMETERS),
        analysis: givenFlags(cmd, flags, ANALYSIS_PARAMETERS) as Partial<AnalysisOptions>,
        progress: flags.progress !== false && !flags.json,
      },
      write,
    );
  });
  program.addCommand(command);
}

/** The default output name for a target: `<name>-regen.wav` in the current folder. */
export function defaultOutName(target: string): string {
  return `${basename(target).replace(/\.[^.]+$/, "")}-regen.wav`;
}
