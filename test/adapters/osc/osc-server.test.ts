import { createSocket } from "node:dgram";
import { copyFile, mkdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OSC_REQUESTS } from "../../../src/adapters/osc/address-table.js";
import { OscClient, type OscReply } from "../../../src/adapters/osc/osc-client.js";
import { decodePacket, encodeMessage, oscInt, oscString } from "../../../src/adapters/osc/osc-codec.js";
import { readWholeFile } from "../../../src/io/audio-reader.js";
import { CC0_CORPUS } from "../../corpus/helpers.js";
import { openDaemonFixture, type DaemonFixture } from "./helpers.js";

function values(reply: OscReply): unknown[] {
  return reply.args.map((arg) => arg.value);
}

function expectError(replies: OscReply[], code: string, pattern?: RegExp): void {
  const last = replies[replies.length - 1]!;
  expect(last.address).toBe("/mass/error");
  expect(last.args[1]?.value).toBe(code);
  if (pattern) expect(String(last.args[2]?.value)).toMatch(pattern);
}

/** Waits until `check` holds (events arrive asynchronously). */
async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("OSC server round trips (real UDP, real corpus)", () => {
  let fx: DaemonFixture;
  const seen = new Set<string>();
  const request = async (address: string, args: (string | number | boolean)[] = [], options: { id?: number | string; timeoutMs?: number } = {}): Promise<OscReply[]> => {
    seen.add(address);
    return fx.client.request(address, args, options);
  };

  beforeAll(async () => {
    fx = await openDaemonFixture("osc", undefined, { maxQueuedRegens: 1 });
  }, 60_000);

  afterAll(async () => {
    await fx.close();
  });

  it("/mass/ping answers /mass/pong with the version, echoing an int id as int and a string id as string", async () => {
    const [pong] = await request("/mass/ping", [], { id: 42 });
    expect(pong!.address).toBe("/mass/pong");
    expect(pong!.args[0]).toEqual({ type: "i", value: 42 });
    expect(pong!.args[1]).toEqual({ type: "s", value: "0.0.0-test" });
    const [named] = await request("/mass/ping", [], { id: "device-7" });
    expect(named!.args[0]).toEqual({ type: "s", value: "device-7" });
  });

  it("/mass/find sends one hit per neighbour (rank, path, start, end, distance, category) then done", async () => {
    const target = join(fx.root, "bd_fat.flac");
    const replies = await request("/mass/find", [target, "k", 3]);
    expect(replies.map((r) => r.address)).toEqual(["/mass/find/hit", "/mass/find/hit", "/mass/find/hit", "/mass/find/done"]);
    replies.slice(0, 3).forEach((hit, i) => {
      const [, rank, path, start, end, distance, category] = values(hit) as [number, number, string, number, number, number, string];
      expect(hit.args.map((a) => a.type).join("")).toBe("iisfffs");
      expect(rank).toBe(i + 1);
      expect(path.startsWith(fx.root)).toBe(true);
      expect(path).not.toBe(target); // the query unit itself is left out
      expect(end).toBeGreaterThan(start);
      expect(distance).toBeGreaterThanOrEqual(0);
      expect(typeof category).toBe("string");
    });
    expect(values(replies[3]!)[1]).toBe(3);
    const distances = replies.slice(0, 3).map((r) => values(r)[5] as number);
    expect([...distances].sort((a, b) => a - b)).toEqual(distances);
  });

  it("/mass/find answers in one datagram: an OSC bundle of the hits in rank order, then done", async () => {
    const socket = createSocket("udp4");
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    try {
      const datagrams: Buffer[] = [];
      socket.on("message", (data) => datagrams.push(data));
      socket.send(encodeMessage("/mass/find", [oscString("raw-1"), oscString(join(fx.root, "sn_dub.flac")), oscString("k"), oscInt(4)]), fx.server.port, "127.0.0.1");
      await until(() => datagrams.length >= 1);
      await new Promise((resolve) => setTimeout(resolve, 50)); // nothing else follows
      expect(datagrams).toHaveLength(1);
      expect(datagrams[0]!.subarray(0, 8).toString("latin1")).toBe("#bundle\u0000");
      const messages = decodePacket(datagrams[0]!);
      expect(messages.map((m) => m.address)).toEqual([...Array<string>(4).fill("/mass/find/hit"), "/mass/find/done"]);
      expect(messages.map((m) => m.args[0]!.value)).toEqual(Array<string>(5).fill("raw-1"));
      expect(messages.slice(0, 4).map((m) => m.args[1]!.value)).toEqual([1, 2, 3, 4]);
      expect(messages[4]!.args[1]).toEqual({ type: "i", value: 4 });
    } finally {
      socket.close();
    }
  });

  it("/mass/find takes at, filters and weights as key value pairs (CLI flag names, any case)", async () => {
    const replies = await request("/mass/find", [join(fx.root, "bd_fat.flac"), "at", 0, "K", 5, "category", "kick", "weights", "timbre=1,pitch=0"]);
    const hits = replies.filter((r) => r.address === "/mass/find/hit");
    expect(hits.length).toBeGreaterThan(0);
    for (const hit of hits) expect(String(values(hit)[6])).toContain("kick");
    expect(replies[replies.length - 1]!.address).toBe("/mass/find/done");
    const excluded = await request("/mass/find", [join(fx.root, "bd_fat.flac"), "category", "kick", "exclude-file", join(fx.root, "bd_haus.flac")]);
    expect(excluded.some((r) => r.address === "/mass/find/hit" && values(r)[2] === join(fx.root, "bd_haus.flac"))).toBe(false);
  });

  it("/mass/find errors: not_found, forbidden_path, bad_option, bad_arguments", async () => {
    expectError(await request("/mass/find", [join(fx.root, "missing.flac")]), "not_found", /no such file/);
    expectError(await request("/mass/find", ["Samples/bd_fat.flac"]), "forbidden_path", /absolute/);
    expectError(await request("/mass/find", ["/etc/passwd"]), "forbidden_path", /not an audio file/);
    expectError(await request("/mass/find", [join(fx.root, "bd_fat.flac"), "colour", "red"]), "bad_option", /unknown option "colour"/);
    expectError(await request("/mass/find", [join(fx.root, "bd_fat.flac"), "k", 0]), "bad_option", /k/);
    expectError(await request("/mass/find", [join(fx.root, "bd_fat.flac"), "k", "many"]), "bad_option", /k: expected a number/);
    expectError(await request("/mass/find", [join(fx.root, "bd_fat.flac"), "weights", "loud=2"]), "bad_option", /unknown group/);
    expectError(await request("/mass/find", [join(fx.root, "bd_fat.flac"), "at", 99]), "not_found", /past the end/);
    expectError(await request("/mass/find", [17]), "bad_arguments", /TARGET_PATH must be a string/);
    expectError(await request("/mass/find", []), "bad_arguments", /missing TARGET_PATH/);
    expectError(await request("/mass/find", [join(fx.root, "bd_fat.flac"), "k"]), "bad_arguments", /key value pairs/);
    expectError(await request("/mass/find", [join(fx.root, "bd_fat.flac"), 3, 4]), "bad_arguments", /key 1 must be a string/);
  });

  it("/mass/regen reports progress in 0..1, then done with a WAV in the output folder", async () => {
    const target = join(fx.root, "loop_amen.flac");
    const replies = await request("/mass/regen", [target, "seed", 7, "variety", 0.3], { timeoutMs: 30_000 });
    const progress = replies.filter((r) => r.address === "/mass/regen/progress").map((r) => values(r)[1] as number);
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress.length).toBeLessThanOrEqual(12);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
    expect(progress[0]).toBeGreaterThanOrEqual(0);
    expect(progress[progress.length - 1]).toBeCloseTo(1, 6);
    const done = replies[replies.length - 1]!;
    expect(done.address).toBe("/mass/regen/done");
    expect(done.args.map((a) => a.type).join("")).toBe("isfi");
    const [, outPath, seconds, units] = values(done) as [number, string, number, number];
    expect(outPath).toBe(join(fx.daemon.output.realPath, "loop_amen-s7.wav"));
    const written = await readWholeFile(outPath);
    const original = await readWholeFile(target);
    expect(seconds).toBeCloseTo(written.channels[0]!.length / written.info.sampleRateHz, 4);
    expect(written.channels[0]!.length).toBe(original.channels[0]!.length);
    expect(units).toBeGreaterThan(0);
    // The same seed again never overwrites the first take.
    const again = await request("/mass/regen", [target, "seed", 7, "variety", 0.3], { timeoutMs: 30_000 });
    expect(values(again[again.length - 1]!)[1]).toBe(join(fx.daemon.output.realPath, "loop_amen-s7-2.wav"));
  });

  it("/mass/regen writes an explicit out name inside the output folder; errors as find's plus bad option values", async () => {
    const target = join(fx.root, "loop_amen.flac");
    const replies = await request("/mass/regen", [target, "out", "takes/first", "fit", "loop"], { timeoutMs: 30_000 });
    const done = replies[replies.length - 1]!;
    expect(done.address).toBe("/mass/regen/done");
    expect(values(done)[1]).toBe(join(fx.daemon.output.realPath, "takes", "first.wav"));
    expect((await stat(join(fx.outDir, "takes", "first.json"))).isFile()).toBe(true);
    expectError(await request("/mass/regen", [target, "fit", "squash"]), "bad_option", /fit: expected one of trim\|loop\|stretch/);
    expectError(await request("/mass/regen", [target, "variety", 2]), "bad_option", /variety: 2 is out of range \[0, 1\]/);
    expectError(await request("/mass/regen", [target, "crossfade-ms", 5, "crossfadeMs", 500]), "bad_option", /crossfadeMs/);
    expectError(await request("/mass/regen", [target, "out", "take.mp3"]), "bad_option", /\.wav/);
    expectError(await request("/mass/regen", [join(fx.root, "nope.wav")]), "not_found");
    expectError(await request("/mass/regen", [target, "out", "../escape.wav"]), "forbidden_path", /outside the output folder/);
    expectError(await request("/mass/regen", [target, "out", join(fx.dir, "escape.wav")]), "forbidden_path", /outside the output folder/);
    await expect(stat(join(fx.dir, "escape.wav"))).rejects.toThrow();
  });

  it("/mass/regen is queued one at a time with a bound: the request beyond the bound gets busy", async () => {
    const target = join(fx.root, "loop_amen.flac");
    const ids = [101, 102, 103];
    const all = await Promise.all(ids.map((id, i) => request("/mass/regen", [target, "seed", 100 + i], { id, timeoutMs: 60_000 })));
    const outcomes = all.map((replies) => replies[replies.length - 1]!.address);
    expect(outcomes.filter((a) => a === "/mass/regen/done")).toHaveLength(2);
    const busy = all.find((replies) => replies[replies.length - 1]!.address === "/mass/error")!;
    expectError(busy, "busy", /queue is full/);
  });

  it("/mass/status reports files, units, pending, failed, indexing", async () => {
    const [reply] = await request("/mass/status");
    expect(reply!.address).toBe("/mass/status/reply");
    expect(reply!.args.map((a) => a.type).join("")).toBe("iiiiii");
    const [, files, units, pending, failed, indexing] = values(reply!) as number[];
    expect(files).toBe(7);
    expect(units).toBe(fx.service.corpus.store.counts().searchableUnits);
    expect(units).toBeGreaterThan(7);
    expect(pending).toBe(0);
    expect(failed).toBe(0);
    expect(indexing).toBe(0);
    expectError(await request("/mass/status", ["extra"]), "bad_arguments", /takes 1 argument/);
  });

  it("/mass/subscribe pushes index progress, file and regen events; /mass/unsubscribe stops them", async () => {
    const events: OscReply[] = [];
    const stopListening = fx.client.onMessage((reply) => events.push(reply));
    const [subscribed] = await request("/mass/subscribe");
    expect(values(subscribed!)).toEqual([expect.any(Number), 1]);
    expect(fx.server.subscriberCount).toBe(1);

    const second = join(fx.dir, "More");
    await mkdir(second, { recursive: true });
    await copyFile(join(CC0_CORPUS, "elec_snare.flac"), join(second, "elec_snare.flac"));
    const [roots] = await request("/mass/roots/add", [second]);
    expect(roots!.address).toBe("/mass/roots/reply");
    expect(values(roots!).slice(1)).toEqual([fx.root, second].sort());
    await until(() => events.some((e) => e.address === "/mass/event/file" && values(e)[1] === join(second, "elec_snare.flac")));
    const file = events.find((e) => e.address === "/mass/event/file")!;
    expect(values(file)).toEqual(["analysed", join(second, "elec_snare.flac")]);
    await until(() => events.some((e) => e.address === "/mass/event/progress"));
    const progress = events.filter((e) => e.address === "/mass/event/progress").pop()!;
    expect(progress.args.map((a) => a.type).join("")).toBe("iii");
    await fx.service.idle();
    await until(() => fx.daemon.status().indexing === false);
    const [status] = await request("/mass/status");
    expect(values(status!)[1]).toBe(8);

    const regen = await request("/mass/regen", [join(fx.root, "loop_amen.flac"), "seed", 3], { timeoutMs: 30_000 });
    const outPath = values(regen[regen.length - 1]!)[1];
    await until(() => events.some((e) => e.address === "/mass/event/regen"));
    const pushed = events.find((e) => e.address === "/mass/event/regen")!;
    expect(values(pushed)[0]).toBe(outPath);
    expect(pushed.args[1]!.type).toBe("i");

    const [unsubscribed] = await request("/mass/unsubscribe");
    expect(values(unsubscribed!)[1]).toBe(0);
    expect(fx.server.subscriberCount).toBe(0);
    const before = events.length;
    await request("/mass/regen", [join(fx.root, "loop_amen.flac"), "seed", 4], { timeoutMs: 30_000 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(events.slice(before).filter((e) => e.address.startsWith("/mass/event/"))).toHaveLength(0);
    stopListening();

    const [removed] = await request("/mass/roots/remove", [second]);
    expect(values(removed!).slice(1)).toEqual([fx.root]);
  });

  it("/mass/roots/list, and root errors: forbidden_path (relative), not_found (missing folder, not a root)", async () => {
    const [list] = await request("/mass/roots/list");
    expect(list!.address).toBe("/mass/roots/reply");
    expect(values(list!).slice(1)).toEqual([fx.root]);
    expectError(await request("/mass/roots/add", ["Samples"]), "forbidden_path");
    expectError(await request("/mass/roots/add", [join(fx.dir, "no-such-folder")]), "not_found");
    expectError(await request("/mass/roots/remove", [join(fx.dir, "never-added")]), "not_found", /not a root/);
    expectError(await request("/mass/roots/remove", ["relative"]), "forbidden_path");
  });

  it("/mass/target sets the current target and options; presets save, list and load them", async () => {
    const target = join(fx.root, "loop_amen.flac");
    const [set] = await request("/mass/target", [target, "variety", 0.5, "stickiness", 0.25, "category", "snare"]);
    expect(values(set!)).toEqual([expect.any(Number), target]);
    expect(fx.daemon.target).toEqual({ targetPath: target, options: { variety: 0.5, stickiness: 0.25, category: ["snare"] } });
    expectError(await request("/mass/target", [target, "out", "x.wav"]), "bad_option", /unknown option "out"/);
    expectError(await request("/mass/target", [target, "stickiness", -1]), "bad_option", /stickiness/);

    const [saved] = await request("/mass/preset/save", ["02 loose"]);
    expect(saved!.address).toBe("/mass/preset/reply");
    expect(values(saved!)[1]).toBe("02 loose");
    await request("/mass/target", [target, "variety", 0.1]);
    await request("/mass/preset/save", ["01 tight"]);
    const [list] = await request("/mass/preset/list");
    expect(list!.address).toBe("/mass/preset/list/reply");
    expect(values(list!).slice(1)).toEqual(["01 tight", "02 loose"]);
    const [loaded] = await request("/mass/preset/load", ["02 loose"]);
    expect(values(loaded!)[1]).toBe("02 loose");
    expect(fx.daemon.target.options).toEqual({ variety: 0.5, stickiness: 0.25, category: ["snare"] });
    expectError(await request("/mass/preset/load", ["03 missing"]), "not_found", /no preset/);
    expectError(await request("/mass/preset/save", ["../escape"]), "bad_arguments", /preset name/);
    expectError(await request("/mass/preset/save", []), "bad_arguments", /missing NAME/);
  });

  it("unknown addresses get unknown_address with the id echoed; a bad id type gets bad_arguments", async () => {
    const replies = await request("/mass/explode", [], { id: 9 });
    expectError(replies, "unknown_address", /\/mass\/explode/);
    expect(replies[0]!.args[0]).toEqual({ type: "i", value: 9 });
    const errors: OscReply[] = [];
    const stop = fx.client.onMessage((reply) => errors.push(reply));
    fx.client.send("/mass/ping", [true]);
    fx.client.send("/mass/ping");
    await until(() => errors.length >= 2);
    stop();
    for (const error of errors) {
      expect(error.address).toBe("/mass/error");
      expect(error.args[0]).toEqual({ type: "s", value: "" });
      expect(error.args[1]!.value).toBe("bad_arguments");
    }
  });

  it("an undecodable packet gets /mass/error \"\" bad_packet", async () => {
    const errors: OscReply[] = [];
    const stop = fx.client.onMessage((reply) => errors.push(reply));
    fx.client.sendBytes(Buffer.from("hello daemon"));
    await until(() => errors.length >= 1);
    stop();
    expect(errors[0]!.address).toBe("/mass/error");
    expect(values(errors[0]!)).toEqual(["", "bad_packet", expect.stringMatching(/not an OSC packet/)]);
  });

  it("a failure inside the service is reported as internal (output folder gone)", async () => {
    await rm(fx.outDir, { recursive: true, force: true });
    const replies = await request("/mass/regen", [join(fx.root, "loop_amen.flac"), "seed", 9]);
    expectError(replies, "internal", /folder does not exist/);
    await mkdir(fx.outDir, { recursive: true });
    expect(fx.lines.some((line) => line["msg"] === "request failed" && line["address"] === "/mass/regen")).toBe(true);
  });

  it("a trailing replyPort N sends the replies (and subscribed events) to that port of the sender's host", async () => {
    const listener = await OscClient.open({ port: fx.server.port });
    try {
      const heard: OscReply[] = [];
      const stop = listener.onMessage((reply) => heard.push(reply));
      fx.client.send("/mass/ping", [{ type: "i", value: 77 }, "replyPort", listener.localPort]);
      fx.client.send("/mass/status", ["s1", "replyPort", listener.localPort]);
      fx.client.send("/mass/nope", ["e1", "replyPort", listener.localPort]);
      await until(() => heard.length >= 3);
      stop();
      const byAddress = new Map(heard.map((r) => [r.address, values(r)]));
      expect(byAddress.get("/mass/pong")![0]).toBe(77);
      expect(byAddress.get("/mass/status/reply")![0]).toBe("s1");
      expect(byAddress.get("/mass/error")!.slice(0, 2)).toEqual(["e1", "unknown_address"]);
    } finally {
      await listener.close();
    }
  });

  it("every request address of the table was exercised here", () => {
    for (const address of Object.keys(OSC_REQUESTS)) expect(seen, address).toContain(address);
  });
});
