/**
 * A loopback OSC client for the daemon's protocol (tests, benchmarks, scripts): sends requests with an
 * id, collects the replies carrying that id up to the request's last reply (or `/mass/error`), and hands
 * pushed events and unmatched replies to listeners.
 */
import { createSocket, type Socket } from "node:dgram";
import { isIPv6 } from "node:net";
import { performance } from "node:perf_hooks";
import { OSC_REQUESTS, type RequestAddress } from "./address-table.js";
import { decodePacket, encodeMessage, numberOf, stringOf, type OscArg } from "./osc-codec.js";

export interface OscReply {
  readonly address: string;
  readonly args: readonly OscArg[];
  /** performance.now() at arrival. */
  readonly receivedAt: number;
}

/** An argument: an int (`i`) for integers, a float (`f`) otherwise, a string (`s`), a boolean (T/F), or typed. */
export type ClientArg = number | string | boolean | OscArg;

interface Pending {
  readonly terminal: ReadonlySet<string>;
  readonly replies: OscReply[];
  readonly resolve: (replies: OscReply[]) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

function toArg(arg: ClientArg): OscArg {
  if (typeof arg === "object") return arg;
  if (typeof arg === "boolean") return { type: arg ? "T" : "F", value: arg };
  if (typeof arg === "string") return { type: "s", value: arg };
  return Number.isInteger(arg) && Math.abs(arg) < 2 ** 31 ? { type: "i", value: arg } : { type: "f", value: arg };
}

function idKey(arg: OscArg | undefined): string | undefined {
  if (!arg) return undefined;
  const text = stringOf(arg);
  if (text !== undefined) return `s:${text}`;
  const number = numberOf(arg);
  return number === undefined ? undefined : `n:${number}`;
}

export class OscClient {
  private readonly socket: Socket;
  private readonly host: string;
  private readonly port: number;
  private readonly pending = new Map<string, Pending>();
  private readonly listeners = new Set<(reply: OscReply) => void>();
  private nextId = 1;

  private constructor(socket: Socket, host: string, port: number) {
    this.socket = socket;
    this.host = host;
    this.port = port;
    socket.on("message", (data) => this.onDatagram(data));
  }

  /** Opens a client socket on an ephemeral loopback port aimed at `host:port`. */
  static async open(options: { host?: string; port: number; receiveBufferBytes?: number }): Promise<OscClient> {
    const host = options.host ?? "127.0.0.1";
    const socket = createSocket({ type: isIPv6(host) ? "udp6" : "udp4" });
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(0, host, () => {
        socket.off("error", reject);
        resolve();
      });
    });
    if (options.receiveBufferBytes) socket.setRecvBufferSize(options.receiveBufferBytes);
    return new OscClient(socket, host, options.port);
  }

  /** The client's own UDP port. */
  get localPort(): number {
    return this.socket.address().port;
  }

  /** Every datagram's messages that are not a reply to a pending request (events, `bad_packet` errors...). */
  onMessage(listener: (reply: OscReply) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private onDatagram(data: Buffer): void {
    const receivedAt = performance.now();
    let messages;
    try {
      messages = decodePacket(data);
    } catch {
      return;
    }
    for (const message of messages) {
      const reply: OscReply = { address: message.address, args: message.args, receivedAt };
      const key = idKey(message.args[0]);
      const pending = key === undefined || message.address.startsWith("/mass/event/") ? undefined : this.pending.get(key);
      if (!pending) {
        for (const listener of this.listeners) listener(reply);
        continue;
      }
      pending.replies.push(reply);
      if (pending.terminal.has(message.address)) {
        clearTimeout(pending.timer);
        this.pending.delete(key!);
        pending.resolve(pending.replies);
      }
    }
  }

  /** Sends a message as it is (no id added). */
  send(address: string, args: readonly ClientArg[] = []): void {
    this.sendBytes(encodeMessage(address, args.map(toArg)));
  }

  /** Sends raw bytes (fuzzing). */
  sendBytes(data: Uint8Array): void {
    this.socket.send(data, this.port, this.host);
  }

  /** A fresh request id (int). */
  newId(): number {
    return this.nextId++;
  }

  /**
   * Sends `address id ...args` and resolves with every reply carrying the id, up to the request's last
   * reply (per the address table) or `/mass/error`.
   * @throws Error after `timeoutMs` (default 5 s) without the last reply.
   */
  request(address: RequestAddress | string, args: readonly ClientArg[] = [], options: { id?: number | string; timeoutMs?: number } = {}): Promise<OscReply[]> {
    const id = options.id ?? this.newId();
    const idArg = toArg(id);
    const key = idKey(idArg)!;
    const spec = (OSC_REQUESTS as Record<string, { replies: readonly { address: string }[] }>)[address];
    const last = spec?.replies[spec.replies.length - 1]?.address;
    const terminal = new Set(["/mass/error", ...(last ? [last] : [])]);
    return new Promise<OscReply[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(key);
        reject(new Error(`${address} id ${String(id)}: no reply within ${options.timeoutMs ?? 5000} ms`));
      }, options.timeoutMs ?? 5000);
      this.pending.set(key, { terminal, replies: [], resolve, reject, timer });
      this.send(address, [idArg, ...args]);
    });
  }

  async close(): Promise<void> {
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new Error("client closed"));
    }
    this.pending.clear();
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}
