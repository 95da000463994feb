/**
 * A scripted OSC peer on a real UDP socket that answers per CONTRACTS C, for the client-side tests
 * (timeouts, errors, silence, events: things the real daemon is not asked to do on demand). The
 * end-to-end test against the real daemon is in device-controller.test.ts.
 */
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { decodeOscPacket, encodeOscMessage, oscFloat, oscInt, oscString, type OscArgument, type OscMessage } from "../../../src/adapters/max/osc-codec.js";

export interface FakeHit {
  readonly rank: number;
  readonly path: string;
  readonly start: number;
  readonly end: number;
  readonly distance: number;
  readonly category: string;
}

export interface FakeDaemonScript {
  version?: string;
  hits?: FakeHit[];
  /** Output path of every regen. */
  regenOut?: string;
  /** Progress fractions sent before /mass/regen/done, each after `progressGapMs`. */
  progress?: number[];
  progressGapMs?: number;
  /** Addresses answered with /mass/error id code message. */
  errors?: Record<string, [string, string]>;
  /** Addresses never answered. */
  silent?: Set<string>;
  status?: { files: number; units: number; pending: number; failed: number; indexing: 0 | 1 };
}

export interface Received {
  readonly message: OscMessage;
  readonly from: { readonly address: string; readonly port: number };
}

export class FakeDaemon {
  readonly received: Received[] = [];
  private readonly subscribers = new Map<string, RemoteInfo>();

  private constructor(
    private readonly socket: Socket,
    readonly script: FakeDaemonScript,
  ) {
    socket.on("message", (data, rinfo) => this.onMessage(data, rinfo));
  }

  static async start(script: FakeDaemonScript = {}, port = 0): Promise<FakeDaemon> {
    const socket = createSocket("udp4");
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(port, "127.0.0.1", () => resolve());
    });
    return new FakeDaemon(socket, script);
  }

  get port(): number {
    return this.socket.address().port;
  }

  requests(address: string): OscMessage[] {
    return this.received.filter((r) => r.message.address === address).map((r) => r.message);
  }

  /** Sends `address args` to every subscriber. */
  push(address: string, args: readonly OscArgument[]): void {
    for (const peer of this.subscribers.values()) this.send(peer, address, args);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private send(peer: RemoteInfo, address: string, args: readonly OscArgument[]): void {
    this.socket.send(encodeOscMessage(address, args), peer.port, peer.address);
  }

  private onMessage(data: Buffer, peer: RemoteInfo): void {
    let messages: OscMessage[];
    try {
      messages = decodeOscPacket(data);
    } catch {
      this.send(peer, "/mass/error", [oscString(""), oscString("bad_packet"), oscString("not OSC")]);
      return;
    }
    for (const message of messages) {
      this.received.push({ message, from: { address: peer.address, port: peer.port } });
      void this.answer(message, peer);
    }
  }

  private async answer(message: OscMessage, peer: RemoteInfo): Promise<void> {
    const id = message.args[0] ?? oscString("");
    const s = this.script;
    if (s.silent?.has(message.address)) return;
    const error = s.errors?.[message.address];
    if (error) {
      this.send(peer, "/mass/error", [id, oscString(error[0]), oscString(error[1])]);
      return;
    }
    switch (message.address) {
      case "/mass/ping":
        this.send(peer, "/mass/pong", [id, oscString(s.version ?? "0.1.0-fake")]);
        return;
      case "/mass/status": {
        const st = s.status ?? { files: 3, units: 120, pending: 0, failed: 0, indexing: 0 };
        this.send(peer, "/mass/status/reply", [id, oscInt(st.files), oscInt(st.units), oscInt(st.pending), oscInt(st.failed), oscInt(st.indexing)]);
        return;
      }
      case "/mass/subscribe":
        this.subscribers.set(`${peer.address}:${peer.port}`, peer);
        this.send(peer, "/mass/subscribed", [id, oscInt(1)]);
        return;
      case "/mass/unsubscribe":
        this.subscribers.delete(`${peer.address}:${peer.port}`);
        this.send(peer, "/mass/subscribed", [id, oscInt(0)]);
        return;
      case "/mass/find": {
        const hits = s.hits ?? [];
        // Sent in reverse rank order: the client must order them.
        for (const hit of [...hits].reverse()) {
          this.send(peer, "/mass/find/hit", [id, oscInt(hit.rank), oscString(hit.path), oscFloat(hit.start), oscFloat(hit.end), oscFloat(hit.distance), oscString(hit.category)]);
        }
        this.send(peer, "/mass/find/done", [id, oscInt(hits.length)]);
        return;
      }
      case "/mass/regen": {
        for (const fraction of s.progress ?? [0.5]) {
          await new Promise((resolve) => setTimeout(resolve, s.progressGapMs ?? 5));
          this.send(peer, "/mass/regen/progress", [id, oscFloat(fraction)]);
        }
        const out = s.regenOut ?? "/tmp/mass-audio-out/target-regen-1.wav";
        this.push("/mass/event/regen", [oscString(out), oscInt(40)]); // announced before done, as a daemon may
        this.send(peer, "/mass/regen/done", [id, oscString(out), oscFloat(2.5), oscInt(40)]);
        return;
      }
      case "/mass/target":
        this.send(peer, "/mass/target/reply", [id, message.args[1] ?? oscString("")]);
        return;
      case "/mass/roots/list":
        this.send(peer, "/mass/roots/reply", [id, oscString("/a"), oscString("/b")]);
        return;
      default:
        this.send(peer, "/mass/error", [id, oscString("unknown_address"), oscString(message.address)]);
    }
  }
}
