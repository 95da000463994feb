import { describe, expect, it } from "vitest";
import { MassAudioError } from "../../../src/core/errors.js";
import { decodeOscPacket, encodeOscMessage, oscFloat, oscInt, oscString, oscValue } from "../../../src/adapters/max/osc-codec.js";
import { encodeDatagrams, oscFloat as daemonFloat, oscInt as daemonInt, oscString as daemonString } from "../../../src/adapters/osc/osc-codec.js";

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

describe("osc-codec", () => {
  it("encodes an OSC 1.0 message byte for byte (address, type tags, int32, float32, string, 4-byte padding)", () => {
    const bytes = encodeOscMessage("/mass/ping", [oscInt(7), oscFloat(0.5), oscString("ab")]);
    // "/mass/ping\0\0" ",ifs\0\0\0\0" int32 7, float32 0.5 = 0x3f000000, "ab\0\0"
    expect(hex(bytes)).toBe("2f6d6173732f70696e670000" + "2c69667300000000" + "00000007" + "3f000000" + "61620000");
  });

  it("decodes what it encodes, keeping the argument types (an int id stays an int)", () => {
    const bytes = encodeOscMessage("/mass/regen/done", [oscInt(42), oscString("/tmp/out é.wav"), oscFloat(2.25), oscInt(40)]);
    expect(decodeOscPacket(bytes)).toEqual([
      { address: "/mass/regen/done", args: [{ type: "i", value: 42 }, { type: "s", value: "/tmp/out é.wav" }, { type: "f", value: 2.25 }, { type: "i", value: 40 }] },
    ]);
  });

  it("gives option values their natural type: int32 ints, wider ints as decimal strings, floats, booleans as 0/1", () => {
    expect(oscValue(16)).toEqual({ type: "i", value: 16 });
    expect(oscValue(4294967295)).toEqual({ type: "s", value: "4294967295" });
    expect(oscValue(0.25)).toEqual({ type: "f", value: 0.25 });
    expect(oscValue(true)).toEqual({ type: "i", value: 1 });
    expect(oscValue("loop")).toEqual({ type: "s", value: "loop" });
  });

  it("rejects a datagram that is not OSC with a bad_packet error", () => {
    expect(() => decodeOscPacket(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))).toThrow(MassAudioError);
    let code = "";
    try {
      decodeOscPacket(new TextEncoder().encode("hello\0\0\0"));
    } catch (error) {
      code = (error as MassAudioError).code;
    }
    expect(code).toBe("bad_packet");
  });

  it("reads the daemon's find replies from one bundle datagram: every hit in order, then done", () => {
    const id = daemonInt(12);
    const hits = [1, 2, 3].map((rank) => ({
      address: "/mass/find/hit",
      args: [id, daemonInt(rank), daemonString(`/Samples/k${rank}.wav`), daemonFloat(0.5), daemonFloat(0.75), daemonFloat(rank / 4), daemonString("kick")],
    }));
    const [datagram, ...rest] = encodeDatagrams([...hits, { address: "/mass/find/done", args: [id, daemonInt(3)] }]);
    expect(rest).toHaveLength(0);
    const decoded = decodeOscPacket(datagram!);
    expect(decoded.map((m) => m.address)).toEqual(["/mass/find/hit", "/mass/find/hit", "/mass/find/hit", "/mass/find/done"]);
    expect(decoded[1]).toEqual({
      address: "/mass/find/hit",
      args: [oscInt(12), oscInt(2), oscString("/Samples/k2.wav"), oscFloat(0.5), oscFloat(0.75), oscFloat(0.5), oscString("kick")],
    });
    expect(decoded[3]!.args).toEqual([oscInt(12), oscInt(3)]);
  });

  it("rejects an int outside int32 and an address without a leading slash", () => {
    expect(() => oscInt(2 ** 31)).toThrow(/int32/);
    expect(() => encodeOscMessage("mass/ping", [])).toThrow(/must start with/);
  });
});
