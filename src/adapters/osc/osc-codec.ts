/**
 * OSC 1.0 packets <-> messages with typed arguments, over the codec of the `osc` package (osc.js, loaded
 * without its transports). Bundles are flattened into their messages (time tags are not honoured: every
 * request runs on arrival). Decoding never trusts the input: any malformed packet is one `OscDecodeError`.
 */
import osc from "osc/src/osc.js";
import type { OscArgument, OscPacket, OscReadOptions, OscWriteOptions } from "osc/src/osc.js";

/** The codec functions used, typed here (src/types/osc.d.ts declares the module). */
interface OscCodec {
  readPacket(data: Uint8Array, options?: OscReadOptions): OscPacket;
  writePacket(packet: OscPacket | { address: string; args: OscArg[] }, options?: OscWriteOptions): Uint8Array;
}
const codec = osc as unknown as OscCodec;

/** An argument with its OSC type tag: i int32, h int64, f float32, d float64, s/S string, T/F, N, I, b blob, t, c, r, m; `[` an array. */
export interface OscArg {
  readonly type: string;
  readonly value: unknown;
}

export interface OscMessageIn {
  readonly address: string;
  readonly args: readonly OscArg[];
}

/** Messages read from one packet at most: 256 (a bundle may nest more; the rest are refused). */
export const MAX_MESSAGES_PER_PACKET = 256;
/** Longest text sent in a reply argument: 2000 characters (a reply must fit one UDP datagram). */
const MAX_REPLY_TEXT = 2000;

export class OscDecodeError extends Error {}

const READ_OPTIONS = { metadata: true, unpackSingleArgs: false } as const;

function toArg(arg: OscArgument): OscArg {
  return Array.isArray(arg) ? { type: "[", value: arg } : arg;
}

/**
 * Decodes a datagram into its messages (a bundle gives its messages in order).
 * @throws OscDecodeError when the bytes are not an OSC message or bundle.
 */
export function decodePacket(data: Uint8Array): OscMessageIn[] {
  // osc.js reads blobs relative to the underlying buffer's start: give it a buffer of its own.
  const bytes = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : Uint8Array.prototype.slice.call(data);
  let packet: OscPacket;
  try {
    if (bytes.byteLength === 0) throw new Error("empty packet");
    packet = codec.readPacket(bytes, READ_OPTIONS);
  } catch (error) {
    throw new OscDecodeError(`not an OSC packet: ${(error as Error).message}`.slice(0, 300));
  }
  const out: OscMessageIn[] = [];
  const walk = (p: OscPacket): void => {
    if ("address" in p) {
      if (out.length >= MAX_MESSAGES_PER_PACKET) throw new OscDecodeError(`more than ${MAX_MESSAGES_PER_PACKET} messages in one packet`);
      out.push({ address: p.address, args: p.args.map(toArg) });
    } else {
      for (const inner of p.packets) walk(inner);
    }
  };
  walk(packet);
  return out;
}

/** Text safe to send: no NUL (it ends an OSC string), bounded length. */
function safeText(text: string): string {
  const clean = text.includes("\u0000") ? text.split("\u0000").join("\uFFFD") : text;
  return clean.length > MAX_REPLY_TEXT ? `${clean.slice(0, MAX_REPLY_TEXT - 3)}...` : clean;
}

export function oscInt(value: number): OscArg {
  return { type: "i", value: Number.isFinite(value) ? Math.max(-2147483648, Math.min(2147483647, Math.trunc(value))) : 0 };
}

export function oscFloat(value: number): OscArg {
  return { type: "f", value };
}

export function oscString(value: string): OscArg {
  return { type: "s", value: safeText(value) };
}

/**
 * Encodes one message.
 * @throws Error when an argument cannot be written (a type osc.js does not write).
 */
export function encodeMessage(address: string, args: readonly OscArg[]): Uint8Array {
  return codec.writePacket({ address, args: args as OscArg[] }, { metadata: true });
}

/** Encodes a bundle of messages (immediate time tag). */
export function encodeBundle(messages: readonly { address: string; args: readonly OscArg[] }[]): Uint8Array {
  return codec.writePacket(
    { timeTag: { raw: [0, 1], native: 0 }, packets: messages.map((m) => ({ address: m.address, args: m.args as OscArg[] })) },
    { metadata: true },
  );
}

/** A number from an int32, int64 (osc.js `Long`), float32 or float64 argument; undefined otherwise. */
export function numberOf(arg: OscArg): number | undefined {
  switch (arg.type) {
    case "i":
    case "f":
    case "d":
      return typeof arg.value === "number" ? arg.value : undefined;
    case "h": {
      const long = arg.value as { high?: unknown; low?: unknown } | null;
      if (long && typeof long.high === "number" && typeof long.low === "number") return long.high * 4294967296 + (long.low >>> 0);
      return undefined;
    }
    default:
      return undefined;
  }
}

/** A string from an `s` or `S` argument; undefined otherwise. */
export function stringOf(arg: OscArg): string | undefined {
  return (arg.type === "s" || arg.type === "S") && typeof arg.value === "string" ? arg.value : undefined;
}
