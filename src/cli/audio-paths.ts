/** Expands CLI path arguments: files as given, folders recursively to their audio files (sorted). */
import { readdir, stat } from "node:fs/promises";
import { extname, join } from "node:path";
import { AUDIO_EXTENSIONS } from "../io/audio-reader.js";

export async function expandAudioPaths(inputs: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const input of inputs) {
    let info;
    try {
      info = await stat(input);
    } catch {
      out.push(input); // let the decoder report "unreadable" for this path
      continue;
    }
    if (info.isDirectory()) out.push(...(await walk(input)));
    else out.push(input);
  }
  return out;
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith(".")) continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(full)));
    else if (entry.isFile() && AUDIO_EXTENSIONS.includes(extname(entry.name).toLowerCase())) out.push(full);
  }
  return out;
}
