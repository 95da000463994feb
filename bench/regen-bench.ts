/**
 * Regeneration benchmark (`npm run bench -- regen`): a 16-second stereo target (two CC0 loops back to
 * back, both excluded from the candidates) regenerated against the whole CC0 corpus, end to end and warm
 * (corpus open, source ranges cached), with the split per stage: analysis, search (+ lattice), selection,
 * source reads, rendering. Rendering speed is reported as seconds of audio per second, for the default fit
 * (trim) and for WSOLA stretching. The goal for the 1,000,000-unit index is not measured here.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readWholeFile } from "../src/io/audio-reader.js";
import { MassAudio } from "../src/service/mass-audio.js";
import { regenerate, regenerateAudio, type RegenerateRequest, type StageTimings } from "../src/service/regenerate.js";
import { SourceCache } from "../src/service/source-cache.js";
import { median, type BenchFigure } from "./bench-util.js";
import { CC0_DIR } from "./eval-regen.js";

const TARGET_FILES = ["loop_garzul.flac", "loop_mika.flac"];
/** Target length: 16 s. */
const TARGET_SEC = 16;

async function buildTarget(): Promise<{ channels: Float32Array[]; sampleRateHz: number }> {
  const parts = await Promise.all(TARGET_FILES.map((name) => readWholeFile(join(CC0_DIR, name))));
  const rate = parts[0]!.info.sampleRateHz;
  const frames = Math.round(TARGET_SEC * rate);
  const channels = [new Float32Array(frames), new Float32Array(frames)];
  let offset = 0;
  for (const part of parts) {
    const n = Math.min(part.channels[0]!.length, frames - offset);
    for (let c = 0; c < 2; c++) channels[c]!.set(part.channels[c % part.channels.length]!.subarray(0, n), offset);
    offset += n;
  }
  return { channels, sampleRateHz: rate };
}

function medianTimings(list: readonly StageTimings[]): StageTimings {
  const pick = (key: keyof StageTimings): number => median(list.map((t) => t[key]));
  return {
    analyseMs: pick("analyseMs"),
    searchMs: pick("searchMs"),
    selectMs: pick("selectMs"),
    readMs: pick("readMs"),
    renderMs: pick("renderMs"),
    writeMs: pick("writeMs"),
  };
}

export const runRegenBench = async (options: { quick: boolean }): Promise<{ figures: BenchFigure[]; json: Record<string, unknown> }> => {
  const runs = options.quick ? 3 : 9;
  const dir = await mkdtemp(join(tmpdir(), "mass-audio-regen-bench-"));
  const service = await MassAudio.open({ dataDir: join(dir, "db") });
  try {
    await service.addRoot(CC0_DIR);
    await service.index();
    const target = await buildTarget();
    const excludeFileIds = TARGET_FILES.flatMap((name) => {
      const file = service.corpus.store.getFileByPath(join(CC0_DIR, name));
      return file ? [file.id] : [];
    });
    const cache = new SourceCache({ maxBytes: 256 * 1024 * 1024 });
    const request: RegenerateRequest = { target: { ...target, name: "16 s target" }, filter: { excludeFileIds }, options: { seed: 1 } };
    await regenerateAudio(service, request, undefined, { cache }); // warm-up: caches, JIT
    const trim: StageTimings[] = [];
    let units = 0;
    for (let i = 0; i < runs; i++) {
      const audio = await regenerateAudio(service, request, undefined, { cache });
      trim.push(audio.timings);
      units = audio.units.length;
    }
    const stretchRequest: RegenerateRequest = { ...request, options: { seed: 1, fit: "stretch" } };
    await regenerateAudio(service, stretchRequest, undefined, { cache });
    const stretch: StageTimings[] = [];
    for (let i = 0; i < runs; i++) stretch.push((await regenerateAudio(service, stretchRequest, undefined, { cache })).timings);
    const written: StageTimings[] = [];
    for (let i = 0; i < Math.min(3, runs); i++) {
      written.push((await regenerate(service, { ...request, outPath: join(dir, `out-${i}.wav`) }, undefined, { cache })).timings);
    }
    await cache.close();

    const t = medianTimings(trim);
    const s = medianTimings(stretch);
    const w = medianTimings(written);
    const endToEnd = t.analyseMs + t.searchMs + t.selectMs + t.readMs + t.renderMs;
    const withWrite = w.analyseMs + w.searchMs + w.selectMs + w.readMs + w.renderMs + w.writeMs;
    const renderSpeed = (TARGET_SEC * 1000) / t.renderMs;
    const stretchSpeed = (TARGET_SEC * 1000) / s.renderMs;
    const figures: BenchFigure[] = [
      { name: `corpus units (CC0)`, value: service.corpus.catalog.liveUnitCount, unit: "" },
      { name: `target units (${TARGET_SEC} s)`, value: units, unit: "" },
      { name: "analysis", value: t.analyseMs, unit: "ms" },
      { name: "search + lattice", value: t.searchMs, unit: "ms" },
      { name: "selection", value: t.selectMs, unit: "ms" },
      { name: "source reads (warm cache)", value: t.readMs, unit: "ms" },
      { name: "render (fit trim)", value: t.renderMs, unit: "ms" },
      { name: "end to end, warm, CC0 corpus", value: endToEnd, unit: "ms", goal: "<= 100", pass: endToEnd <= 100 },
      { name: "end to end incl. WAV + sidecar write", value: withWrite, unit: "ms" },
      { name: "rendering speed (trim)", value: renderSpeed, unit: "x realtime", goal: ">= 200", pass: renderSpeed >= 200 },
      { name: "rendering speed (WSOLA stretch)", value: stretchSpeed, unit: "x realtime" },
    ];
    return {
      figures,
      json: { corpusUnits: service.corpus.catalog.liveUnitCount, targetSec: TARGET_SEC, targetUnits: units, runs, trim: t, stretch: s, written: w, endToEndMs: endToEnd, withWriteMs: withWrite, renderSpeed, stretchSpeed },
    };
  } finally {
    await service.close();
    await rm(dir, { recursive: true, force: true });
  }
};
