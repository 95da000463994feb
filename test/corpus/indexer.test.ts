import { rmSync } from "node:fs";
import { copyFile, mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createInlineAnalyzer, type AnalysisJob, type AnalysisOutcome, type Analyzer } from "../../src/corpus/analyzer.js";
import { Corpus } from "../../src/corpus/corpus.js";
import { Indexer, type FileEvent, type IndexerEvent } from "../../src/corpus/indexer.js";
import { CC0_CORPUS, makeTempDir, copyCorpusFiles } from "./helpers.js";

const FILES = ["bd_fat.flac", "elec_tick.flac", "tabla_te1.flac", "elec_bong.flac", "bd_ada.flac"];


describe("Indexer", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let corpus: Corpus;
  let indexer: Indexer;
  let events: FileEvent[];
  let root: string;

  beforeEach(async () => {
    ({ dir, cleanup } = await makeTempDir("indexer"));
    root = join(dir, "Samples");
    await copyCorpusFiles(join(root, "Drums"), FILES.slice(0, 3));
    await copyCorpusFiles(join(root, "Other"), FILES.slice(3));
    await writeFile(join(root, "README.txt"), "not audio");
    await writeFile(join(root, "Other", "broken.wav"), Buffer.from("RIFF\u0000\u0000\u0000\u0000WAVEjunkjunkjunk"));
    corpus = await Corpus.open({ dataDir: join(dir, "db") });
    indexer = new Indexer({ corpus, analyzer: createInlineAnalyzer(), missingGraceMs: 50 });
    events = [];
    indexer.on((event: IndexerEvent) => {
      if (event.type === "file") events.push(event);
    });
  });

  afterEach(async () => {
    await indexer.close();
    await corpus.close();
    await cleanup();
  });

  const count = (action: FileEvent["action"]): number => events.filter((e) => e.action === action).length;

  async function scan(): Promise<void> {
    events = [];
    const record = corpus.store.getRoot(root) ?? corpus.addRoot(root, "{}");
    await indexer.scanRoot(corpus.store.getRootById(record.id)!);
    await corpus.whenIndexed();
  }

  it("analyses every audio file once, records the corrupt one with its reason, ignores non-audio files", async () => {
    await scan();
    expect(count("analysed")).toBe(5);
    expect(count("failed")).toBe(1);
    const failed = corpus.store.getFileByPath(join(root, "Other", "broken.wav"))!;
    expect(failed.status).toBe("failed");
    expect(failed.error).toMatch(/decode_/);
    expect(corpus.store.getFileByPath(join(root, "README.txt"))).toBeUndefined();
    const counts = corpus.store.counts();
    expect(counts.files.ok).toBe(5);
    expect(counts.units).toBe(corpus.catalog.liveUnitCount);
    expect(counts.units).toBeGreaterThanOrEqual(5);
    const kick = corpus.store.getFileByPath(join(root, "Drums", "bd_fat.flac"))!;
    expect(kick.categoryMask).not.toBe(0);
  });

  it("skips unchanged files on a rescan, finishes a pending one, and never duplicates units", async () => {
    await scan();
    const before = corpus.store.counts().units;
    const file = corpus.store.getFileByPath(join(root, "Drums", "elec_tick.flac"))!;
    const unitsBefore = corpus.store.unitsOfFile(file.id).length;
    // As after a crash between "pending" and the commit:
    corpus.markPending(file.rootId, file.path, file, file.categoryMask);
    await scan();
    expect(count("analysed")).toBe(1);
    expect(count("unchanged")).toBe(5); // 4 ok + the broken file, not retried: it did not change
    expect(count("failed")).toBe(0);
    expect(corpus.store.unitsOfFile(file.id)).toHaveLength(unitsBefore);
    expect(corpus.store.counts().units).toBe(before);
  });

  it("retries a failed file when it changes", async () => {
    await scan();
    await copyFile(join(CC0_CORPUS, "tabla_ke1.flac"), join(root, "Other", "broken.wav"));
    await scan();
    expect(count("analysed")).toBe(1);
    expect(corpus.store.getFileByPath(join(root, "Other", "broken.wav"))!.status).toBe("ok");
  });

  it("re-points a renamed file without analysing it again, and copies units to a duplicate", async () => {
    await scan();
    const before = corpus.store.getFileByPath(join(root, "Drums", "bd_fat.flac"))!;
    const unitIds = corpus.store.unitsOfFile(before.id).map((u) => u.id);
    await mkdir(join(root, "Kicks"));
    await rename(join(root, "Drums", "bd_fat.flac"), join(root, "Kicks", "fat one.flac"));
    await copyFile(join(root, "Other", "bd_ada.flac"), join(root, "Other", "bd_ada copy.flac"));
    await scan();
    expect(count("analysed")).toBe(0);
    expect(count("moved")).toBe(1);
    expect(count("copied")).toBe(1);
    const after = corpus.store.getFileByPath(join(root, "Kicks", "fat one.flac"))!;
    expect(after.id).toBe(before.id);
    expect(corpus.store.unitsOfFile(after.id).map((u) => u.id)).toEqual(unitIds);
    expect(corpus.store.getFileByPath(join(root, "Drums", "bd_fat.flac"))).toBeUndefined();
    const copy = corpus.store.getFileByPath(join(root, "Other", "bd_ada copy.flac"))!;
    const original = corpus.store.getFileByPath(join(root, "Other", "bd_ada.flac"))!;
    expect(copy.unitCount).toBe(original.unitCount);
    expect(Array.from(corpus.store.unitsOfFile(copy.id)[0]!.vector)).toEqual(Array.from(corpus.store.unitsOfFile(original.id)[0]!.vector));
  });

  it("removes the units of a deleted file and re-analyses a changed one", async () => {
    await scan();
    const gone = corpus.store.getFileByPath(join(root, "Other", "elec_bong.flac"))!;
    const changed = corpus.store.getFileByPath(join(root, "Drums", "tabla_te1.flac"))!;
    const oldUnits = corpus.store.unitsOfFile(changed.id).map((u) => u.id);
    await rm(gone.path);
    await copyFile(join(CC0_CORPUS, "elec_flip.flac"), changed.path);
    await scan();
    expect(count("removed")).toBe(1);
    expect(count("analysed")).toBe(1);
    expect(corpus.store.getFile(gone.id)).toBeUndefined();
    const newUnits = corpus.store.unitsOfFile(changed.id).map((u) => u.id);
    expect(newUnits.some((id) => oldUnits.includes(id))).toBe(false);
    for (const id of [...oldUnits, ...corpus.catalog.unitsOfFile(gone.id)]) expect(corpus.catalog.hasUnit(id)).toBe(false);
  });

  it("takes a vanished root offline with its units kept, and brings them back when it returns", async () => {
    await scan();
    const units = corpus.store.counts().units;
    const ids = corpus.store.listFilesOfRoot(corpus.store.getRoot(root)!.id).flatMap((f) => corpus.store.unitsOfFile(f.id).map((u) => u.id));
    await rename(root, `${root}-unplugged`);
    const rootEvents: string[] = [];
    indexer.on((e) => {
      if (e.type === "root") rootEvents.push(e.status);
    });
    await scan();
    expect(rootEvents).toEqual(["offline"]);
    expect(corpus.store.counts().units).toBe(units); // nothing deleted
    expect(corpus.store.counts().files.offline).toBe(6);
    expect(corpus.catalog.liveUnitCount).toBe(0); // ... but nothing offline is returned by searches
    await rename(`${root}-unplugged`, root);
    await scan();
    expect(rootEvents).toEqual(["offline", "online"]);
    expect(count("analysed")).toBe(0);
    expect(count("restored")).toBe(6); // 5 ok + the failed one, all back without analysis
    expect(corpus.catalog.liveUnitCount).toBe(units);
    const idsAfter = corpus.store.listFilesOfRoot(corpus.store.getRoot(root)!.id).flatMap((f) => corpus.store.unitsOfFile(f.id).map((u) => u.id));
    expect(idsAfter).toEqual(ids);
  });

  /** The inline analyzer behind a gate: each job waits until the test opens it; `seen` runs when a job arrives. */
  function gatedAnalyzer(concurrency: number, seen: (job: AnalysisJob) => void = () => undefined) {
    const inline = createInlineAnalyzer();
    const gates = new Map<string, () => void>();
    let allOpen = false;
    const arrived: string[] = [];
    const done = new Map<string, Promise<AnalysisOutcome>>();
    const arrivals: (() => void)[] = [];
    const analyzer: Analyzer = {
      concurrency,
      analyze(job): Promise<AnalysisOutcome> {
        seen(job);
        arrived.push(job.path);
        for (const wake of arrivals.splice(0)) wake();
        const outcome = new Promise<void>((resolve) => (allOpen ? resolve() : gates.set(job.path, resolve))).then(() => inline.analyze(job));
        done.set(job.path, outcome);
        return outcome;
      },
      close: () => inline.close(),
    };
    const arrival = async (path: string): Promise<void> => {
      while (!arrived.includes(path)) await new Promise<void>((resolve) => arrivals.push(resolve));
    };
    const open = (path: string): Promise<AnalysisOutcome> => {
      gates.get(path)!();
      return done.get(path)!;
    };
    const openAll = (): void => {
      allOpen = true;
      for (const resolve of gates.values()) resolve();
    };
    return { analyzer, arrival, open, openAll };
  }

  it("writes nothing for a new file until its analysis commits; a changed known file is pending meanwhile", async () => {
    await scan();
    const known = join(root, "Drums", "tabla_te1.flac");
    await copyFile(join(CC0_CORPUS, "elec_flip.flac"), known); // changed content
    await copyFile(join(CC0_CORPUS, "elec_blip.flac"), join(root, "Other", "new.flac"));
    const during = new Map<string, string>();
    const gated = gatedAnalyzer(2, (job) => during.set(job.path, corpus.store.getFileByPath(job.path)?.status ?? "none"));
    const other = new Indexer({ corpus, analyzer: gated.analyzer });
    const record = corpus.store.getRoot(root)!;
    const scanning = other.scanRoot(record);
    for (const path of [known, join(root, "Other", "new.flac")]) {
      await gated.arrival(path);
      void gated.open(path);
    }
    await scanning;
    await other.close();
    expect(Object.fromEntries(during)).toEqual({ [known]: "pending", [join(root, "Other", "new.flac")]: "none" });
    expect(corpus.store.getFileByPath(join(root, "Other", "new.flac"))!.status).toBe("ok");
    expect(corpus.store.getFileByPath(known)!.status).toBe("ok");
  });

  it("never leaves a file removed while its analysis finishes present in the store (grouped commit or not)", async () => {
    const record = corpus.addRoot(root, "{}");
    const gated = gatedAnalyzer(1);
    const other = new Indexer({ corpus, analyzer: gated.analyzer, missingGraceMs: 60_000 });
    const fileEvents: FileEvent[] = [];
    other.on((event) => {
      if (event.type === "file") fileEvents.push(event);
    });
    const first = join(root, "Drums", "bd_fat.flac");
    const second = join(root, "Drums", "elec_tick.flac");
    const scanning = other.scanRoot(corpus.store.getRootById(record.id)!);
    await gated.arrival(first);
    await gated.arrival(second); // two in flight (twice the concurrency)
    await gated.open(first);
    await new Promise((resolve) => setImmediate(resolve));
    // The first result now waits for others to join its commit (the second is still being analysed; with
    // slow storage it may still be in its stat, then nothing is written at all). The file goes meanwhile:
    expect(corpus.store.getFileByPath(first)).toBeUndefined();
    rmSync(first);
    other.fileRemoved(first);
    gated.openAll();
    await scanning;
    await other.idle();
    // Committed and then marked missing, or (the stat saw it gone) never written: never present.
    expect([[], ["analysed", "missing"]]).toContainEqual(fileEvents.filter((e) => e.path === first).map((e) => e.action));
    const row = corpus.store.getFileByPath(first);
    expect(row?.presence ?? "gone").not.toBe("present");
    if (row) expect(corpus.catalog.file(row.id)!.live).toBe(false);
    expect(corpus.store.getFileByPath(second)!.presence).toBe("present");
    await other.close();
  });
});
