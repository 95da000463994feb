/**
 * OSC 1.0 packets <-> messages with typed arguments. Decoding goes through the codec of the `osc` package
 * (osc.js, loaded without its transports); bundles are flattened into their messages (time tags are not
 * honoured: every request runs on arrival), and any malformed packet is one `OscDecodeError`. Replies are
 * written here directly for the types they use (int, float, string: the same bytes as osc.js, several
 * times faster) and by osc.js for any other type.
 */
import { Buffer } from "node:buffer";
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

/** Argument types written here directly (the replies' own); any other goes through osc.js. */
function fastArgBytes(arg: OscArg): number {
  switch (arg.type) {
    case "i":
    case "f":
      return typeof arg.value === "number" ? 4 : -1;
    case "d":
      return typeof arg.value === "number" ? 8 : -1;
    case "s":
    case "S":
      return typeof arg.value === "string" ? stringBytes(arg.value) : -1;
    case "T":
    case "F":
    case "N":
      return 0;
    default:
      return -1;
  }
}

/** Bytes of an OSC string: UTF-8, at least one NUL, padded to a multiple of 4. */
function stringBytes(text: string): number {
  return (Buffer.byteLength(text, "utf8") + 4) & ~3;
}

/** Size of a message written by `writeFast`, or -1 when an argument needs osc.js. */
function fastMessageBytes(address: string, args: readonly OscArg[]): number {
  let size = stringBytes(address) + ((args.length + 2 + 3) & ~3); // type tags: "," + one per argument + NUL
  for (const arg of args) {
    const bytes = fastArgBytes(arg);
    if (bytes < 0) return -1;
    size += bytes;
  }
  return size;
}

/** Writes a message at `offset` of a zero-filled buffer (padding stays zero). @returns the end offset. */
function writeFast(out: Buffer, offset: number, address: string, args: readonly OscArg[]): number {
  let at = offset;
  at += (out.write(address, at, "utf8") + 4) & ~3;
  out[at] = 0x2c; // ","
  for (let i = 0; i < args.length; i++) out.write(args[i]!.type, at + 1 + i, "latin1");
  at += (args.length + 2 + 3) & ~3;
  for (const arg of args) {
    switch (arg.type) {
      case "i":
        out.writeInt32BE((arg.value as number) | 0, at); // ToInt32, as osc.js's DataView.setInt32
        at += 4;
        break;
      case "f":
        out.writeFloatBE(arg.value as number, at);
        at += 4;
        break;
      case "d":
        out.writeDoubleBE(arg.value as number, at);
        at += 8;
        break;
      case "s":
      case "S":
        at += (out.write(arg.value as string, at, "utf8") + 4) & ~3;
        break;
      default:
        break; // T F N: no data
    }
  }
  return at;
}

/** One message's bytes: written directly for the reply types, by osc.js otherwise. */
function messageBytes(address: string, args: readonly OscArg[]): Uint8Array {
  const size = fastMessageBytes(address, args);
  if (size < 0) return codec.writePacket({ address, args: args as OscArg[] }, { metadata: true });
  const out = Buffer.alloc(size);
  writeFast(out, 0, address, args);
  return out;
}

/**
 * Encodes one message.
 * @throws Error when an argument cannot be written (a type osc.js does not write).
 */
export function encodeMessage(address: string, args: readonly OscArg[]): Uint8Array {
  return messageBytes(address, args);
}

export interface OscMessageOut {
  readonly address: string;
  readonly args: readonly OscArg[];
}

/** "#bundle\0" and the time tag "immediately" (NTP 0.1, OSC 1.0): the first 16 bytes of every bundle. */
const BUNDLE_HEADER = Uint8Array.of(0x23, 0x62, 0x75, 0x6e, 0x64, 0x6c, 0x65, 0, 0, 0, 0, 0, 0, 0, 0, 1);

/** Encodes a bundle of messages (immediate time tag). */
export function encodeBundle(messages: readonly OscMessageOut[]): Uint8Array {
  const parts = messages.map((m) => messageBytes(m.address, m.args));
  return bundleOf(parts);
}

function bundleOf(parts: readonly Uint8Array[]): Uint8Array {
  let size = BUNDLE_HEADER.byteLength;
  for (const part of parts) size += 4 + part.byteLength;
  const out = Buffer.allocUnsafe(size);
  out.set(BUNDLE_HEADER, 0);
  let at = BUNDLE_HEADER.byteLength;
  for (const part of parts) {
    out.writeInt32BE(part.byteLength, at);
    out.set(part, at + 4);
    at += 4 + part.byteLength;
  }
  return out;
}

/**
 * Largest reply datagram: 4 KiB. Well under what common OSC receivers read in one go (python-osc's
 * socketserver: 8 KiB; Max, Pd, SuperCollider, osc.js: 64 KiB), and one page of loopback traffic.
 */
export const MAX_REPLY_DATAGRAM_BYTES = 4096;

/**
 * The datagrams that carry `messages` in order, as few as fit: consecutive messages share an OSC bundle
 * (time tag "immediately"; every OSC receiver unpacks it into its messages, in order) as long as the bundle
 * stays within `maxBytes`; a message that would be alone, or that is bigger on its own, goes as a plain
 * message.
 * @throws Error when an argument cannot be written (a type osc.js does not write).
 */
export function encodeDatagrams(messages: readonly OscMessageOut[], maxBytes = MAX_REPLY_DATAGRAM_BYTES): Uint8Array[] {
  const out: Uint8Array[] = [];
  let group: Uint8Array[] = [];
  let groupBytes = BUNDLE_HEADER.byteLength;
  const flush = (): void => {
    if (group.length === 1) out.push(group[0]!);
    else if (group.length > 1) out.push(bundleOf(group));
    group = [];
    groupBytes = BUNDLE_HEADER.byteLength;
  };
  for (const message of messages) {
    const bytes = messageBytes(message.address, message.args);
    if (group.length > 0 && groupBytes + 4 + bytes.byteLength > maxBytes) flush();
    group.push(bytes);
    groupBytes += 4 + bytes.byteLength;
  }
  flush();
  return out;
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
