/** Where the shared CC0 corpus lives (beside the repo, in development and in CI), and temp folders. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = resolve(fileURLToPath(new URL(".", import.meta.url)), "../..");
export const CORPUS_DIR = resolve(REPO_ROOT, "../shared/corpus/sonic-pi");
export const DEMO_DIR = join(REPO_ROOT, "demo");

/** A fresh temporary folder and its cleanup. */
export function tempDir(prefix = "mass-audio-test-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
