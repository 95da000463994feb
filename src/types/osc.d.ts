/**
 * The parts of the `osc` package (osc.js 2.4) that mass-audio uses. The package ships no types.
 *
 * `osc/src/osc.js` is the codec alone (no transports, no `ws`/serialport loading): the daemon decodes
 * and encodes packets with it over `node:dgram`. `osc` (the Node entry) adds the transports; only the
 * codec functions and `UDPPort`'s basic surface are declared for it.
 */

declare module "osc/src/osc.js" {
  /** An argument with its OSC type tag (`metadata: true`). Arrays (`[...]`) arrive as nested arrays. */
  export interface OscTypedArg {
    readonly type: string;
    readonly value: unknown;
  }
  export type OscArgument = OscTypedArg | OscArgument[];

  export interface OscMessage {
    readonly address: string;
    readonly args: OscArgument[];
  }

  export interface OscBundle {
    readonly timeTag: { readonly raw: [number, number]; readonly native: number };
    readonly packets: OscPacket[];
  }

  export type OscPacket = OscMessage | OscBundle;

  export interface OscReadOptions {
    /** Arguments as `{ type, value }` (true) instead of bare values. */
    readonly metadata?: boolean;
    /** A single argument as itself instead of a one-element array (default true). */
    readonly unpackSingleArgs?: boolean;
  }

  export interface OscWriteOptions {
    /** Arguments are given as `{ type, value }` (true); otherwise types are inferred. */
    readonly metadata?: boolean;
  }

  /** @throws Error on any malformed input (bad header, type tag, truncated data). */
  export function readPacket(data: Uint8Array, options?: OscReadOptions): OscPacket;
  /** @throws Error when the packet is not a message or bundle or an argument cannot be written. */
  export function writePacket(packet: OscPacket | { address: string; args: OscTypedArg[] }, options?: OscWriteOptions): Uint8Array;
  /** An NTP time tag `secs` seconds from now (or from `now` ms since the epoch). */
  export function timeTag(secs?: number, now?: number): { raw: [number, number]; native: number };

  const osc: {
    readPacket: typeof readPacket;
    writePacket: typeof writePacket;
    timeTag: typeof timeTag;
  };
  export default osc;
}

declare module "osc" {
  import type { EventEmitter } from "node:events";
  import type { OscPacket, OscReadOptions, OscWriteOptions } from "osc/src/osc.js";

  export type { OscArgument, OscBundle, OscMessage, OscPacket, OscTypedArg } from "osc/src/osc.js";

  export interface UDPPortOptions {
    localAddress?: string;
    localPort?: number;
    remoteAddress?: string;
    remotePort?: number;
    metadata?: boolean;
    broadcast?: boolean;
  }

  export class UDPPort extends EventEmitter {
    constructor(options: UDPPortOptions);
    open(): void;
    close(): void;
    send(packet: OscPacket, address?: string, port?: number): void;
  }

  export const readPacket: (data: Uint8Array, options?: OscReadOptions) => OscPacket;
  export const writePacket: (packet: OscPacket, options?: OscWriteOptions) => Uint8Array;

  const osc: { UDPPort: typeof UDPPort; readPacket: typeof readPacket; writePacket: typeof writePacket };
  export default osc;
}
