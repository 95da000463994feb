/**
 * The regen options the Max for Live device shows, taken from `REGEN_PARAMETERS`: the build script
 * generates one dial or menu per key from these declarations (range, default, unit, doc), and the
 * Node for Max script decodes what those objects send with the same declarations.
 */
import { ParameterError } from "../../core/errors.js";
import { parseParam, type ParamDef } from "../../core/params.js";
import { REGEN_PARAMETERS } from "../../core/select/regen-params.js";

/** Device controls, in panel order. */
export const DEVICE_PARAMETER_KEYS = [
  "variety",
  "stickiness",
  "novelty",
  "k",
  "wet",
  "layers",
  "fit",
  "pitch",
  "semitones",
  "seed",
] as const satisfies ReadonlyArray<keyof typeof REGEN_PARAMETERS>;

export type DeviceParameterKey = (typeof DEVICE_PARAMETER_KEYS)[number];

/**
 * Largest integer a Live parameter holds exactly: Live stores and automates parameter values as 32-bit
 * floats, whose 24-bit mantissa represents every integer up to 2^24 - 1. Integer ranges beyond it (the
 * seed goes to 2^32 - 1) are cut to it on the device; the CLI and OSC keep the full range.
 */
export const LIVE_EXACT_INT_MAX = 16_777_215;

export function deviceParameterDef(key: DeviceParameterKey): ParamDef {
  return REGEN_PARAMETERS[key];
}

/** The range a device control offers for a numeric parameter: the declared one, cut to what Live holds exactly. */
export function deviceRange(def: ParamDef): { readonly min: number; readonly max: number } {
  if (def.kind !== "number" && def.kind !== "integer") throw new ParameterError(`${def.key}: not a numeric parameter`);
  if (def.kind === "integer") return { min: Math.max(def.min, -LIVE_EXACT_INT_MAX), max: Math.min(def.max, LIVE_EXACT_INT_MAX) };
  return { min: def.min, max: def.max };
}

export function isDeviceParameterKey(key: string): key is DeviceParameterKey {
  return (DEVICE_PARAMETER_KEYS as readonly string[]).includes(key);
}

/**
 * Turns what a device control sends into the option value: a `live.menu` sends the index of its item
 * (items are the enum values in declaration order), dials send numbers (integers arrive as floats from
 * `live.dial` and are rounded).
 * @throws ParameterError for an unknown key, a menu index out of range or a value out of the declared range.
 */
export function decodeDeviceValue(key: string, raw: number | string): number | string {
  if (!isDeviceParameterKey(key)) throw new ParameterError(`unknown device parameter "${key}" (known: ${DEVICE_PARAMETER_KEYS.join(", ")})`);
  const def = deviceParameterDef(key);
  if (def.kind === "enum") {
    if (typeof raw === "number") {
      const value = def.values[Math.round(raw)];
      if (value === undefined) throw new ParameterError(`${key}: menu index ${raw} is out of range 0..${def.values.length - 1}`);
      return value;
    }
    return parseParam(def, raw);
  }
  if (def.kind === "integer") {
    const value = typeof raw === "number" ? Math.round(raw) : raw;
    return parseParam(def, value);
  }
  if (def.kind === "boolean") return parseParam(def, raw) ? 1 : 0;
  return parseParam(def, raw);
}

/** Defaults of the device controls. */
export function deviceDefaults(): Record<DeviceParameterKey, number | string> {
  const out = {} as Record<DeviceParameterKey, number | string>;
  for (const key of DEVICE_PARAMETER_KEYS) {
    const def = deviceParameterDef(key);
    out[key] = typeof def.defaultValue === "boolean" ? (def.defaultValue ? 1 : 0) : def.defaultValue;
  }
  return out;
}
