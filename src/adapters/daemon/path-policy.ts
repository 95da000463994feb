/**
 * What the daemon may read and write. Requests come from the network (loopback by default, but any local
 * program can send them), so every path they carry is checked here before the service sees it:
 * - read: a target must be an absolute path to an existing regular file with an audio extension (after
 *   symlinks are resolved); nothing else is ever opened on a request's behalf.
 * - write: an output name is resolved inside the output folder; `..`, absolute paths elsewhere and
 *   symlinks leading out (checked on real paths) are refused.
 */
import { lstat, mkdir, realpath, stat } from "node:fs/promises";
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { performance } from "node:perf_hooks";
import { AUDIO_EXTENSIONS } from "../../io/audio-info.js";
import { sidecarPathOf } from "../../service/regenerate.js";
import { RequestError } from "./request-error.js";

/** Longest path a request may carry: 4096 bytes (PATH_MAX on Linux). */
const MAX_PATH_LENGTH = 4096;

function checkText(path: string, what: string): void {
  if (path.length === 0) throw new RequestError("bad_arguments", `${what}: empty path`);
  if (path.length > MAX_PATH_LENGTH) throw new RequestError("bad_arguments", `${what}: path longer than ${MAX_PATH_LENGTH} characters`);
  if (path.includes("\u0000")) throw new RequestError("bad_arguments", `${what}: path contains a NUL character`);
}

function isAudioName(path: string): boolean {
  return AUDIO_EXTENSIONS.includes(extname(path).toLowerCase());
}

/** True when `child` is `parent` itself or inside it (both absolute and normalised). */
export function isInsideFolder(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

/**
 * Checks a target a request names (for find, regen, target).
 * @returns the absolute path as given (the corpus stores paths as they were found, not their real paths).
 * @throws RequestError forbidden_path (relative path, not a regular file, not an audio extension),
 *   not_found (no such file), bad_arguments (empty or malformed).
 */
export async function checkAudioTarget(path: string, what = "TARGET_PATH"): Promise<string> {
  const absolute = checkTargetName(path, what);
  await checkTargetFile(absolute);
  return absolute;
}

/** The text checks of a target. @returns the absolute path. @throws RequestError. */
function checkTargetName(path: string, what: string): string {
  checkText(path, what);
  if (!isAbsolute(path)) throw new RequestError("forbidden_path", `${what} must be an absolute path, got "${path}"`);
  const absolute = resolve(path);
  if (!isAudioName(absolute)) {
    throw new RequestError("forbidden_path", `${absolute}: not an audio file name (extensions: ${AUDIO_EXTENSIONS.join(" ")})`);
  }
  return absolute;
}

/** The disk checks of a target: it exists and is, after links, a regular file with an audio name. @throws RequestError. */
async function checkTargetFile(absolute: string): Promise<void> {
  let real: string;
  try {
    real = await realpath(absolute);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") throw new RequestError("not_found", `${absolute}: no such file`);
    throw new RequestError("forbidden_path", `${absolute}: cannot be read (${code ?? (error as Error).message})`);
  }
  if (!isAudioName(real)) throw new RequestError("forbidden_path", `${absolute}: links to ${real}, which is not an audio file name`);
  const info = await stat(real).catch(() => {
    throw new RequestError("not_found", `${absolute}: no such file`); // removed since the realpath
  });
  if (!info.isFile()) throw new RequestError("forbidden_path", `${absolute}: not a regular file`);
}

/** How long a target that passed the check is trusted without looking at the disk again: 5 s. */
const DEFAULT_TARGET_VALIDITY_MS = 5000;
/** Targets remembered: 4096 paths (the oldest check is dropped beyond). */
const DEFAULT_TARGET_ENTRIES = 4096;

/**
 * `checkAudioTarget` with its passes remembered for a short time, for finds: a client asking for the
 * neighbours of the same file many times a second costs two file-system calls (two trips through libuv's
 * thread pool) a few times per validity period, in the background, instead of a wait on every request.
 * A pass is trusted for at most the validity (5 s) after the disk was last looked at. Only passes are
 * kept (a file that appears is found at once); a path the corpus watcher reports as changed or removed
 * is looked at again on its next request. The text checks (absolute, audio name) always run.
 */
export class CheckedTargets {
  private readonly validityMs: number;
  private readonly maxEntries: number;
  private readonly nowMs: () => number;
  /** Absolute path -> when it passed (ms, `nowMs`), oldest first. */
  private readonly passedAtMs = new Map<string, number>();
  /** Targets being looked at again in the background. */
  private readonly refreshing = new Set<string>();

  constructor(options: { readonly validityMs?: number; readonly maxEntries?: number; readonly nowMs?: () => number } = {}) {
    this.validityMs = options.validityMs ?? DEFAULT_TARGET_VALIDITY_MS;
    this.maxEntries = options.maxEntries ?? DEFAULT_TARGET_ENTRIES;
    this.nowMs = options.nowMs ?? (() => performance.now());
  }

  /**
   * As `checkAudioTarget`, answered from memory when the same path passed less than the validity ago.
   * @throws RequestError as `checkAudioTarget`.
   */
  async check(path: string, what = "TARGET_PATH"): Promise<string> {
    const recent = this.recent(path, what);
    if (recent !== undefined) return recent;
    const absolute = resolve(path);
    const startedAtMs = this.nowMs(); // valid from when the disk was looked at, not from the answer
    await checkTargetFile(absolute);
    this.remember(absolute, startedAtMs);
    return absolute;
  }

  /**
   * The absolute path when `path` passed the check less than the validity ago; undefined when the disk
   * must be looked at (`check`). Never waits.
   * @throws RequestError when the text alone fails (relative, not an audio name, empty, NUL).
   */
  recent(path: string, what = "TARGET_PATH"): string | undefined {
    const absolute = checkTargetName(path, what);
    const passedAt = this.passedAtMs.get(absolute);
    if (passedAt === undefined) return undefined;
    const ageMs = this.nowMs() - passedAt;
    if (ageMs >= this.validityMs) return undefined;
    if (ageMs >= this.validityMs / 2) this.refresh(absolute);
    return absolute;
  }

  /**
   * Looks at a target in use again in the background, in the second half of its validity: a target asked
   * for steadily never waits for the disk, and targets checked together do not all expire together.
   * A failure drops the pass (the next request then fails the full check).
   */
  private refresh(absolute: string): void {
    if (this.refreshing.has(absolute)) return;
    this.refreshing.add(absolute);
    const startedAtMs = this.nowMs();
    checkTargetFile(absolute).then(
      () => {
        if (this.passedAtMs.has(absolute)) this.remember(absolute, startedAtMs); // unless forgotten meanwhile
      },
      () => this.passedAtMs.delete(absolute),
    ).finally(() => this.refreshing.delete(absolute));
  }

  private remember(absolute: string, passedAtMs: number): void {
    this.passedAtMs.delete(absolute);
    this.passedAtMs.set(absolute, passedAtMs);
    if (this.passedAtMs.size > this.maxEntries) this.passedAtMs.delete(this.passedAtMs.keys().next().value!);
  }

  /** Checks `path` on the disk again on its next request (it changed, moved or went away). */
  forget(path: string): void {
    this.passedAtMs.delete(path);
  }

  get size(): number {
    return this.passedAtMs.size;
  }
}

/**
 * Checks a folder a request names as a corpus root.
 * @returns the absolute path.
 * @throws RequestError forbidden_path (relative), not_found (missing or not a folder).
 */
export async function checkRootFolder(path: string): Promise<string> {
  checkText(path, "PATH");
  if (!isAbsolute(path)) throw new RequestError("forbidden_path", `PATH must be an absolute path, got "${path}"`);
  const absolute = resolve(path);
  try {
    if ((await stat(absolute)).isDirectory()) return absolute;
  } catch {
    // reported below
  }
  throw new RequestError("not_found", `${absolute}: no such folder`);
}

async function isSymlink(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isSymbolicLink();
  } catch {
    return false;
  }
}

/** The output folder: created when missing; its real path is what writes are checked against. */
export class OutputFolder {
  readonly path: string;
  readonly realPath: string;

  private constructor(path: string, realPath: string) {
    this.path = path;
    this.realPath = realPath;
  }

  /** @throws Error when the folder cannot be created. */
  static async open(path: string): Promise<OutputFolder> {
    const absolute = resolve(path);
    await mkdir(absolute, { recursive: true });
    return new OutputFolder(absolute, await realpath(absolute));
  }

  /**
   * Resolves an output file name (`take.wav`, `session/take`, or an absolute path inside the folder) to the
   * real path to write; adds `.wav` when the name has no extension and creates subfolders inside.
   * @throws RequestError forbidden_path (escapes the folder: `..`, absolute elsewhere, a symlink leading
   *   out, or an existing symlink at the name); bad_option (not a .wav name, a folder at that name).
   */
  async resolve(name: string): Promise<string> {
    checkText(name, "out");
    let candidate = isAbsolute(name) ? resolve(name) : resolve(this.path, name);
    if (!isInsideFolder(candidate, this.path) && !isInsideFolder(candidate, this.realPath)) {
      throw new RequestError("forbidden_path", `out: "${name}" is outside the output folder ${this.path}`);
    }
    if (candidate === this.path || candidate === this.realPath) throw new RequestError("bad_option", `out: "${name}" names the output folder itself`);
    const extension = extname(candidate).toLowerCase();
    if (extension === "") candidate = `${candidate}.wav`;
    else if (extension !== ".wav") throw new RequestError("bad_option", `out: "${name}" must be a .wav file name`);

    // The deepest existing ancestor must really be inside the folder (a symlinked subfolder may lead out).
    const folder = dirname(candidate);
    let existing = folder;
    while (!(await exists(existing))) existing = dirname(existing);
    const realExisting = await realpath(existing).catch(() => {
      throw new RequestError("forbidden_path", `out: "${name}" passes through ${existing}, which cannot be resolved`);
    });
    if (!isInsideFolder(realExisting, this.realPath)) {
      throw new RequestError("forbidden_path", `out: "${name}" leads outside the output folder (through ${existing})`);
    }
    const relativeRest = relative(existing, folder);
    const realFolder = relativeRest === "" ? realExisting : join(realExisting, relativeRest);
    await mkdir(realFolder, { recursive: true }).catch((error: NodeJS.ErrnoException) => {
      throw new RequestError("bad_option", `out: cannot create the folder for "${name}" (${error.code ?? error.message})`);
    });
    if (!isInsideFolder(await realpath(realFolder), this.realPath)) {
      throw new RequestError("forbidden_path", `out: "${name}" leads outside the output folder`);
    }
    const target = join(realFolder, basename(candidate));
    for (const path of [target, sidecarPathOf(target)]) {
      if (await isSymlink(path)) throw new RequestError("forbidden_path", `out: ${path} is a symbolic link (not overwritten)`);
    }
    try {
      if ((await stat(target)).isDirectory()) throw new RequestError("bad_option", `out: ${target} is a folder`);
    } catch (error) {
      if (error instanceof RequestError) throw error;
    }
    return target;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}
