import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OscReply } from "../../../src/adapters/osc/osc-client.js";
import { fuzzPackets } from "../../../bench/osc-fuzz.js";
import { openDaemonFixture, type DaemonFixture } from "./helpers.js";

/** Packets in flight before the client waits for the daemon to catch up (keeps loopback buffers from overflowing). */
const WINDOW = 250;

function idOf(reply: OscReply): number | string {
  return reply.args[0]!.value as number | string;
}

describe("OSC fuzz: 10,000 malformed packets and wrong requests (seeded)", () => {
  let fx: DaemonFixture;

  beforeAll(async () => {
    fx = await openDaemonFixture("osc-fuzz", ["bd_haus.flac", "sn_dub.flac", "loop_amen.flac"]);
  }, 60_000);

  afterAll(async () => {
    await fx.close();
  });

  it("answers every wrong request with /mass/error, every undecodable packet with bad_packet, and still answers a ping", async () => {
    const packets = fuzzPackets(20260501, 10_000, { audioPath: join(fx.root, "bd_haus.flac"), folder: fx.root });
    const expected = new Map<string, readonly string[]>();
    let idless = 0;
    for (const packet of packets) {
      for (const error of packet.expected) {
        if (error.id === "") idless++;
        else expected.set(String(error.id), error.codes);
      }
    }
    const undecodable = packets.filter((p) => p.undecodable).length;
    expect(undecodable).toBeGreaterThan(1000);
    expect(expected.size).toBeGreaterThan(5000);

    const replies: OscReply[] = [];
    const stop = fx.client.onMessage((reply) => replies.push(reply));
    for (let start = 0; start < packets.length; start += WINDOW) {
      for (const packet of packets.slice(start, start + WINDOW)) fx.client.sendBytes(packet.bytes);
      await fx.client.request("/mass/ping", [], { timeoutMs: 10_000 }); // the daemon has read the window
      await fx.server.idle();
    }
    const [pong] = await fx.client.request("/mass/ping");
    expect(pong!.address).toBe("/mass/pong");
    await new Promise((resolve) => setTimeout(resolve, 100));
    stop();

    const errors = replies.filter((r) => r.address === "/mass/error");
    const byId = new Map<string, OscReply[]>();
    for (const error of errors) {
      const key = String(idOf(error));
      byId.set(key, [...(byId.get(key) ?? []), error]);
    }
    const unanswered: string[] = [];
    const wrongCode: string[] = [];
    for (const [id, codes] of expected) {
      const got = byId.get(id);
      if (!got || got.length !== 1) unanswered.push(`${id}: ${got?.length ?? 0} errors`);
      else if (!codes.includes(String(got[0]!.args[1]!.value))) wrongCode.push(`${id}: ${String(got[0]!.args[1]!.value)} (${String(got[0]!.args[2]!.value)}), expected ${codes.join("|")}`);
    }
    expect(unanswered.slice(0, 10)).toEqual([]);
    expect(wrongCode.slice(0, 10)).toEqual([]);
    const badPackets = errors.filter((e) => e.args[1]!.value === "bad_packet");
    expect(badPackets.length).toBe(undecodable);
    for (const error of badPackets) expect(idOf(error)).toBe("");
    const idlessErrors = errors.filter((e) => idOf(e) === "" && e.args[1]!.value === "bad_arguments");
    expect(idlessErrors.length).toBeGreaterThanOrEqual(idless);
    expect(fx.lines.filter((line) => line["msg"] === "request failed")).toEqual([]);
  });
});
