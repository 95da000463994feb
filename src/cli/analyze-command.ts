/** `mass-audio analyze FILE...`: cut files into units and print their descriptors (table or JSON lines). */
import { Command } from "commander";
import { ANALYSIS_PARAMETERS, resolveAnalysisOptions, type AnalysisOptions } from "../core/analysis/analysis-params.js";
import { DESCRIPTOR_COLUMNS, descriptorIndex } from "../core/analysis/schema.js";
import type { Unit } from "../core/analysis/unit.js";
import { MassAudioError } from "../core/errors.js";
import { analyzeFile, type FileAnalysis } from "../io/analyze-file.js";
import { expandAudioPaths } from "./audio-paths.js";
import { addParamFlags, readParamFlags } from "./param-flags.js";
import { createProgress } from "./progress.js";

/** Files above which a progress bar is shown (on a terminal). */
const PROGRESS_MIN_FILES = 4;

export interface AnalyzeRunResult {
  readonly analysed: FileAnalysis[];
  readonly failed: { path: string; message: string }[];
}

const NOTE_NAMES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"];

/** MIDI note number -> name with octave ("A4"), or "-" for 0 (unpitched). */
export function midiToNoteName(midi: number): string {
  if (!(midi > 0)) return "-";
  const rounded = Math.round(midi);
  return `${NOTE_NAMES[((rounded % 12) + 12) % 12]}${Math.floor(rounded / 12) - 1}`;
}

const COLUMNS = {
  level: descriptorIndex("rmsDb.mean"),
  peak: descriptorIndex("peakDb"),
  centroid: descriptorIndex("centroidHz.mean"),
  flatness: descriptorIndex("flatness.mean"),
  pitch: descriptorIndex("pitchMidi"),
  confidence: descriptorIndex("pitchConfidence"),
  attack: descriptorIndex("attackTimeSec"),
};

function pad(text: string, width: number): string {
  return text.length >= width ? text : " ".repeat(width - text.length) + text;
}

/** Human-readable table of one file's units. */
export function formatUnitTable(analysis: FileAnalysis): string {
  const lines: string[] = [];
  const info = analysis.info;
  lines.push(
    `${info.path}  ${info.format} ${info.sampleRateHz} Hz ${info.channelCount} ch ${analysis.audioSec.toFixed(2)} s  ` +
      `${analysis.units.length} unit${analysis.units.length === 1 ? "" : "s"}`,
  );
  lines.push(
    `${pad("#", 5)} ${pad("start s", 9)} ${pad("end s", 9)} ${pad("dur ms", 7)} ${pad("rms dB", 7)} ${pad("peak dB", 7)} ` +
      `${pad("centroid", 9)} ${pad("flat", 5)} ${pad("pitch", 6)} ${pad("conf", 5)} ${pad("atk ms", 6)}`,
  );
  for (const unit of analysis.units) {
    const v = unit.vector;
    lines.push(
      `${pad(String(unit.index), 5)} ${pad(unit.startSec.toFixed(3), 9)} ${pad(unit.endSec.toFixed(3), 9)} ` +
        `${pad(((unit.endSec - unit.startSec) * 1000).toFixed(0), 7)} ${pad(v[COLUMNS.level]!.toFixed(1), 7)} ` +
        `${pad(v[COLUMNS.peak]!.toFixed(1), 7)} ${pad(v[COLUMNS.centroid]!.toFixed(0), 9)} ` +
        `${pad(v[COLUMNS.flatness]!.toFixed(2), 5)} ${pad(midiToNoteName(v[COLUMNS.pitch]!), 6)} ` +
        `${pad(v[COLUMNS.confidence]!.toFixed(2), 5)} ${pad((v[COLUMNS.attack]! * 1000).toFixed(0), 6)}` +
        (unit.silent ? "  (silent)" : ""),
    );
  }
  return lines.join("\n");
}

/** One JSON object per unit: file, unit index, start/end seconds and frames, descriptors by name. */
export function unitToJson(path: string, unit: Unit): Record<string, unknown> {
  const descriptors: Record<string, number> = {};
  DESCRIPTOR_COLUMNS.forEach((name, i) => {
    descriptors[name] = Number(unit.vector[i]!.toPrecision(7));
  });
  return {
    file: path,
    unit: unit.index,
    startSec: Number(unit.startSec.toFixed(6)),
    endSec: Number(unit.endSec.toFixed(6)),
    startFrame: unit.startFrame,
    endFrame: unit.endFrame,
    silent: unit.silent,
    descriptors,
  };
}

/**
 * Analyses every path, writing results through `out` and one line per bad file through `err`.
 * Never throws for a bad file; throws ParameterError for bad options.
 */
export async function runAnalyze(
  inputs: readonly string[],
  options: Partial<AnalysisOptions>,
  io: { json: boolean; out: (line: string) => void; err: (line: string) => void; progress?: boolean },
): Promise<AnalyzeRunResult> {
  const resolved = resolveAnalysisOptions(options);
  const paths = await expandAudioPaths(inputs);
  const result: AnalyzeRunResult = { analysed: [], failed: [] };
  const progress = createProgress(paths.length, { enabled: io.progress ?? paths.length >= PROGRESS_MIN_FILES, label: "analyse" });
  for (const path of paths) {
    try {
      const analysis = await analyzeFile(path, resolved);
      result.analysed.push(analysis);
      if (io.json) for (const unit of analysis.units) io.out(JSON.stringify(unitToJson(path, unit)));
      else io.out(formatUnitTable(analysis) + "\n");
    } catch (error) {
      if (!(error instanceof MassAudioError)) throw error;
      result.failed.push({ path, message: error.message });
      io.err(`error: ${error.message}`);
    }
    progress.increment();
  }
  progress.stop();
  return result;
}

export function registerAnalyzeCommand(program: Command): void {
  const command = new Command("analyze")
    .description("cut audio files into units and print their descriptors")
    .argument("<file...>", "audio files or folders (searched recursively)")
    .option("--json", "one JSON object per unit (JSON lines) instead of a table");
  addParamFlags(command, ANALYSIS_PARAMETERS);
  command.action(async (files: string[], flags: Record<string, unknown>) => {
    const options = readParamFlags(flags, ANALYSIS_PARAMETERS) as Partial<AnalysisOptions>;
    const json = flags["json"] === true;
    const result = await runAnalyze(files, options, {
      json,
      out: (line) => process.stdout.write(line + "\n"),
      err: (line) => process.stderr.write(line + "\n"),
      progress: process.stderr.isTTY ? undefined : false,
    });
    const units = result.analysed.reduce((sum, a) => sum + a.units.length, 0);
    const audioSec = result.analysed.reduce((sum, a) => sum + a.audioSec, 0);
    const wallSec = result.analysed.reduce((sum, a) => sum + a.analysisSec, 0);
    if (!json) {
      process.stderr.write(
        `${result.analysed.length} file(s) analysed, ${result.failed.length} failed, ${units} units, ` +
          `${audioSec.toFixed(1)} s of audio in ${wallSec.toFixed(2)} s (${(audioSec / Math.max(wallSec, 1e-9)).toFixed(0)}x realtime)\n`,
      );
    }
    if (result.analysed.length === 0) process.exitCode = 1;
  });
  program.addCommand(command);
}
