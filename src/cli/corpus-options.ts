/**
 * Flags shared by the corpus commands (`index`, `find`, `status`): the data folder, and the parsing of
 * weights, ranges and filters from their command-line text into typed values.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { Option, type Command } from "commander";
import { ParameterError } from "../core/errors.js";
import { DB_FILE_NAME, resolveDataDir } from "../corpus/data-dir.js";
import { WEIGHT_GROUPS, type GroupWeights, type WeightGroup } from "../corpus/feature-space.js";
import type { CorpusStore } from "../corpus/store.js";
import { DEFAULT_MODEL_NAME } from "../io/model-manifest.js";
import type { MassAudioOptions } from "../service/mass-audio.js";
import type { Range, UnitFilter } from "../corpus/unit-filter.js";

/** Adds `--db DIR`. */
export function addDbOption(command: Command): Command {
  return command.addOption(
    new Option("--db <dir>", "corpus data folder (default: $MASS_AUDIO_HOME, else the per-user app-data folder)"),
  );
}

/** Adds `--model NAME|DIR|none`. */
export function addModelOption(command: Command): Command {
  return command.addOption(
    new Option(
      "--model <name>",
      `embedding model of the corpus vectors: a folder, a name under models/, or "none" for descriptors only ` +
        `(default: the corpus's own; ${DEFAULT_MODEL_NAME} for a new corpus). A change re-analyses every file.`,
    ),
  );
}

/** The service options of a `--model` value (undefined: the corpus's own, the default model for a new corpus). */
export function embeddingOptions(model: string | undefined): Pick<MassAudioOptions, "embeddingModel" | "defaultEmbeddingModel"> {
  if (model === undefined) return { defaultEmbeddingModel: DEFAULT_MODEL_NAME };
  if (model === "none") return { embeddingModel: null };
  return { embeddingModel: model };
}

/** The data folder of `--db` (or the default) that must already hold a corpus. @throws ParameterError when it does not. */
export function existingDataDir(db: string | undefined): string {
  const dir = resolveDataDir(db);
  if (!existsSync(join(dir, DB_FILE_NAME))) {
    throw new ParameterError(`no corpus in ${dir} (run "mass-audio index FOLDER" first, or pass --db DIR)`);
  }
  return dir;
}

/** Docs of `--weights`: `find` fills missing groups with 1, regeneration with 1 but the embedding with 0. */
export const FIND_WEIGHTS_DOC = "group weights (missing: 1), e.g. timbre=1,pitch=0.5,loudness=0,duration=0.2,embedding=1";
export const REGEN_WEIGHTS_DOC = "group weights (missing: 1, embedding 0), e.g. timbre=1,pitch=0.5,embedding=0.5";

/**
 * Parses `timbre=1,pitch=0.5,...` into group weights.
 * @throws ParameterError on unknown groups or values that are not numbers >= 0.
 */
export function parseWeights(text: string): Partial<GroupWeights> {
  const out: Partial<Record<WeightGroup, number>> = {};
  for (const part of text.split(",").map((p) => p.trim()).filter((p) => p.length > 0)) {
    const match = /^([a-z]+)\s*[=:]\s*(.+)$/i.exec(part);
    if (!match) throw new ParameterError(`weights: "${part}" is not GROUP=NUMBER (groups: ${WEIGHT_GROUPS.join(", ")})`);
    const group = match[1]!.toLowerCase();
    if (!(WEIGHT_GROUPS as readonly string[]).includes(group)) {
      throw new ParameterError(`weights: unknown group "${match[1]}" (groups: ${WEIGHT_GROUPS.join(", ")})`);
    }
    const value = Number(match[2]);
    if (!Number.isFinite(value) || value < 0) throw new ParameterError(`weights: ${group}=${match[2]} is not a number >= 0`);
    out[group as WeightGroup] = value;
  }
  return out;
}

/**
 * Parses `MIN..MAX` (either side may be empty: `..0.5`, `60..`).
 * @throws ParameterError on anything else, or MIN > MAX.
 */
export function parseRange(text: string, name: string): Range {
  const match = /^\s*(-?[\d.]+(?:e-?\d+)?)?\s*\.\.\s*(-?[\d.]+(?:e-?\d+)?)?\s*$/i.exec(text);
  if (!match || (match[1] === undefined && match[2] === undefined)) {
    throw new ParameterError(`${name}: expected MIN..MAX (either side may be left out), got "${text}"`);
  }
  const min = match[1] === undefined ? undefined : Number(match[1]);
  const max = match[2] === undefined ? undefined : Number(match[2]);
  if ((min !== undefined && !Number.isFinite(min)) || (max !== undefined && !Number.isFinite(max))) {
    throw new ParameterError(`${name}: "${text}" has a bound that is not a number`);
  }
  if (min !== undefined && max !== undefined && min > max) throw new ParameterError(`${name}: ${min} is above ${max}`);
  return { ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) };
}

/** Parses a non-negative number flag. @throws ParameterError. */
export function parseNumber(text: string, name: string, options: { integer?: boolean; min?: number; max?: number } = {}): number {
  const value = Number(text);
  const min = options.min ?? 0;
  const max = options.max ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isFinite(value) || (options.integer && !Number.isInteger(value)) || value < min || value > max) {
    throw new ParameterError(`${name}: expected ${options.integer ? "an integer" : "a number"} in [${min}, ${max}], got "${text}"`);
  }
  return value;
}

export interface FilterFlags {
  readonly folder?: string[];
  readonly category?: string[];
  readonly cluster?: string[];
  readonly duration?: string;
  readonly pitch?: string;
  readonly loudness?: string;
}

/** Builds a unit filter from the `find` flags. @throws ParameterError on malformed values. */
export function parseFilterFlags(flags: FilterFlags): UnitFilter {
  const categories = (flags.category ?? []).flatMap((c) => c.split(",")).map((c) => c.trim()).filter((c) => c.length > 0);
  const clusters = (flags.cluster ?? []).flatMap((c) => c.split(",")).map((c) => parseNumber(c.trim(), "cluster", { integer: true, max: 1000 }));
  return {
    ...(flags.folder && flags.folder.length > 0 ? { folders: flags.folder } : {}),
    ...(categories.length > 0 ? { categories } : {}),
    ...(clusters.length > 0 ? { clusters } : {}),
    ...(flags.duration !== undefined ? { durationSec: parseRange(flags.duration, "duration") } : {}),
    ...(flags.pitch !== undefined ? { pitchMidi: parseRange(flags.pitch, "pitch") } : {}),
    ...(flags.loudness !== undefined ? { loudnessDb: parseRange(flags.loudness, "loudness") } : {}),
  };
}

/**
 * Adds `--exclude-file` paths to a filter as file ids; paths the corpus does not hold exclude nothing.
 * @returns `filter` itself when no given path is in the corpus.
 */
export function excludeFiles(filter: UnitFilter, paths: readonly string[] | undefined, store: Pick<CorpusStore, "getFileByPath">): UnitFilter {
  const excludeFileIds = (paths ?? []).flatMap((path) => {
    const file = store.getFileByPath(resolve(path));
    return file ? [file.id] : [];
  });
  return excludeFileIds.length > 0 ? { ...filter, excludeFileIds } : filter;
}

/** Repeated-flag collector for commander. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Seconds -> "1h 02m 03s" / "2m 03s" / "4.2 s". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "-";
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  return h > 0 ? `${h}h ${String(m).padStart(2, "0")}m ${String(s).padStart(2, "0")}s` : `${m}m ${String(s).padStart(2, "0")}s`;
}

/** Bytes -> "12.3 MB". */
export function formatBytes(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let value = bytes;
  let i = 0;
  while (value >= 1000 && i < units.length - 1) {
    value /= 1000;
    i++;
  }
  return `${value.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}
