/**
 * `mass-audio serve [--host 127.0.0.1] [--port 9000] [--watch ROOT...] [--out DIR] [--db DIR]
 * [--midi-in NAME | --midi-virtual [NAME] | --no-midi] [--cc-variety N] ...`: the daemon. Opens the
 * corpus, answers OSC over UDP at once, catches up with the roots and watches them in the background,
 * listens to MIDI, logs structured JSON lines (pino) to stderr, and on SIGINT/SIGTERM stops taking
 * requests, lets the running regeneration finish, and closes the corpus (index snapshot, store).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Command, Option } from "commander";
import pino, { type Logger } from "pino";
import { ParameterError } from "../core/errors.js";
import { StoreError } from "../corpus/corpus-error.js";
import { resolveDataDir } from "../corpus/data-dir.js";
import { Daemon } from "../adapters/daemon/daemon.js";
import { messageOf } from "../adapters/daemon/request-error.js";
import { checkMidiMapping, DEFAULT_MIDI_CC, MIDI_CC_PARAMETERS, MidiController, type MidiCcParameter } from "../adapters/midi/midi-mapping.js";
import { DEFAULT_VIRTUAL_PORT_NAME, MidiUnavailableError, openEasymidiInput, type MidiInputPort } from "../adapters/midi/midi-port.js";
import { DEFAULT_OSC_HOST, DEFAULT_OSC_PORT, OscServer } from "../adapters/osc/osc-server.js";
import { MassAudio, type MassAudioOptions } from "../service/mass-audio.js";
import { addDbOption, addModelOption, collect, embeddingOptions, parseNumber } from "./corpus-options.js";
import { packageRoot } from "./paths.js";

export interface ServeOptions {
  readonly host?: string;
  readonly port?: number;
  /** Folders to add as roots (all roots are caught up with and watched unless `index` is false). */
  readonly watch?: readonly string[];
  /** Catch up with the roots and watch them: default true. */
  readonly index?: boolean;
  /** Output folder of regenerations; default `<data dir>/renders`. */
  readonly out?: string;
  readonly db?: string;
  /** Open this MIDI input (instead of the virtual port). */
  readonly midiIn?: string;
  /** Name of the virtual MIDI input; default "mass-audio". */
  readonly midiVirtual?: string;
  /** false: no MIDI at all. */
  readonly midi?: boolean;
  /** Only this MIDI channel (1..16). */
  readonly midiChannel?: number;
  readonly cc?: Partial<Record<MidiCcParameter, number | null>>;
  /** Regenerations waiting behind the running one before `busy`. */
  readonly queue?: number;
  readonly workers?: number;
  /** `--model`: embedding model name/folder, "none", or undefined for the corpus's own (default model when new). */
  readonly model?: string;
}

/** Where shutdown signals come from (the process, or an EventEmitter in tests). */
export interface SignalSource {
  on(event: "SIGINT" | "SIGTERM", listener: () => void): unknown;
  off(event: "SIGINT" | "SIGTERM", listener: () => void): unknown;
}

export interface ServeIo {
  /** Default: pino JSON lines on stderr. */
  readonly log?: Logger;
  /** Default: `process`. */
  readonly signals?: SignalSource;
  /** Service overrides (tests pass an analyzer). */
  readonly service?: Partial<MassAudioOptions>;
  /** MIDI port opener; default easymidi. */
  readonly openMidi?: (options: { name?: string; virtual?: boolean }) => Promise<MidiInputPort>;
  /** Called on a second signal during shutdown; default `process.exit`. */
  readonly exit?: (code: number) => void;
}

export interface RunningServe {
  readonly host: string;
  readonly port: number;
  readonly service: MassAudio;
  readonly daemon: Daemon;
  readonly osc: OscServer;
  readonly midi: MidiController | null;
  /** Resolves when the daemon has shut down. */
  readonly closed: Promise<void>;
  /** Shuts down (as on SIGINT). */
  stop(reason?: string): Promise<void>;
}

/** How long shutdown waits for finds still being answered: 2 s. */
const DRAIN_TIMEOUT_MS = 2000;

function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version: string }).version;
}

/** The default logger: JSON lines on stderr. */
export function createServeLogger(level = "info"): Logger {
  return pino({ name: "mass-audio", level }, pino.destination({ fd: 2, sync: true }));
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}

async function openService(dataDir: string, options: ServeOptions, io: ServeIo, log: Logger): Promise<MassAudio> {
  try {
    return await MassAudio.open({ dataDir, workers: options.workers, ...embeddingOptions(options.model), ...io.service });
  } catch (error) {
    if (!(error instanceof StoreError) || !/another mass-audio process/.test(error.message)) throw error;
    log.warn({ err: error.message }, "serving read-only: no indexing, watching or root changes");
    return MassAudio.open({ dataDir, readOnly: true, workers: options.workers, ...embeddingOptions(options.model), ...io.service });
  }
}

async function openMidi(options: ServeOptions, io: ServeIo, daemon: Daemon, log: Logger): Promise<MidiController | null> {
  if (options.midi === false) {
    log.info("MIDI off (--no-midi)");
    return null;
  }
  const request = options.midiIn !== undefined ? { name: options.midiIn } : { name: options.midiVirtual ?? DEFAULT_VIRTUAL_PORT_NAME, virtual: true };
  let port: MidiInputPort;
  try {
    port = await (io.openMidi ?? openEasymidiInput)(request);
  } catch (error) {
    log.warn(error instanceof MidiUnavailableError ? error.message : `MIDI unavailable: ${messageOf(error)}`);
    return null;
  }
  const controller = new MidiController(port, daemon, log, { cc: options.cc, channel: options.midiChannel ?? null });
  log.info(
    { port: port.name, virtual: request.virtual === true, cc: Object.fromEntries([...controller.controllers].map(([cc, parameter]) => [parameter, cc])) },
    "MIDI input open",
  );
  return controller;
}

/**
 * Starts the daemon: corpus, OSC server, MIDI, background indexing; returns once it answers requests.
 * @throws ParameterError (bad root, options), StoreError (corpus), Error (address in use).
 */
export async function startServe(options: ServeOptions, io: ServeIo = {}): Promise<RunningServe> {
  const log = io.log ?? createServeLogger();
  if (options.midi !== false) checkMidiMapping({ cc: options.cc, channel: options.midiChannel ?? null }); // before anything opens
  const dataDir = resolveDataDir(options.db);
  const service = await openService(dataDir, options, io, log);
  let daemon: Daemon | undefined;
  let osc: OscServer | undefined;
  try {
    for (const root of options.watch ?? []) {
      if (service.corpus.readOnly) {
        log.warn({ root }, "cannot add the root: the corpus is read-only here");
        continue;
      }
      await service.addRoot(root);
    }
    daemon = await Daemon.create({
      service,
      outDir: options.out ?? join(dataDir, "renders"),
      maxQueuedRegens: options.queue,
      version: packageVersion(),
      log,
    });
    const host = options.host ?? DEFAULT_OSC_HOST;
    const port = options.port ?? DEFAULT_OSC_PORT;
    try {
      osc = await OscServer.start({ daemon, host, port, log });
    } catch (error) {
      throw new ParameterError(`cannot listen on ${host}:${port} (${messageOf(error)}); is another mass-audio serve running? (--port N)`, { cause: error });
    }
  } catch (error) {
    await daemon?.close();
    await service.close();
    throw error;
  }
  const started = { daemon, osc };
  if (!isLoopback(osc.host)) log.warn({ host: osc.host }, "listening beyond this computer: any host that reaches the port can read audio by path and write into the output folder");
  log.info({ host: osc.host, port: osc.port, dataDir, out: daemon.output.path, version: daemon.version, readOnly: service.corpus.readOnly }, "listening");
  const midi = await openMidi(options, io, daemon, log);
  if (options.index !== false) void daemon.catchUpAndWatch();

  const signals = io.signals ?? process;
  let resolveClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  let stopping: Promise<void> | null = null;
  const stop = (reason = "stop"): Promise<void> => {
    stopping ??= (async () => {
      log.info({ reason }, "shutting down");
      midi?.close();
      try {
        await started.daemon.close(); // queued regenerations fail (busy), the running one finishes and replies
        await Promise.race([started.osc.idle(), new Promise((resolve) => setTimeout(resolve, DRAIN_TIMEOUT_MS).unref())]);
        await started.osc.close();
        await service.close(); // index snapshot, store closed
        log.info("stopped");
      } catch (error) {
        log.error({ err: messageOf(error) }, "shutdown failed");
      } finally {
        signals.off("SIGINT", onSignal);
        signals.off("SIGTERM", onSignal);
        resolveClosed();
      }
    })();
    return stopping;
  };
  let signalCount = 0;
  function onSignal(this: unknown, ...args: unknown[]): void {
    signalCount++;
    const name = typeof args[0] === "string" ? args[0] : "signal";
    if (signalCount === 1) {
      void stop(name);
      return;
    }
    log.warn({ signal: name }, "second signal: exiting without a clean shutdown");
    (io.exit ?? ((code: number) => process.exit(code)))(130);
  }
  signals.on("SIGINT", onSignal);
  signals.on("SIGTERM", onSignal);
  return { host: osc.host, port: osc.port, service, daemon, osc, midi, closed, stop };
}

function parseController(text: string, parameter: string): number | null {
  if (/^(off|none|-)$/i.test(text.trim())) return null;
  return parseNumber(text, `cc-${parameter}`, { integer: true, min: 0, max: 119 });
}

/** Registers `serve` on the program. */
export function registerServeCommand(program: Command): void {
  const command = new Command("serve")
    .description("run the daemon: OSC over UDP (find, regen, status, roots, events), MIDI-triggered regeneration, indexing and watching")
    .addOption(new Option("--host <address>", "address to listen on (loopback only by default)").default(DEFAULT_OSC_HOST))
    .addOption(new Option("--port <n>", "UDP port (0: any free port, logged)").default(String(DEFAULT_OSC_PORT)))
    .option("--watch <root>", "add this folder as a root (repeatable); every root is indexed and watched", collect)
    .option("--no-index", "do not catch up with or watch the roots (answer queries over the corpus as it is)")
    .option("--out <dir>", "folder regenerations are written into (default: <data dir>/renders)")
    .option("--midi-in <name>", "MIDI input port to listen to (instead of the virtual port)")
    .option("--midi-virtual [name]", `name of the virtual MIDI input created by default (default: ${DEFAULT_VIRTUAL_PORT_NAME})`)
    .option("--no-midi", "no MIDI input")
    .option("--midi-channel <n>", "only this MIDI channel, 1..16 (default: all)")
    .addOption(new Option("--queue <n>", "regenerations waiting behind the running one before requests get busy").default("8"))
    .option("--workers <n>", "analysis worker threads (default: one per core)")
    .addOption(new Option("--log-level <level>", "log level").choices(["fatal", "error", "warn", "info", "debug", "trace"]).default("info"));
  for (const parameter of MIDI_CC_PARAMETERS) {
    command.option(`--cc-${parameter} <n>`, `MIDI controller setting ${parameter}, 0..127 onto its range (0..119, or off; default ${DEFAULT_MIDI_CC[parameter]})`);
  }
  addDbOption(command);
  addModelOption(command);
  command.action(async (flags: Record<string, unknown>) => {
    const text = (key: string): string | undefined => (typeof flags[key] === "string" ? flags[key] : undefined);
    const cc: Partial<Record<MidiCcParameter, number | null>> = {};
    for (const parameter of MIDI_CC_PARAMETERS) {
      const value = text(`cc${parameter[0]!.toUpperCase()}${parameter.slice(1)}`);
      if (value !== undefined) cc[parameter] = parseController(value, parameter);
    }
    const workers = text("workers");
    const channel = text("midiChannel");
    const running = await startServe(
      {
        host: text("host"),
        port: parseNumber(text("port") ?? String(DEFAULT_OSC_PORT), "port", { integer: true, max: 65535 }),
        watch: (flags["watch"] as string[] | undefined) ?? [],
        index: flags["index"] !== false,
        out: text("out"),
        db: text("db"),
        midiIn: text("midiIn"),
        midiVirtual: text("midiVirtual"),
        midi: flags["midi"] !== false,
        midiChannel: channel === undefined ? undefined : parseNumber(channel, "midi-channel", { integer: true, min: 1, max: 16 }),
        cc,
        queue: parseNumber(text("queue") ?? "8", "queue", { integer: true, min: 0, max: 1000 }),
        workers: workers === undefined ? undefined : parseNumber(workers, "workers", { integer: true, min: 1, max: 256 }),
        ...(text("model") !== undefined ? { model: text("model") } : {}),
      },
      { log: createServeLogger(text("logLevel")) },
    );
    await running.closed;
  });
  program.addCommand(command);
}
