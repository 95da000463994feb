/**
 * `mass-audio index ROOT... [--db DIR] [--watch]`: adds folders to the corpus and brings every root up
 * to date (new and changed files analysed in worker threads, moves re-pointed, deletions removed,
 * unchanged files skipped). A progress bar (files, units, realtime factor, ETA) on a terminal, a
 * summary at the end; `--watch` then keeps running and logs every change until Ctrl-C.
 */
import { resolve } from "node:path";
import { Command, Option } from "commander";
import { ANALYSIS_PARAMETERS, type AnalysisOptions } from "../core/analysis/analysis-params.js";
import type { FileEvent, IndexProgress, RootEvent } from "../corpus/indexer.js";
import { MassAudio, type IndexSummary, type MassAudioOptions } from "../service/mass-audio.js";
import { addDbOption, addModelOption, embeddingOptions, formatDuration, parseNumber } from "./corpus-options.js";
import { addParamFlags, readParamFlags } from "./param-flags.js";
import { createProgress } from "./progress.js";

export interface IndexRunOptions {
  readonly db?: string;
  readonly watch?: boolean;
  readonly workers?: number;
  readonly json?: boolean;
  /** `--model`: embedding model name/folder, "none", or undefined for the corpus's own (default model when new). */
  readonly model?: string;
  /** Analysis options given on the command line (only these override a root's stored options). */
  readonly analysis?: Partial<AnalysisOptions>;
}

export interface IndexRunIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly progress: boolean;
  /** Ends `--watch` (Ctrl-C in the CLI). */
  readonly signal?: AbortSignal;
  /** Service overrides (tests pass an analyzer, timings). */
  readonly service?: Partial<MassAudioOptions>;
  /** Called once watching has started (tests). */
  readonly onWatching?: (service: MassAudio) => void;
}

function clock(): string {
  return new Date().toISOString().slice(11, 19);
}

/** One log line per file event (for `--watch`). */
export function formatFileEvent(event: FileEvent | RootEvent): string {
  if (event.type === "root") return `[${clock()}] root ${event.status}: ${event.path}`;
  const units = event.units !== undefined ? ` (${event.units} unit${event.units === 1 ? "" : "s"})` : "";
  switch (event.action) {
    case "moved":
    case "copied":
      return `[${clock()}] ${event.action} ${event.from} -> ${event.path}${units}`;
    case "failed":
      return `[${clock()}] failed ${event.path}: ${event.error ?? "unknown error"}`;
    default:
      return `[${clock()}] ${event.action} ${event.path}${units}`;
  }
}

/** The end-of-run summary. */
export function formatIndexSummary(summary: IndexSummary): string {
  const lines = [
    `${summary.filesDone} file${summary.filesDone === 1 ? "" : "s"}: ${summary.filesAnalysed} analysed, ` +
      `${summary.filesSkipped} unchanged or reused, ${summary.filesFailed} failed`,
    `${summary.unitsAdded} units added, ${summary.unitsTotal} searchable; ${formatDuration(summary.audioSec)} of audio in ` +
      `${formatDuration(summary.wallSec)} (${summary.realtimeFactor.toFixed(0)}x realtime)`,
  ];
  for (const root of summary.roots) if (!root.online) lines.push(`offline (folder not found): ${root.path}`);
  return lines.join("\n");
}

/**
 * Runs `index`: opens the corpus, adds the roots, indexes, optionally watches until `io.signal` aborts.
 * @throws ParameterError / StoreError with a message for the user.
 */
export async function runIndex(roots: readonly string[], options: IndexRunOptions, io: IndexRunIo): Promise<IndexSummary> {
  const service = await MassAudio.open({ dataDir: options.db, workers: options.workers, ...embeddingOptions(options.model), ...io.service });
  try {
    for (const root of roots) {
      const existing = service.corpus.store.getRoot(resolve(root));
      const stored = existing ? (JSON.parse(existing.analysisOptions) as Partial<AnalysisOptions>) : {};
      await service.addRoot(root, { ...stored, ...options.analysis });
    }
    if (service.listRoots().length === 0) {
      io.err('no roots yet: give one or more folders ("mass-audio index ~/Samples")');
      return { ...emptyProgress(), roots: [], unitsTotal: 0 };
    }
    const bar = createProgress(0, {
      enabled: io.progress,
      label: "index",
      format: "index [{bar}] {value}/{total} files | {units} units | {rtf}x realtime | ETA {etaText}",
    });
    let shown = 0;
    const onProgress = (progress: IndexProgress): void => {
      bar.setTotal(progress.filesQueued);
      bar.increment(progress.filesDone - shown, {
        units: progress.unitsAdded,
        rtf: progress.realtimeFactor.toFixed(0),
        etaText: progress.etaSec === null ? "-" : formatDuration(progress.etaSec),
      });
      shown = progress.filesDone;
    };
    const onFile = (event: FileEvent): void => {
      if (event.action === "failed" && !options.json) io.err(`failed: ${event.path}: ${event.error ?? ""}`);
    };
    service.on("progress", onProgress);
    service.on("file", onFile);
    service.on("warning", (error) => io.err(`warning: ${error.message}`));
    const summary = await service.index(roots);
    bar.stop();
    service.off("progress", onProgress);
    service.off("file", onFile);
    io.out(options.json ? JSON.stringify(summary) : formatIndexSummary(summary));
    if (options.watch) {
      service.on("file", (event) => {
        if (event.action !== "unchanged") io.out(options.json ? JSON.stringify(event) : formatFileEvent(event));
      });
      service.on("root", (event) => io.out(options.json ? JSON.stringify(event) : formatFileEvent(event)));
      await service.watch();
      if (!options.json) io.out(`watching ${service.listRoots().length} root(s); Ctrl-C to stop`);
      io.onWatching?.(service);
      await new Promise<void>((resolve) => {
        if (io.signal?.aborted) resolve();
        io.signal?.addEventListener("abort", () => resolve(), { once: true });
      });
    }
    return summary;
  } finally {
    await service.close();
  }
}

function emptyProgress(): IndexProgress {
  return {
    filesQueued: 0,
    filesDone: 0,
    filesAnalysed: 0,
    filesFailed: 0,
    filesSkipped: 0,
    unitsAdded: 0,
    audioSec: 0,
    wallSec: 0,
    realtimeFactor: 0,
    etaSec: null,
  };
}

export function registerIndexCommand(program: Command): void {
  const command = new Command("index")
    .description("add sample folders to the corpus and index them (all roots when none is given)")
    .argument("[root...]", "folders to add and index")
    .option("--watch", "keep running: index changes as they happen, log them (Ctrl-C to stop)")
    .addOption(new Option("--workers <n>", "analysis worker threads (default: one per core)"))
    .option("--json", "print the summary (and watch events) as JSON lines");
  addDbOption(command);
  addModelOption(command);
  addParamFlags(command, ANALYSIS_PARAMETERS);
  command.action(async (roots: string[], flags: Record<string, unknown>, cmd: Command) => {
    // Only analysis flags given on the command line override a root's stored options.
    const given: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(readParamFlags(flags, ANALYSIS_PARAMETERS))) {
      const def = ANALYSIS_PARAMETERS[key as keyof typeof ANALYSIS_PARAMETERS];
      const attribute = def.flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
      if (cmd.getOptionValueSource(attribute) === "cli") given[key] = def.kind === "boolean" ? true : value;
    }
    const controller = new AbortController();
    const stop = (): void => controller.abort();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    try {
      await runIndex(
        roots,
        {
          db: flags["db"] as string | undefined,
          watch: flags["watch"] === true,
          workers: flags["workers"] === undefined ? undefined : parseNumber(String(flags["workers"]), "workers", { integer: true, min: 1, max: 256 }),
          json: flags["json"] === true,
          ...(typeof flags["model"] === "string" ? { model: flags["model"] } : {}),
          analysis: given as Partial<AnalysisOptions>,
        },
        {
          out: (line) => process.stdout.write(`${line}\n`),
          err: (line) => process.stderr.write(`${line}\n`),
          progress: flags["json"] !== true,
          signal: controller.signal,
        },
      );
    } finally {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
    }
  });
  program.addCommand(command);
}
