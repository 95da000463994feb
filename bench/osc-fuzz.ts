/**
 * Seeded OSC fuzz packets for the daemon (used by the fuzz test and `npm run bench -- osc`): random and
 * damaged bytes, and well-formed requests that are wrong by construction (unknown address, missing or
 * wrongly typed arguments and options, values out of range, forbidden paths), alone or in bundles. Each
 * packet says what the daemon must answer, so a run can check that nothing went unanswered.
 */
import { createSeededRandom, type RandomSource } from "../src/core/select/seeded-random.js";
import { OSC_REQUESTS } from "../src/adapters/osc/address-table.js";
import { decodePacket, encodeBundle, encodeMessage, type OscArg } from "../src/adapters/osc/osc-codec.js";

/** A wrong request inside a packet: its id (as sent) and the error codes allowed in the answer. */
export interface ExpectedError {
  /** The id value echoed in the error ("" when the request carries no usable id). */
  readonly id: number | string;
  readonly codes: readonly string[];
}

export interface FuzzPacket {
  readonly bytes: Uint8Array;
  /** True when the bytes do not decode as OSC: the answer is `/mass/error "" bad_packet`. */
  readonly undecodable: boolean;
  /** Wrong requests in the packet, each answered by one `/mass/error`. */
  readonly expected: readonly ExpectedError[];
}

export interface FuzzContext {
  /** An existing audio file (absolute), so option errors are reached after the path checks. */
  readonly audioPath: string;
  /** A folder that is not a root. */
  readonly folder: string;
}

const ADDRESSES = Object.keys(OSC_REQUESTS);
/** First id of the requests that are damaged on purpose: 2^30. */
const DAMAGED_ID_BASE = 2 ** 30;
const WITH_PATH = ["/mass/find", "/mass/regen", "/mass/target"];
const WITHOUT_ARGS = ["/mass/ping", "/mass/status", "/mass/roots/list", "/mass/subscribe", "/mass/unsubscribe", "/mass/preset/list"];
const NEEDING_ARG = ADDRESSES.filter((a) => (OSC_REQUESTS as Record<string, { args: readonly unknown[] }>)[a]!.args.length > 0);
const WORDS = ["colour", "speed", "volume", "zzz", "kk", "seeed", "fitt", "", "🎛", "wet-dry", "layers2"];

function pick<T>(random: RandomSource, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

function int(value: number): OscArg {
  return { type: "i", value };
}

function str(value: string): OscArg {
  return { type: "s", value };
}

function randomBytes(random: RandomSource, length: number): Uint8Array {
  return Uint8Array.from({ length }, () => Math.floor(random() * 256));
}

function wrongTyped(random: RandomSource): OscArg {
  return pick<OscArg>(random, [int(Math.floor(random() * 1000)), { type: "f", value: random() }, { type: "T", value: true }, { type: "N", value: null }, { type: "b", value: randomBytes(random, 5) }]);
}

interface Built {
  readonly address: string;
  readonly args: OscArg[];
  readonly expected: ExpectedError;
}

/** A well-formed request that is wrong in exactly one way, with a unique id. */
function wrongRequest(random: RandomSource, serial: number, context: FuzzContext, intIdOnly = false): Built {
  const useString = !intIdOnly && random() < 0.3;
  const idValue: number | string = useString ? `z${serial}` : serial;
  const id = useString ? str(`z${serial}`) : int(serial);
  const expect = (codes: string[], idOverride?: number | string): ExpectedError => ({ id: idOverride ?? idValue, codes });
  const kind = Math.floor(random() * 16);
  switch (kind) {
    case 0:
      return { address: `/mass/${pick(random, WORDS)}${serial}`, args: [id], expected: expect(["unknown_address"]) };
    case 1:
      return { address: pick(random, NEEDING_ARG), args: [id], expected: expect(["bad_arguments"]) };
    case 2:
      return { address: pick(random, NEEDING_ARG), args: [id, wrongTyped(random)], expected: expect(["bad_arguments"]) };
    case 3:
      return { address: pick(random, WITHOUT_ARGS), args: [id, wrongTyped(random)], expected: expect(["bad_arguments"]) };
    case 4:
      return { address: pick(random, WITH_PATH), args: [id, str(context.audioPath), str("variety")], expected: expect(["bad_arguments"]) };
    case 5:
      return { address: pick(random, WITH_PATH), args: [id, str(context.audioPath), wrongTyped(random), str("1")], expected: expect(["bad_arguments"]) };
    case 6:
      return { address: pick(random, WITH_PATH), args: [id, str(context.audioPath), str(`${pick(random, WORDS)}x`), int(1)], expected: expect(["bad_option"]) };
    case 7:
      return { address: pick(random, WITH_PATH), args: [id, str(context.audioPath), str(random() < 0.5 ? "category" : "folder"), { type: "N", value: null }], expected: expect(["bad_option"]) };
    case 8: {
      const address = pick(random, ["/mass/regen", "/mass/target"]);
      const [key, value] = pick<[string, OscArg]>(random, [
        ["variety", { type: "f", value: 1.5 + random() * 10 }],
        ["stickiness", { type: "f", value: -0.5 - random() }],
        ["layers", int(5 + Math.floor(random() * 100))],
        ["fit", str("squash")],
        ["pitch", str("up")],
        ["seed", { type: "f", value: 0.5 }],
        ["crossfade-ms", int(1000)],
        ["segment", str("random")],
        ["include-target", str("maybe")],
      ]);
      return { address, args: [id, str(context.audioPath), str(key), value], expected: expect(["bad_option"]) };
    }
    case 9: {
      const [key, value] = pick<[string, OscArg]>(random, [
        ["k", str("many")],
        ["k", { type: "f", value: 2.5 }],
        ["at", str("later")],
        ["duration", int(3)],
        ["weights", str("loudest=9")],
        ["pitch", str("60-72")],
      ]);
      return { address: "/mass/find", args: [id, str(context.audioPath), str(key), value], expected: expect(["bad_option"]) };
    }
    case 10:
      return { address: pick(random, WITH_PATH), args: [id, str(pick(random, ["relative.wav", "../up.flac", "Samples/a.flac"]))], expected: expect(["forbidden_path"]) };
    case 11:
      return { address: pick(random, WITH_PATH), args: [id, str(pick(random, ["/etc/hosts", context.folder, "/dev/null"]))], expected: expect(["forbidden_path"]) };
    case 12:
      return { address: pick(random, WITH_PATH), args: [id, str(`${context.folder}/missing-${serial}.wav`)], expected: expect(["not_found"]) };
    case 13:
      return { address: pick(random, ["/mass/preset/save", "/mass/preset/load"]), args: [id, str(pick(random, ["../x", ".hidden", "", "a/b", " lead"]))], expected: expect(["bad_arguments"]) };
    case 14:
      return { address: pick(random, ["/mass/roots/add", "/mass/roots/remove"]), args: [id, str(pick(random, ["relative", "./here", "..", "~/Samples"]))], expected: expect(["forbidden_path"]) };
    default: {
      // An id that cannot be used: a float is echoed as it came, anything else as "".
      const float = serial + 0.5;
      const bad = pick<OscArg>(random, [{ type: "f", value: float }, { type: "T", value: true }, { type: "N", value: null }, { type: "b", value: randomBytes(random, 3) }]);
      return { address: pick(random, ADDRESSES), args: [bad], expected: { id: bad.type === "f" ? float : "", codes: ["bad_arguments"] } };
    }
  }
}

function isUndecodable(bytes: Uint8Array): boolean {
  try {
    decodePacket(bytes);
    return false;
  } catch {
    return true;
  }
}

/**
 * `count` fuzz packets from `seed`: about a third damaged or random bytes, the rest wrong requests, one in
 * eight of them bundled with others (sometimes nested).
 * @param firstId the first request id used (ids are unique within a run).
 */
export function fuzzPackets(seed: number, count: number, context: FuzzContext, firstId = 1_000_000): FuzzPacket[] {
  const random = createSeededRandom(seed);
  const packets: FuzzPacket[] = [];
  let serial = firstId;
  // Damaged copies carry int ids far from the others (>= 2^30), so a flipped bit cannot turn one into
  // the id of a request that expects its own answer.
  let damagedSerial = DAMAGED_ID_BASE;
  const damaged = (): Uint8Array => {
    const built = wrongRequest(random, damagedSerial++, context, true);
    return encodeMessage(built.address, built.args);
  };
  for (let i = 0; i < count; i++) {
    const roll = random();
    if (roll < 0.12) {
      const bytes = randomBytes(random, Math.floor(random() * 120));
      if (bytes.length > 0 && random() < 0.5) bytes[0] = 0x2f; // a leading "/" gets further into the decoder
      packets.push({ bytes, undecodable: isUndecodable(bytes), expected: [] });
    } else if (roll < 0.22) {
      const whole = damaged();
      const bytes = whole.slice(0, Math.floor(random() * whole.length));
      packets.push({ bytes, undecodable: isUndecodable(bytes), expected: [] });
    } else if (roll < 0.32) {
      const bytes = damaged();
      for (let flips = 1 + Math.floor(random() * 4); flips > 0; flips--) {
        const at = Math.floor(random() * bytes.length);
        bytes[at] = bytes[at]! ^ (1 << Math.floor(random() * 8));
      }
      packets.push({ bytes, undecodable: isUndecodable(bytes), expected: [] });
    } else if (roll < 0.41) {
      const messages: Built[] = Array.from({ length: 1 + Math.floor(random() * 4) }, () => wrongRequest(random, serial++, context));
      let bytes = encodeBundle(messages.map(({ address, args }) => ({ address, args })));
      if (random() < 0.3) {
        // A bundle inside a bundle: osc.js writes only flat bundles, so nest the bytes by hand.
        const header = encodeBundle([]);
        const size = new Uint8Array(4);
        new DataView(size.buffer).setInt32(0, bytes.length);
        bytes = Uint8Array.from([...header, ...size, ...bytes]);
      }
      packets.push({ bytes, undecodable: false, expected: messages.map((m) => m.expected) });
    } else {
      const built = wrongRequest(random, serial++, context);
      packets.push({ bytes: encodeMessage(built.address, built.args), undecodable: false, expected: [built.expected] });
    }
  }
  return packets;
}
