/**
 * Client side of the mass-audio OSC protocol (docs: CONTRACTS C, the README's OSC table) over one UDP
 * socket. Each client binds its own ephemeral port, so many device instances share one daemon without
 * port clashes: replies go back to the port a request came from. Requests carry an int id chosen here;
 * replies are matched by that id, streams (find hits, regen progress) are gathered per request, and
 * every request has a timeout (regen: an idle timeout, reset by each progress message).
 */
import { createSocket, type Socket } from "node:dgram";
import { MassAudioError } from "../../core/errors.js";
import type { DaemonStatus } from "../daemon/daemon.js";
import { argValue, decodeOscPacket, encodeOscMessage, oscInt, oscString, oscValue, type OscArgument, type OscMessage } from "./osc-codec.js";

/** The daemon's default address (CONTRACTS C). */
export const DEFAULT_DAEMON_HOST = "127.0.0.1";
export const DEFAULT_DAEMON_PORT = 9000;

export interface RequestTimeouts {
  /** Ping: short, it decides whether the daemon must be started. */
  readonly pingMs: number;
  /** Status, roots, subscribe, target. */
  readonly controlMs: number;
  /** Find: whole request. */
  readonly findMs: number;
  /** Regen: longest silence between two replies of one regeneration (progress resets it). */
  readonly regenIdleMs: number;
}

export const DEFAULT_TIMEOUTS: RequestTimeouts = {
  pingMs: 1_000, // the daemon answers pings from its main loop at once
  controlMs: 3_000,
  findMs: 15_000, // a cold index may load pages from disk first
  regenIdleMs: 120_000, // a long target renders between two progress messages
};

/** An option value as sent in `key value` pairs. */
export type OptionValue = number | string | boolean;
/** Options by key; a list is sent as the same key repeated (`folder a folder b`). */
export type RequestOptions = Readonly<Record<string, OptionValue | readonly OptionValue[] | undefined>>;

export interface FindHit {
  readonly rank: number;
  readonly path: string;
  readonly startSec: number;
  readonly endSec: number;
  readonly distance: number;
  /** "" when the file has no category. */
  readonly category: string;
}

export interface RegenResult {
  readonly outPath: string;
  readonly durationSec: number;
  readonly units: number;
}

/** The `/mass/status/reply` fields (declared with the daemon that sends them; a type only, erased in the bundle). */
export type { DaemonStatus } from "../daemon/daemon.js";

/** Messages the daemon pushes to subscribers (no request id). */
export type DaemonEvent =
  | { readonly kind: "progress"; readonly filesDone: number; readonly filesTotal: number; readonly units: number }
  | { readonly kind: "file"; readonly change: string; readonly path: string }
  | { readonly kind: "regen"; readonly outPath: string; readonly units: number };

/** The daemon answered `/mass/error`; `code` is the protocol's error code (`not_found`, `busy`, ...). */
export class DaemonError extends MassAudioError {
  constructor(code: string, message: string) {
    super(code, message);
  }
}

/** No (complete) reply within the request's timeout. */
export class DaemonTimeoutError extends MassAudioError {
  constructor(address: string, host: string, port: number, timeoutMs: number) {
    super("timeout", `no reply to ${address} from ${host}:${port} within ${timeoutMs} ms`);
  }
}

interface Pending {
  readonly address: string;
  readonly timeoutMs: number;
  timer: NodeJS.Timeout | undefined;
  readonly hits: FindHit[];
  readonly onProgress: ((fraction: number) => void) | undefined;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
}

export interface MassAudioClientOptions {
  readonly host?: string;
  readonly port?: number;
  readonly timeouts?: Partial<RequestTimeouts>;
}

const MAX_REQUEST_ID = 2147483647;

function num(arg: OscArgument | undefined): number {
  const value = argValue(arg);
  return typeof value === "number" ? value : typeof value === "string" ? Number(value) : Number.NaN;
}

function str(arg: OscArgument | undefined): string {
  const value = argValue(arg);
  return value === undefined ? "" : String(value);
}

/** `key value` pairs for the options that are set, in the order given. */
export function optionArguments(options: RequestOptions): OscArgument[] {
  const out: OscArgument[] = [];
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    const values: readonly OptionValue[] = Array.isArray(value) ? value : [value as OptionValue];
    for (const item of values) out.push(oscString(key), oscValue(item));
  }
  return out;
}

export class MassAudioClient {
  readonly host: string;
  readonly port: number;
  private readonly timeouts: RequestTimeouts;
  private readonly pending = new Map<number, Pending>();
  private readonly eventListeners = new Set<(event: DaemonEvent) => void>();
  private nextId = 1;
  private closed = false;

  private constructor(
    private readonly socket: Socket,
    options: MassAudioClientOptions,
  ) {
    this.host = options.host ?? DEFAULT_DAEMON_HOST;
    this.port = options.port ?? DEFAULT_DAEMON_PORT;
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    socket.on("message", (data) => this.receive(data));
    // A send to a closed port can surface as an async socket error (ICMP unreachable): requests time out.
    socket.on("error", () => undefined);
  }

  /**
   * Binds a UDP socket on an ephemeral port (loopback when the daemon is on loopback).
   * @throws Error when the socket cannot be bound.
   */
  static async open(options: MassAudioClientOptions = {}): Promise<MassAudioClient> {
    const socket = createSocket("udp4");
    const host = options.host ?? DEFAULT_DAEMON_HOST;
    const bindAddress = host.startsWith("127.") || host === "localhost" ? "127.0.0.1" : "0.0.0.0";
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(0, bindAddress, () => {
        socket.off("error", reject);
        resolve();
      });
    });
    return new MassAudioClient(socket, options);
  }

  /** The local UDP port replies come back to. */
  get localPort(): number {
    return this.socket.address().port;
  }

  onEvent(listener: (event: DaemonEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** `/mass/ping` -> the daemon's version. @throws DaemonTimeoutError when no daemon answers. */
  async ping(): Promise<string> {
    return (await this.request("/mass/ping", [], this.timeouts.pingMs)) as string;
  }

  async status(): Promise<DaemonStatus> {
    return (await this.request("/mass/status", [], this.timeouts.controlMs)) as DaemonStatus;
  }

  /** `/mass/find id TARGET [key value ...]` -> hits in rank order. */
  async find(targetPath: string, options: RequestOptions = {}): Promise<FindHit[]> {
    return (await this.request("/mass/find", [oscString(targetPath), ...optionArguments(options)], this.timeouts.findMs)) as FindHit[];
  }

  /** `/mass/regen id TARGET [key value ...]` -> the rendered file. `onProgress` gets fractions 0..1. */
  async regen(targetPath: string, options: RequestOptions = {}, onProgress?: (fraction: number) => void): Promise<RegenResult> {
    const args = [oscString(targetPath), ...optionArguments(options)];
    return (await this.request("/mass/regen", args, this.timeouts.regenIdleMs, onProgress)) as RegenResult;
  }

  /** `/mass/target`: the target and options MIDI note-ons regenerate. Returns the target the daemon set. */
  async setTarget(targetPath: string, options: RequestOptions = {}): Promise<string> {
    const args = [oscString(targetPath), ...optionArguments(options)];
    return (await this.request("/mass/target", args, this.timeouts.controlMs)) as string;
  }

  /** Subscribe (true) or unsubscribe (false) this client to index progress and watch events. */
  async subscribe(on: boolean): Promise<boolean> {
    return (await this.request(on ? "/mass/subscribe" : "/mass/unsubscribe", [], this.timeouts.controlMs)) as boolean;
  }

  /** `/mass/roots/add|remove|list` -> the current roots. */
  async roots(action: "add" | "remove" | "list", path?: string): Promise<string[]> {
    const args = path === undefined ? [] : [oscString(path)];
    return (await this.request(`/mass/roots/${action}`, args, this.timeouts.controlMs)) as string[];
  }

  /** Closes the socket; pending requests fail. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      this.pending.delete(id);
      pending.reject(new MassAudioError("closed", `client closed before ${pending.address} was answered`));
    }
    this.socket.close();
  }

  private request(address: string, args: readonly OscArgument[], timeoutMs: number, onProgress?: (fraction: number) => void): Promise<unknown> {
    if (this.closed) return Promise.reject(new MassAudioError("closed", "OSC client is closed"));
    const id = this.nextId;
    this.nextId = this.nextId >= MAX_REQUEST_ID ? 1 : this.nextId + 1;
    return new Promise((resolve, reject) => {
      const pending: Pending = { address, timeoutMs, timer: undefined, hits: [], onProgress, resolve, reject };
      this.pending.set(id, pending);
      this.arm(id, pending);
      const bytes = encodeOscMessage(address, [oscInt(id), ...args]);
      this.socket.send(bytes, this.port, this.host, (error) => {
        if (error) this.settle(id, undefined, new MassAudioError("send_failed", `cannot send ${address} to ${this.host}:${this.port}: ${error.message}`));
      });
    });
  }

  private arm(id: number, pending: Pending): void {
    clearTimeout(pending.timer);
    pending.timer = setTimeout(() => {
      this.settle(id, undefined, new DaemonTimeoutError(pending.address, this.host, this.port, pending.timeoutMs));
    }, pending.timeoutMs);
  }

  private settle(id: number, value: unknown, error?: Error): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    clearTimeout(pending.timer);
    this.pending.delete(id);
    if (error) pending.reject(error);
    else pending.resolve(value);
  }

  private receive(data: Buffer): void {
    let messages: OscMessage[];
    try {
      messages = decodeOscPacket(data);
    } catch {
      return; // not OSC: nothing of ours to answer
    }
    for (const message of messages) this.handle(message);
  }

  private handle(message: OscMessage): void {
    const { address, args } = message;
    if (address.startsWith("/mass/event/")) {
      this.emitEvent(address, args);
      return;
    }
    const id = num(args[0]);
    const pending = this.pending.get(id);
    if (!pending) return; // a late reply to a request that timed out, or another client's id
    switch (address) {
      case "/mass/pong":
        this.settle(id, str(args[1]));
        return;
      case "/mass/find/hit":
        pending.hits.push({
          rank: num(args[1]),
          path: str(args[2]),
          startSec: num(args[3]),
          endSec: num(args[4]),
          distance: num(args[5]),
          category: str(args[6]),
        });
        return;
      case "/mass/find/done":
        this.settle(id, pending.hits.slice().sort((a, b) => a.rank - b.rank));
        return;
      case "/mass/regen/progress":
        this.arm(id, pending);
        pending.onProgress?.(num(args[1]));
        return;
      case "/mass/regen/done":
        this.settle(id, { outPath: str(args[1]), durationSec: num(args[2]), units: num(args[3]) } satisfies RegenResult);
        return;
      case "/mass/status/reply":
        this.settle(id, {
          files: num(args[1]),
          units: num(args[2]),
          pending: num(args[3]),
          failed: num(args[4]),
          indexing: num(args[5]) !== 0,
        } satisfies DaemonStatus);
        return;
      case "/mass/roots/reply":
        this.settle(id, args.slice(1).map(str));
        return;
      case "/mass/subscribed":
        this.settle(id, num(args[1]) !== 0);
        return;
      case "/mass/target/reply":
        this.settle(id, str(args[1]));
        return;
      case "/mass/error":
        this.settle(id, undefined, new DaemonError(str(args[1]) || "internal", str(args[2])));
        return;
      default:
        return;
    }
  }

  private emitEvent(address: string, args: readonly OscArgument[]): void {
    let event: DaemonEvent;
    if (address === "/mass/event/progress") {
      event = { kind: "progress", filesDone: num(args[0]), filesTotal: num(args[1]), units: num(args[2]) };
    } else if (address === "/mass/event/file") {
      event = { kind: "file", change: str(args[0]), path: str(args[1]) };
    } else if (address === "/mass/event/regen") {
      event = { kind: "regen", outPath: str(args[0]), units: num(args[1]) };
    } else {
      return;
    }
    for (const listener of this.eventListeners) listener(event);
  }
}
