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
  checkText(path, what);
  if (!isAbsolute(path)) throw new RequestError("forbidden_path", `${what} must be an absolute path, got "${path}"`);
  const absolute = resolve(path);
  if (!isAudioName(absolute)) {
    throw new RequestError("forbidden_path", `${absolute}: not an audio file name (extensions: ${AUDIO_EXTENSIONS.join(" ")})`);
  }
  let real: string;
  try {
    real = await realpath(absolute);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") throw new RequestError("not_found", `${absolute}: no such file`);
    throw new RequestError("forbidden_path", `${absolute}: cannot be read (${code ?? (error as Error).message})`);
  }
  if (!isAudioName(real)) throw new RequestError("forbidden_path", `${absolute}: links to ${real}, which is not an audio file name`);
  const info = await stat(real);
  if (!info.isFile()) throw new RequestError("forbidden_path", `${absolute}: not a regular file`);
  return absolute;
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
