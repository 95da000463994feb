import { mkdir, open, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RootWatcher } from "../../src/corpus/watcher.js";
import { CC0_CORPUS, makeTempDir } from "./helpers.js";

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe("RootWatcher", () => {
  it("reports a file being written once, after its last write; ignores non-audio and dot-files", async () => {
    const { dir, cleanup } = await makeTempDir("watcher");
    const root = join(dir, "root");
    await mkdir(root);
    const seen: { path: string; size: number }[] = [];
    const removed: string[] = [];
    const watcher = new RootWatcher(
      {
        onFile: (path) => void stat(path).then((s) => seen.push({ path, size: s.size })),
        onFileRemoved: (path) => removed.push(path),
        onDirRemoved: () => undefined,
        onError: (error) => {
          throw error;
        },
      },
      { stabilityMs: 400, pollMs: 25 },
    );
    try {
      await watcher.add(root);
      const bytes = await readFile(join(CC0_CORPUS, "loop_amen.flac"));
      const handle = await open(join(root, "slow.flac"), "w");
      const chunk = Math.ceil(bytes.length / 4);
      for (let i = 0; i < 4; i++) {
        await handle.write(bytes, i * chunk, Math.min(chunk, bytes.length - i * chunk), i * chunk);
        await sleep(60); // well under the stability threshold: still "being written"
      }
      await handle.close();
      await writeFile(join(root, "notes.txt"), "not audio");
      await writeFile(join(root, ".hidden.wav"), "x");
      const end = Date.now() + 5000;
      while (seen.length === 0 && Date.now() < end) await sleep(25);
      await sleep(600);
      expect(seen).toEqual([{ path: join(root, "slow.flac"), size: bytes.length }]);
      expect(removed).toEqual([]);
    } finally {
      await watcher.close();
      await cleanup();
    }
  });
});
