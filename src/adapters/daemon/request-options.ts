/**
 * Request options as data: the `key value` pairs of OSC requests (and of saved presets) for find, regen
 * and the current target. Regeneration and segmentation options are the parameter tables themselves
 * (`REGEN_PARAMETERS`, `ANALYSIS_PARAMETERS`, validated by `parseParam` through their resolvers); filters
 * and weights are parsed by the same functions as the CLI flags (`parseFilterFlags`, `parseWeights`), and
 * ranges the service itself checks (find's `k` and `at`) are left to it. Keys are the CLI long flag names
 * without the dashes, or the camelCase option key, in any case (`crossfade-ms`, `crossfadeMs`, `CROSSFADEMS`).
 */
import { ANALYSIS_PARAMETERS, resolveAnalysisOptions, type AnalysisOptions } from "../../core/analysis/analysis-params.js";
import type { ParamDef } from "../../core/params.js";
import { REGEN_PARAMETERS, resolveRegenOptions, type RegenOptions } from "../../core/select/regen-params.js";
import { FIND_WEIGHTS_DOC, parseFilterFlags, parseWeights, REGEN_WEIGHTS_DOC, type FilterFlags } from "../../cli/corpus-options.js";
import type { GroupWeights } from "../../corpus/feature-space.js";
import type { UnitFilter } from "../../corpus/unit-filter.js";
import { RequestError } from "./request-error.js";

export type OptionScalar = number | string | boolean;
export type OptionValue = OptionScalar | readonly string[];
/** Options by canonical key (the spec's `key`); JSON-serialisable (presets store it as it is). */
export type OptionMap = Readonly<Record<string, OptionValue>>;

interface OptionBase {
  /** Canonical key (camelCase). */
  readonly key: string;
  /** CLI long flag without dashes. */
  readonly flag: string;
  readonly doc: string;
}

/** One option a request accepts. */
export type OptionSpec =
  | (OptionBase & { readonly kind: "param"; readonly def: ParamDef; readonly table: "regen" | "analysis" })
  /** A number whose range the service checks (find's k and at). */
  | (OptionBase & { readonly kind: "number"; readonly integer: boolean; readonly unit: string })
  /** `MIN..MAX` text (either side may be left out), parsed as the CLI's range flags. */
  | (OptionBase & { readonly kind: "range"; readonly unit: string })
  /** Repeatable text (each pair adds one value). */
  | (OptionBase & { readonly kind: "list" })
  /** Text parsed as the CLI flag of the same name (weights). */
  | (OptionBase & { readonly kind: "text" })
  /** An output file name inside the daemon's output folder. */
  | (OptionBase & { readonly kind: "out" });

/** Filters shared by find and regen (docs as the CLI flags'). */
const FILTER_OPTIONS: readonly OptionSpec[] = [
  { key: "folder", flag: "folder", kind: "list", doc: "only units under folders matching the glob (repeatable)" },
  { key: "category", flag: "category", kind: "list", doc: "only units of these categories (repeatable or comma-separated)" },
  { key: "cluster", flag: "cluster", kind: "list", doc: "only units of these clusters (repeatable)" },
  { key: "duration", flag: "duration", kind: "range", unit: "s", doc: "unit duration range, e.g. 0.05..0.5" },
  { key: "loudness", flag: "loudness", kind: "range", unit: "dBFS", doc: "unit mean level range, e.g. -30..-6" },
  { key: "excludeFile", flag: "exclude-file", kind: "list", doc: "leave out units of this file (repeatable)" },
];

function paramOptions(table: Record<string, ParamDef>, name: "regen" | "analysis"): OptionSpec[] {
  return Object.values(table).map((def) => ({ key: def.key, flag: def.flag, kind: "param", def, table: name, doc: def.doc }));
}

/** Options of `/mass/find` (as `mass-audio find`). */
export const FIND_OPTIONS: readonly OptionSpec[] = [
  { key: "at", flag: "at", kind: "number", integer: false, unit: "s", doc: "time in the target file (default: its first non-silent unit)" },
  { key: "k", flag: "k", kind: "number", integer: true, unit: "", doc: "number of results (1..10000; default 10)" },
  ...FILTER_OPTIONS,
  { key: "weights", flag: "weights", kind: "text", doc: FIND_WEIGHTS_DOC },
  { key: "pitch", flag: "pitch", kind: "range", unit: "MIDI note", doc: "unit pitch range, e.g. 48..72 (unpitched units never match)" },
];

/** Options of the current target (`/mass/target`, presets, MIDI): regen's without `out`. */
export const TARGET_OPTIONS: readonly OptionSpec[] = [
  ...paramOptions(REGEN_PARAMETERS, "regen"),
  ...paramOptions(ANALYSIS_PARAMETERS, "analysis"),
  ...FILTER_OPTIONS,
  { key: "weights", flag: "weights", kind: "text", doc: REGEN_WEIGHTS_DOC },
  { key: "pitchRange", flag: "pitch-range", kind: "range", unit: "MIDI note", doc: "unit pitch range (unpitched units never match)" },
];

/** Options of `/mass/regen` (as `mass-audio regen`). */
export const REGEN_OPTIONS: readonly OptionSpec[] = [
  ...TARGET_OPTIONS,
  { key: "out", flag: "out", kind: "out", doc: "output WAV name inside the output folder (default: TARGET-sSEED.wav, never overwriting)" },
];

/** Lower case, no dashes or underscores: `crossfade-ms`, `crossfadeMs` and `CROSSFADE_MS` meet. */
export function normaliseOptionKey(key: string): string {
  return key.toLowerCase().replace(/[-_]/g, "");
}

/** A set of options with its key lookup. */
export class OptionSet {
  readonly name: string;
  readonly specs: readonly OptionSpec[];
  private readonly byKey = new Map<string, OptionSpec>();

  /** @throws Error when two options share a normalised key (a table bug, caught by the tests). */
  constructor(name: string, specs: readonly OptionSpec[]) {
    this.name = name;
    this.specs = specs;
    for (const spec of specs) {
      for (const alias of new Set([normaliseOptionKey(spec.key), normaliseOptionKey(spec.flag)])) {
        const other = this.byKey.get(alias);
        if (other && other !== spec) throw new Error(`${name}: options ${other.key} and ${spec.key} share the key "${alias}"`);
        this.byKey.set(alias, spec);
      }
    }
  }

  lookup(key: string): OptionSpec | undefined {
    return this.byKey.get(normaliseOptionKey(key));
  }

  /**
   * Adds `key value` pairs to `base` (a later value replaces an earlier one, list options accumulate).
   * Checks keys and value types only; ranges and enums are checked when the options are interpreted.
   * @throws RequestError bad_option on an unknown key or a value of the wrong type.
   */
  collect(pairs: readonly (readonly [string, OptionScalar])[], base: OptionMap = {}): OptionMap {
    const out: Record<string, OptionValue> = { ...base };
    for (const [rawKey, value] of pairs) {
      const spec = this.lookup(rawKey);
      if (!spec) {
        throw new RequestError("bad_option", `unknown option "${rawKey}" for ${this.name} (known: ${this.specs.map((s) => s.flag).join(", ")})`);
      }
      out[spec.key] = checkValue(spec, value, out[spec.key]);
    }
    return out;
  }

  /**
   * Checks a stored option map (a preset file): known keys, values of the right shape.
   * @throws RequestError bad_option.
   */
  validate(map: unknown): OptionMap {
    if (typeof map !== "object" || map === null || Array.isArray(map)) throw new RequestError("bad_option", `${this.name}: options must be an object`);
    const pairs: [string, OptionScalar][] = [];
    for (const [key, value] of Object.entries(map as Record<string, unknown>)) {
      const values = Array.isArray(value) ? value : [value];
      for (const item of values) {
        if (typeof item !== "number" && typeof item !== "string" && typeof item !== "boolean") {
          throw new RequestError("bad_option", `${this.name}: option ${key} has a value of type ${item === null ? "null" : typeof item}`);
        }
        pairs.push([key, item]);
      }
    }
    return this.collect(pairs);
  }
}

function checkValue(spec: OptionSpec, value: OptionScalar, previous: OptionValue | undefined): OptionValue {
  switch (spec.kind) {
    case "param":
      return value;
    case "number": {
      const number = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : Number.NaN;
      if (!Number.isFinite(number)) throw new RequestError("bad_option", `${spec.key}: expected a number, got ${JSON.stringify(value)}`);
      if (spec.integer && !Number.isInteger(number)) throw new RequestError("bad_option", `${spec.key}: expected an integer, got ${number}`);
      return number;
    }
    case "range":
    case "text":
    case "out":
      if (typeof value !== "string") {
        const shape = spec.kind === "range" ? "MIN..MAX text" : "text";
        throw new RequestError("bad_option", `${spec.key}: expected ${shape}, got ${JSON.stringify(value)}`);
      }
      return value;
    case "list": {
      if (typeof value === "boolean") throw new RequestError("bad_option", `${spec.key}: expected text, got ${value}`);
      const list = Array.isArray(previous) ? (previous as readonly string[]) : [];
      return [...list, String(value)];
    }
  }
}

export const FIND_OPTION_SET = new OptionSet("/mass/find", FIND_OPTIONS);
export const REGEN_OPTION_SET = new OptionSet("/mass/regen", REGEN_OPTIONS);
export const TARGET_OPTION_SET = new OptionSet("/mass/target", TARGET_OPTIONS);

function text(map: OptionMap, key: string): string | undefined {
  const value = map[key];
  return typeof value === "string" ? value : undefined;
}

function list(map: OptionMap, key: string): string[] | undefined {
  const value = map[key];
  return Array.isArray(value) ? [...(value as readonly string[])] : undefined;
}

function filterOf(map: OptionMap, pitchKey: "pitch" | "pitchRange"): UnitFilter {
  const flags: FilterFlags = {
    folder: list(map, "folder"),
    category: list(map, "category"),
    cluster: list(map, "cluster"),
    duration: text(map, "duration"),
    pitch: text(map, pitchKey),
    loudness: text(map, "loudness"),
  };
  return parseFilterFlags(flags);
}

function weightsOf(map: OptionMap): Partial<GroupWeights> | undefined {
  const weights = text(map, "weights");
  return weights === undefined ? undefined : parseWeights(weights);
}

export interface FindOptions {
  readonly atSec?: number;
  readonly k?: number;
  readonly filter: UnitFilter;
  readonly weights?: Partial<GroupWeights>;
  readonly excludeFile: readonly string[];
}

/**
 * Interprets find options (as `mass-audio find` interprets its flags).
 * @throws ParameterError on a malformed range, weight list or cluster id.
 */
export function interpretFindOptions(map: OptionMap): FindOptions {
  const at = map["at"];
  const k = map["k"];
  const weights = weightsOf(map);
  return {
    ...(typeof at === "number" ? { atSec: at } : {}),
    ...(typeof k === "number" ? { k } : {}),
    filter: filterOf(map, "pitch"),
    ...(weights ? { weights } : {}),
    excludeFile: list(map, "excludeFile") ?? [],
  };
}

export interface RegenOptionsGiven {
  /** The regen options given (raw, validated), for the request. */
  readonly regen: Partial<Record<keyof RegenOptions, unknown>>;
  /** The same with the defaults filled. */
  readonly resolved: RegenOptions;
  readonly analysis: Partial<AnalysisOptions>;
  readonly filter: UnitFilter;
  readonly weights?: Partial<GroupWeights>;
  readonly excludeFile: readonly string[];
  readonly out?: string;
}

/**
 * Interprets regen / target options: every value checked against its declaration.
 * @throws ParameterError on a value out of range, an unknown enum value or a malformed filter.
 */
export function interpretRegenOptions(map: OptionMap): RegenOptionsGiven {
  const regen: Record<string, unknown> = {};
  const analysis: Record<string, unknown> = {};
  for (const spec of REGEN_OPTIONS) {
    if (spec.kind !== "param" || map[spec.key] === undefined) continue;
    (spec.table === "regen" ? regen : analysis)[spec.key] = map[spec.key];
  }
  const resolved = resolveRegenOptions(regen as Partial<Record<keyof RegenOptions, unknown>>);
  const resolvedAnalysis = resolveAnalysisOptions(analysis as Partial<Record<keyof AnalysisOptions, unknown>>);
  const typedAnalysis = Object.fromEntries(Object.keys(analysis).map((key) => [key, resolvedAnalysis[key as keyof AnalysisOptions]]));
  const weights = weightsOf(map);
  const out = text(map, "out");
  return {
    regen: regen as Partial<Record<keyof RegenOptions, unknown>>,
    resolved,
    analysis: typedAnalysis as Partial<AnalysisOptions>,
    filter: filterOf(map, "pitchRange"),
    ...(weights ? { weights } : {}),
    excludeFile: list(map, "excludeFile") ?? [],
    ...(out !== undefined ? { out } : {}),
  };
}
