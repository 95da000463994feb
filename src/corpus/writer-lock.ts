/**
 * One writer per corpus: `<dataDir>/writer.lock` holds the pid of the process that indexes. A lock
 * left by a dead process (kill -9, crash) is taken over; a live holder makes a second writer fail
 * with a message naming it. Readers (`find`, `status`) never take the lock.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { StoreError } from "./corpus-error.js";

export const LOCK_FILE_NAME = "writer.lock";

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export interface WriterLock {
  readonly path: string;
  release(): void;
}

/**
 * Takes the writer lock of a data folder (which must exist).
 * @throws StoreError when another live process holds it.
 */
export function acquireWriterLock(dataDir: string): WriterLock {
  const path = join(dataDir, LOCK_FILE_NAME);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        process.off("exit", release);
        try {
          if (readFileSync(path, "utf8").trim() === String(process.pid)) rmSync(path, { force: true });
        } catch {
          // already gone
        }
      };
      process.on("exit", release);
      return { path, release };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new StoreError(path, `cannot create the writer lock (${(error as Error).message})`, { cause: error });
      }
      let holder = Number.NaN;
      try {
        holder = Number(readFileSync(path, "utf8").trim());
      } catch {
        continue; // removed meanwhile: try again
      }
      if (holder === process.pid) {
        throw new StoreError(path, "this process already holds the writer lock of this corpus");
      }
      if (isAlive(holder)) {
        throw new StoreError(path, `another mass-audio process (pid ${holder}) is indexing this corpus; stop it or use another --db`);
      }
      rmSync(path, { force: true }); // stale: its process is gone
    }
  }
  throw new StoreError(path, "could not take the writer lock (it keeps changing hands)");
}
