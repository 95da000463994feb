/**
 * Lists the audio files under a root (recursively, sorted, dot-files and dot-folders skipped), and
 * computes the analysis version a root's files are held to.
 */
import { createHash } from "node:crypto";
import { opendir } from "node:fs/promises";
import { extname, join } from "node:path";
import { resolveAnalysisOptions } from "../core/analysis/analysis-params.js";
import { DESCRIPTOR_SCHEMA_VERSION } from "../core/analysis/schema.js";
import { AUDIO_EXTENSIONS } from "../io/audio-info.js";

const AUDIO = new Set(AUDIO_EXTENSIONS);

/** True when the file name has an audio extension (content decides the decoder later). */
export function isAudioPath(path: string): boolean {
  return AUDIO.has(extname(path).toLowerCase());
}

/** True for names the scanner and the watcher skip (".DS_Store", ".git", editor temp files ...). */
export function isHiddenName(name: string): boolean {
  return name.startsWith(".");
}

/**
 * Audio files below `dir`, sorted by path. Unreadable sub-folders are skipped (reported through `onError`).
 * @throws the fs error when `dir` itself cannot be read.
 */
export async function listAudioFiles(dir: string, onError: (path: string, error: Error) => void = () => undefined): Promise<string[]> {
  const out: string[] = [];
  const walk = async (folder: string, top: boolean): Promise<void> => {
    let handle;
    try {
      handle = await opendir(folder);
    } catch (error) {
      if (top) throw error;
      onError(folder, error as Error);
      return;
    }
    const folders: string[] = [];
    for await (const entry of handle) {
      if (isHiddenName(entry.name)) continue;
      const full = join(folder, entry.name);
      if (entry.isDirectory()) folders.push(full);
      else if (entry.isFile() && isAudioPath(entry.name)) out.push(full);
    }
    for (const sub of folders) await walk(sub, false);
  };
  await walk(dir, true);
  return out.sort();
}

/** The prefix every analysis version of the current descriptor schema (without embeddings) starts with. */
export const SCHEMA_VERSION_PREFIX = `s${DESCRIPTOR_SCHEMA_VERSION}-`;

/**
 * The prefix of every analysis version of the current descriptor schema with a given embedding model
 * (`name@version`, null for none): units under another prefix cannot share the index and are dropped.
 */
export function schemaVersionPrefix(embeddingModel: string | null = null): string {
  if (embeddingModel === null) return SCHEMA_VERSION_PREFIX;
  return `s${DESCRIPTOR_SCHEMA_VERSION}e${createHash("sha256").update(embeddingModel).digest("hex").slice(0, 8)}-`;
}

/**
 * The analysis version of a root's files: descriptor schema + embedding model + every resolved analysis
 * option. A file analysed under another version is analysed again.
 * @throws ParameterError when the stored options are invalid.
 */
export function analysisVersionOf(analysisOptionsJson: string, embeddingModel: string | null = null): string {
  const options = resolveAnalysisOptions(JSON.parse(analysisOptionsJson) as Record<string, unknown>);
  const canonical = JSON.stringify(Object.keys(options).sort().map((key) => [key, options[key as keyof typeof options]]));
  return `${schemaVersionPrefix(embeddingModel)}${createHash("sha256").update(canonical).digest("hex").slice(0, 12)}`;
}
