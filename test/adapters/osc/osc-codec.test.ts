import osc from "osc/src/osc.js";
import { describe, expect, it } from "vitest";
import { decodePacket, encodeBundle, encodeDatagrams, encodeMessage, oscFloat, oscInt, oscString, type OscArg, type OscMessageOut } from "../../../src/adapters/osc/osc-codec.js";

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

/** What osc.js itself writes for a message (the reference the direct encoder must match byte for byte). */
function reference(address: string, args: readonly OscArg[]): Uint8Array {
  return osc.writePacket({ address, args: args as OscArg[] }, { metadata: true });
}

function hit(id: OscArg, rank: number, path: string): OscMessageOut {
  return { address: "/mass/find/hit", args: [id, oscInt(rank), oscString(path), oscFloat(0.25), oscFloat(0.5), oscFloat(1.5), oscString("kick,drum")] };
}

describe("OSC codec: replies", () => {
  it("writes messages byte for byte as osc.js does (int, float, double, strings of every padding, UTF-8, T/F/N)", () => {
    const cases: [string, OscArg[]][] = [
      ["/mass/pong", [oscInt(42), oscString("0.1.0")]],
      ["/mass/find/done", [oscString("device-7"), oscInt(0)]],
      ["/a", []],
      ["/abc", [oscString(""), oscString("a"), oscString("ab"), oscString("abc"), oscString("abcd")]],
      ["/mass/find/hit", [oscInt(-3), oscInt(2147483647), oscString("/Samples/Kicks/bd é 808 ✓.wav"), oscFloat(0.1), oscFloat(-0), oscFloat(Number.NaN), oscString("kick")]],
      ["/x", [{ type: "d", value: Math.PI }, { type: "S", value: "sym" }, { type: "T", value: true }, { type: "F", value: false }, { type: "N", value: null }]],
      ["/x", [{ type: "f", value: 3.4e39 }, { type: "i", value: 2.9 }]],
    ];
    for (const [address, args] of cases) expect(hex(encodeMessage(address, args)), address).toBe(hex(reference(address, args)));
  });

  it("leaves other types to osc.js (an int64 id echoed, a blob)", () => {
    const args: OscArg[] = [{ type: "h", value: { high: 1, low: 2, unsigned: false } }, { type: "b", value: new Uint8Array([1, 2, 3]) }];
    expect(hex(encodeMessage("/x", args))).toBe(hex(reference("/x", args)));
  });

  it("writes a bundle with the time tag 'immediately' that osc.js reads back into the same messages", () => {
    const messages = [hit(oscInt(5), 1, "/a.wav"), { address: "/mass/find/done", args: [oscInt(5), oscInt(1)] }];
    const bytes = encodeBundle(messages);
    expect(hex(bytes.subarray(0, 16))).toBe("2362756e646c65000000000000000001"); // "#bundle\0", NTP 0.1
    const packet = osc.readPacket(bytes, { metadata: true, unpackSingleArgs: false }) as { timeTag: { raw: number[] } };
    expect(packet.timeTag.raw).toEqual([0, 1]);
    expect(decodePacket(bytes)).toEqual(messages.map((m) => ({ address: m.address, args: decodePacket(encodeMessage(m.address, m.args))[0]!.args })));
  });

  it("packs a find's replies into one bundle, done last; a lone message goes as a plain message", () => {
    const messages = [hit(oscInt(9), 1, "/s/a.wav"), hit(oscInt(9), 2, "/s/b.wav"), { address: "/mass/find/done", args: [oscInt(9), oscInt(2)] }];
    const datagrams = encodeDatagrams(messages);
    expect(datagrams).toHaveLength(1);
    expect(decodePacket(datagrams[0]!).map((m) => [m.address, m.args[1]!.value])).toEqual([
      ["/mass/find/hit", 1],
      ["/mass/find/hit", 2],
      ["/mass/find/done", 2],
    ]);
    const [alone] = encodeDatagrams([{ address: "/mass/find/done", args: [oscInt(9), oscInt(0)] }]);
    expect(hex(alone!)).toBe(hex(encodeMessage("/mass/find/done", [oscInt(9), oscInt(0)])));
  });

  it("splits replies into datagrams of at most the size limit, in order, each message whole", () => {
    const longPath = `/Volumes/Samples/${"very long folder name/".repeat(20)}kick.wav`; // ~460 bytes per hit
    const messages: OscMessageOut[] = Array.from({ length: 100 }, (_, i) => hit(oscString("req-1"), i + 1, longPath));
    messages.push({ address: "/mass/find/done", args: [oscString("req-1"), oscInt(100)] });
    const datagrams = encodeDatagrams(messages, 4096);
    expect(datagrams.length).toBeGreaterThanOrEqual(12); // 100 x ~480 B over 4 KiB datagrams
    for (const datagram of datagrams) expect(datagram.byteLength).toBeLessThanOrEqual(4096);
    const decoded = datagrams.flatMap((datagram) => decodePacket(datagram));
    expect(decoded.map((m) => m.address)).toEqual([...Array<string>(100).fill("/mass/find/hit"), "/mass/find/done"]);
    expect(decoded.slice(0, 100).map((m) => m.args[1]!.value)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    for (const message of decoded.slice(0, 100)) expect(message.args[2]).toEqual({ type: "s", value: longPath });
  });

  it("sends a message bigger than the limit on its own rather than dropping it", () => {
    const huge = hit(oscInt(1), 1, `/${"x".repeat(1990)}.wav`);
    const datagrams = encodeDatagrams([hit(oscInt(1), 1, "/a.wav"), huge, { address: "/mass/find/done", args: [oscInt(1), oscInt(2)] }], 1024);
    expect(datagrams).toHaveLength(3);
    expect(hex(datagrams[1]!)).toBe(hex(encodeMessage(huge.address, huge.args)));
    expect(datagrams.flatMap((d) => decodePacket(d)).map((m) => m.address)).toEqual(["/mass/find/hit", "/mass/find/hit", "/mass/find/done"]);
  });
});
