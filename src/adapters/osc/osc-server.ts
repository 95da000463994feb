/**
 * The OSC adapter: a UDP server (node:dgram) that decodes each datagram, validates it against the address
 * table, runs it on the daemon and answers the sender's address and port. Every request ends in its
 * replies or in `/mass/error id code message`; an undecodable datagram gets `/mass/error "" bad_packet`.
 * Requests run concurrently (a find never waits for a regeneration); subscribers get the daemon's events.
 */
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { isIPv6 } from "node:net";
import type { Daemon, DaemonEvents, DaemonLog } from "../daemon/daemon.js";
import { errorCodeOf, messageOf, type RequestErrorCode } from "../daemon/request-error.js";
import type { RequestAddress } from "./address-table.js";
import { decodePacket, encodeDatagrams, encodeMessage, oscFloat, oscInt, oscString, OscDecodeError, type OscArg, type OscMessageIn, type OscMessageOut } from "./osc-codec.js";
import { NO_ID, parseOscRequest, type OscRequest } from "./osc-request.js";

export interface OscServerOptions {
  readonly daemon: Daemon;
  /** Address to bind: default 127.0.0.1 (loopback only). */
  readonly host?: string;
  /** UDP port: default 9000; 0 picks a free one. */
  readonly port?: number;
  readonly log: DaemonLog;
  /** Subscribers kept (the oldest is dropped beyond): default 32. */
  readonly maxSubscribers?: number;
  /** Kernel receive buffer: default 4 MiB (requests that arrive while the main thread renders wait there). */
  readonly receiveBufferBytes?: number;
}

export const DEFAULT_OSC_HOST = "127.0.0.1";
export const DEFAULT_OSC_PORT = 9000;
/** Subscribers: 32 clients (device instances, patches, controllers). */
const DEFAULT_MAX_SUBSCRIBERS = 32;
/** Receive buffer: 4 MiB, about 20,000 small requests. */
const DEFAULT_RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

interface Peer {
  readonly address: string;
  readonly port: number;
}

type Handler = (request: OscRequest, peer: Peer) => Promise<void>;

export class OscServer {
  readonly host: string;
  readonly port: number;
  private readonly socket: Socket;
  private readonly daemon: Daemon;
  private readonly log: DaemonLog;
  private readonly maxSubscribers: number;
  private readonly subscribers = new Map<string, Peer>();
  private readonly detach: (() => void)[] = [];
  private closed = false;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly handlers: Record<RequestAddress, Handler>;

  private constructor(socket: Socket, options: OscServerOptions) {
    this.socket = socket;
    this.daemon = options.daemon;
    this.log = options.log;
    this.maxSubscribers = options.maxSubscribers ?? DEFAULT_MAX_SUBSCRIBERS;
    const address = socket.address();
    this.host = address.address;
    this.port = address.port;
    this.handlers = this.createHandlers();
    socket.on("message", (data, rinfo) => this.onDatagram(data, rinfo));
    socket.on("error", (error) => this.log.warn({ err: error.message }, "OSC socket error"));
    this.forwardEvents();
  }

  /**
   * Binds the UDP socket and starts answering.
   * @throws Error when the address cannot be bound (port in use, bad host).
   */
  static async start(options: OscServerOptions): Promise<OscServer> {
    const host = options.host ?? DEFAULT_OSC_HOST;
    const socket = createSocket({ type: isIPv6(host) ? "udp6" : "udp4" });
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      socket.once("error", onError);
      socket.bind(options.port ?? DEFAULT_OSC_PORT, host, () => {
        socket.off("error", onError);
        resolve();
      });
    });
    try {
      socket.setRecvBufferSize(options.receiveBufferBytes ?? DEFAULT_RECEIVE_BUFFER_BYTES);
      socket.setSendBufferSize(options.receiveBufferBytes ?? DEFAULT_RECEIVE_BUFFER_BYTES);
    } catch (error) {
      options.log.debug({ err: messageOf(error) }, "cannot enlarge the UDP buffers");
    }
    return new OscServer(socket, options);
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  // ---------------------------------------------------------------- receive

  private onDatagram(data: Buffer, rinfo: RemoteInfo): void {
    if (this.closed) return;
    const peer: Peer = { address: rinfo.address, port: rinfo.port };
    let messages: OscMessageIn[];
    try {
      messages = decodePacket(data);
    } catch (error) {
      const message = error instanceof OscDecodeError ? error.message : `not an OSC packet: ${messageOf(error)}`;
      this.log.debug({ from: `${peer.address}:${peer.port}`, bytes: data.byteLength }, "bad packet");
      this.sendError(peer, NO_ID, "bad_packet", message);
      return;
    }
    for (const message of messages) void this.handle(message, peer);
  }

  private async handle(message: OscMessageIn, sender: Peer): Promise<void> {
    const parsed = parseOscRequest(message);
    const peer: Peer = parsed.replyPort === undefined ? sender : { address: sender.address, port: parsed.replyPort };
    if (!parsed.ok) {
      this.sendError(peer, parsed.id, parsed.error.code, parsed.error.message);
      return;
    }
    const request = parsed.request;
    const started = performance.now();
    this.inFlight++;
    try {
      await this.handlers[request.address](request, peer);
      this.log.debug({ address: request.address, id: request.id.value, ms: Number((performance.now() - started).toFixed(2)) }, "request");
    } catch (error) {
      const code = errorCodeOf(error);
      if (code === "internal") this.log.error({ address: request.address, err: messageOf(error), stack: (error as Error).stack }, "request failed");
      else this.log.debug({ address: request.address, code, err: messageOf(error) }, "request refused");
      this.sendError(peer, request.id, code, messageOf(error));
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  private createHandlers(): Record<RequestAddress, Handler> {
    const daemon = this.daemon;
    const roots = (request: OscRequest, peer: Peer, paths: readonly string[]): void =>
      this.reply(peer, "/mass/roots/reply", request.id, paths.map(oscString));
    return {
      "/mass/ping": async (request, peer) => this.reply(peer, "/mass/pong", request.id, [oscString(daemon.version)]),
      "/mass/find": async (request, peer) => {
        const result = await daemon.find(request.args[0]!, request.options);
        // One bundle (a few for long paths or a large k) instead of one datagram per hit: each send is a
        // system call, which dominated the cost of a find.
        const messages: OscMessageOut[] = result.hits.map((hit, i) => ({
          address: "/mass/find/hit",
          args: [
            request.id,
            oscInt(i + 1),
            oscString(hit.path),
            oscFloat(hit.startSec),
            oscFloat(hit.endSec),
            oscFloat(hit.distance),
            oscString(hit.categories.join(",")),
          ],
        }));
        messages.push({ address: "/mass/find/done", args: [request.id, oscInt(result.hits.length)] });
        for (const datagram of encodeDatagrams(messages)) this.sendBytes(peer, datagram);
      },
      "/mass/regen": async (request, peer) => {
        const result = await daemon.regen({
          targetPath: request.args[0]!,
          options: request.options,
          source: "osc",
          onProgress: (fraction) => this.reply(peer, "/mass/regen/progress", request.id, [oscFloat(fraction)]),
        });
        this.reply(peer, "/mass/regen/done", request.id, [oscString(result.outPath), oscFloat(result.seconds), oscInt(result.units)]);
      },
      "/mass/status": async (request, peer) => {
        const status = daemon.status();
        this.reply(peer, "/mass/status/reply", request.id, [
          oscInt(status.files),
          oscInt(status.units),
          oscInt(status.pending),
          oscInt(status.failed),
          oscInt(status.indexing ? 1 : 0),
        ]);
      },
      "/mass/roots/add": async (request, peer) => roots(request, peer, await daemon.addRoot(request.args[0]!)),
      "/mass/roots/remove": async (request, peer) => roots(request, peer, await daemon.removeRoot(request.args[0]!)),
      "/mass/roots/list": async (request, peer) => roots(request, peer, daemon.listRoots()),
      "/mass/subscribe": async (request, peer) => {
        this.subscribe(peer);
        this.reply(peer, "/mass/subscribed", request.id, [oscInt(1)]);
      },
      "/mass/unsubscribe": async (request, peer) => {
        this.subscribers.delete(peerKey(peer));
        this.reply(peer, "/mass/subscribed", request.id, [oscInt(0)]);
      },
      "/mass/target": async (request, peer) => {
        const path = await daemon.setTarget(request.args[0]!, request.options);
        this.reply(peer, "/mass/target/reply", request.id, [oscString(path)]);
      },
      "/mass/preset/save": async (request, peer) => {
        await daemon.savePreset(request.args[0]!);
        this.reply(peer, "/mass/preset/reply", request.id, [oscString(request.args[0]!)]);
      },
      "/mass/preset/load": async (request, peer) => {
        await daemon.loadPreset(request.args[0]!);
        this.reply(peer, "/mass/preset/reply", request.id, [oscString(request.args[0]!)]);
      },
      "/mass/preset/list": async (request, peer) => {
        this.reply(peer, "/mass/preset/list/reply", request.id, (await daemon.presets.list()).map(oscString));
      },
    };
  }

  // ---------------------------------------------------------------- subscribers

  private subscribe(peer: Peer): void {
    const key = peerKey(peer);
    this.subscribers.delete(key);
    this.subscribers.set(key, peer);
    while (this.subscribers.size > this.maxSubscribers) {
      const oldest = this.subscribers.keys().next().value as string;
      this.subscribers.delete(oldest);
      this.log.info({ dropped: oldest }, "too many subscribers: dropped the oldest");
    }
  }

  private forwardEvents(): void {
    const daemon = this.daemon;
    const on = <E extends keyof DaemonEvents>(event: E, listener: (...args: DaemonEvents[E]) => void): void => {
      daemon.on(event, listener as never);
      this.detach.push(() => daemon.off(event, listener as never));
    };
    on("progress", (p) => this.broadcast("/mass/event/progress", [oscInt(p.filesDone), oscInt(p.filesTotal), oscInt(p.units)]));
    on("file", (e) => this.broadcast("/mass/event/file", [oscString(e.kind), oscString(e.path)]));
    on("root", (e) => this.broadcast("/mass/event/root", [oscString(e.path), oscString(e.status)]));
    on("regen", (r) => this.broadcast("/mass/event/regen", [oscString(r.outPath), oscInt(r.units)]));
  }

  private broadcast(address: string, args: readonly OscArg[]): void {
    if (this.subscribers.size === 0) return;
    const data = encodeMessage(address, args);
    for (const peer of this.subscribers.values()) this.sendBytes(peer, data);
  }

  // ---------------------------------------------------------------- send

  private reply(peer: Peer, address: string, id: OscArg, args: readonly OscArg[]): void {
    this.sendBytes(peer, encodeMessage(address, [id, ...args]));
  }

  private sendError(peer: Peer, id: OscArg, code: RequestErrorCode, message: string): void {
    this.reply(peer, "/mass/error", id, [oscString(code), oscString(message)]);
  }

  private sendBytes(peer: Peer, data: Uint8Array): void {
    if (this.closed) return;
    this.socket.send(data, peer.port, peer.address, (error) => {
      if (error) this.log.debug({ to: `${peer.address}:${peer.port}`, err: error.message }, "send failed");
    });
  }

  /** Resolves when no request is being handled. */
  async idle(): Promise<void> {
    if (this.inFlight === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops receiving; requests still running can no longer reply. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const detach of this.detach.splice(0)) detach();
    this.subscribers.clear();
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}

function peerKey(peer: Peer): string {
  return `${peer.address}:${peer.port}`;
}
