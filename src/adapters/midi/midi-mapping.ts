/**
 * MIDI -> daemon actions:
 * - note-on (velocity > 0) regenerates the current target with the seed
 *   `(baseSeed * 16384 + note * 128 + velocity) mod 2^32`, where baseSeed is the target's `seed` option
 *   (default 1): every note and velocity gives its own variation, the same one each time it is played,
 *   and changing the target's seed gives a new family of 16,384 variations;
 * - control change on a mapped controller sets a regen parameter, 0..127 linearly onto the parameter's
 *   declared range (`min + (max - min) * value / 127`, integers rounded);
 * - program change N (0..127 on the wire) loads the N-th saved preset in name order.
 * Note-offs (and note-ons of velocity 0) are ignored. Failures (no target, busy queue) are logged.
 */
import { ParameterError } from "../../core/errors.js";
import type { NumberParam } from "../../core/params.js";
import { REGEN_PARAMETERS } from "../../core/select/regen-params.js";
import type { Daemon, DaemonLog } from "../daemon/daemon.js";
import { messageOf } from "../daemon/request-error.js";
import type { MidiControlChange, MidiInputPort, MidiNoteOn, MidiProgramChange } from "./midi-port.js";

/** Regen parameters a controller can set. */
export const MIDI_CC_PARAMETERS = ["variety", "stickiness", "wet"] as const satisfies readonly (keyof typeof REGEN_PARAMETERS)[];
export type MidiCcParameter = (typeof MIDI_CC_PARAMETERS)[number];

/** Default controllers: 20, 21, 22 (undefined in the MIDI 1.0 controller list, so free on most setups). */
export const DEFAULT_MIDI_CC: Readonly<Record<MidiCcParameter, number>> = { variety: 20, stickiness: 21, wet: 22 };

/** Highest controller number that is a control change (120..127 are channel mode messages). */
const MAX_CONTROLLER = 119;
/** Distinct (note, velocity) seeds per base seed: 128 * 128. */
const SEEDS_PER_BASE = 16384;

export interface MidiMappingOptions {
  /** Controller number per parameter (0..119); null turns one off. Default `DEFAULT_MIDI_CC`. */
  readonly cc?: Partial<Record<MidiCcParameter, number | null>>;
  /** Only this channel, 1..16; default every channel. */
  readonly channel?: number | null;
}

export type MidiDaemon = Pick<Daemon, "regenerateCurrent" | "setOption" | "loadPresetAt" | "currentRegenOptions">;

/**
 * The seed a note plays: `(baseSeed * 16384 + note * 128 + velocity) mod 2^32`.
 * @param note 0..127; @param velocity 1..127; @param baseSeed the target's seed option (0..2^32-1).
 */
export function noteSeed(note: number, velocity: number, baseSeed: number): number {
  return (baseSeed * SEEDS_PER_BASE + (note & 127) * 128 + (velocity & 127)) % 4294967296;
}

/** A controller value 0..127 mapped linearly onto a number parameter's range (integers rounded). */
export function ccToParameter(def: NumberParam, value: number): number {
  const fraction = Math.min(127, Math.max(0, value)) / 127;
  const mapped = def.min + (def.max - def.min) * fraction;
  return def.kind === "integer" ? Math.round(mapped) : mapped;
}

/** The controller map of the options: controller number -> parameter. @throws ParameterError on a bad or shared number. */
export function controllerMap(options: MidiMappingOptions = {}): Map<number, MidiCcParameter> {
  const map = new Map<number, MidiCcParameter>();
  for (const parameter of MIDI_CC_PARAMETERS) {
    const controller = options.cc?.[parameter] === undefined ? DEFAULT_MIDI_CC[parameter] : options.cc[parameter];
    if (controller === null) continue;
    if (!Number.isInteger(controller) || controller < 0 || controller > MAX_CONTROLLER) {
      throw new ParameterError(`cc-${parameter}: expected a controller number in [0, ${MAX_CONTROLLER}], got ${controller}`);
    }
    const other = map.get(controller);
    if (other) throw new ParameterError(`cc-${parameter}: controller ${controller} already sets ${other}`);
    map.set(controller, parameter);
  }
  return map;
}

/** Checks mapping options without a port. @throws ParameterError on a bad controller number or channel. */
export function checkMidiMapping(options: MidiMappingOptions = {}): void {
  const channel = options.channel ?? null;
  if (channel !== null && (!Number.isInteger(channel) || channel < 1 || channel > 16)) {
    throw new ParameterError(`midi-channel: expected 1..16, got ${channel}`);
  }
  controllerMap(options);
}

/** Listens to a MIDI input and drives the daemon. */
export class MidiController {
  readonly port: MidiInputPort;
  readonly controllers: ReadonlyMap<number, MidiCcParameter>;
  private readonly daemon: MidiDaemon;
  private readonly log: DaemonLog;
  private readonly channel: number | null;
  private readonly pending = new Set<Promise<unknown>>();
  private closed = false;

  /** @throws ParameterError on a bad controller number or channel. */
  constructor(port: MidiInputPort, daemon: MidiDaemon, log: DaemonLog, options: MidiMappingOptions = {}) {
    checkMidiMapping(options);
    const channel = options.channel ?? null;
    this.port = port;
    this.daemon = daemon;
    this.log = log;
    this.channel = channel === null ? null : channel - 1;
    this.controllers = controllerMap(options);
    port.on("noteon", this.onNote);
    port.on("cc", this.onControl);
    port.on("program", this.onProgram);
  }

  private accepts(channel: number): boolean {
    return !this.closed && (this.channel === null || channel === this.channel);
  }

  private track(work: Promise<unknown>): void {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  private readonly onNote = (message: MidiNoteOn): void => {
    if (!this.accepts(message.channel) || message.velocity <= 0) return;
    let seed: number;
    try {
      seed = noteSeed(message.note, message.velocity, this.daemon.currentRegenOptions().seed);
    } catch (error) {
      this.log.warn({ note: message.note, err: messageOf(error) }, "MIDI note ignored");
      return;
    }
    this.track(
      this.daemon.regenerateCurrent({ seed }, "midi").then(
        (result) => this.log.debug({ note: message.note, velocity: message.velocity, seed, out: result.outPath }, "MIDI regeneration done"),
        (error: unknown) => this.log.warn({ note: message.note, velocity: message.velocity, err: messageOf(error) }, "MIDI note: no regeneration"),
      ),
    );
  };

  private readonly onControl = (message: MidiControlChange): void => {
    if (!this.accepts(message.channel)) return;
    const parameter = this.controllers.get(message.controller);
    if (!parameter) return;
    const value = ccToParameter(REGEN_PARAMETERS[parameter], message.value);
    try {
      this.daemon.setOption(parameter, value);
      this.log.debug({ controller: message.controller, [parameter]: value }, "MIDI control");
    } catch (error) {
      this.log.warn({ controller: message.controller, err: messageOf(error) }, "MIDI control ignored");
    }
  };

  private readonly onProgram = (message: MidiProgramChange): void => {
    if (!this.accepts(message.channel)) return;
    this.track(
      this.daemon.loadPresetAt(message.number).then(
        (name) => this.log.info({ program: message.number, preset: name }, "MIDI program: preset loaded"),
        (error: unknown) => this.log.warn({ program: message.number, err: messageOf(error) }, "MIDI program ignored"),
      ),
    );
  };

  /** Resolves when the regenerations and preset loads triggered so far are settled. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** Stops listening and closes the port. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.port.off("noteon", this.onNote);
    this.port.off("cc", this.onControl);
    this.port.off("program", this.onProgram);
    try {
      this.port.close();
    } catch (error) {
      this.log.debug({ err: messageOf(error) }, "MIDI port close failed");
    }
  }
}
