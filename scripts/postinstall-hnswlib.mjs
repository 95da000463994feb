#!/usr/bin/env node
/**
 * Postinstall: makes hnswlib-node load index snapshots fast, by splicing
 * `patches/hnswlib-node-load-index.h` over `HierarchicalNSW::loadIndex` in hnswlib-node's vendored
 * `src/hnswlib/hnswalg.h` (hnswlib 0.8.0) and recompiling the addon (one C++ file, with the node-gyp npm
 * ships; no download: the headers the install-time build used are reused).
 *
 * Why: the stock loadIndex checks the file with a seekg and two tellg per element (an lseek system call
 * each) before reading it again, and faults its level-0 block in 4 KiB pages. Measured on a 1,000,000-unit
 * snapshot (430 MB): 6-7 s of CPU, half of it in that check; patched, 1-1.6 s (see
 * `npm run bench -- query`). The file format is unchanged and the patched loader checks more (dimension,
 * levels, neighbour ids), so a damaged snapshot is refused (and rebuilt) instead of crashing a search.
 *
 * It also lowers hnswlib's per-label lock table from 65,536 to 1,024 mutexes (`MAX_LABEL_OPERATION_LOCKS`,
 * a power of two as the code needs): these locks only serialise concurrent updates of one label from
 * several threads, which mass-audio never does (one thread mutates an index), but zeroing and faulting in
 * 2.6 MB of them made every `initIndex` and `loadIndex` cost 15-20 ms of main-thread time (measured here:
 * 16 ms for an empty index; 0.4 ms with 1,024), paid at every feature-space refit while indexing.
 *
 * Safe by construction: the header is patched only when its SHA-256 is the one of hnswlib-node 3.0.0's;
 * any other version, a failed compile or a missing node-gyp leaves the original addon in place (loads
 * stay correct, only slower) and prints a warning. Idempotent: a second run sees the stamp and does
 * nothing. `--check` reports the state and exits 1 when the patch is not in effect; `--print` writes the
 * patched header to stdout and changes nothing.
 *
 * Usage: node scripts/postinstall-hnswlib.mjs [--check | --print] [--package-dir DIR]
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** hnswlib-node 3.0.0's src/hnswlib/hnswalg.h (hnswlib 0.8.0). */
const ORIGINAL_SHA256 = "0fb2c1b1d3aae1ea959b536f96844f3f3ae6a2f32ce063f2c31f93d84a7e5c32";
const HEADER = join("src", "hnswlib", "hnswalg.h");
const PRISTINE = join("src", "hnswlib", "hnswalg.h.orig");
const STAMP = join("build", "mass-audio-load-index.sha256");
const FUNCTION_START = "    void loadIndex(const std::string &location, SpaceInterface<dist_t> *s, size_t max_elements_i = 0) {\n";
const FUNCTION_END = "        return;\n    }\n";
const INCLUDE_ANCHOR = "#include <memory>\n";
const LOAD_INDEX_MARKER = "// ==== loadIndex ====\n";
export const LOCKS_LINE = "    static const tableint MAX_LABEL_OPERATION_LOCKS = 65536;\n";
export const PATCHED_LOCKS_LINE = "    static const tableint MAX_LABEL_OPERATION_LOCKS = 1024;  // mass-audio: one writer thread\n";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..");
const fragmentPath = join(repoRoot, "patches", "hnswlib-node-load-index.h");

function sha256(text) {
  return createHash("sha256").update(text).digest("hex");
}

function warn(message) {
  process.stderr.write(`mass-audio postinstall (hnswlib-node): ${message}\n`);
}

function packageDir(args) {
  const at = args.indexOf("--package-dir");
  if (at >= 0) return args[at + 1];
  try {
    return dirname(createRequire(join(repoRoot, "package.json")).resolve("hnswlib-node/package.json"));
  } catch {
    return undefined;
  }
}

/**
 * The original header with the patch applied: the patch's lines before `// ==== loadIndex ====` go after
 * the header's last `#include <memory>`, the lines after it replace loadIndex, and the label lock table
 * shrinks (`LOCKS_LINE` -> `PATCHED_LOCKS_LINE`).
 */
export function patchedHeader(original, patch) {
  const split = patch.indexOf(LOAD_INDEX_MARKER);
  if (split < 0) throw new Error(`patch has no "${LOAD_INDEX_MARKER.trim()}" line`);
  const includes = patch.slice(0, split);
  const fragment = patch.slice(split + LOAD_INDEX_MARKER.length);
  const start = original.indexOf(FUNCTION_START);
  if (start < 0 || original.indexOf(FUNCTION_START, start + 1) >= 0) throw new Error("loadIndex not found exactly once");
  const end = original.indexOf(FUNCTION_END, start);
  if (end < 0) throw new Error("end of loadIndex not found");
  const includeAt = original.indexOf(INCLUDE_ANCHOR) + INCLUDE_ANCHOR.length;
  if (includeAt < INCLUDE_ANCHOR.length || includeAt > start) throw new Error(`"${INCLUDE_ANCHOR.trim()}" not found`);
  const locksAt = original.indexOf(LOCKS_LINE);
  if (locksAt < 0 || locksAt > start || original.indexOf(LOCKS_LINE, locksAt + 1) >= 0) throw new Error("MAX_LABEL_OPERATION_LOCKS not found exactly once");
  const between = original.slice(includeAt, start).replace(LOCKS_LINE, PATCHED_LOCKS_LINE);
  return original.slice(0, includeAt) + includes + between + fragment + original.slice(end + FUNCTION_END.length);
}

/** node-gyp: the one npm passes to lifecycle scripts, else the one inside the npm beside this node. */
function nodeGypScript() {
  const candidates = [
    process.env["npm_config_node_gyp"],
    join(dirname(process.execPath), "..", "lib", "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js"),
    join(dirname(process.execPath), "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js"),
  ];
  return candidates.find((path) => path !== undefined && path.endsWith(".js") && existsSync(path));
}

/** The node headers the install-time build used (so that the rebuild never downloads them again). */
function installTimeNodeDir(dir) {
  try {
    const text = readFileSync(join(dir, "build", "config.gypi"), "utf8").replace(/^#.*$/gm, "");
    const nodeDir = JSON.parse(text)?.variables?.nodedir;
    return typeof nodeDir === "string" && existsSync(nodeDir) ? nodeDir : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Recompiles the addon. @returns undefined on success, else why it failed (the previous addon.node is
 * then put back, so hnswlib-node keeps working).
 */
function build(dir) {
  const gyp = nodeGypScript();
  if (!gyp) return "node-gyp not found (run this script through npm)";
  const addon = join(dir, "build", "Release", "addon.node");
  const backup = existsSync(addon) ? readFileSync(addon) : undefined;
  // `rebuild` (configure + compile addon.cc) rather than `build`: the install-time Makefile holds
  // paths relative to where the package was built and breaks when node_modules has moved.
  const nodeDir = installTimeNodeDir(dir);
  const args = [gyp, "rebuild", ...(nodeDir && !process.env["npm_config_nodedir"] ? [`--nodedir=${nodeDir}`] : [])];
  const result = spawnSync(process.execPath, args, { cwd: dir, stdio: ["ignore", "inherit", "inherit"] });
  const failure = result.error?.message ?? (result.status === 0 && existsSync(addon) ? undefined : `node-gyp rebuild exited with ${result.status}`);
  if (failure && backup) {
    mkdirSync(dirname(addon), { recursive: true });
    writeFileSync(addon, backup);
  }
  return failure;
}

function main() {
  const args = process.argv.slice(2);
  const check = args.includes("--check");
  const dir = packageDir(args);
  if (!dir || !existsSync(join(dir, HEADER))) {
    warn("hnswlib-node sources not found; nothing patched");
    process.exitCode = check ? 1 : 0;
    return;
  }
  const headerPath = join(dir, HEADER);
  const pristinePath = join(dir, PRISTINE);
  const current = readFileSync(headerPath, "utf8");
  const original = existsSync(pristinePath) ? readFileSync(pristinePath, "utf8") : current;
  if (sha256(original) !== ORIGINAL_SHA256) {
    warn(`hnswalg.h is not hnswlib-node 3.0.0's; snapshots load with the original (slower) loadIndex`);
    process.exitCode = check ? 1 : 0;
    return;
  }
  const patched = patchedHeader(original, readFileSync(fragmentPath, "utf8"));
  if (args.includes("--print")) {
    process.stdout.write(patched);
    return;
  }
  const wanted = sha256(patched);
  const stampPath = join(dir, STAMP);
  const stamp = existsSync(stampPath) ? readFileSync(stampPath, "utf8").trim() : "";
  if (current === patched && stamp === wanted) {
    if (check) process.stdout.write("hnswlib-node: fast loadIndex in effect\n");
    return;
  }
  if (check) {
    process.stdout.write("hnswlib-node: fast loadIndex NOT in effect (run: node scripts/postinstall-hnswlib.mjs)\n");
    process.exitCode = 1;
    return;
  }
  if (!existsSync(pristinePath)) writeFileSync(pristinePath, original);
  writeFileSync(headerPath, patched);
  const failure = build(dir);
  if (failure) {
    writeFileSync(headerPath, original);
    warn(`${failure}; the original addon is kept (snapshots load correctly, only slower)`);
    return;
  }
  writeFileSync(stampPath, `${wanted}\n`);
  process.stdout.write("mass-audio postinstall: hnswlib-node rebuilt with the fast loadIndex\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
