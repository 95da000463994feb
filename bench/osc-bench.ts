/**
 * OSC daemon benchmark (`npm run bench -- osc [--json] [--quick]`): the CC0 corpus indexed into a temp
 * data folder, `mass-audio serve` started as a child process (the built CLI; in-process when run from
 * sources), and loopback clients in this process:
 * 0. one find at a time: the round trip, i.e. the daemon's capacity on one core;
 * 1. `/mass/find` paced at 1,000 requests per second for 10 s (3 s with --quick), targets = random corpus
 *    files at random times, k = 10: replies lost (goal 0: a reply that never comes, after any backlog has
 *    drained) and p50 / p99 latency from send to `/mass/find/done` (goal p99 <= 10 ms);
 * 2. the same while regenerations of a 16-s target run back to back (one running, one queued): the
 *    render runs on the daemon's main thread between its awaits, so finds wait for its synchronous stages;
 * 3. both at 50 finds/s first, well below saturation on this machine, to show the regeneration's own effect;
 * 4. 10,000 fuzz packets (bench/osc-fuzz.ts), windowed: time, and every wrong request answered;
 * 5. SIGINT: time to a clean exit.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { EventEmitter } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { OscClient, type OscReply } from "../src/adapters/osc/osc-client.js";
import { packageRoot } from "../src/cli/paths.js";
import { startServe, type RunningServe } from "../src/cli/serve-command.js";
import { writeWav } from "../src/io/wav-writer.js";
import { MassAudio } from "../src/service/mass-audio.js";
import { CC0_CORPUS_DIR, concatenatedTarget, seededRandom, type BenchFigure } from "./bench-util.js";
import { fuzzPackets } from "./osc-fuzz.js";

/** Requests per second of the load: 1,000. */
const RATE_PER_SEC = 1000;
const K = 10;
/** A find counts as lost when no reply of any find came for 5 s. */
const DRAIN_QUIET_MS = 5000;
/** A rate well below this machine's capacity, for the figures without saturation: 50 finds/s. */
const LOW_RATE_PER_SEC = 50;
/** Fuzz packets in flight before waiting for the daemon (loopback buffers). */
const FUZZ_WINDOW = 250;
/** Goal: p99 find latency 10 ms. */
const P99_GOAL_MS = 10;
const TARGET_FILES = ["loop_garzul.flac", "loop_mika.flac"];
/** Regeneration target: 16 s. */
const TARGET_SEC = 16;

interface LoadResult {
  readonly sent: number;
  readonly answered: number;
  readonly lost: number;
  readonly errors: number;
  readonly hitsLost: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly rate: number;
  /** The client's own pacing loop late by more than 10 ms (the machine busy elsewhere): count and longest. */
  readonly clientStalls: number;
  readonly clientStallMaxMs: number;
}

/** A pacing turn this much later than its 1-ms sleep counts as a stall of the client: 10 ms. */
const STALL_MS = 10;

interface Daemon {
  readonly port: number;
  stop(): Promise<{ exitMs: number; code: number | null }>;
}

function percentile(sorted: readonly number[], q: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function buildTarget(path: string): Promise<void> {
  const { channels, sampleRateHz } = await concatenatedTarget(TARGET_FILES, TARGET_SEC);
  await writeWav(path, channels, sampleRateHz, "int16");
}

/** Starts `mass-audio serve` as a child (built CLI) and reads its port from the "listening" log line. */
async function startChild(db: string, out: string, log: (line: string) => void): Promise<Daemon> {
  const cli = join(packageRoot(), "dist", "src", "cli", "main.js");
  const child: ChildProcess = spawn(process.execPath, [cli, "serve", "--db", db, "--out", out, "--port", "0", "--no-midi", "--no-index"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    let buffer = "";
    child.stderr!.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        try {
          const entry = JSON.parse(line) as { msg?: string; port?: number };
          if (entry.msg === "listening" && entry.port) resolve(entry.port);
          if (entry.msg !== "request") log(`  daemon: ${entry.msg ?? line}`);
        } catch {
          log(`  daemon: ${line}`);
        }
      }
    });
    void exited.then((code) => reject(new Error(`the daemon exited (${code}) before listening`)));
  });
  return {
    port,
    async stop() {
      const t0 = performance.now();
      child.kill("SIGINT");
      const code = await exited;
      return { exitMs: performance.now() - t0, code };
    },
  };
}

/** Starts the daemon in this process (when running from sources). */
async function startInProcess(db: string, out: string): Promise<Daemon> {
  const signals = new EventEmitter();
  const running: RunningServe = await startServe({ db, out, port: 0, midi: false, index: false }, { signals });
  return {
    port: running.port,
    async stop() {
      const t0 = performance.now();
      signals.emit("SIGINT", "SIGINT");
      await running.closed;
      return { exitMs: performance.now() - t0, code: 0 };
    },
  };
}

/** Paced finds at `ratePerSec` for `seconds`, from a client of their own; waits for the last replies. */
async function findLoad(port: number, targets: readonly { path: string; durationSec: number }[], ratePerSec: number, seconds: number, seed: number): Promise<LoadResult> {
  const client = await OscClient.open({ port, receiveBufferBytes: 4 * 1024 * 1024 });
  const random = seededRandom(seed);
  const sentAt = new Map<number, number>();
  const hits = new Map<number, number>();
  const latencies: number[] = [];
  let errors = 0;
  let hitsLost = 0;
  let lastReplyAt = performance.now();
  client.onMessage((reply: OscReply) => {
    const id = reply.args[0]?.value as number;
    lastReplyAt = reply.receivedAt;
    if (reply.address === "/mass/find/hit") hits.set(id, (hits.get(id) ?? 0) + 1);
    else if (reply.address === "/mass/find/done" || reply.address === "/mass/error") {
      const started = sentAt.get(id);
      if (started === undefined) return;
      sentAt.delete(id);
      latencies.push(reply.receivedAt - started);
      if (reply.address === "/mass/error") errors++;
      else if ((hits.get(id) ?? 0) !== reply.args[1]?.value) hitsLost++;
      hits.delete(id);
    }
  });
  const total = Math.round(seconds * ratePerSec);
  const t0 = performance.now();
  let sent = 0;
  let clientStalls = 0;
  let clientStallMaxMs = 0;
  let turnAt = t0;
  while (sent < total) {
    const now = performance.now();
    if (now - turnAt > STALL_MS) clientStalls++;
    clientStallMaxMs = Math.max(clientStallMaxMs, now - turnAt);
    turnAt = now;
    const due = Math.min(total, Math.floor(((performance.now() - t0) * ratePerSec) / 1000) + 1);
    for (; sent < due; sent++) {
      const target = targets[Math.floor(random() * targets.length)]!;
      const at = Math.max(0, target.durationSec * random() - 0.01);
      const id = sent + 1;
      sentAt.set(id, performance.now());
      client.send("/mass/find", [id, target.path, "at", { type: "f", value: at }, "k", K]);
    }
    await sleep(1);
  }
  const elapsedSec = (performance.now() - t0) / 1000;
  // Lost = never answered: wait while replies keep coming (a backlog drains), up to 5 s after the last one.
  while (sentAt.size > 0 && performance.now() - lastReplyAt < DRAIN_QUIET_MS) await sleep(20);
  await client.close();
  latencies.sort((a, b) => a - b);
  return {
    sent,
    answered: latencies.length,
    lost: sentAt.size,
    errors,
    hitsLost,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    maxMs: latencies[latencies.length - 1] ?? Number.NaN,
    rate: sent / elapsedSec,
    clientStalls,
    clientStallMaxMs,
  };
}

function loadFigures(label: string, load: LoadResult & { regens?: number; regenMedianMs?: number; regenErrors?: number }, goals: boolean): BenchFigure[] {
  const figures: BenchFigure[] = [
    { name: `${label}: sent`, value: load.rate, unit: "req/s" },
    { name: `${label}: replies lost`, value: load.lost, unit: `of ${load.sent} (${load.hitsLost} with hits missing)`, ...(goals ? { goal: "0", pass: load.lost === 0 && load.hitsLost === 0 } : {}) },
    {
      name: `${label}: answered with hits`,
      value: load.answered - load.errors,
      unit: `of ${load.sent} (the rest: busy, the daemon's find capacity is exceeded)`,
      ...(goals ? { goal: `${load.sent}`, pass: load.answered - load.errors === load.sent } : {}),
    },
    { name: `${label}: latency p50`, value: load.p50Ms, unit: "ms" },
    { name: `${label}: latency p99`, value: load.p99Ms, unit: "ms", ...(goals ? { goal: `<= ${P99_GOAL_MS} ms`, pass: load.p99Ms <= P99_GOAL_MS } : {}) },
    { name: `${label}: latency max`, value: load.maxMs, unit: "ms" },
    { name: `${label}: client stalls > ${STALL_MS} ms`, value: load.clientStalls, unit: `(longest ${load.clientStallMaxMs.toFixed(0)} ms: the machine busy elsewhere; they add to the latency)` },
  ];
  if (load.regens !== undefined) {
    figures.push({ name: `${label}: ${TARGET_SEC}-s regenerations done`, value: load.regens, unit: `(median ${load.regenMedianMs?.toFixed(0)} ms each incl. queueing; ${load.regenErrors} errors)` });
  }
  return figures;
}

export const runOscBench = async (options: { quick: boolean }): Promise<{ figures: BenchFigure[]; json: Record<string, unknown> }> => {
  const seconds = options.quick ? 3 : 10;
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const dir = await mkdtemp(join(tmpdir(), "mass-audio-osc-bench-"));
  const db = join(dir, "db");
  const out = join(dir, "out");
  let daemon: Daemon | undefined;
  try {
    log(`osc bench: indexing ${CC0_CORPUS_DIR}`);
    const indexing = await MassAudio.open({ dataDir: db });
    await indexing.addRoot(CC0_CORPUS_DIR);
    const summary = await indexing.index();
    const targets = indexing.corpus.store
      .listFilesOfRoot(indexing.corpus.store.getRoot(CC0_CORPUS_DIR)!.id)
      .filter((file) => file.status === "ok" && file.unitCount > 0 && file.durationSec !== null)
      .map((file) => ({ path: file.path, durationSec: file.durationSec! }));
    await indexing.close();
    const regenTarget = join(dir, "target-16s.wav");
    await buildTarget(regenTarget);

    const fromDist = fileURLToPath(import.meta.url).endsWith(".js");
    daemon = fromDist ? await startChild(db, out, log) : await startInProcess(db, out);
    log(`  daemon on 127.0.0.1:${daemon.port} (${fromDist ? "child process" : "in process"}), ${summary.unitsTotal} units, ${targets.length} files`);
    const probe = await OscClient.open({ port: daemon.port, receiveBufferBytes: 4 * 1024 * 1024 });
    for (let i = 0; i < 200; i++) await probe.request("/mass/find", [targets[i % targets.length]!.path, "k", K]); // warm-up

    const random = seededRandom(3);
    const sequential: number[] = [];
    for (let i = 0; i < 300; i++) {
      const target = targets[Math.floor(random() * targets.length)]!;
      const t0 = performance.now();
      await probe.request("/mass/find", [target.path, "at", { type: "f", value: Math.max(0, target.durationSec * random() - 0.01) }, "k", K]);
      sequential.push(performance.now() - t0);
    }
    sequential.sort((a, b) => a - b);
    const sequentialP50Ms = percentile(sequential, 0.5);
    log(`  one find at a time: p50 ${sequentialP50Ms.toFixed(2)} ms (capacity about ${Math.round(1000 / sequentialP50Ms)} finds/s)`);

    let stop = false;
    const regenMs: number[] = [];
    const regenErrors: string[] = [];
    const regenLoop = async (name: string): Promise<void> => {
      for (let seed = 1; !stop; seed++) {
        const t0 = performance.now();
        try {
          const replies = await probe.request("/mass/regen", [regenTarget, "seed", seed, "out", name], { timeoutMs: 300_000 });
          const last = replies[replies.length - 1]!;
          if (last.address === "/mass/regen/done") regenMs.push(performance.now() - t0);
          else regenErrors.push(String(last.args[2]?.value));
        } catch (error) {
          regenErrors.push((error as Error).message);
        }
      }
    };
    const phase = async (rate: number, withRegen: boolean, seed: number): Promise<LoadResult & { regens?: number; regenMedianMs?: number; regenErrors?: number }> => {
      log(`  ${rate} finds/s for ${seconds} s${withRegen ? `, with regenerations of a ${TARGET_SEC}-s target back to back` : ""}`);
      if (!withRegen) {
        const result = await findLoad(daemon!.port, targets, rate, seconds, seed);
        await probe.request("/mass/ping", [], { timeoutMs: 300_000 });
        return result;
      }
      stop = false;
      regenMs.length = 0;
      regenErrors.length = 0;
      const loops = [regenLoop("bench-a"), regenLoop("bench-b")]; // one running, one queued
      await sleep(200);
      const result = await findLoad(daemon!.port, targets, rate, seconds, seed);
      stop = true;
      await Promise.all(loops);
      await probe.request("/mass/ping", [], { timeoutMs: 300_000 });
      const sorted = [...regenMs].sort((x, y) => x - y);
      return { ...result, regens: regenMs.length, regenMedianMs: sorted[sorted.length >> 1] ?? Number.NaN, regenErrors: regenErrors.length };
    };
    /** Waits until a find's round trip is back near its idle value (a backlog of finds has drained). */
    const drained = async (): Promise<void> => {
      const until = performance.now() + 300_000;
      while (performance.now() < until) {
        const t0 = performance.now();
        await probe.request("/mass/find", [targets[0]!.path, "k", K], { timeoutMs: 300_000 });
        if (performance.now() - t0 < 4 * sequentialP50Ms) return;
        await sleep(200);
      }
    };
    const lowIdle = await phase(LOW_RATE_PER_SEC, false, 3);
    await drained();
    const lowBusy = await phase(LOW_RATE_PER_SEC, true, 4);
    await drained();
    const idle = await phase(RATE_PER_SEC, false, 1);
    await drained();
    const busy = await phase(RATE_PER_SEC, true, 2);
    await drained();

    log("  10,000 fuzz packets");
    const packets = fuzzPackets(7, 10_000, { audioPath: targets[0]!.path, folder: dir });
    const expectedIds = new Set(packets.flatMap((p) => p.expected.filter((e) => e.id !== "").map((e) => String(e.id))));
    const undecodable = packets.filter((p) => p.undecodable).length;
    const answered = new Set<string>();
    let badPackets = 0;
    const stopListening = probe.onMessage((reply) => {
      if (reply.address !== "/mass/error") return;
      if (reply.args[1]?.value === "bad_packet") badPackets++;
      else answered.add(String(reply.args[0]?.value));
    });
    const fuzzStart = performance.now();
    for (let start = 0; start < packets.length; start += FUZZ_WINDOW) {
      for (const packet of packets.slice(start, start + FUZZ_WINDOW)) probe.sendBytes(packet.bytes);
      await probe.request("/mass/ping", [], { timeoutMs: 10_000 });
    }
    const fuzzSec = (performance.now() - fuzzStart) / 1000;
    await sleep(200);
    stopListening();
    const unanswered = [...expectedIds].filter((id) => !answered.has(id)).length;
    const [pong] = await probe.request("/mass/ping");
    await probe.close();

    const shutdown = await daemon.stop();
    daemon = undefined;

    const json: Record<string, unknown> = {
      corpusUnits: summary.unitsTotal,
      corpusFiles: targets.length,
      seconds,
      ratePerSec: RATE_PER_SEC,
      k: K,
      sequentialP50Ms,
      idle,
      withRegen: busy,
      lowRate: { ratePerSec: LOW_RATE_PER_SEC, idle: lowIdle, withRegen: lowBusy },
      fuzz: { packets: packets.length, seconds: fuzzSec, undecodable, badPacketReplies: badPackets, wrongRequests: expectedIds.size, unanswered, pingAfter: pong?.address === "/mass/pong" },
      shutdown,
    };
    const figures: BenchFigure[] = [
      { name: "one find at a time: p50 round trip", value: sequentialP50Ms, unit: `ms (capacity about ${Math.round(1000 / sequentialP50Ms)} finds/s)` },
      ...loadFigures(`${LOW_RATE_PER_SEC}/s`, lowIdle, false),
      ...loadFigures(`${LOW_RATE_PER_SEC}/s + regen`, lowBusy, false),
      ...loadFigures(`${RATE_PER_SEC}/s`, idle, true),
      ...loadFigures(`${RATE_PER_SEC}/s + regen`, busy, true),
      { name: "fuzz: 10,000 packets", value: fuzzSec, unit: "s" },
      { name: "fuzz: wrong requests unanswered", value: unanswered, unit: `of ${expectedIds.size}`, goal: "0", pass: unanswered === 0 },
      { name: "fuzz: bad_packet replies", value: badPackets, unit: `of ${undecodable} undecodable`, goal: "all", pass: badPackets === undecodable },
      { name: "fuzz: ping answered after", value: pong?.address === "/mass/pong" ? 1 : 0, unit: "", goal: "1", pass: pong?.address === "/mass/pong" },
      { name: "SIGINT to clean exit", value: shutdown.exitMs, unit: `ms (exit code ${shutdown.code})`, pass: shutdown.code === 0 },
    ];
    return { figures, json };
  } finally {
    if (daemon) await daemon.stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
};
