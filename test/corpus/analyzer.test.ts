import { readdirSync, readFileSync } from "node:fs";
import { getPriority } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { createInlineAnalyzer, createWorkerAnalyzer } from "../../src/corpus/analyzer.js";
import { DESCRIPTOR_COUNT } from "../../src/core/analysis/schema.js";
import { readWholeFile } from "../../src/io/audio-reader.js";
import { defaultModelDir } from "../../src/io/model-manifest.js";
import { ANALYSIS_THREAD_NICE } from "../../src/corpus/thread-priority.js";
import { CC0_CORPUS } from "./helpers.js";

/** Nice value of every thread of this process (Linux `/proc/self/task/TID/stat`, field 19), by thread id. */
function threadNiceValues(): Map<number, number> {
  const values = new Map<number, number>();
  for (const tid of readdirSync("/proc/self/task")) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // fields from 3 (state) on
      values.set(Number(tid), Number(fields[19 - 3]));
    } catch {
      // the thread ended meanwhile
    }
  }
  return values;
}

describe("analyzers", () => {
  it("give the same units from a worker thread as inline (one analysis code path)", async () => {
    const path = join(CC0_CORPUS, "loop_amen.flac");
    const workers = createWorkerAnalyzer({ threads: 1 });
    const inline = createInlineAnalyzer();
    try {
      const [fromWorker, fromInline] = await Promise.all([workers.analyze({ path, options: {} }), inline.analyze({ path, options: {} })]);
      if (!fromWorker.ok || !fromInline.ok) throw new Error("analysis failed");
      expect(fromWorker.analysis.units.length).toBeGreaterThan(0);
      expect(fromWorker.analysis.units.length).toBe(fromInline.analysis.units.length);
      const last = fromWorker.analysis.units.length - 1;
      const a = fromWorker.analysis.units[last]!;
      const b = fromInline.analysis.units[last]!;
      expect(a.startFrame).toBe(b.startFrame);
      expect(a.vector).toHaveLength(DESCRIPTOR_COUNT);
      expect(Array.from(a.vector)).toEqual(Array.from(b.vector));
    } finally {
      await workers.close();
    }
  });

  it("return a typed failure, not a throw, for a file that is not audio", async () => {
    const workers = createWorkerAnalyzer({ threads: 1 });
    try {
      const outcome = await workers.analyze({ path: join(CC0_CORPUS, "COPYRIGHT"), options: {} });
      expect(outcome.ok).toBe(false);
      if (!outcome.ok) expect(outcome.error.code).toMatch(/^decode_/);
    } finally {
      await workers.close();
    }
  });

  it.runIf(process.platform === "linux")("run worker threads at a lower priority than the main thread, which keeps its own", async () => {
    const before = getPriority(0);
    const countAt = (nice: number): number => [...threadNiceValues().values()].filter((value) => value === nice).length;
    const lowered = countAt(ANALYSIS_THREAD_NICE);
    const workers = createWorkerAnalyzer({ threads: 2 });
    try {
      const outcome = await workers.analyze({ path: join(CC0_CORPUS, "bd_haus.flac"), options: {} });
      expect(outcome.ok).toBe(true);
      await workers.analyze({ path: join(CC0_CORPUS, "sn_dolf.flac"), options: {} });
      // both pool threads (and any thread they started) run at nice 10 once started; this thread did not
      // move. Both analyses may have gone to the first thread while a loaded machine still starts the
      // second, so wait for it (bounded) instead of counting at once.
      await vi.waitFor(() => expect(countAt(ANALYSIS_THREAD_NICE) - lowered).toBeGreaterThanOrEqual(2), { timeout: 20_000, interval: 50 });
      expect(getPriority(0)).toBe(before);
      expect(threadNiceValues().get(process.pid)).toBe(before);
    } finally {
      await workers.close();
    }
  });

  it.runIf(process.platform === "linux")("leave worker priority alone with nice 0", async () => {
    const countAt = (nice: number): number => [...threadNiceValues().values()].filter((value) => value === nice).length;
    const lowered = countAt(ANALYSIS_THREAD_NICE);
    const workers = createWorkerAnalyzer({ threads: 1, nice: 0 });
    try {
      expect((await workers.analyze({ path: join(CC0_CORPUS, "bd_haus.flac"), options: {} })).ok).toBe(true);
      expect(countAt(ANALYSIS_THREAD_NICE)).toBe(lowered);
    } finally {
      await workers.close();
    }
  });

  it("warm every thread with the model, and warm without failing when the model folder is broken", async () => {
    const workers = createWorkerAnalyzer({ threads: 2 });
    try {
      await workers.warm!(defaultModelDir());
      const outcome = await workers.analyze({ path: join(CC0_CORPUS, "bd_haus.flac"), options: {}, embeddingModelDir: defaultModelDir() });
      if (!outcome.ok) throw new Error(outcome.error.message);
      expect(outcome.analysis.embeddings?.some((e) => e !== null)).toBe(true);
      await workers.warm!(join(CC0_CORPUS, "no-such-model"));
      const broken = await workers.analyze({ path: join(CC0_CORPUS, "bd_haus.flac"), options: {}, embeddingModelDir: join(CC0_CORPUS, "no-such-model") });
      expect(broken.ok).toBe(false);
      if (!broken.ok) expect(broken.error.message).toMatch(/no-such-model/);
    } finally {
      await workers.close();
    }
  });

  it("analyse a regeneration target in its own thread: it does not queue behind files being indexed", async () => {
    const workers = createWorkerAnalyzer({ threads: 1 });
    try {
      const finished: string[] = [];
      const files = Array.from({ length: 10 }, (_, i) =>
        workers.analyze({ path: join(CC0_CORPUS, "ambi_sauna.flac"), options: {} }).then(() => finished.push(`file ${i}`)),
      );
      const target = workers.analyzeTarget!({ path: join(CC0_CORPUS, "bd_haus.flac"), options: {} }).then((outcome) => {
        finished.push("target");
        return outcome;
      });
      const outcome = await target;
      expect(outcome.ok).toBe(true);
      if (outcome.ok) expect(outcome.units.length).toBeGreaterThan(0);
      await Promise.all(files);
      // one file thread worked through ten long files (~0.1 s each); the target did not wait for them all
      expect(finished.indexOf("target")).toBeLessThan(7);
    } finally {
      await workers.close();
    }
  });

  it("read a target in shared memory in place (not moved) and find the same units as in moved buffers", async () => {
    const workers = createWorkerAnalyzer({ threads: 1 });
    try {
      const { info, channels } = await readWholeFile(join(CC0_CORPUS, "loop_amen.flac"));
      const shared = channels.map((data) => {
        const copy = new Float32Array(new SharedArrayBuffer(data.length * 4));
        copy.set(data);
        return copy;
      });
      const moved = channels.map((data) => data.slice());
      const fromShared = await workers.analyzeTarget!({ channels: shared, sampleRateHz: info.sampleRateHz, name: "shared", options: {} });
      const fromMoved = await workers.analyzeTarget!({ channels: moved, sampleRateHz: info.sampleRateHz, name: "moved", options: {} });
      if (!fromShared.ok || !fromMoved.ok) throw new Error("analysis failed");
      expect(fromShared.units.map((u) => [u.startFrame, u.endFrame])).toEqual(fromMoved.units.map((u) => [u.startFrame, u.endFrame]));
      expect(Array.from(fromShared.units[2]!.vector)).toEqual(Array.from(fromMoved.units[2]!.vector));
      expect(shared[0]!.length).toBe(channels[0]!.length); // still attached here, unchanged
      expect(shared[0]![1234]).toBe(channels[0]![1234]);
      expect(moved[0]!.length).toBe(0); // moved buffers are detached
    } finally {
      await workers.close();
    }
  });
});
