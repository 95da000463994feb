/** Writing a file so that readers never see it half-written: a temporary name beside it, then a rename. */
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import { basename, dirname, join } from "node:path";
import { WriteError } from "../core/errors.js";

/**
 * Writes `bytes` to a temporary name beside `path` (created exclusively), then renames it over `path`;
 * the temporary file is removed on any failure.
 * @param what what is written, for the message ("WAV", "NumPy file", "the sidecar")
 * @throws WriteError naming the path and the likely cause (missing or unwritable folder, full disk, a folder in the way)
 */
export async function writeFileAtomically(path: string, bytes: Uint8Array | string, what: string): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    await fs.writeFile(temp, bytes, { flag: "wx" });
    await fs.rename(temp, path);
  } catch (error) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    const code = (error as NodeJS.ErrnoException).code;
    const hint =
      code === "ENOENT"
        ? "the folder does not exist"
        : code === "EACCES" || code === "EPERM" || code === "EROFS"
          ? "the folder is not writable"
          : code === "ENOSPC"
            ? "the disk is full"
            : code === "EISDIR"
              ? "a folder exists at that path"
              : (error as Error).message;
    throw new WriteError(path, `cannot write ${what} (${code ?? "error"}): ${hint}`, { cause: error });
  }
}
