import { execFileSync, spawnSync } from "node:child_process";
import { mkdir, readdir, readFile, stat, truncate, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { snapshotLoader } from "../../src/corpus/hnsw-loader.js";
import {
  listSnapshots,
  parseSnapshotName,
  removeStaleTempFiles,
  snapshotFileName,
  snapshotSizeMatches,
  VectorIndex,
  writeSnapshot,
} from "../../src/corpus/vector-index.js";
import { createRng, gaussian, makeTempDir, REPO_ROOT } from "./helpers.js";

const DIM = 24;
const POINTS = 3000;
const K = 10;
const EF = 64;
/** hnswlib's file header: 96 bytes; the element count is the size_t at byte 16, the entry point the uint32 at 52. */
const HEADER_BYTES = 96;

/** Seeded points in 8 Gaussian clusters (labels 1..count), row-major. */
function clusteredPoints(count: number, seed: number): number[][] {
  const random = createRng(seed);
  const centres = Array.from({ length: 8 }, () => Array.from({ length: DIM }, () => 3 * gaussian(random)));
  return Array.from({ length: count }, () => {
    const centre = centres[Math.floor(random() * centres.length)]!;
    return centre.map((c) => c + gaussian(random));
  });
}

function buildIndex(points: readonly number[][]): VectorIndex {
  const index = VectorIndex.create(DIM, undefined, 256); // small capacity: it grows while adding
  points.forEach((point, i) => index.add(i + 1, point));
  return index;
}

/** Labels and distances of k-NN for every query: what a loaded index must reproduce exactly. */
function answers(index: VectorIndex, queries: readonly number[][]): { labels: number[]; distances: number[] }[] {
  return queries.map((query) => index.search(query, K, EF));
}

describe("VectorIndex snapshots", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  const points = clusteredPoints(POINTS, 1);
  const queries = clusteredPoints(60, 2);
  const removed = [5, 17, 400, 2999];
  let original: VectorIndex;
  let file: string;

  beforeEach(async () => {
    ({ dir, cleanup } = await makeTempDir("vector-index"));
    original = buildIndex(points);
    for (const label of removed) expect(original.remove(label)).toBe(true);
    file = join(dir, "index.hnsw");
    await original.write(file);
  });
  afterEach(async () => cleanup());

  it("loads a written index that answers every query with the same labels and distances", async () => {
    const loaded = await VectorIndex.load(file, DIM);
    expect(loaded.storedCount).toBe(POINTS);
    expect(loaded.capacity).toBe(original.capacity);
    const expected = answers(original, queries);
    expect(expected.every((a) => a.labels.length === K)).toBe(true);
    expect(answers(loaded, queries)).toEqual(expected);
    expect(loaded.getPoint(1234)).toEqual(original.getPoint(1234));
  });

  it("keeps removed labels hidden after loading and lets the loaded index grow", async () => {
    const loaded = await VectorIndex.load(file, DIM);
    for (const label of removed) {
      expect(loaded.getPoint(label)).toBeUndefined();
      const hits = loaded.search(points[label - 1]!, K, EF).labels;
      expect(hits).not.toContain(label);
    }
    // Past the capacity the index had when written: the loaded one resizes like a fresh one.
    const extra = clusteredPoints(loaded.capacity - POINTS + 10, 3);
    extra.forEach((point, i) => loaded.add(POINTS + 1 + i, point));
    const last = POINTS + extra.length;
    expect(loaded.search(extra[extra.length - 1]!, 1, EF).labels).toEqual([last]);
    expect(loaded.search(points[99]!, 1, EF).labels).toEqual([100]);
  });

  it("refuses a missing file, an empty one, a cut one and one with bytes appended", async () => {
    await expect(VectorIndex.load(join(dir, "absent.hnsw"), DIM)).rejects.toThrow(/absent\.hnsw/);
    const size = (await stat(file)).size;
    const bytes = await readFile(file);
    const level0Bytes = POINTS * Number(bytes.readBigUInt64LE(24));
    const cuts = [0, 50, HEADER_BYTES, HEADER_BYTES + level0Bytes / 2, HEADER_BYTES + level0Bytes, size - 3, size - 1];
    for (const length of cuts) {
      const cut = join(dir, `cut-${length}.hnsw`);
      await writeFile(cut, bytes.subarray(0, length));
      await expect(VectorIndex.load(cut, DIM), `cut at ${length} of ${size} bytes`).rejects.toThrow(/cut-\d+\.hnsw/);
    }
    const longer = join(dir, "longer.hnsw");
    await writeFile(longer, Buffer.concat([bytes, Buffer.alloc(4)]));
    await expect(VectorIndex.load(longer, DIM)).rejects.toThrow(/longer\.hnsw/);
  });

  it("refuses garbage of the right size and an index of another dimension", async () => {
    const size = (await stat(file)).size;
    const garbage = join(dir, "garbage.hnsw");
    await writeFile(garbage, Buffer.alloc(size, 0x5a));
    await expect(VectorIndex.load(garbage, DIM)).rejects.toThrow(/garbage\.hnsw/);
    // The stock hnswlib loader accepts this one; the header check refuses it.
    await expect(VectorIndex.load(file, DIM - 1)).rejects.toThrow(/not an HNSW index of dimension 23/);
    await expect(VectorIndex.load(file, DIM + 1)).rejects.toThrow(/not an HNSW index of dimension 25/);
  });

  it("writes a snapshot under a name that states store, space, dimension, sequence and size", async () => {
    const indexDir = join(dir, "index");
    await mkdir(indexDir);
    await writeFile(join(indexDir, ".writing-1-2.tmp"), "partial");
    await removeStaleTempFiles(indexDir);
    const older = await writeSnapshot(indexDir, original, { storeId: "abc123", spaceId: 2, seq: 10 });
    const name = await writeSnapshot(indexDir, original, { storeId: "abc123", spaceId: 2, seq: 42 });
    expect(name.fileName).toBe(snapshotFileName({ storeId: "abc123", spaceId: 2, dimension: DIM, seq: 42, sizeBytes: name.sizeBytes }));
    expect(parseSnapshotName(name.fileName)).toEqual(name);
    expect(name.sizeBytes).toBe((await stat(file)).size);
    // The older snapshot and the temp file are gone; only the new one is listed.
    expect(await readdir(indexDir)).toEqual([name.fileName]);
    expect(older.seq).toBe(10);
    expect(await listSnapshots(indexDir)).toEqual([name]);
    expect(await snapshotSizeMatches(indexDir, name)).toBe(true);
    await truncate(join(indexDir, name.fileName), name.sizeBytes - 1);
    expect(await snapshotSizeMatches(indexDir, name)).toBe(false);
  });

  it("ignores file names that are not snapshots", () => {
    expect(parseSnapshotName("units-abc-s1-d24-q5-b100.hnsw.tmp")).toBeUndefined();
    expect(parseSnapshotName("units-abc-s1-d24-q5.hnsw")).toBeUndefined();
    expect(parseSnapshotName(".writing-1-2.tmp")).toBeUndefined();
  });

  // Damage that keeps the size and the header: the stock loader takes it and a search can then crash the
  // process, so these run only with the install-time loader (see scripts/postinstall-hnswlib.mjs).
  describe.runIf(snapshotLoader().fast)("with the fast snapshot loader", () => {
    async function damaged(name: string, edit: (bytes: Buffer) => void): Promise<string> {
      const bytes = Buffer.from(await readFile(file));
      edit(bytes);
      const path = join(dir, name);
      await writeFile(path, bytes);
      return path;
    }

    it("refuses a neighbour id beyond the stored elements", async () => {
      const path = await damaged("neighbour.hnsw", (bytes) => {
        const elementBytes = Number(bytes.readBigUInt64LE(24));
        bytes.writeUInt32LE(POINTS + 7, HEADER_BYTES + 10 * elementBytes + 4); // element 10, first level-0 link
      });
      await expect(VectorIndex.load(path, DIM)).rejects.toThrow(/neighbour\.hnsw/);
    });

    it("refuses an entry point that is not on the top level", async () => {
      const bytes = await readFile(file);
      const elementBytes = Number(bytes.readBigUInt64LE(24));
      // The first element whose upper-level list size word is 0 lives on level 0 only.
      let offset = HEADER_BYTES + POINTS * elementBytes;
      let levelZeroElement = -1;
      for (let i = 0; i < POINTS && levelZeroElement < 0; i++) {
        const size = bytes.readUInt32LE(offset);
        if (size === 0) levelZeroElement = i;
        offset += 4 + size;
      }
      expect(levelZeroElement).toBeGreaterThanOrEqual(0);
      const path = await damaged("entry.hnsw", (b) => b.writeUInt32LE(levelZeroElement, 52));
      await expect(VectorIndex.load(path, DIM)).rejects.toThrow(/entry\.hnsw/);
    });
  });
});

describe("postinstall-hnswlib", () => {
  const script = join(REPO_ROOT, "scripts", "postinstall-hnswlib.mjs");
  const packageDir = dirname(createRequire(import.meta.url).resolve("hnswlib-node/package.json"));

  it("says the fast loader is in effect exactly when the runtime check does", () => {
    const result = spawnSync(process.execPath, [script, "--check"], { encoding: "utf8" });
    expect(result.status === 0).toBe(snapshotLoader().fast);
  });

  it("replaces loadIndex once, shrinks the label lock table and leaves the rest of hnswlib's header as it was", async () => {
    const { dir, cleanup } = await makeTempDir("postinstall");
    try {
      // The stock header: the pristine copy the script keeps once it has patched, else the installed one.
      const headerDir = join(packageDir, "src", "hnswlib");
      const names = await readdir(headerDir);
      const stock = await readFile(join(headerDir, names.includes("hnswalg.h.orig") ? "hnswalg.h.orig" : "hnswalg.h"), "utf8");
      await mkdir(join(dir, "src", "hnswlib"), { recursive: true });
      await writeFile(join(dir, "src", "hnswlib", "hnswalg.h"), stock);
      const patched = execFileSync(process.execPath, [script, "--print", "--package-dir", dir], { encoding: "utf8" });
      expect(patched.match(/void loadIndex\(/g)).toHaveLength(1);
      expect(patched).toContain("mass-audio: fast loadIndex");
      expect(patched).not.toContain("Optional - check if index is ok");
      const start = stock.indexOf("#include <memory>\n") + "#include <memory>\n".length;
      const functionStart = stock.indexOf("    void loadIndex(");
      const functionEnd = stock.indexOf("        return;\n    }\n", functionStart) + "        return;\n    }\n".length;
      expect(patched.startsWith(stock.slice(0, start))).toBe(true);
      // ... with the one lock-table line changed (65,536 -> 1,024 label locks)
      expect(stock).toContain("MAX_LABEL_OPERATION_LOCKS = 65536;");
      expect(patched).not.toContain("MAX_LABEL_OPERATION_LOCKS = 65536;");
      expect(patched).toContain("MAX_LABEL_OPERATION_LOCKS = 1024;");
      expect(patched).toContain(stock.slice(start, functionStart).replace("MAX_LABEL_OPERATION_LOCKS = 65536;", "MAX_LABEL_OPERATION_LOCKS = 1024;  // mass-audio: one writer thread"));
      expect(patched.endsWith(stock.slice(functionEnd))).toBe(true);
      // --print changes nothing.
      expect(await readFile(join(dir, "src", "hnswlib", "hnswalg.h"), "utf8")).toBe(stock);
    } finally {
      await cleanup();
    }
  });
});
