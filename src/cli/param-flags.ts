/**
 * CLI flags generated from parameter tables (`src/core/params.ts`): one declaration drives the flag,
 * its help text, its default and its validation.
 */
import { Option, type Command } from "commander";
import type { ParamDef } from "../core/params.js";

function describe(def: ParamDef): string {
  const unit = def.unit ? ` (${def.unit})` : "";
  if (def.kind === "enum") return `${def.doc}: ${def.values.join("|")}`;
  if (def.kind === "boolean") return def.doc;
  return `${def.doc}${unit}, ${def.min}..${def.max}`;
}

/** Adds one flag per parameter of `table` to `command`. Values arrive as strings and are validated later. */
export function addParamFlags(command: Command, table: Record<string, ParamDef>): Command {
  for (const def of Object.values(table)) {
    if (def.kind === "boolean") {
      command.addOption(new Option(`--${def.flag}`, describe(def)));
    } else {
      const option = new Option(`--${def.flag} <${def.kind === "enum" ? "mode" : "n"}>`, describe(def)).default(
        String(def.defaultValue),
      );
      command.addOption(option);
    }
  }
  return command;
}

/** Reads the values of a table's flags from commander's parsed options (keyed by camelCased flag). */
export function readParamFlags(options: Record<string, unknown>, table: Record<string, ParamDef>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(table)) {
    const attribute = def.flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    const value = options[attribute];
    if (value !== undefined) out[name] = value;
  }
  return out;
}
