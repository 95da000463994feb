import { EventEmitter } from "node:events";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OscClient } from "../../src/adapters/osc/osc-client.js";
import { buildProgram } from "../../src/cli/program.js";
import { startServe, type RunningServe } from "../../src/cli/serve-command.js";
import { createInlineAnalyzer } from "../../src/corpus/analyzer.js";
import { LOCK_FILE_NAME } from "../../src/corpus/writer-lock.js";
import { MassAudio } from "../../src/service/mass-audio.js";
import { memoryLogger } from "../adapters/osc/helpers.js";
import { copyCorpusFiles, makeTempDir } from "../corpus/helpers.js";

const FILES = ["loop_amen.flac", "bd_haus.flac", "sn_dub.flac", "elec_tick.flac", "drum_cymbal_closed.flac"];

async function until(check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("mass-audio serve", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let root: string;
  let db: string;
  let out: string;

  beforeAll(async () => {
    ({ dir, cleanup } = await makeTempDir("serve"));
    root = join(dir, "Samples");
    db = join(dir, "db");
    out = join(dir, "renders");
    await copyCorpusFiles(root, FILES);
  });

  afterAll(async () => cleanup());

  it("is registered with loopback and port 9000 as defaults", () => {
    const serve = buildProgram().commands.find((command) => command.name() === "serve");
    expect(serve).toBeDefined();
    const option = (flag: string): unknown => serve!.options.find((o) => o.long === flag)?.defaultValue;
    expect(option("--host")).toBe("127.0.0.1");
    expect(option("--port")).toBe("9000");
    for (const flag of ["--watch", "--out", "--db", "--midi-in", "--midi-virtual", "--no-midi", "--cc-variety", "--cc-stickiness", "--cc-wet"]) {
      expect(serve!.options.some((o) => o.long === flag), flag).toBe(true);
    }
  });

  it("indexes and watches the roots, answers OSC, says once that MIDI is unavailable, and shuts down cleanly on SIGINT", async () => {
    const { log, lines } = memoryLogger("info");
    const signals = new EventEmitter();
    const running: RunningServe = await startServe(
      { watch: [root], db, out, port: 0 },
      { log, signals, service: { analyzer: createInlineAnalyzer() } },
    );
    expect(running.host).toBe("127.0.0.1");
    const client = await OscClient.open({ port: running.port });
    try {
      expect(lines.find((line) => line["msg"] === "listening")).toMatchObject({ host: "127.0.0.1", port: running.port });
      const midiLines = lines.filter((line) => /^MIDI (unavailable: |input open)/.test(String(line["msg"])));
      expect(midiLines).toHaveLength(1);
      if (running.midi === null) expect(String(midiLines[0]!["msg"])).toMatch(/^MIDI unavailable: \S/);

      await until(async () => {
        const [status] = await client.request("/mass/status");
        return status!.args[1]!.value === FILES.length && status!.args[5]!.value === 0;
      });
      expect(lines.some((line) => line["msg"] === "indexed")).toBe(true);
      await until(() => lines.some((line) => line["msg"] === "watching roots"));

      // One regeneration running, one queued: SIGINT fails the queued one, lets the running one finish.
      const target = join(root, "loop_amen.flac");
      const first = client.request("/mass/regen", [target, "seed", 1, "layers", 2], { timeoutMs: 30_000 });
      const second = client.request("/mass/regen", [target, "seed", 2], { timeoutMs: 30_000 });
      await until(() => running.daemon.queuedRegens === 1); // the first runs, the second waits
      signals.emit("SIGINT", "SIGINT");
      const [firstReplies, secondReplies] = await Promise.all([first, second]);
      expect(firstReplies[firstReplies.length - 1]!.address).toBe("/mass/regen/done");
      const refused = secondReplies[secondReplies.length - 1]!;
      expect(refused.address).toBe("/mass/error");
      expect(refused.args.slice(1).map((a) => a.value)).toEqual(["busy", expect.stringMatching(/shutting down/)]);
      await running.closed;
      expect(lines.find((line) => line["msg"] === "shutting down")).toMatchObject({ reason: "SIGINT" });
      expect(lines[lines.length - 1]!["msg"]).toBe("stopped");
      await expect(client.request("/mass/ping", [], { timeoutMs: 300 })).rejects.toThrow(/no reply/);
    } finally {
      await client.close();
      await running.stop();
    }
    // The writer lock is free and the index was snapshotted on the way out.
    const reopened = await MassAudio.open({ dataDir: db, analyzer: createInlineAnalyzer() });
    try {
      expect(reopened.corpus.health().loadedFrom).toBe("snapshot");
      expect(reopened.status().counts.files.ok).toBe(FILES.length);
    } finally {
      await reopened.close();
    }
  });

  it("exits at once on a second signal during shutdown", async () => {
    const { log, lines } = memoryLogger("info");
    const signals = new EventEmitter();
    const exits: number[] = [];
    const running = await startServe(
      { db, out, port: 0, index: false, midi: false },
      { log, signals, exit: (code) => exits.push(code), service: { analyzer: createInlineAnalyzer() } },
    );
    expect(lines.some((line) => line["msg"] === "MIDI off (--no-midi)")).toBe(true);
    signals.emit("SIGTERM", "SIGTERM");
    signals.emit("SIGINT", "SIGINT");
    expect(exits).toEqual([130]);
    await running.closed;
    expect(signals.listenerCount("SIGINT") + signals.listenerCount("SIGTERM")).toBe(0);
  });

  it("serves read-only when another process indexes the corpus, and refuses root changes with busy", async () => {
    // The writer lock held by another live process (the test runner's parent).
    await writeFile(join(db, LOCK_FILE_NAME), String(process.ppid));
    const { log, lines } = memoryLogger("info");
    const running = await startServe({ db, out, port: 0, midi: false }, { log, signals: new EventEmitter(), service: { analyzer: createInlineAnalyzer() } });
    const client = await OscClient.open({ port: running.port });
    try {
      expect(lines.some((line) => line["msg"] === "serving read-only: no indexing, watching or root changes")).toBe(true);
      const [roots] = await client.request("/mass/roots/list");
      expect(roots!.args.slice(1).map((a) => a.value)).toEqual([root]);
      const refused = await client.request("/mass/roots/add", [dir]);
      expect(refused[0]!.args.slice(1).map((a) => a.value)).toEqual(["busy", expect.stringMatching(/read-only/)]);
      const hits = await client.request("/mass/find", [join(root, "bd_haus.flac"), "k", 2]);
      expect(hits.map((r) => r.address)).toEqual(["/mass/find/hit", "/mass/find/hit", "/mass/find/done"]);
    } finally {
      await client.close();
      await running.stop();
      await rm(join(db, LOCK_FILE_NAME));
    }
  });

  it("fails to start with a clear message when the port is taken, leaving the corpus closed", async () => {
    const signals = new EventEmitter();
    const first = await startServe({ db, out, port: 0, index: false, midi: false }, { log: memoryLogger().log, signals, service: { analyzer: createInlineAnalyzer() } });
    try {
      await expect(
        startServe({ db: join(dir, "db2"), out, port: first.port, index: false, midi: false }, { log: memoryLogger().log, signals: new EventEmitter(), service: { analyzer: createInlineAnalyzer() } }),
      ).rejects.toThrow(/cannot listen on 127\.0\.0\.1:\d+ .*--port/);
    } finally {
      await first.stop();
    }
    const reopened = await MassAudio.open({ dataDir: join(dir, "db2"), analyzer: createInlineAnalyzer() }); // its lock was released
    await reopened.close();
  });

  it("refuses bad MIDI mapping options before opening anything", async () => {
    await expect(startServe({ db, out, port: 0, cc: { variety: 120 } }, { log: memoryLogger().log, signals: new EventEmitter() })).rejects.toThrow(
      /cc-variety: expected a controller number in \[0, 119\]/,
    );
    await expect(startServe({ db, out, port: 0, midiChannel: 0 }, { log: memoryLogger().log, signals: new EventEmitter() })).rejects.toThrow(/midi-channel/);
    const reopened = await MassAudio.open({ dataDir: db, analyzer: createInlineAnalyzer() }); // no lock left behind
    await reopened.close();
  });

  it("wires a MIDI port from the opener with the controller numbers given", async () => {
    const port = Object.assign(new EventEmitter(), { name: "virtual test", close: () => undefined });
    const { log, lines } = memoryLogger("info");
    const running = await startServe(
      { db, out, port: 0, index: false, cc: { variety: 1, wet: null } },
      { log, signals: new EventEmitter(), openMidi: async () => port, service: { analyzer: createInlineAnalyzer() } },
    );
    try {
      expect(lines.find((line) => line["msg"] === "MIDI input open")).toMatchObject({ port: "virtual test", virtual: true, cc: { variety: 1, stickiness: 21 } });
      port.emit("cc", { controller: 1, value: 127, channel: 0 });
      expect(running.daemon.target.options).toEqual({ variety: 1 });
    } finally {
      await running.stop();
    }
  });
});
