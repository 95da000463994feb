/**
 * The MIDI input port the daemon listens to: three event kinds (note-on, control change, program change)
 * and close. `openEasymidiInput` opens a real port with easymidi (RtMidi); anything with the same
 * `on`/`off`/`close` surface (an EventEmitter in tests, a future WebMIDI bridge) works too.
 */
import { MassAudioError } from "../../core/errors.js";

/** A note-on; velocity 0 is a note-off by the MIDI convention. Channel 0..15. */
export interface MidiNoteOn {
  readonly note: number;
  readonly velocity: number;
  readonly channel: number;
}

export interface MidiControlChange {
  readonly controller: number;
  readonly value: number;
  readonly channel: number;
}

/** Program change: `number` 0..127 as sent on the wire (shown as 1..128 by most devices). */
export interface MidiProgramChange {
  readonly number: number;
  readonly channel: number;
}

export interface MidiInputEvents {
  noteon: MidiNoteOn;
  cc: MidiControlChange;
  program: MidiProgramChange;
}

export type MidiEventName = keyof MidiInputEvents;

export interface MidiInputPort {
  readonly name: string;
  on<E extends MidiEventName>(event: E, listener: (message: MidiInputEvents[E]) => void): unknown;
  off<E extends MidiEventName>(event: E, listener: (message: MidiInputEvents[E]) => void): unknown;
  close(): void;
}

/** No MIDI input could be opened; `reason` is one line for the log. */
export class MidiUnavailableError extends MassAudioError {
  readonly reason: string;
  constructor(reason: string, options?: { cause?: unknown }) {
    super("midi_unavailable", `MIDI unavailable: ${reason}`, options);
    this.reason = reason;
  }
}

/** Default name of the virtual input port. */
export const DEFAULT_VIRTUAL_PORT_NAME = "mass-audio";

interface EasymidiInput {
  readonly name: string;
  on(event: string, listener: (message: never) => void): unknown;
  off(event: string, listener: (message: never) => void): unknown;
  close(): void;
}

interface EasymidiModule {
  Input: new (name: string, virtual?: boolean) => EasymidiInput;
  getInputs(): string[];
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0]!.trim();
}

/**
 * Opens a MIDI input with easymidi: the port named `name`, or a virtual port of that name (default
 * "mass-audio") that other programs can send to (macOS and Linux/ALSA; not Windows).
 * @throws MidiUnavailableError when the native module cannot load, the MIDI system cannot start (no
 *   ALSA sequencer, as in containers), or no port has that name (the message lists the ports).
 */
export async function openEasymidiInput(options: { readonly name?: string; readonly virtual?: boolean }): Promise<MidiInputPort> {
  let easymidi: EasymidiModule;
  try {
    const loaded = (await import("easymidi")) as unknown as EasymidiModule & { default?: EasymidiModule };
    easymidi = loaded.default ?? loaded;
  } catch (error) {
    throw new MidiUnavailableError(`cannot load easymidi (${firstLine(error)})`, { cause: error });
  }
  const name = options.name ?? DEFAULT_VIRTUAL_PORT_NAME;
  let input: EasymidiInput;
  try {
    input = new easymidi.Input(name, options.virtual === true);
  } catch (error) {
    const reason = firstLine(error);
    if (!options.virtual && /no midi input found/i.test(reason)) {
      let ports: string[] = [];
      try {
        ports = easymidi.getInputs();
      } catch {
        // the list is only a hint
      }
      throw new MidiUnavailableError(`no MIDI input named "${name}" (inputs: ${ports.length > 0 ? ports.join(", ") : "none"})`, { cause: error });
    }
    throw new MidiUnavailableError(`${options.virtual ? `cannot create the virtual input "${name}"` : `cannot open "${name}"`}: ${reason}`, { cause: error });
  }
  return {
    name: input.name,
    on: (event, listener) => input.on(event, listener as (message: never) => void),
    off: (event, listener) => input.off(event, listener as (message: never) => void),
    close: () => input.close(),
  };
}
