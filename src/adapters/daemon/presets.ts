/**
 * Saved presets: the current target options under a name, one JSON file each in `<data dir>/presets/`.
 * MIDI program change N selects the N-th preset in name order (0-based, as sent on the wire), so names
 * like "01 tight", "02 loose" fix the mapping.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { RequestError } from "./request-error.js";
import { TARGET_OPTION_SET, type OptionMap } from "./request-options.js";

const PRESET_FORMAT = "mass-audio-preset";
const EXTENSION = ".json";
/** Letters, digits, space and `_ - . , ( ) +`, not starting with a dot: a file name on every OS. */
const NAME_PATTERN = /^[\p{L}\p{N}_][\p{L}\p{N} _.,()+-]{0,63}$/u;

/**
 * Checks a preset name.
 * @throws RequestError bad_arguments for names that could not be a plain file name.
 */
export function checkPresetName(name: string): string {
  if (!NAME_PATTERN.test(name) || name.trimEnd() !== name) {
    throw new RequestError("bad_arguments", `preset name "${name}": use 1-64 letters, digits, spaces and _ - . , ( ) + (not starting with a dot or space)`);
  }
  return name;
}

export class PresetStore {
  readonly folder: string;

  constructor(folder: string) {
    this.folder = folder;
  }

  /** Writes (or replaces) a preset. @throws RequestError bad_arguments (name), internal (disk). */
  async save(name: string, options: OptionMap): Promise<void> {
    checkPresetName(name);
    await mkdir(this.folder, { recursive: true });
    const path = join(this.folder, `${name}${EXTENSION}`);
    const temp = join(this.folder, `.${name}.${randomBytes(4).toString("hex")}.tmp`);
    try {
      await writeFile(temp, `${JSON.stringify({ format: PRESET_FORMAT, version: 1, name, options }, null, 2)}\n`, { flag: "wx" });
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true }).catch(() => undefined);
      throw new RequestError("internal", `preset "${name}": cannot write ${path} (${(error as Error).message})`, { cause: error });
    }
  }

  /** Reads a preset's options. @throws RequestError not_found, bad_arguments (name), bad_option (bad content). */
  async load(name: string): Promise<OptionMap> {
    checkPresetName(name);
    const path = join(this.folder, `${name}${EXTENSION}`);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch {
      throw new RequestError("not_found", `no preset "${name}" (in ${this.folder})`);
    }
    let parsed: { format?: unknown; options?: unknown };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch (error) {
      throw new RequestError("bad_option", `${path}: not JSON (${(error as Error).message})`);
    }
    if (parsed.format !== PRESET_FORMAT) throw new RequestError("bad_option", `${path}: not a mass-audio preset`);
    return TARGET_OPTION_SET.validate(parsed.options);
  }

  /** Preset names in order (code-unit order of the names). */
  async list(): Promise<string[]> {
    let entries: string[];
    try {
      entries = await readdir(this.folder);
    } catch {
      return [];
    }
    return entries
      .filter((entry) => entry.endsWith(EXTENSION) && !entry.startsWith("."))
      .map((entry) => entry.slice(0, -EXTENSION.length))
      .filter((name) => NAME_PATTERN.test(name))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }
}
