import { spawn } from "node:child_process";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { createInlineAnalyzer } from "../../src/corpus/analyzer.js";
import { Corpus } from "../../src/corpus/corpus.js";
import { sourceModeExecArgv } from "../../src/corpus/source-mode.js";
import { analyzeFile } from "../../src/io/analyze-file.js";
import { MassAudio } from "../../src/service/mass-audio.js";
import { createRng, makeTempDir, copyCorpusFiles } from "./helpers.js";

const FILES = [
  "loop_amen.flac",
  "bd_fat.flac",
  "bd_haus.flac",
  "elec_tick.flac",
  "elec_bong.flac",
  "tabla_te1.flac",
  "tabla_na.flac",
  "sn_dub.flac",
  "elec_snare.flac",
  "drum_cymbal_closed.flac",
  "elec_blip.flac",
  "bass_hit_c.flac",
];
/** Copied in, three at a time, after a run that finished before its kill: every attempt has new work to be killed in. */
const RESERVE = ["tabla_ke1.flac", "sn_zome.flac", "elec_pop.flac", "bd_tek.flac", "perc_snap.flac", "elec_wood.flac", "tabla_re.flac", "drum_tom_lo_soft.flac", "glitch_perc1.flac"];
const CHILD = fileURLToPath(new URL("./fixtures/index-child.ts", import.meta.url));
const COMMIT_CHILD = fileURLToPath(new URL("./fixtures/commit-child.ts", import.meta.url));

/**
 * Runs a child and SIGKILLs it `delayMs` after its `afterEvents`-th line of new work (a file analysed, a group
 * committed; files found unchanged from an earlier run do not count). @returns events seen.
 */
function runAndKill(
  dataDir: string,
  root: string,
  afterEvents: number,
  delayMs: number,
  script: { path: string; args: string[] } = { path: CHILD, args: [dataDir, root] },
): Promise<{ events: number; finished: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...sourceModeExecArgv(), script.path, ...script.args], { stdio: ["ignore", "pipe", "pipe"] });
    let events = 0;
    let finished = false;
    let killing = false;
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on("data", (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n")) {
        if (line === "done") finished = true;
        else if (line.startsWith("group ") || (line.startsWith("{") && (JSON.parse(line) as { action?: string }).action === "analysed")) events++;
      }
      if (!killing && events >= afterEvents) {
        killing = true;
        setTimeout(() => child.kill("SIGKILL"), delayMs);
      }
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (signal !== "SIGKILL" && code !== 0) reject(new Error(`child exited with ${code}: ${stderr}`));
      else resolve({ events, finished });
    });
  });
}

/**
 * Opens the crashed corpus read-only: every stored unit is in the index once; units of a file are 0..n-1 once each.
 * @returns how many files are stored whole (status ok).
 */
async function checkConsistent(dataDir: string): Promise<number> {
  const corpus = await Corpus.open({ dataDir, readOnly: true });
  try {
    const store = corpus.store;
    let units = 0;
    let whole = 0;
    for (const root of store.listRoots()) {
      for (const file of store.listFilesOfRoot(root.id)) {
        const indices = store.unitsOfFile(file.id).map((u) => u.index);
        expect(indices).toEqual(indices.map((_, i) => i));
        if (file.status !== "ok") continue;
        whole++;
        for (const unit of store.unitsOfFile(file.id)) {
          const hit = corpus.search({ point: corpus.toPoint(unit.vector), k: 1 }).hits[0]!;
          expect(hit.distance).toBeLessThan(1e-6);
          units++;
        }
      }
    }
    expect(corpus.catalog.liveUnitCount).toBe(units);
    expect(corpus.health().lag).toBe(0);
    return whole;
  } finally {
    await corpus.close();
  }
}

describe("kill -9 while indexing", () => {
  it("leaves store and index consistent: nothing lost, nothing duplicated, after repeated kills", async () => {
    const { dir, cleanup } = await makeTempDir("crash");
    const root = join(dir, "Samples");
    await copyCorpusFiles(root, FILES);
    const dataDir = join(dir, "db");
    const random = createRng(2024);
    const names = [...FILES];
    const reserve = [...RESERVE];
    let kills = 0;
    let whole = 0;
    // Kill at a random moment within the work left, until three kills landed; when little is left, more files come in.
    for (let attempt = 0; attempt < 8 && kills < 3; attempt++) {
      if (names.length - whole < 3) {
        const more = reserve.splice(0, 3);
        await copyCorpusFiles(root, more);
        names.push(...more);
      }
      const left = names.length - whole;
      const outcome = await runAndKill(dataDir, root, 1 + Math.floor(random() * (left - 1)), Math.floor(random() * 10));
      if (!outcome.finished) kills++;
      whole = await checkConsistent(dataDir);
    }
    expect(kills).toBe(3);

    // The reference: each file analysed once, on its own.
    const expectedUnits = new Map<string, number>();
    for (const name of names) expectedUnits.set(join(root, name), (await analyzeFile(join(root, name))).units.length);

    const service = await MassAudio.open({ dataDir, analyzer: createInlineAnalyzer() });
    try {
      await service.index();
      const store = service.corpus.store;
      const files = store.listFilesOfRoot(store.getRoot(root)!.id);
      expect(files.map((f) => f.path).sort()).toEqual([...expectedUnits.keys()].sort());
      let total = 0;
      for (const file of files) {
        expect(file.status).toBe("ok");
        expect(store.unitsOfFile(file.id)).toHaveLength(expectedUnits.get(file.path)!);
        total += expectedUnits.get(file.path)!;
      }
      expect(store.unitCount()).toBe(total);
      const health = service.corpus.health();
      expect(health.lag).toBe(0);
      expect(service.corpus.catalog.liveUnitCount).toBe(total);
      // Every stored unit is in the index (its own nearest neighbour, distance 0) and every hit exists in the store.
      for (const file of files) {
        for (const unit of store.unitsOfFile(file.id)) {
          const outcome = service.corpus.search({ point: service.corpus.toPoint(unit.vector), k: 3 });
          expect(outcome.hits[0]!.distance).toBeLessThan(1e-6);
          for (const hit of outcome.hits) expect(store.getUnit(hit.unitId)).toBeDefined();
        }
      }
    } finally {
      await service.close();
    }
    expect((await readdir(join(dataDir, "index"))).filter((name) => name.startsWith(".writing-"))).toEqual([]);
    await cleanup();
  }, 90_000);

  it("commits grouped files all or none: after kills at random moments every file is whole and groups are never split", async () => {
    const { dir, cleanup } = await makeTempDir("crash-groups");
    const dataDir = join(dir, "db");
    const random = createRng(77);
    const GROUP_FILES = 12;
    const UNITS = 24;
    let kills = 0;
    for (let attempt = 0; attempt < 4; attempt++) {
      const args = [dataDir, "8", String(GROUP_FILES), String(UNITS)];
      const outcome = await runAndKill(dataDir, "", 1 + Math.floor(random() * 4), Math.floor(random() * 30), { path: COMMIT_CHILD, args });
      if (!outcome.finished) kills++;
      await checkConsistent(dataDir);
      const corpus = await Corpus.open({ dataDir, readOnly: true });
      try {
        const store = corpus.store;
        const files = store.listFilesOfRoot(store.getRoot("/virtual/root")!.id);
        expect(files.length % GROUP_FILES).toBe(0);
        for (const file of files) {
          expect(file.status).toBe("ok");
          expect(file.unitCount).toBe(UNITS);
          expect(store.unitsOfFile(file.id)).toHaveLength(UNITS);
        }
        expect(store.unitCount()).toBe(files.length * UNITS);
        expect(corpus.catalog.liveUnitCount).toBe(files.length * UNITS);
      } finally {
        await corpus.close();
      }
    }
    expect(kills).toBeGreaterThanOrEqual(2);
    await cleanup();
  }, 90_000);
});
