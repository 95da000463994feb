import { EventEmitter } from "node:events";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ccToParameter, controllerMap, MidiController, noteSeed } from "../../../src/adapters/midi/midi-mapping.js";
import type { MidiInputPort } from "../../../src/adapters/midi/midi-port.js";
import type { OscReply } from "../../../src/adapters/osc/osc-client.js";
import { ParameterError } from "../../../src/core/errors.js";
import { REGEN_PARAMETERS } from "../../../src/core/select/regen-params.js";
import { memoryLogger, openDaemonFixture, type DaemonFixture } from "../osc/helpers.js";

/** A MIDI input that is a plain EventEmitter: events are emitted as easymidi emits them. */
class EmitterPort extends EventEmitter implements MidiInputPort {
  readonly name = "test input";
  closed = false;
  close(): void {
    this.closed = true;
  }
}

describe("MIDI mapping (pure)", () => {
  it("derives the note seed as (base * 16384 + note * 128 + velocity) mod 2^32", () => {
    expect(noteSeed(60, 100, 1)).toBe(16384 + 60 * 128 + 100);
    expect(noteSeed(0, 1, 0)).toBe(1);
    expect(noteSeed(127, 127, 4294967295)).toBe(4294967295);
    const seeds = new Set<number>();
    for (let note = 0; note < 128; note++) for (let velocity = 1; velocity < 128; velocity++) seeds.add(noteSeed(note, velocity, 3));
    expect(seeds.size).toBe(128 * 127);
  });

  it("maps controller values 0..127 linearly onto the parameter's declared range", () => {
    expect(ccToParameter(REGEN_PARAMETERS.variety, 0)).toBe(0);
    expect(ccToParameter(REGEN_PARAMETERS.variety, 127)).toBe(1);
    expect(ccToParameter(REGEN_PARAMETERS.wet, 64)).toBeCloseTo(64 / 127, 12);
    expect(ccToParameter(REGEN_PARAMETERS.layers, 0)).toBe(1);
    expect(ccToParameter(REGEN_PARAMETERS.layers, 64)).toBe(3); // 1 + 3 * 64/127 = 2.51 -> 3
    expect(ccToParameter(REGEN_PARAMETERS.layers, 127)).toBe(4);
  });

  it("defaults to controllers 20, 21, 22 and refuses mode-message or shared numbers", () => {
    expect([...controllerMap()]).toEqual([[20, "variety"], [21, "stickiness"], [22, "wet"]]);
    expect([...controllerMap({ cc: { variety: 1, wet: null } })]).toEqual([[1, "variety"], [21, "stickiness"]]);
    expect(() => controllerMap({ cc: { variety: 120 } })).toThrow(ParameterError);
    expect(() => controllerMap({ cc: { variety: 21 } })).toThrow(/cc-stickiness: controller 21 already sets variety/);
  });
});

describe("MIDI controller driving a real daemon (real corpus, real OSC subscriber)", () => {
  let fx: DaemonFixture;
  let port: EmitterPort;
  let midi: MidiController;
  const events: OscReply[] = [];
  const { log, lines } = memoryLogger();

  beforeAll(async () => {
    fx = await openDaemonFixture("midi");
    fx.client.onMessage((reply) => events.push(reply));
    await fx.client.request("/mass/subscribe");
    port = new EmitterPort();
    midi = new MidiController(port, fx.daemon, log, { channel: null });
  }, 60_000);

  afterAll(async () => {
    midi.close();
    await fx.close();
  });

  it("ignores a note-on while no target is set, and says why in the log", async () => {
    port.emit("noteon", { note: 60, velocity: 100, channel: 0, _type: "noteon" });
    await midi.idle();
    expect(lines.some((line) => line["msg"] === "MIDI note: no regeneration" && /no current target/.test(String(line["err"])))).toBe(true);
  });

  it("regenerates the current target on note-on with the documented seed, announced to subscribers", async () => {
    const target = join(fx.root, "loop_amen.flac");
    await fx.client.request("/mass/target", [target, "variety", 0.375]); // exact in float32
    port.emit("noteon", { note: 60, velocity: 100, channel: 3, _type: "noteon" });
    port.emit("noteon", { note: 61, velocity: 0, channel: 3, _type: "noteon" }); // a note-off by convention
    await midi.idle();
    const seed = noteSeed(60, 100, 1);
    const outPath = join(fx.daemon.output.realPath, `loop_amen-s${seed}.wav`);
    const sidecar = JSON.parse(await readFile(outPath.replace(/\.wav$/, ".json"), "utf8")) as { options: { seed: number; variety: number } };
    expect(sidecar.options.seed).toBe(24164);
    expect(sidecar.options.variety).toBe(0.375);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const pushed = events.filter((e) => e.address === "/mass/event/regen");
    expect(pushed.map((e) => e.args[0]!.value)).toEqual([outPath]);
  });

  it("sets variety, stickiness and wet from their controllers; other controllers change nothing", () => {
    port.emit("cc", { controller: 20, value: 127, channel: 0, _type: "cc" });
    port.emit("cc", { controller: 21, value: 0, channel: 0, _type: "cc" });
    port.emit("cc", { controller: 22, value: 64, channel: 0, _type: "cc" });
    port.emit("cc", { controller: 7, value: 10, channel: 0, _type: "cc" });
    const options = fx.daemon.target.options;
    expect(options["variety"]).toBe(1);
    expect(options["stickiness"]).toBe(0);
    expect(options["wet"]).toBeCloseTo(64 / 127, 12);
    expect(Object.keys(options).sort()).toEqual(["stickiness", "variety", "wet"]);
  });

  it("loads the N-th preset (name order) on program change N; a missing one is logged", async () => {
    await fx.client.request("/mass/target", [join(fx.root, "loop_amen.flac"), "variety", 0.125]);
    await fx.client.request("/mass/preset/save", ["01 tight"]);
    await fx.client.request("/mass/target", [join(fx.root, "loop_amen.flac"), "variety", 0.875, "fit", "loop"]);
    await fx.client.request("/mass/preset/save", ["02 loose"]);
    port.emit("program", { number: 0, channel: 0, _type: "program" });
    await midi.idle();
    expect(fx.daemon.target.options).toEqual({ variety: 0.125 });
    port.emit("program", { number: 1, channel: 0, _type: "program" });
    await midi.idle();
    expect(fx.daemon.target.options).toEqual({ variety: 0.875, fit: "loop" });
    port.emit("program", { number: 5, channel: 0, _type: "program" });
    await midi.idle();
    expect(lines.some((line) => line["msg"] === "MIDI program ignored" && /no preset number 5/.test(String(line["err"])))).toBe(true);
  });

  it("listens to one channel when told (1-based), and close() detaches and closes the port", async () => {
    const other = new EmitterPort();
    const onChannel2 = new MidiController(other, fx.daemon, log, { channel: 2 });
    other.emit("cc", { controller: 20, value: 0, channel: 0, _type: "cc" });
    expect(fx.daemon.target.options["variety"]).toBe(0.875);
    other.emit("cc", { controller: 20, value: 0, channel: 1, _type: "cc" });
    expect(fx.daemon.target.options["variety"]).toBe(0);
    onChannel2.close();
    expect(other.closed).toBe(true);
    expect(other.listenerCount("noteon") + other.listenerCount("cc") + other.listenerCount("program")).toBe(0);
    expect(() => new MidiController(new EmitterPort(), fx.daemon, log, { channel: 17 })).toThrow(/midi-channel/);
  });
});
