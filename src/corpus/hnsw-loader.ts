/**
 * Which snapshot loader the installed hnswlib-node addon has: the stock one, or the fast one that
 * `scripts/postinstall-hnswlib.mjs` compiles in at install (one read per section, checks in memory, huge
 * pages; about 5x faster on 1M points, and it refuses damaged link lists instead of crashing later).
 * Both read the same files; only the load time and the handling of damaged files differ.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export interface SnapshotLoaderInfo {
  /** True when the addon was built from the patched header that is on disk now. */
  readonly fast: boolean;
  /** One line for logs and `status`: which loader, or why not the fast one. */
  readonly detail: string;
}

/** Written by the postinstall script after a successful build: SHA-256 of the header it compiled. */
const STAMP_FILE = join("build", "mass-audio-load-index.sha256");
const HEADER_FILE = join("src", "hnswlib", "hnswalg.h");

/** Reads the postinstall stamp of the hnswlib-node package next to this module (a few file reads, no I/O after). */
export function snapshotLoader(): SnapshotLoaderInfo {
  let packageDir: string;
  try {
    packageDir = dirname(createRequire(import.meta.url).resolve("hnswlib-node/package.json"));
  } catch {
    return { fast: false, detail: "hnswlib-node not found" };
  }
  let stamp: string;
  try {
    stamp = readFileSync(join(packageDir, STAMP_FILE), "utf8").trim();
  } catch {
    return { fast: false, detail: "stock hnswlib loader (run: node scripts/postinstall-hnswlib.mjs)" };
  }
  let header: Buffer;
  try {
    header = readFileSync(join(packageDir, HEADER_FILE));
  } catch {
    return { fast: false, detail: "hnswlib-node sources missing; loader unknown" };
  }
  const built = createHash("sha256").update(header).digest("hex") === stamp;
  return built
    ? { fast: true, detail: "fast snapshot loader (patched hnswlib-node)" }
    : { fast: false, detail: "hnswlib-node header changed since the patched build (run: node scripts/postinstall-hnswlib.mjs)" };
}
