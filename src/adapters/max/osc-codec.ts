/**
 * OSC 1.0 messages with explicit argument types, over the `osc` package's pure-JS codec. Types are
 * always explicit (metadata mode): a request id sent as int must come back as int, and a JS number
 * alone cannot say whether it is an int32 or a float32.
 */
import osc, { type OscArgument as OscJsArgument, type OscPacket } from "osc/src/osc.js";
import { MassAudioError } from "../../core/errors.js";

/** One typed OSC argument: int32, float32, string, float64, int64 (as number), true/false. */
export type OscArgument =
  | { readonly type: "i"; readonly value: number }
  | { readonly type: "f"; readonly value: number }
  | { readonly type: "d"; readonly value: number }
  | { readonly type: "h"; readonly value: number }
  | { readonly type: "s"; readonly value: string }
  | { readonly type: "T"; readonly value: true }
  | { readonly type: "F"; readonly value: false };

export interface OscMessage {
  readonly address: string;
  readonly args: readonly OscArgument[];
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** An int32 argument. @throws MassAudioError when `value` is not an integer in int32 range. */
export function oscInt(value: number): OscArgument {
  if (!Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX) {
    throw new MassAudioError("bad_osc_argument", `OSC int: ${value} is not an int32`);
  }
  return { type: "i", value };
}

export function oscFloat(value: number): OscArgument {
  return { type: "f", value };
}

export function oscString(value: string): OscArgument {
  return { type: "s", value };
}

/**
 * The natural OSC type of an option value: integers in int32 range as `i`, other integers (a seed up
 * to 2^32-1) as a decimal string (parsed like a CLI flag on the daemon side), other numbers as `f`,
 * booleans as `i` 0/1, strings as `s`.
 */
export function oscValue(value: number | string | boolean): OscArgument {
  if (typeof value === "string") return oscString(value);
  if (typeof value === "boolean") return oscInt(value ? 1 : 0);
  if (Number.isInteger(value)) return value >= INT32_MIN && value <= INT32_MAX ? oscInt(value) : oscString(String(value));
  return oscFloat(value);
}

/** Encodes one message. @throws MassAudioError when the address does not start with "/". */
export function encodeOscMessage(address: string, args: readonly OscArgument[]): Uint8Array {
  if (!address.startsWith("/")) throw new MassAudioError("bad_osc_address", `OSC address must start with "/", got "${address}"`);
  return osc.writePacket({ address, args: args.map((arg) => ({ type: arg.type, value: arg.value })) }, { metadata: true });
}

function toArgument(raw: OscJsArgument): OscArgument | undefined {
  if (Array.isArray(raw)) return undefined; // OSC arrays: not used by the protocol
  switch (raw.type) {
    case "i":
    case "f":
    case "d":
      return typeof raw.value === "number" ? ({ type: raw.type, value: raw.value } as OscArgument) : undefined;
    case "h": {
      // osc.js reads int64 as a Long object (low/high words).
      const long = raw.value as { low?: number; high?: number } | undefined;
      if (long && typeof long.low === "number" && typeof long.high === "number") {
        return { type: "h", value: long.high * 4294967296 + (long.low >>> 0) };
      }
      return undefined;
    }
    case "s":
      return typeof raw.value === "string" ? { type: "s", value: raw.value } : undefined;
    case "T":
      return { type: "T", value: true };
    case "F":
      return { type: "F", value: false };
    default:
      return undefined;
  }
}

function collect(packet: OscPacket, out: OscMessage[]): void {
  if ("address" in packet) {
    const args: OscArgument[] = [];
    for (const raw of packet.args) {
      const arg = toArgument(raw);
      // Types the protocol never uses (blobs, colours, MIDI) are kept out rather than guessed.
      if (arg === undefined) return;
      args.push(arg);
    }
    out.push({ address: packet.address, args });
    return;
  }
  for (const inner of packet.packets) collect(inner, out);
}

/**
 * Decodes one UDP datagram: a message, or every message of a bundle (nested bundles flattened).
 * Messages with argument types outside the protocol are dropped.
 * @throws MassAudioError (`bad_packet`) when the datagram is not OSC.
 */
export function decodeOscPacket(bytes: Uint8Array): OscMessage[] {
  let packet: OscPacket;
  try {
    packet = osc.readPacket(bytes, { metadata: true, unpackSingleArgs: false });
  } catch (error) {
    throw new MassAudioError("bad_packet", `not an OSC packet: ${(error as Error).message}`, { cause: error });
  }
  const out: OscMessage[] = [];
  collect(packet, out);
  return out;
}

/** The plain value of an argument (numbers for i/f/d/h, strings, booleans). */
export function argValue(arg: OscArgument | undefined): number | string | boolean | undefined {
  return arg?.value;
}
