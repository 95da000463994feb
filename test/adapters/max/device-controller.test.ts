import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Daemon, type DaemonLog } from "../../../src/adapters/daemon/daemon.js";
import { DeviceController, type DeviceControllerOptions } from "../../../src/adapters/max/device-controller.js";
import { launchDaemon, planDaemonLaunch } from "../../../src/adapters/max/daemon-launcher.js";
import { oscInt, oscString } from "../../../src/adapters/max/osc-codec.js";
import { OscServer } from "../../../src/adapters/osc/osc-server.js";
import { createInlineAnalyzer } from "../../../src/corpus/analyzer.js";
import { readWholeFile } from "../../../src/io/audio-reader.js";
import { MassAudio } from "../../../src/service/mass-audio.js";
import { copyCorpusFiles, makeTempDir } from "../../corpus/helpers.js";
import { FakeDaemon, type FakeDaemonScript } from "./fake-daemon.js";
import { FakeMax } from "./fake-max.js";

const running: Array<{ stop?: () => void; close?: () => unknown }> = [];

async function startDevice(daemonPort: number, options: Partial<DeviceControllerOptions> = {}): Promise<{ max: FakeMax; controller: DeviceController }> {
  const max = new FakeMax();
  const controller = new DeviceController(max, {
    settings: { port: daemonPort },
    statusIntervalMs: 0,
    timeouts: { pingMs: 150, controlMs: 500, findMs: 2000, regenIdleMs: 2000 },
    startTimeoutMs: 2000,
    startPollMs: 20,
    launcher: async () => {
      throw new Error("launcher not expected in this test");
    },
    ...options,
  });
  running.push(controller);
  await controller.start();
  return { max, controller };
}

async function withFakeDaemon(script: FakeDaemonScript = {}): Promise<FakeDaemon> {
  const daemon = await FakeDaemon.start(script);
  running.push(daemon);
  return daemon;
}

afterEach(async () => {
  for (const item of running.splice(0).reverse()) {
    item.stop?.();
    await item.close?.();
  }
});

describe("DeviceController against a scripted UDP daemon (fake max-api)", () => {
  it("on start: says ready (controls re-send), connects, subscribes and shows the index status", async () => {
    const daemon = await withFakeDaemon({ version: "0.1.0" });
    const { max } = await startDevice(daemon.port);
    expect(max.outlets[0]).toEqual(["ready"]);
    expect(max.messages()).toContain(`connected to mass-audio 0.1.0 on 127.0.0.1:${daemon.port}`);
    expect(max.lastStatus()).toBe("120 units in 3 files");
    expect(daemon.requests("/mass/subscribe")).toHaveLength(1);
  });

  it("regenerate sends the dropped target with the control values, then outputs insert PATH for the Live API script", async () => {
    const daemon = await withFakeDaemon({ regenOut: "/out/loop-regen.wav", progress: [0.5] });
    const { max } = await startDevice(daemon.port);
    max.send("target", "/samples/loop.wav");
    max.send("param", "variety", 0.5);
    max.send("param", "fit", 1); // live.menu index -> "loop"
    max.send("param", "k", 8.2); // live.dial float -> int
    max.send("folder", "text", "drums/**,", "perc/*");
    max.send("regen");
    await expect.poll(() => max.out("insert")).toEqual([["/out/loop-regen.wav"]]);
    const [regen] = daemon.requests("/mass/regen");
    const args = regen!.args.map((arg) => arg.value);
    expect(args[1]).toBe("/samples/loop.wav");
    const options = new Map<unknown, unknown>();
    for (let i = 2; i + 1 < args.length; i += 2) options.set(args[i], args[i + 1]);
    expect(options.get("variety")).toBe(0.5);
    expect(options.get("fit")).toBe("loop");
    expect(options.get("k")).toBe(8);
    const folders = args.filter((_, i) => i >= 2 && args[i - 1] === "folder" && i % 2 === 1);
    expect(folders).toEqual(["drums/**", "perc/*"]);
    expect(options.has("category")).toBe(false);
    expect(max.messages()).toContain("regenerating loop.wav... 50%");
    expect(max.messages()).toContain("loop-regen.wav: 2.50 s, 40 units");
    // The daemon announced the same render as an event: it is not inserted twice.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(max.out("insert")).toHaveLength(1);
  });

  it("inserts a render announced by /mass/event/regen that the device did not ask for (MIDI-triggered)", async () => {
    const daemon = await withFakeDaemon();
    const { max } = await startDevice(daemon.port);
    daemon.push("/mass/event/regen", [oscString("/out/midi-1.wav"), oscInt(12)]);
    await expect.poll(() => max.out("insert")).toEqual([["/out/midi-1.wav"]]);
    expect(max.messages()).toContain("MIDI regeneration: midi-1.wav");
  });

  it("find fills the hit menu; picking an item inserts that unit's file", async () => {
    const hits = [
      { rank: 1, path: "/s/kick.flac", start: 0, end: 0.25, distance: 0.1, category: "bd" },
      { rank: 2, path: "/s/snare.flac", start: 1.5, end: 1.75, distance: 0.2, category: "" },
    ];
    const daemon = await withFakeDaemon({ hits });
    const { max } = await startDevice(daemon.port);
    max.send("target", "/samples/loop.wav");
    max.send("find");
    await expect.poll(() => max.out("menu").length).toBe(3);
    expect(max.out("menu")).toEqual([["clear"], ["append", "1. kick.flac 0.00-0.25 s [bd]"], ["append", "2. snare.flac 1.50-1.75 s"]]);
    const [find] = daemon.requests("/mass/find");
    expect(find!.args.slice(1).map((arg) => arg.value)).toEqual(["/samples/loop.wav", "k", 16]);
    max.send("pick", 1);
    await expect.poll(() => max.out("insert")).toEqual([["/s/snare.flac"]]);
  });

  it("asks for a target before regenerating or finding", async () => {
    const daemon = await withFakeDaemon();
    const { max } = await startDevice(daemon.port);
    max.send("regen");
    await expect.poll(() => max.messages()).toContain("drop an audio clip or file on the device first");
    expect(daemon.requests("/mass/regen")).toHaveLength(0);
  });

  it("shows the daemon's error code and message when a regeneration fails", async () => {
    const daemon = await withFakeDaemon({ errors: { "/mass/regen": ["forbidden_path", "outside the roots: /etc/x.wav"] } });
    const { max } = await startDevice(daemon.port);
    max.send("target", "/etc/x.wav");
    max.send("regen");
    await expect.poll(() => max.messages()).toContain("regenerate failed: forbidden_path: outside the roots: /etc/x.wav");
    expect(max.out("insert")).toHaveLength(0);
  });

  it("reports a bad control value without losing the others", async () => {
    const daemon = await withFakeDaemon();
    const { max } = await startDevice(daemon.port);
    max.send("param", "fit", 7);
    await expect.poll(() => max.messages().some((m) => m.startsWith("error: bad_parameter: fit: menu index 7"))).toBe(true);
  });

  it("turns a Max-style path (Volume:/path) from live.drop into a native path", async () => {
    const { dir, cleanup } = await makeTempDir("m4l-path");
    running.push({ close: cleanup });
    const file = join(dir, "kick.wav");
    await writeFile(file, "");
    const daemon = await withFakeDaemon();
    const { max } = await startDevice(daemon.port);
    max.send("target", `Macintosh HD:${file}`);
    max.send("regen");
    await expect.poll(() => daemon.requests("/mass/regen").length).toBe(1);
    expect(daemon.requests("/mass/regen")[0]!.args[1]).toEqual({ type: "s", value: file });
  });

  it("when nothing answers, starts the daemon with the launcher and connects once it answers", async () => {
    const probe = await FakeDaemon.start();
    const port = probe.port;
    await probe.close(); // free port, nobody listening
    let launched: { command: string | undefined; host: string; port: number } | undefined;
    const { max } = await startDevice(port, {
      settings: { port, daemonCommand: "/opt/mass-audio/bin/mass-audio" },
      launcher: async (request) => {
        launched = request;
        running.push(await FakeDaemon.start({ version: "started" }, request.port));
      },
    });
    expect(launched).toEqual({ command: "/opt/mass-audio/bin/mass-audio", host: "127.0.0.1", port });
    expect(max.out("status")[0]).toEqual(["starting mass-audio daemon..."]);
    expect(max.messages()).toContain(`started mass-audio started on 127.0.0.1:${port}`);
  });

  it("says clearly when the daemon cannot be started (executable not found)", async () => {
    const probe = await FakeDaemon.start();
    const port = probe.port;
    await probe.close();
    const missing = "/nonexistent/bin/mass-audio";
    const { max } = await startDevice(port, {
      settings: { port, daemonCommand: missing },
      launcher: async ({ command, host, port: p }) => launchDaemon(planDaemonLaunch({ command, host, port: p })),
    });
    expect(max.lastStatus()).toBe("no daemon");
    const message = max.messages().find((m) => m.startsWith("daemon_start:"));
    expect(message).toContain(`cannot start "${missing} serve --host 127.0.0.1 --port ${port}": not found`);
    expect(message).toContain("daemon field");
    expect(max.posts.length).toBeGreaterThan(0);
  });

  it("stores the daemon command typed in the device in the settings file", async () => {
    const { dir, cleanup } = await makeTempDir("m4l-settings");
    running.push({ close: cleanup });
    const daemon = await withFakeDaemon();
    const settingsPath = join(dir, "mass-audio", "device.json");
    await mkdir(join(dir, "mass-audio"), { recursive: true });
    await writeFile(settingsPath, JSON.stringify({ port: daemon.port }));
    const max = new FakeMax();
    const controller = new DeviceController(max, { settingsPath, statusIntervalMs: 0, timeouts: { pingMs: 200 } });
    running.push(controller);
    await controller.start();
    max.send("daemon", "text", "/usr/local/bin/mass-audio");
    await expect.poll(async () => JSON.parse(await readFile(settingsPath, "utf8")) as unknown).toEqual({ port: daemon.port, daemonCommand: "/usr/local/bin/mass-audio" });
    expect(max.messages()).toContain("daemon: /usr/local/bin/mass-audio");
  });
});

// The real daemon (src/adapters/daemon + src/adapters/osc, written alongside this device) over a real
// MassAudio corpus of CC0 files: the device's whole path except Max itself.
const FILES = ["loop_amen.flac", "bd_haus.flac", "sn_dub.flac", "elec_tick.flac", "drum_cymbal_closed.flac"];
const silentLog = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined } as unknown as DaemonLog;

describe("DeviceController against the real daemon (MassAudio over CC0 files, OscServer on UDP)", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let service: MassAudio;
  let daemon: Daemon;
  let server: OscServer;
  let target: string;

  beforeAll(async () => {
    ({ dir, cleanup } = await makeTempDir("m4l-daemon"));
    const root = join(dir, "Samples");
    await copyCorpusFiles(root, FILES);
    target = join(root, "loop_amen.flac");
    service = await MassAudio.open({ dataDir: join(dir, "db"), analyzer: createInlineAnalyzer() });
    await service.addRoot(root);
    await service.index();
    daemon = await Daemon.create({ service, outDir: join(dir, "out"), version: "test", log: silentLog });
    server = await OscServer.start({ daemon, port: 0, log: silentLog });
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await daemon?.close?.();
    await service?.close();
    await cleanup?.();
  });

  it("regenerates the dropped file into a WAV in the daemon's output folder and asks Live to insert it", async () => {
    const { max } = await startDevice(server.port, { timeouts: { pingMs: 1000, controlMs: 3000, findMs: 20_000, regenIdleMs: 30_000 } });
    expect(max.messages()).toContain(`connected to mass-audio test on 127.0.0.1:${server.port}`);
    expect(max.lastStatus()).toMatch(/^\d+ units in 5 files/);
    max.send("target", target);
    max.send("param", "seed", 3);
    max.send("regen");
    await expect.poll(() => max.out("insert").length, { timeout: 30_000 }).toBe(1);
    const outPath = String(max.out("insert")[0]![0]);
    expect(outPath.startsWith(join(dir, "out"))).toBe(true);
    expect((await stat(outPath)).size).toBeGreaterThan(44);
    const audio = await readWholeFile(outPath);
    expect(audio.channels[0]!.length).toBeGreaterThan(0);
  }, 40_000);

  it("finds units like the target and lists them in the hit menu", async () => {
    const { max } = await startDevice(server.port, { timeouts: { pingMs: 1000, controlMs: 3000, findMs: 20_000 } });
    max.send("target", target);
    max.send("param", "k", 4);
    max.send("find");
    await expect.poll(() => max.out("menu").length, { timeout: 20_000 }).toBeGreaterThan(1);
    const labels = max.out("menu").slice(1).map((args) => String(args[1]));
    expect(labels[0]).toMatch(/^1\. \S+\.flac \d+\.\d\d-\d+\.\d\d s/);
    expect(labels.length).toBeLessThanOrEqual(4);
  }, 30_000);
});
