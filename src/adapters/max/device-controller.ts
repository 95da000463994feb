/**
 * What the Node for Max script of the device does, host-agnostic: messages from the patch (handlers
 * registered on a `max-api`-shaped port) become OSC requests to the daemon; replies and daemon events
 * become outlet messages for the patch. node.script cannot reach the Live API, so a finished render
 * leaves as `insert PATH` and the patch routes it to the `js` Live API script.
 *
 * Messages in: `target PATH`, `param KEY VALUE`, `folder TEXT`, `category TEXT`, `regen`, `find`,
 * `pick INDEX`, `status`, `connect`, `daemon PATH`.
 * Messages out: `ready`, `status TEXT` (index line), `message TEXT` (last action), `insert PATH`,
 * `menu clear` / `menu append LABEL` (find hits), `daemon PATH` (the configured executable).
 */
import { existsSync } from "node:fs";
import { basename } from "node:path";
import { MassAudioError } from "../../core/errors.js";
import {
  DEFAULT_DAEMON_HOST,
  DEFAULT_DAEMON_PORT,
  MassAudioClient,
  type DaemonEvent,
  type DaemonStatus,
  type FindHit,
  type RequestOptions,
  type RequestTimeouts,
} from "./osc-client.js";
import { deviceDefaults, decodeDeviceValue, type DeviceParameterKey } from "./device-parameters.js";
import {
  daemonLogPath,
  launchDaemon,
  planDaemonLaunch,
  readDeviceSettings,
  writeDeviceSettings,
  type DeviceSettings,
} from "./daemon-launcher.js";
import { joinAtoms, maxPathToNative } from "./max-paths.js";

/** The part of `max-api` the device uses (the real module exists only inside Max). */
export interface MaxPort {
  addHandler(selector: string, handler: (...args: Array<string | number>) => unknown): void;
  outlet(...args: Array<string | number>): unknown;
  post(...args: Array<string | number>): unknown;
}

/** Starts the daemon; resolves when the process exists. */
export type DaemonLauncher = (settings: { command: string | undefined; host: string; port: number }) => Promise<unknown>;

export interface DeviceControllerOptions {
  /** Machine settings file (daemon command, host, port); none when undefined. */
  readonly settingsPath?: string;
  /** Overrides the settings file. */
  readonly settings?: DeviceSettings;
  readonly timeouts?: Partial<RequestTimeouts>;
  readonly launcher?: DaemonLauncher;
  /** How long to wait for the first pong after starting the daemon. */
  readonly startTimeoutMs?: number;
  /** Interval of ping attempts while the daemon starts. */
  readonly startPollMs?: number;
  /** Status refresh interval; 0 = only on request and on events. */
  readonly statusIntervalMs?: number;
}

const DEFAULT_START_TIMEOUT_MS = 20_000; // loading a large index snapshot takes a few seconds
const DEFAULT_START_POLL_MS = 250;
const DEFAULT_STATUS_INTERVAL_MS = 5_000;
/** Paths of own renders remembered to tell them from MIDI-triggered ones in `/mass/event/regen`. */
const RECENT_RESULTS = 32;

const defaultLauncher: DaemonLauncher = async ({ command, host, port }) => launchDaemon(planDaemonLaunch({ command, host, port }), daemonLogPath());

function describe(error: unknown): string {
  if (error instanceof MassAudioError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

function formatSeconds(value: number): string {
  return Number.isFinite(value) ? value.toFixed(2) : "?";
}

export function hitLabel(hit: FindHit): string {
  const category = hit.category ? ` [${hit.category}]` : "";
  return `${hit.rank}. ${basename(hit.path)} ${formatSeconds(hit.startSec)}-${formatSeconds(hit.endSec)} s${category}`;
}

export function statusLine(status: DaemonStatus): string {
  const base = `${status.units} units in ${status.files} files`;
  const failed = status.failed > 0 ? ` · ${status.failed} failed` : "";
  const indexing = status.indexing || status.pending > 0 ? ` · indexing, ${status.pending} pending` : "";
  return base + failed + indexing;
}

export class DeviceController {
  private client: MassAudioClient | undefined;
  private settings: DeviceSettings = {};
  private target: string | undefined;
  private folder: string | undefined;
  private category: string | undefined;
  private readonly params: Record<DeviceParameterKey, number | string> = deviceDefaults();
  private hits: FindHit[] = [];
  private readonly recentResults: string[] = [];
  private regensInFlight = 0;
  private readonly deferredEvents: string[] = [];
  private connecting: Promise<boolean> | undefined;
  private subscribed = false;
  private statusTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly max: MaxPort,
    private readonly options: DeviceControllerOptions = {},
  ) {}

  /** Registers the handlers, opens the OSC socket, tells the patch it is ready, then connects (starting the daemon if needed). */
  async start(): Promise<void> {
    this.settings = this.options.settings ?? (this.options.settingsPath ? await readDeviceSettings(this.options.settingsPath) : {});
    this.register();
    this.client = await MassAudioClient.open({ host: this.host, port: this.port, timeouts: this.options.timeouts ?? {} });
    this.client.onEvent((event) => this.onDaemonEvent(event));
    this.max.outlet("ready");
    if (this.settings.daemonCommand) this.max.outlet("daemon", this.settings.daemonCommand);
    const interval = this.options.statusIntervalMs ?? DEFAULT_STATUS_INTERVAL_MS;
    if (interval > 0) {
      this.statusTimer = setInterval(() => void this.refreshStatus(false), interval);
      this.statusTimer.unref();
    }
    await this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.statusTimer);
    this.client?.close();
  }

  private get host(): string {
    return this.settings.host ?? DEFAULT_DAEMON_HOST;
  }

  private get port(): number {
    return this.settings.port ?? DEFAULT_DAEMON_PORT;
  }

  private register(): void {
    const on = (selector: string, handler: (...args: Array<string | number>) => Promise<void> | void): void => {
      this.max.addHandler(selector, (...args) => {
        void Promise.resolve()
          .then(() => handler(...args))
          .catch((error: unknown) => this.say(`error: ${describe(error)}`));
      });
    };
    on("target", (...atoms) => this.setTarget(atoms));
    on("param", (key, ...value) => this.setParam(String(key), value));
    on("folder", (...atoms) => {
      this.folder = this.filterText(atoms);
    });
    on("category", (...atoms) => {
      this.category = this.filterText(atoms);
    });
    on("regen", () => this.regen());
    on("find", () => this.find());
    on("pick", (index) => this.pick(Number(index)));
    on("status", () => this.refreshStatus(true));
    on("connect", async () => {
      await this.connect();
    });
    on("daemon", (...atoms) => this.setDaemonCommand(atoms));
  }

  private say(text: string): void {
    this.max.outlet("message", text);
  }

  private setTarget(atoms: Array<string | number>): void {
    const raw = joinAtoms(atoms);
    if (raw === "" || raw === "bang") {
      this.target = undefined;
      return;
    }
    this.target = maxPathToNative(raw, existsSync);
    this.say(`target: ${basename(this.target)}`);
  }

  private setParam(key: string, value: Array<string | number>): void {
    const raw = value.length === 1 && typeof value[0] === "number" ? value[0] : joinAtoms(value);
    this.params[key as DeviceParameterKey] = decodeDeviceValue(key, raw);
  }

  /** textedit sends `text WORDS...` (or the words alone): the filter, or none when empty. */
  private filterText(atoms: Array<string | number>): string | undefined {
    const words = atoms[0] === "text" ? atoms.slice(1) : atoms;
    const text = joinAtoms(words);
    return text === "" ? undefined : text;
  }

  private async setDaemonCommand(atoms: Array<string | number>): Promise<void> {
    const words = atoms[0] === "text" ? atoms.slice(1) : atoms;
    const command = joinAtoms(words);
    this.settings = { ...this.settings, daemonCommand: command === "" ? undefined : maxPathToNative(command, existsSync) };
    if (this.options.settingsPath) await writeDeviceSettings(this.options.settingsPath, this.settings);
    this.say(command === "" ? "daemon: mass-audio on PATH" : `daemon: ${this.settings.daemonCommand}`);
  }

  /** Folder globs of the folder field: comma-separated, sent as repeated `folder` options. */
  private folders(): string[] | undefined {
    const globs = this.folder?.split(",").map((glob) => glob.trim()).filter((glob) => glob !== "");
    return globs && globs.length > 0 ? globs : undefined;
  }

  /** Regen: every control plus the filters. */
  private regenOptions(): RequestOptions {
    return { ...this.params, folder: this.folders(), category: this.category };
  }

  /** Find takes a hit count and the filters (its `pitch` is a range, not the regen pitch mode). */
  private findOptions(): RequestOptions {
    return { k: this.params.k, folder: this.folders(), category: this.category };
  }

  /** Pings; starts the daemon when nothing answers; subscribes to index events. False when no daemon could be reached. */
  private connect(): Promise<boolean> {
    this.connecting ??= this.connectOnce().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connectOnce(): Promise<boolean> {
    const client = this.requireClient();
    try {
      const version = await client.ping();
      await this.afterConnect(version, false);
      return true;
    } catch {
      // No pong: start the daemon below.
    }
    const loopback = this.host.startsWith("127.") || this.host === "localhost";
    if (!loopback) {
      this.say(`no mass-audio daemon answers at ${this.host}:${this.port} (not started from here: not a local address)`);
      return false;
    }
    this.max.outlet("status", "starting mass-audio daemon...");
    const launcher = this.options.launcher ?? defaultLauncher;
    try {
      await launcher({ command: this.settings.daemonCommand, host: this.host, port: this.port });
    } catch (error) {
      this.max.outlet("status", "no daemon");
      this.say(describe(error));
      this.max.post(`mass-audio: ${describe(error)}`);
      return false;
    }
    const deadline = Date.now() + (this.options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);
    const pollMs = this.options.startPollMs ?? DEFAULT_START_POLL_MS;
    while (!this.stopped && Date.now() < deadline) {
      try {
        const version = await client.ping();
        await this.afterConnect(version, true);
        return true;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, pollMs));
      }
    }
    const command = this.settings.daemonCommand ?? "mass-audio";
    this.max.outlet("status", "no daemon");
    const log = this.options.launcher ? "" : ` (its output: ${daemonLogPath()})`;
    this.say(`started "${command} serve" but nothing answers on ${this.host}:${this.port}${log}; run it in a terminal to see why`);
    return false;
  }

  private async afterConnect(version: string, started: boolean): Promise<void> {
    const client = this.requireClient();
    this.say(`${started ? "started" : "connected to"} mass-audio ${version} on ${this.host}:${this.port}`);
    try {
      this.subscribed = await client.subscribe(true);
    } catch (error) {
      this.subscribed = false;
      this.say(`subscribe failed: ${describe(error)}`);
    }
    await this.refreshStatus(false);
  }

  private requireClient(): MassAudioClient {
    if (!this.client) throw new MassAudioError("not_started", "the device script has not started yet");
    return this.client;
  }

  private async refreshStatus(verbose: boolean): Promise<void> {
    try {
      const status = await this.requireClient().status();
      this.max.outlet("status", statusLine(status));
      if (!this.subscribed) this.subscribed = await this.requireClient().subscribe(true);
    } catch (error) {
      this.subscribed = false;
      this.max.outlet("status", "daemon not answering");
      if (verbose) this.say(describe(error));
    }
  }

  private requireTarget(): string | undefined {
    if (this.target === undefined) this.say("drop an audio clip or file on the device first");
    return this.target;
  }

  private async regen(): Promise<void> {
    const target = this.requireTarget();
    if (target === undefined || !(await this.connect())) return;
    const name = basename(target);
    this.say(`regenerating ${name}...`);
    this.regensInFlight += 1;
    try {
      const result = await this.requireClient().regen(target, this.regenOptions(), (fraction) => {
        this.say(`regenerating ${name}... ${Math.round(Math.min(1, Math.max(0, fraction)) * 100)}%`);
      });
      this.remember(result.outPath);
      this.say(`${basename(result.outPath)}: ${formatSeconds(result.durationSec)} s, ${result.units} units`);
      this.max.outlet("insert", result.outPath);
    } catch (error) {
      this.say(`regenerate failed: ${describe(error)}`);
    } finally {
      this.regensInFlight -= 1;
      if (this.regensInFlight === 0) this.flushDeferredEvents();
    }
  }

  private async find(): Promise<void> {
    const target = this.requireTarget();
    if (target === undefined || !(await this.connect())) return;
    this.say(`finding units like ${basename(target)}...`);
    try {
      this.hits = await this.requireClient().find(target, this.findOptions());
      this.max.outlet("menu", "clear");
      for (const hit of this.hits) this.max.outlet("menu", "append", hitLabel(hit));
      this.say(this.hits.length === 0 ? "no units found (is the corpus indexed?)" : `${this.hits.length} units found: pick one to insert its file`);
    } catch (error) {
      this.say(`find failed: ${describe(error)}`);
    }
  }

  private pick(index: number): void {
    const hit = this.hits[index];
    if (!hit) {
      this.say(`no find result ${index}`);
      return;
    }
    this.say(`${hitLabel(hit)} (unit at ${formatSeconds(hit.startSec)} s)`);
    this.max.outlet("insert", hit.path);
  }

  private remember(path: string): void {
    this.recentResults.push(path);
    if (this.recentResults.length > RECENT_RESULTS) this.recentResults.shift();
  }

  private onDaemonEvent(event: DaemonEvent): void {
    if (event.kind === "progress") {
      this.max.outlet("status", `indexing ${event.filesDone}/${event.filesTotal} files · ${event.units} units`);
      return;
    }
    if (event.kind === "regen") {
      // The daemon announces every render, ours too; ours may be announced before its /done arrives.
      if (this.regensInFlight > 0) this.deferredEvents.push(event.outPath);
      else this.insertForeignRender(event.outPath);
    }
  }

  private flushDeferredEvents(): void {
    for (const path of this.deferredEvents.splice(0)) this.insertForeignRender(path);
  }

  private insertForeignRender(path: string): void {
    if (this.recentResults.includes(path)) return;
    this.remember(path);
    this.say(`MIDI regeneration: ${basename(path)}`);
    this.max.outlet("insert", path);
  }
}
