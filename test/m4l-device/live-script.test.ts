/**
 * The device's Live API script (m4l-device/src/mass-audio-live.js) run in a `vm` context standing in
 * for Max's `js` object, against a fake `LiveAPI` that models a Live set: tracks with clip slots, the
 * playing and fired slot of each track, the highlighted slot, the detail clip, and whether
 * `ClipSlot.create_audio_clip` exists (Live 12.0.5+).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createContext, runInContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../corpus/helpers.js";

interface Slot {
  hasClip: boolean;
  file?: string;
}
interface Track {
  audio: boolean;
  playing: number;
  fired: number;
  slots: Slot[];
}
interface SetModel {
  tracks: Track[];
  returnTracks: Track[];
  device: { kind: "tracks" | "return_tracks"; index: number } | null;
  highlighted: { track: number; slot: number } | null;
  detailClip: { audio: boolean; file: string } | null;
  createAudioClip: boolean | "throws";
  calls: string[];
}

function track(pattern: string, options: Partial<Omit<Track, "slots">> = {}): Track {
  // pattern: one character per slot, "x" = clip, "." = empty
  return { audio: true, playing: -1, fired: -1, slots: [...pattern].map((c) => ({ hasClip: c === "x" })), ...options };
}

function liveSet(overrides: Partial<SetModel>): SetModel {
  return { tracks: [track("....")], returnTracks: [track("", { audio: true })], device: { kind: "tracks", index: 0 }, highlighted: null, detailClip: null, createAudioClip: true, calls: [], ...overrides };
}

/** A LiveAPI class over `model`, with stable ids per canonical path. */
function fakeLiveApi(model: SetModel): new (path: string) => unknown {
  const ids = new Map<string, number>();
  const paths = new Map<number, string>();
  const idOf = (path: string): number => {
    let id = ids.get(path);
    if (id === undefined) {
      id = ids.size + 1;
      ids.set(path, id);
      paths.set(id, path);
    }
    return id;
  };
  const resolve = (path: string): string | null => {
    const byId = /^id (\d+)$/.exec(path);
    if (byId) return paths.get(Number(byId[1])) ?? null;
    if (path === "this_device canonical_parent") return model.device ? `live_set ${model.device.kind} ${model.device.index}` : null;
    if (path === "live_set view highlighted_clip_slot") return model.highlighted ? `live_set tracks ${model.highlighted.track} clip_slots ${model.highlighted.slot}` : null;
    if (path === "live_set view detail_clip") return model.detailClip ? "live_set tracks 0 clip_slots 0 clip" : null;
    return path;
  };
  const trackAt = (path: string): Track | undefined => {
    const m = /^live_set (tracks|return_tracks) (\d+)/.exec(path);
    if (!m) return undefined;
    return (m[1] === "tracks" ? model.tracks : model.returnTracks)[Number(m[2])];
  };
  const slotAt = (path: string): Slot | undefined => {
    const m = /clip_slots (\d+)$/.exec(path);
    return m ? trackAt(path)?.slots[Number(m[1])] : undefined;
  };
  return class FakeLiveAPI {
    readonly id: number;
    readonly unquotedpath: string;
    readonly path: string;
    readonly info: string;
    constructor(requested: string) {
      const canonical = resolve(requested);
      this.id = canonical === null ? 0 : idOf(canonical);
      this.unquotedpath = canonical ?? "";
      this.path = `"${this.unquotedpath}"`;
      this.info = canonical && /clip_slots \d+$/.test(canonical) ? `id ${this.id}\ntype ClipSlot\n${model.createAudioClip ? "function create_audio_clip\n" : ""}function create_clip\ndone` : "";
    }
    get(property: string): unknown[] {
      const p = this.unquotedpath;
      if (p.endsWith(" clip") && model.detailClip) {
        if (property === "is_audio_clip") return [model.detailClip.audio ? 1 : 0];
        if (property === "file_path") return model.detailClip.file.split(" "); // atoms, as Max splits them
      }
      const slot = slotAt(p);
      if (slot && property === "has_clip") return [slot.hasClip ? 1 : 0];
      const t = trackAt(p);
      if (t && property === "has_audio_input") return [t.audio ? 1 : 0];
      if (t && property === "playing_slot_index") return [t.playing];
      if (t && property === "fired_slot_index") return [t.fired];
      throw new Error(`fake LiveAPI: no property ${property} on "${p}"`);
    }
    getcount(child: string): number {
      if (child !== "clip_slots") throw new Error(`fake LiveAPI: no child list ${child}`);
      return trackAt(this.unquotedpath)?.slots.length ?? 0;
    }
    call(fn: string, ...args: unknown[]): unknown {
      model.calls.push(`${this.unquotedpath} ${fn} ${args.join(" ")}`);
      if (fn === "create_audio_clip") {
        if (model.createAudioClip === "throws") throw new Error("invalid audio file");
        if (!model.createAudioClip) throw new Error("create_audio_clip: unknown function");
        slotAt(this.unquotedpath)!.hasClip = true;
        slotAt(this.unquotedpath)!.file = String(args[0]);
        return undefined;
      }
      if (fn === "create_scene" && this.unquotedpath === "live_set") {
        for (const t of model.tracks) t.slots.push({ hasClip: false });
        return undefined;
      }
      throw new Error(`fake LiveAPI: no function ${fn}`);
    }
  };
}

const SCRIPT = readFileSync(join(REPO_ROOT, "m4l-device", "src", "mass-audio-live.js"), "utf8");

/** Loads the script as Max's js object would; returns its functions and what it sent out. */
function loadScript(model: SetModel): { call: (fn: string, ...args: string[]) => void; out: unknown[][]; context: Record<string, unknown> } {
  const out: unknown[][] = [];
  const context: Record<string, unknown> = {
    LiveAPI: fakeLiveApi(model),
    outlet: (index: number, ...args: unknown[]) => out.push([index, ...args]),
    post: () => undefined,
    arrayfromargs: (args: ArrayLike<unknown>) => Array.prototype.slice.call(args),
  };
  createContext(context);
  runInContext(SCRIPT, context);
  return { call: (fn, ...args) => (context[fn] as (...a: string[]) => void)(...args), out, context };
}

const messages = (out: unknown[][]): string[] => out.filter((o) => o[1] === "message").map((o) => String(o[2]));

describe("mass-audio-live.js (fake LiveAPI)", () => {
  it("declares one inlet and one outlet for the js box", () => {
    const { context } = loadScript(liveSet({}));
    expect(context.inlets).toBe(1);
    expect(context.outlets).toBe(1);
  });

  it("creates the clip in the next empty slot after the playing one", () => {
    const model = liveSet({ tracks: [track("xx.x.", { playing: 1 })] });
    const { call, out } = loadScript(model);
    call("insert", "/out/loop-regen.wav");
    expect(model.calls).toEqual(["live_set tracks 0 clip_slots 2 create_audio_clip /out/loop-regen.wav"]);
    expect(model.tracks[0]!.slots[2]).toEqual({ hasClip: true, file: "/out/loop-regen.wav" });
    expect(messages(out)).toEqual(["inserted loop-regen.wav in clip slot 3"]);
  });

  it("skips filled slots after the anchor (fired slot when nothing plays)", () => {
    const model = liveSet({ tracks: [track("..xx.", { fired: 1 })] });
    loadScript(model).call("insert", "/o.wav");
    expect(model.calls).toEqual(["live_set tracks 0 clip_slots 4 create_audio_clip /o.wav"]);
  });

  it("uses the highlighted slot as the anchor when it is on the device's track, else starts at the top", () => {
    const own = liveSet({ tracks: [track(".x..x."), track("....")], device: { kind: "tracks", index: 0 }, highlighted: { track: 0, slot: 3 } });
    loadScript(own).call("insert", "/o.wav");
    expect(own.calls).toEqual(["live_set tracks 0 clip_slots 5 create_audio_clip /o.wav"]);
    const other = liveSet({ tracks: [track(".x.."), track("....")], device: { kind: "tracks", index: 0 }, highlighted: { track: 1, slot: 2 } });
    loadScript(other).call("insert", "/o.wav");
    expect(other.calls).toEqual(["live_set tracks 0 clip_slots 0 create_audio_clip /o.wav"]);
  });

  it("adds a scene when no slot after the anchor is empty", () => {
    const model = liveSet({ tracks: [track(".xx", { playing: 2 })] });
    const { call, out } = loadScript(model);
    call("insert", "/o.wav");
    expect(model.calls).toEqual(["live_set create_scene -1", "live_set tracks 0 clip_slots 3 create_audio_clip /o.wav"]);
    expect(messages(out)).toEqual(["inserted o.wav in clip slot 4 (new scene)"]);
  });

  it("falls back to showing the path when Live has no create_audio_clip (before 12.0.5), changing nothing", () => {
    const model = liveSet({ tracks: [track("x...", { playing: 0 })], createAudioClip: false });
    const { call, out } = loadScript(model);
    call("insert", "/out/my render.wav");
    expect(model.calls).toEqual([]);
    expect(out).toContainEqual([0, "fallback", "/out/my render.wav"]);
    expect(messages(out)[0]).toContain("Live 12.0.5 or newer");
    expect(messages(out)[0]).toContain("drag my render.wav");
  });

  it("falls back on a MIDI track, a return track, and when Live refuses the file", () => {
    const midi = liveSet({ tracks: [track("....", { audio: false })] });
    const midiRun = loadScript(midi);
    midiRun.call("insert", "/o.wav");
    expect(messages(midiRun.out)[0]).toMatch(/^this is not an audio track/);
    expect(midiRun.out).toContainEqual([0, "fallback", "/o.wav"]);

    const ret = liveSet({ device: { kind: "return_tracks", index: 0 } });
    const retRun = loadScript(ret);
    retRun.call("insert", "/o.wav");
    expect(messages(retRun.out)[0]).toMatch(/^return and main tracks have no clip slots/);

    const refused = liveSet({ createAudioClip: "throws" });
    const refusedRun = loadScript(refused);
    refusedRun.call("insert", "/o.wav");
    expect(messages(refusedRun.out)[0]).toMatch(/^create_audio_clip failed: .*invalid audio file/);
  });

  it("sends the selected audio clip's file as the target (paths with spaces kept whole)", () => {
    const { call, out } = loadScript(liveSet({ detailClip: { audio: true, file: "/Users/me/My Samples/loop 1.wav" } }));
    call("selectedclip");
    expect(out).toEqual([[0, "target", "/Users/me/My Samples/loop 1.wav"]]);
  });

  it("asks for an audio clip when none or a MIDI clip is selected", () => {
    const none = loadScript(liveSet({ detailClip: null }));
    none.call("selectedclip");
    expect(messages(none.out)).toEqual(["select an audio clip first"]);
    const midi = loadScript(liveSet({ detailClip: { audio: false, file: "" } }));
    midi.call("selectedclip");
    expect(messages(midi.out)).toEqual(["the selected clip is not an audio clip"]);
  });
});
