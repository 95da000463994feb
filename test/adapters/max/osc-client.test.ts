import { afterEach, describe, expect, it } from "vitest";
import { DaemonError, DaemonTimeoutError, MassAudioClient, optionArguments, type DaemonEvent } from "../../../src/adapters/max/osc-client.js";
import { FakeDaemon, type FakeDaemonScript } from "./fake-daemon.js";

const open: Array<{ close(): unknown }> = [];

async function setup(script: FakeDaemonScript = {}, timeouts = {}): Promise<{ daemon: FakeDaemon; client: MassAudioClient }> {
  const daemon = await FakeDaemon.start(script);
  const client = await MassAudioClient.open({ port: daemon.port, timeouts });
  open.push(client, daemon);
  return { daemon, client };
}

afterEach(async () => {
  for (const item of open.splice(0)) await item.close();
});

describe("MassAudioClient (real UDP peer answering per CONTRACTS C)", () => {
  it("pings with an int request id and gets the version from /mass/pong", async () => {
    const { daemon, client } = await setup({ version: "9.9.9" });
    expect(await client.ping()).toBe("9.9.9");
    const [ping] = daemon.requests("/mass/ping");
    expect(ping!.args[0]!.type).toBe("i");
  });

  it("sends /mass/regen with the target and typed key-value options, reports progress, returns the file", async () => {
    const { daemon, client } = await setup({ progress: [0.25, 0.75], regenOut: "/out/a.wav" });
    const fractions: number[] = [];
    const result = await client.regen("/x/target.wav", { variety: 0.5, k: 16, fit: "loop", seed: 4294967295, folder: undefined }, (f) => fractions.push(f));
    expect(result).toEqual({ outPath: "/out/a.wav", durationSec: 2.5, units: 40 });
    expect(fractions).toEqual([0.25, 0.75]);
    const [regen] = daemon.requests("/mass/regen");
    expect(regen!.args.slice(1)).toEqual([
      { type: "s", value: "/x/target.wav" },
      { type: "s", value: "variety" },
      { type: "f", value: 0.5 },
      { type: "s", value: "k" },
      { type: "i", value: 16 },
      { type: "s", value: "fit" },
      { type: "s", value: "loop" },
      { type: "s", value: "seed" },
      { type: "s", value: "4294967295" },
    ]);
  });

  it("gathers /mass/find/hit messages in rank order until /mass/find/done", async () => {
    const hits = [1, 2, 3].map((rank) => ({ rank, path: `/s/${rank}.flac`, start: rank * 0.5, end: rank * 0.5 + 0.25, distance: rank / 10, category: rank === 2 ? "" : "kick" }));
    const { client } = await setup({ hits });
    const found = await client.find("/x/t.wav", { k: 3 });
    expect(found.map((h) => h.rank)).toEqual([1, 2, 3]);
    expect(found[1]).toEqual({ rank: 2, path: "/s/2.flac", startSec: 1, endSec: 1.25, distance: expect.closeTo(0.2, 6), category: "" });
  });

  it("turns /mass/error into a DaemonError carrying the protocol code", async () => {
    const { client } = await setup({ errors: { "/mass/regen": ["not_found", "no such file: /x.wav"] } });
    const error = await client.regen("/x.wav").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DaemonError);
    expect((error as DaemonError).code).toBe("not_found");
    expect((error as DaemonError).message).toContain("/x.wav");
  });

  it("times out a request nobody answers, naming the address and the daemon", async () => {
    const { daemon, client } = await setup({ silent: new Set(["/mass/status"]) }, { controlMs: 50 });
    const error = await client.status().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DaemonTimeoutError);
    expect((error as Error).message).toContain(`/mass/status from 127.0.0.1:${daemon.port}`);
  });

  it("keeps a regeneration alive while progress arrives, longer than its idle timeout in total", async () => {
    const { client } = await setup({ progress: [0.2, 0.4, 0.6, 0.8], progressGapMs: 40 }, { regenIdleMs: 120 });
    const result = await client.regen("/x.wav");
    expect(result.units).toBe(40);
  });

  it("fails with a timeout when no daemon listens at all", async () => {
    const nobody = await FakeDaemon.start({ silent: new Set(["/mass/ping"]) });
    const port = nobody.port;
    await nobody.close();
    const client = await MassAudioClient.open({ port, timeouts: { pingMs: 80 } });
    open.push(client);
    await expect(client.ping()).rejects.toBeInstanceOf(DaemonTimeoutError);
  });

  it("two clients share one daemon, each getting its own replies on its own port", async () => {
    const { daemon, client } = await setup({ version: "1" });
    const other = await MassAudioClient.open({ port: daemon.port });
    open.push(other);
    expect(other.localPort).not.toBe(client.localPort);
    const [a, b] = await Promise.all([client.status(), other.ping()]);
    expect(a.units).toBe(120);
    expect(b).toBe("1");
  });

  it("delivers events pushed to subscribers", async () => {
    const { daemon, client } = await setup();
    const events: DaemonEvent[] = [];
    client.onEvent((e) => events.push(e));
    expect(await client.subscribe(true)).toBe(true);
    const { oscInt, oscString } = await import("../../../src/adapters/max/osc-codec.js");
    daemon.push("/mass/event/progress", [oscInt(4), oscInt(10), oscInt(1234)]);
    daemon.push("/mass/event/file", [oscString("added"), oscString("/s/new.wav")]);
    await expect.poll(() => events.length).toBe(2);
    expect(events).toEqual([
      { kind: "progress", filesDone: 4, filesTotal: 10, units: 1234 },
      { kind: "file", change: "added", path: "/s/new.wav" },
    ]);
  });

  it("lists roots and sets the MIDI target", async () => {
    const { client } = await setup();
    expect(await client.roots("list")).toEqual(["/a", "/b"]);
    expect(await client.setTarget("/t.wav", { variety: 0.1 })).toBe("/t.wav");
  });

  it("writes options as key value pairs and skips unset ones", () => {
    expect(optionArguments({ a: 1, b: undefined, c: "x" }).map((arg) => arg.value)).toEqual(["a", 1, "c", "x"]);
  });
});
