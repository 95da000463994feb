import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SCHEMA_VERSION_PREFIX } from "../../src/corpus/scanner.js";
import { CorpusStore, type ChangeRow, type CommitResult } from "../../src/corpus/store.js";
import { createRng, makeTempDir, syntheticAnalysis, syntheticUnits } from "./helpers.js";

const analysis = syntheticAnalysis;

const identity = (n: number): { sizeBytes: number; mtimeMs: number; fingerprint: string } => ({
  sizeBytes: 1000 + n,
  mtimeMs: 1_700_000_000_000,
  fingerprint: `fp${n}`,
});

/** Plain values of log rows (vectors as arrays), so two reads compare with toEqual. */
function plain(rows: ChangeRow[]): unknown[] {
  return rows.map((row) => ({
    ...row,
    vector: row.vector ? Array.from(row.vector) : null,
    embedding: row.embedding ? Array.from(row.embedding) : null,
  }));
}

describe("CorpusStore", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let store: CorpusStore;
  beforeEach(async () => {
    ({ dir, cleanup } = await makeTempDir("store"));
    store = CorpusStore.open(dir);
  });
  afterEach(async () => {
    store.close();
    await cleanup();
  });

  it("serves just-committed log rows from memory exactly as a reader gets them from the database", () => {
    const random = createRng(5);
    const reader = CorpusStore.open(dir, { readOnly: true });
    try {
      const root = store.addRoot("/virtual/root", "{}");
      const compareAll = (): void => {
        const last = store.lastSeq();
        expect(reader.lastSeq()).toBe(last);
        for (let after = 0; after <= last; after++) {
          for (const limit of [1, 3, 1000]) {
            for (const upto of [after, after + 2, last]) {
              expect(plain(store.changesAfter(after, upto, limit))).toEqual(plain(reader.changesAfter(after, upto, limit)));
            }
          }
        }
      };
      const embedded = syntheticUnits(random, 3);
      const a = store.commitAnalysisAt(root.id, "/virtual/root/a.wav", identity(1), 0, analysis(embedded, [new Float32Array([1, 2]), null, new Float32Array([3, 4])]));
      store.commitAnalysisAt(root.id, "/virtual/root/b.wav", identity(2), 0, analysis(syntheticUnits(random, 4, 44100, { pitchMidi: 0 })));
      compareAll();
      expect(store.recentChangeCount).toBe(7);
      // A group, then a re-analysis that removes units (memory forgets what came before it), then a copy.
      store.commitFiles([
        { target: { rootId: root.id, path: "/virtual/root/c.wav", categoryMask: 0 }, identity: identity(3), result: analysis(syntheticUnits(random, 2)) },
        { target: { rootId: root.id, path: "/virtual/root/d.wav", categoryMask: 0 }, identity: identity(4), result: analysis(syntheticUnits(random, 5)) },
      ]);
      compareAll();
      store.commitAnalysis(a.file.id, identity(5), analysis(syntheticUnits(random, 2)));
      compareAll();
      store.cloneFile(a.file.id, root.id, "/virtual/root/a copy.wav", identity(5), 0);
      store.commitAnalysisAt(root.id, "/virtual/root/e.wav", identity(6), 0, analysis(syntheticUnits(random, 3)));
      compareAll();
      store.deleteFile(store.getFileByPath("/virtual/root/d.wav")!.id);
      store.commitFailureAt(root.id, "/virtual/root/b.wav", identity(7), 0, `${SCHEMA_VERSION_PREFIX}synthetic`, "decode_error: broken");
      compareAll();
      store.releaseChangesThrough(store.lastSeq());
      expect(store.recentChangeCount).toBe(0);
      compareAll();
    } finally {
      reader.close();
    }
  });

  it("commits a group in one transaction; a commit that cannot be made fails alone", () => {
    const random = createRng(6);
    const root = store.addRoot("/virtual/root", "{}");
    const good = (name: string, units: number) => ({
      target: { rootId: root.id, path: `/virtual/root/${name}.wav`, categoryMask: 3 },
      identity: identity(units),
      result: analysis(syntheticUnits(random, units)),
    });
    const results = store.commitFiles([good("one", 2), { target: 9999, identity: identity(0), result: analysis(syntheticUnits(random, 1)) }, good("two", 3)]);
    expect(results[1]).toBeInstanceOf(Error);
    const [one, , two] = results as CommitResult[];
    expect(one!.file.path).toBe("/virtual/root/one.wav");
    expect(one!.added).toHaveLength(2);
    expect(two!.added).toHaveLength(3);
    for (const result of [one!, two!]) {
      const row = store.getFile(result.file.id)!;
      expect(row).toEqual(result.file);
      expect(row.status).toBe("ok");
      expect(row.categoryMask).toBe(3);
      expect(store.unitsOfFile(row.id).map((u) => u.id)).toEqual(result.added);
    }
    expect(store.unitCount()).toBe(5);
    expect(store.lastSeq()).toBe(5); // one log row per unit: nothing of the failed group attempt is left
  });

  it("creates a new file's row with its units in one commit, and replaces a stale row at that path", () => {
    const random = createRng(7);
    const root = store.addRoot("/virtual/root", "{}");
    const first = store.commitAnalysisAt(root.id, "/virtual/root/a.wav", identity(1), 0, analysis(syntheticUnits(random, 3)));
    expect(first.removed).toEqual([]);
    expect(first.file).toMatchObject({ status: "ok", presence: "present", unitCount: 3, fingerprint: "fp1" });
    store.setPresence([first.file.id], "missing");
    const again = store.commitAnalysisAt(root.id, "/virtual/root/a.wav", identity(2), 0, analysis(syntheticUnits(random, 2)));
    expect(again.file.id).toBe(first.file.id);
    expect(again.removed).toEqual(first.added);
    expect(again.file).toMatchObject({ status: "ok", presence: "present", unitCount: 2, fingerprint: "fp2" });
    const failed = store.commitFailureAt(root.id, "/virtual/root/a.wav", identity(3), 0, `${SCHEMA_VERSION_PREFIX}x`, "decode_error: broken");
    expect(failed.removed).toEqual(again.added);
    expect(store.getFileByPath("/virtual/root/a.wav")).toMatchObject({ status: "failed", unitCount: 0, error: "decode_error: broken" });
    expect(store.unitCount()).toBe(0);
  });

  it("keeps its roots in step with addRoot, setRootStatus and removeRoot", () => {
    expect(store.listRoots()).toEqual([]);
    const b = store.addRoot("/virtual/b", "{}");
    const listed = store.listRoots();
    expect(listed.map((r) => r.path)).toEqual(["/virtual/b"]);
    listed.length = 0; // a caller's copy
    store.addRoot("/virtual/a", "{}");
    expect(store.listRoots().map((r) => r.path)).toEqual(["/virtual/a", "/virtual/b"]);
    store.addRoot("/virtual/b", '{"minUnitSec":0.1}');
    expect(store.listRoots().find((r) => r.id === b.id)!.analysisOptions).toBe('{"minUnitSec":0.1}');
    store.setRootStatus(b.id, "offline");
    expect(store.listRoots().find((r) => r.id === b.id)!.status).toBe("offline");
    store.removeRoot(b.id);
    expect(store.listRoots().map((r) => r.path)).toEqual(["/virtual/a"]);
  });
});
