/**
 * Parameters as data (after flucoma's `LongParam(...)`): every user-facing option is declared once
 * with its name, default, range, unit and doc. The declarations drive CLI flags, OSC option parsing,
 * device dials and the README tables, so they cannot drift apart.
 */
import { ParameterError } from "./errors.js";

interface ParamBase {
  /** Option key as used in OSC `key value` pairs and JSON (camelCase). */
  readonly key: string;
  /** CLI flag without dashes (kebab-case). */
  readonly flag: string;
  /** One-line description for --help and the README. */
  readonly doc: string;
}

export interface NumberParam extends ParamBase {
  readonly kind: "number" | "integer";
  readonly defaultValue: number;
  readonly min: number;
  readonly max: number;
  /** Physical unit shown in docs ("ms", "dB", "" for plain numbers). */
  readonly unit: string;
}

export interface EnumParam<T extends string = string> extends ParamBase {
  readonly kind: "enum";
  readonly defaultValue: T;
  readonly values: readonly T[];
  readonly unit: "";
}

export interface BooleanParam extends ParamBase {
  readonly kind: "boolean";
  readonly defaultValue: boolean;
  readonly unit: "";
}

export type ParamDef = NumberParam | EnumParam | BooleanParam;

export type ParamValue<P extends ParamDef> = P extends NumberParam
  ? number
  : P extends EnumParam<infer T>
    ? T
    : P extends BooleanParam
      ? boolean
      : never;

export type ParamValues<T extends Record<string, ParamDef>> = { -readonly [K in keyof T]: ParamValue<T[K]> };

/**
 * Validates one raw value (a CLI string, an OSC argument, a JSON value) against its declaration.
 * @throws ParameterError naming the option, the value and the allowed range or values.
 */
export function parseParam<P extends ParamDef>(def: P, raw: unknown): ParamValue<P> {
  switch (def.kind) {
    case "number":
    case "integer": {
      const value = typeof raw === "string" && raw.trim() !== "" ? Number(raw) : raw;
      if (typeof value !== "number" || !Number.isFinite(value)) {
        throw new ParameterError(`${def.key}: expected a number${def.unit ? ` in ${def.unit}` : ""}, got ${JSON.stringify(raw)}`);
      }
      if (def.kind === "integer" && !Number.isInteger(value)) {
        throw new ParameterError(`${def.key}: expected an integer, got ${value}`);
      }
      if (value < def.min || value > def.max) {
        throw new ParameterError(`${def.key}: ${value} is out of range [${def.min}, ${def.max}]${def.unit ? ` ${def.unit}` : ""}`);
      }
      return value as ParamValue<P>;
    }
    case "enum": {
      if (typeof raw !== "string" || !def.values.includes(raw)) {
        throw new ParameterError(`${def.key}: expected one of ${def.values.join("|")}, got ${JSON.stringify(raw)}`);
      }
      return raw as ParamValue<P>;
    }
    case "boolean": {
      if (typeof raw === "boolean") return raw as ParamValue<P>;
      if (raw === 1 || raw === "1" || raw === "true" || raw === "yes" || raw === "on") return true as ParamValue<P>;
      if (raw === 0 || raw === "0" || raw === "false" || raw === "no" || raw === "off") return false as ParamValue<P>;
      throw new ParameterError(`${def.key}: expected true/false, got ${JSON.stringify(raw)}`);
    }
  }
}

/** The defaults of a parameter table as a plain object. */
export function defaultsOf<T extends Record<string, ParamDef>>(table: T): ParamValues<T> {
  const out: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(table)) out[name] = def.defaultValue;
  return out as ParamValues<T>;
}

/**
 * Validates a partial set of values against a table and fills defaults.
 * @throws ParameterError on an unknown key or a bad value.
 */
export function resolveParams<T extends Record<string, ParamDef>>(table: T, given: Record<string, unknown> = {}): ParamValues<T> {
  const out = defaultsOf(table) as Record<string, unknown>;
  for (const [name, raw] of Object.entries(given)) {
    if (raw === undefined) continue;
    const def = table[name];
    if (!def) throw new ParameterError(`unknown option "${name}" (known: ${Object.keys(table).join(", ")})`);
    out[name] = parseParam(def, raw);
  }
  return out as ParamValues<T>;
}
