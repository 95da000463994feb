import { copyFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInlineAnalyzer } from "../../src/corpus/analyzer.js";
import { NotFoundError } from "../../src/corpus/corpus-error.js";
import { ParameterError } from "../../src/core/errors.js";
import { MassAudio } from "../../src/service/mass-audio.js";
import { CC0_CORPUS, makeTempDir, copyCorpusFiles } from "../corpus/helpers.js";

const FILES = ["bd_fat.flac", "bd_haus.flac", "elec_tick.flac", "tabla_te1.flac", "elec_bong.flac", "sn_dub.flac", "elec_snare.flac", "drum_cymbal_closed.flac"];


/** Polls `check` until it returns true or `timeoutMs` passes. */
async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe("MassAudio service", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let service: MassAudio;
  let root: string;

  beforeAll(async () => {
    ({ dir, cleanup } = await makeTempDir("service"));
    root = join(dir, "Samples");
    await copyCorpusFiles(root, FILES);
    service = await MassAudio.open({
      dataDir: join(dir, "db"),
      analyzer: createInlineAnalyzer(),
      missingGraceMs: 100,
      watch: { stabilityMs: 100, pollMs: 20, rootPollMs: 100 },
    });
    await service.addRoot(root);
    const summary = await service.index();
    expect(summary.filesAnalysed).toBe(FILES.length);
    expect(summary.unitsTotal).toBeGreaterThanOrEqual(FILES.length);
  }, 60_000);

  afterAll(async () => {
    await service.close();
    await cleanup();
  });

  it("finds neighbours of a unit id, excluding the unit itself", async () => {
    const result = await service.find({ target: { unitId: 1 }, k: 3 });
    expect(result.query.source).toBe("unit");
    expect(result.hits).toHaveLength(3);
    expect(result.hits.map((h) => h.unitId)).not.toContain(1);
    for (const hit of result.hits) {
      expect(hit.path.startsWith(root)).toBe(true);
      expect(hit.endFrame).toBeGreaterThan(hit.startFrame);
      expect(hit.sampleRateHz).toBe(44100);
      expect(hit.endSec).toBeCloseTo(hit.endFrame / 44100, 9);
    }
  });

  it("finds the corpus copy of an outside audio file at distance 0 (same analysis code path)", async () => {
    const outside = join(dir, "outside");
    await copyCorpusFiles(outside, ["bd_haus.flac"]);
    const result = await service.find({ target: { path: join(outside, "bd_haus.flac") }, k: 1 });
    expect(result.query.source).toBe("audio-file");
    expect(result.hits[0]!.path).toBe(join(root, "bd_haus.flac"));
    expect(result.hits[0]!.distance).toBeLessThan(1e-4);
    expect(result.hits[0]!.categories).toEqual(["kick", "drum"]);
  });

  it("finds by corpus file + time, with a category filter", async () => {
    const result = await service.find({ target: { path: join(root, "bd_fat.flac"), atSec: 0 }, k: 5, filter: { categories: ["kick"] } });
    expect(result.query.source).toBe("corpus-file");
    for (const hit of result.hits) expect(hit.categories).toContain("kick");
    expect(result.hits.map((h) => h.path)).toContain(join(root, "bd_haus.flac"));
  });

  it("reports typed errors for unknown units and bad requests", async () => {
    await expect(service.find({ target: { unitId: 999_999 } })).rejects.toBeInstanceOf(NotFoundError);
    await expect(service.find({ target: { unitId: 1 }, k: 0 })).rejects.toBeInstanceOf(ParameterError);
    await expect(service.find({ target: { path: join(root, "bd_fat.flac"), atSec: -1 } })).rejects.toBeInstanceOf(ParameterError);
    await expect(service.find({ target: { path: join(root, "bd_fat.flac"), atSec: 3600 } })).rejects.toBeInstanceOf(NotFoundError);
    await expect(service.addRoot(join(dir, "no-such-folder"))).rejects.toBeInstanceOf(ParameterError);
  });

  it("reports status: roots, files, units, index health and disk use", () => {
    const status = service.status();
    expect(status.roots).toHaveLength(1);
    expect(status.roots[0]!.files.ok).toBe(FILES.length);
    expect(status.counts.searchableUnits).toBe(status.counts.units);
    expect(status.index.lag).toBe(0);
    expect(status.index.liveUnits).toBe(status.counts.units);
    expect(status.disk.databaseBytes).toBeGreaterThan(0);
  });

  it("watches: a new file becomes findable, a rename is re-pointed, a deletion removed, an unplugged root comes back", async () => {
    await service.watch();
    const files: { action: string; path: string }[] = [];
    service.on("file", (event) => files.push(event));
    const unitsBefore = service.status().counts.units;

    await copyFile(join(CC0_CORPUS, "elec_pop.flac"), join(root, "new pop.flac"));
    await eventually(() => files.some((e) => e.action === "analysed" && e.path.endsWith("new pop.flac")));
    await service.idle();
    const found = await service.find({ target: { path: join(CC0_CORPUS, "elec_pop.flac") }, k: 1 });
    expect(found.hits[0]!.path).toBe(join(root, "new pop.flac"));

    await rename(join(root, "new pop.flac"), join(root, "renamed pop.flac"));
    await eventually(() => files.some((e) => e.action === "moved" && e.path.endsWith("renamed pop.flac")));
    expect(files.filter((e) => e.action === "analysed")).toHaveLength(1);

    await rm(join(root, "renamed pop.flac"));
    await eventually(() => files.some((e) => e.action === "removed"));
    await service.idle();
    expect(service.status().counts.units).toBe(unitsBefore);

    const roots: string[] = [];
    service.on("root", (event) => roots.push(event.status));
    await rename(root, `${root}-away`);
    await eventually(() => roots.includes("offline"));
    expect(service.status().counts.units).toBe(unitsBefore);
    expect(service.corpus.catalog.liveUnitCount).toBe(0);
    await rename(`${root}-away`, root);
    await eventually(() => roots.includes("online") && service.corpus.catalog.liveUnitCount === unitsBefore);
    expect(files.filter((e) => e.action === "analysed")).toHaveLength(1);
    await service.unwatch();
  }, 30_000);
});
