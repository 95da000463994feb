/**
 * Watches the roots with chokidar and forwards what happens to the indexer: files added or changed
 * (reported only once their size has been stable for `stabilityMs`, so half-written files are never
 * analysed), files and folders removed. Non-audio files and dot-files are ignored. A rename arrives as
 * unlink + add; the indexer recognises the content by its fingerprint and re-points the units.
 */
import { basename } from "node:path";
import { watch, type FSWatcher } from "chokidar";
import { isAudioPath, isHiddenName } from "./scanner.js";

export interface WatchHandlers {
  /** A file appeared or changed (and has stopped growing). */
  readonly onFile: (path: string) => void;
  readonly onFileRemoved: (path: string) => void;
  readonly onDirRemoved: (path: string) => void;
  readonly onError: (error: Error) => void;
}

export interface WatchOptions {
  /** How long a file's size must stay unchanged before it counts as written: 300 ms. */
  readonly stabilityMs?: number;
  /** How often a growing file is checked: 50 ms. */
  readonly pollMs?: number;
}

export const DEFAULT_STABILITY_MS = 300;
export const DEFAULT_WRITE_POLL_MS = 50;

/** One chokidar watcher per root (so a root can be dropped and re-added when its drive comes back). */
export class RootWatcher {
  private readonly watchers = new Map<string, FSWatcher>();

  constructor(
    private readonly handlers: WatchHandlers,
    private readonly options: WatchOptions = {},
  ) {}

  /** Starts watching a root; resolves once chokidar is ready (events after that are reported). */
  async add(rootPath: string): Promise<void> {
    if (this.watchers.has(rootPath)) return;
    const { handlers, options } = this;
    const watcher = watch(rootPath, {
      ignoreInitial: true,
      persistent: true,
      awaitWriteFinish: {
        stabilityThreshold: options.stabilityMs ?? DEFAULT_STABILITY_MS,
        pollInterval: options.pollMs ?? DEFAULT_WRITE_POLL_MS,
      },
      ignored: (path, stats) => isHiddenName(basename(path)) || (stats?.isFile() === true && !isAudioPath(path)),
    });
    this.watchers.set(rootPath, watcher);
    watcher.on("add", (path) => handlers.onFile(path));
    watcher.on("change", (path) => handlers.onFile(path));
    watcher.on("unlink", (path) => handlers.onFileRemoved(path));
    watcher.on("unlinkDir", (path) => handlers.onDirRemoved(path));
    watcher.on("error", (error) => handlers.onError(error instanceof Error ? error : new Error(String(error))));
    await new Promise<void>((resolve) => watcher.once("ready", () => resolve()));
  }

  /** Stops watching a root. */
  async remove(rootPath: string): Promise<void> {
    const watcher = this.watchers.get(rootPath);
    if (!watcher) return;
    this.watchers.delete(rootPath);
    await watcher.close();
  }

  watchedRoots(): string[] {
    return [...this.watchers.keys()];
  }

  async close(): Promise<void> {
    const all = [...this.watchers.values()];
    this.watchers.clear();
    await Promise.all(all.map((watcher) => watcher.close()));
  }
}
