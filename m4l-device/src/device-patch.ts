/**
 * The Max for Live device patch, generated: one dial, menu or number box per regen option in
 * `DEVICE_PARAMETER_KEYS`, with range, default and info text taken from `REGEN_PARAMETERS`, so the
 * device cannot drift from the CLI and the OSC option parser.
 *
 * Data flow: live.drop / buttons / controls -> node.script (OSC client of the daemon) -> route ->
 * status lines, hit menu, and `insert PATH` -> js (Live API: new clip in the next empty slot).
 */
import { DEVICE_PARAMETER_KEYS, deviceParameterDef, deviceRange, type DeviceParameterKey } from "../../src/adapters/max/device-parameters.js";
import { PatcherBuilder, type PatcherJson, type Rect } from "./patcher.js";

export const DEVICE_NAME = "mass-audio";
export const NODE_SCRIPT_FILE = "mass-audio-node.mjs";
export const LIVE_SCRIPT_FILE = "mass-audio-live.js";

/** Live shows devices 169 px high; the presentation view fits in it. */
const DEVICE_HEIGHT_PX = 169;
const DEVICE_WIDTH_PX = 560;

const DIAL_SIZE: readonly [number, number] = [44, 48];
const DIALS_PER_ROW = 4;
const DIAL_X0 = 130;
const SIDE_X = 330;
const SIDE_LABEL_W = 52;
const SIDE_CONTROL_W = 174;
const SIDE_ROW_H = 18;

/** Outlet messages of the node script, in route order. */
export const NODE_OUTLET_SELECTORS = ["status", "message", "insert", "menu", "ready", "daemon"] as const;

interface Layout {
  /** Next free patching-view position (the patching view is for reading the wiring, not for users). */
  row: number;
}

function patchRect(layout: Layout, column: number, width = 120, height = 22): Rect {
  return [20 + column * 170, 20 + layout.row * 34, width, height];
}

function parameterAttributes(key: DeviceParameterKey): Record<string, unknown> {
  const def = deviceParameterDef(key);
  const valueof: Record<string, unknown> = {
    parameter_longname: key,
    parameter_shortname: key,
    parameter_initial_enable: 1,
    parameter_annotation_name: key,
  };
  if (def.kind === "enum") {
    valueof["parameter_type"] = 2;
    valueof["parameter_enum"] = [...def.values];
    valueof["parameter_mmax"] = def.values.length - 1;
    valueof["parameter_initial"] = [def.values.indexOf(def.defaultValue)];
  } else if (def.kind === "number" || def.kind === "integer") {
    const range = deviceRange(def);
    valueof["parameter_type"] = def.kind === "integer" ? 1 : 0;
    valueof["parameter_mmin"] = range.min;
    valueof["parameter_mmax"] = range.max;
    valueof["parameter_initial"] = [def.defaultValue];
    valueof["parameter_unitstyle"] = def.kind === "integer" ? 0 : 1; // 0 = Int, 1 = Float
  } else {
    throw new Error(`device parameter ${key}: boolean controls are not laid out`);
  }
  const unit = def.unit ? ` (${def.unit})` : "";
  return {
    parameter_enable: 1,
    varname: key,
    annotation: `${def.doc}${unit}`,
    annotation_name: key,
    saved_attribute_attributes: { valueof },
  };
}

/** Which control a parameter gets: menus for enums, a number box for wide integer ranges, dials otherwise. */
export function controlClass(key: DeviceParameterKey): "live.dial" | "live.menu" | "live.numbox" {
  const def = deviceParameterDef(key);
  if (def.kind === "enum") return "live.menu";
  if (def.kind === "integer" && deviceRange(def).max - deviceRange(def).min > 1000) return "live.numbox";
  return "live.dial";
}

/** The device patcher (for `mass-audio.amxd` and `mass-audio.maxpat`). */
export function buildDevicePatcher(): PatcherJson {
  const p = new PatcherBuilder();
  const layout: Layout = { row: 0 };
  const nextRow = (): void => {
    layout.row += 1;
  };
  const present = (rect: Rect): Record<string, unknown> => ({ presentation: 1, presentation_rect: rect });

  // Audio passes through unchanged: the device is a tool on an audio track, not an effect.
  const plugin = p.object("plugin~", patchRect(layout, 4, 60));
  nextRow();
  const plugout = p.object("plugout~", patchRect(layout, 4, 60));
  p.connect(plugin, 0, plugout, 0);
  p.connect(plugin, 1, plugout, 1);
  layout.row = 0;

  // Target, buttons.
  const drop = p.ui("live.drop", patchRect(layout, 0, 120, 58), {
    ...present([4, 4, 120, 58]),
    legend: "Drop clip or file",
    parameter_enable: 1,
    varname: "target",
    annotation: "Target: drop an audio clip or file; regenerate and find work on it",
    saved_attribute_attributes: { valueof: { parameter_longname: "target", parameter_shortname: "target", parameter_type: 4, parameter_invisible: 1 } },
  });
  nextRow();
  nextRow();
  const button = (label: string, rect: Rect, annotation: string): string =>
    p.ui("live.text", patchRect(layout, 0, 80, 20), {
      ...present(rect),
      mode: 0,
      text: label,
      texton: label,
      parameter_enable: 0,
      annotation,
    });
  const regenButton = button("Regenerate", [4, 66, 120, 22], "Render a new variation of the target from the corpus and insert it as a clip");
  const regenBang = p.object("route bang", patchRect(layout, 1, 70));
  const regenMsg = p.message("regen", patchRect(layout, 2, 50));
  p.connect(regenButton, 0, regenBang, 0);
  p.connect(regenBang, 0, regenMsg, 0);
  nextRow();
  const findButton = button("Find", [4, 92, 58, 18], "List the corpus units closest to the target");
  const findBang = p.object("route bang", patchRect(layout, 1, 70));
  const findMsg = p.message("find", patchRect(layout, 2, 50));
  p.connect(findButton, 0, findBang, 0);
  p.connect(findBang, 0, findMsg, 0);
  nextRow();
  const clipButton = button("Use clip", [66, 92, 58, 18], "Use the selected audio clip's file as the target");
  const clipBang = p.object("route bang", patchRect(layout, 1, 70));
  const clipMsg = p.message("selectedclip", patchRect(layout, 2, 80));
  p.connect(clipButton, 0, clipBang, 0);
  p.connect(clipBang, 0, clipMsg, 0);
  nextRow();

  // The Node for Max script and the Live API script.
  const node = p.object(`node.script ${NODE_SCRIPT_FILE} @autostart 1 @watch 0`, patchRect(layout, 1, 260), {
    saved_object_attributes: { autostart: 1, defer: 0, watch: 0 },
  });
  p.connect(regenMsg, 0, node, 0);
  p.connect(findMsg, 0, node, 0);
  const dropTarget = p.object("prepend target", patchRect(layout, 0, 100));
  p.connect(drop, 0, dropTarget, 0);
  p.connect(dropTarget, 0, node, 0);
  nextRow();
  const route = p.object(`route ${NODE_OUTLET_SELECTORS.join(" ")}`, patchRect(layout, 1, 260));
  p.connect(node, 0, route, 0);
  nextRow();
  const live = p.object(`js ${LIVE_SCRIPT_FILE}`, patchRect(layout, 2, 140));
  p.connect(clipMsg, 0, live, 0);
  const insert = p.object("prepend insert", patchRect(layout, 1, 100));
  p.connect(route, NODE_OUTLET_SELECTORS.indexOf("insert"), insert, 0);
  p.connect(insert, 0, live, 0);
  nextRow();

  // Status lines.
  const statusSet = p.object("prepend set", patchRect(layout, 0, 80));
  const messageSet = p.object("prepend set", patchRect(layout, 1, 80));
  p.connect(route, NODE_OUTLET_SELECTORS.indexOf("status"), statusSet, 0);
  p.connect(route, NODE_OUTLET_SELECTORS.indexOf("message"), messageSet, 0);
  nextRow();
  const statusLine = p.comment("connecting to mass-audio...", patchRect(layout, 0, 300, 18), {
    ...present([4, 136, DEVICE_WIDTH_PX - 8, 14]),
    varname: "status",
  });
  const messageLine = p.comment("drop a clip or file, then Regenerate", patchRect(layout, 2, 300, 18), {
    ...present([4, 151, DEVICE_WIDTH_PX - 8, 14]),
    varname: "message",
  });
  p.connect(statusSet, 0, statusLine, 0);
  p.connect(messageSet, 0, messageLine, 0);
  nextRow();

  // What the Live API script says: messages, the fallback path (Live < 12.0.5), a target from the selected clip.
  const liveRoute = p.object("route message fallback target", patchRect(layout, 2, 200));
  p.connect(live, 0, liveRoute, 0);
  const liveMessageSet = p.object("prepend set", patchRect(layout, 3, 80));
  p.connect(liveRoute, 0, liveMessageSet, 0);
  p.connect(liveMessageSet, 0, messageLine, 0);
  nextRow();
  const fallbackSet = p.object("prepend set", patchRect(layout, 2, 80));
  p.connect(liveRoute, 1, fallbackSet, 0);
  const fallback = p.ui("textedit", patchRect(layout, 3, 300, 18), {
    ...present([4, 114, 322, 18]),
    readonly: 1,
    varname: "fallback",
    text: "",
    annotation: "Rendered file when the clip cannot be inserted (Live before 12.0.5): select, copy, drag it in from Live's browser",
  });
  p.connect(fallbackSet, 0, fallback, 0);
  const clipTarget = p.object("prepend target", patchRect(layout, 1, 100));
  p.connect(liveRoute, 2, clipTarget, 0);
  p.connect(clipTarget, 0, node, 0);
  nextRow();

  // Find hits: the node script fills the menu; choosing an item inserts that unit's file.
  const hits = p.ui("umenu", patchRect(layout, 2, 170, 18), {
    ...present([SIDE_X, 4 + 5 * SIDE_ROW_H, SIDE_LABEL_W + SIDE_CONTROL_W, 18]),
    varname: "hits",
    items: "<empty>",
    annotation: "Units found by Find; choose one to insert its file",
  });
  p.connect(route, NODE_OUTLET_SELECTORS.indexOf("menu"), hits, 0);
  const pick = p.object("prepend pick", patchRect(layout, 3, 90));
  p.connect(hits, 0, pick, 0);
  p.connect(pick, 0, node, 0);
  nextRow();

  // On `ready` the controls re-send their values (they were restored before the script ran).
  const ready = p.object("t b", patchRect(layout, 0, 40));
  p.connect(route, NODE_OUTLET_SELECTORS.indexOf("ready"), ready, 0);
  nextRow();

  // Regen options: one control each, generated from REGEN_PARAMETERS.
  let dialIndex = 0;
  let sideRow = 0;
  for (const key of DEVICE_PARAMETER_KEYS) {
    const kind = controlClass(key);
    let presentationRect: Rect;
    if (kind === "live.dial") {
      const column = dialIndex % DIALS_PER_ROW;
      const dialRow = Math.floor(dialIndex / DIALS_PER_ROW);
      presentationRect = [DIAL_X0 + column * (DIAL_SIZE[0] + 4), 4 + dialRow * (DIAL_SIZE[1] + 2), DIAL_SIZE[0], DIAL_SIZE[1]];
      dialIndex += 1;
    } else {
      const y = 4 + sideRow * SIDE_ROW_H;
      p.comment(key, patchRect(layout, 3, 60, 18), { ...present([SIDE_X, y, SIDE_LABEL_W, 16]) });
      presentationRect = [SIDE_X + SIDE_LABEL_W, y, 90, 15];
      sideRow += 1;
    }
    const control = p.ui(kind, patchRect(layout, 0, kind === "live.dial" ? DIAL_SIZE[0] : 90, kind === "live.dial" ? DIAL_SIZE[1] : 15), {
      ...present(presentationRect),
      ...parameterAttributes(key),
    });
    const prepend = p.object(`prepend param ${key}`, patchRect(layout, 1, 140));
    p.connect(control, 0, prepend, 0);
    p.connect(prepend, 0, node, 0);
    p.connect(ready, 0, control, 0);
    nextRow();
    nextRow();
  }

  // Filters and the daemon command: text fields, sent on Return.
  const textField = (key: "folder" | "category" | "daemon", annotation: string): string => {
    const y = 4 + sideRow * SIDE_ROW_H;
    sideRow += 1;
    p.comment(key, patchRect(layout, 3, 60, 18), { ...present([SIDE_X, y, SIDE_LABEL_W, 16]) });
    const field = p.ui("textedit", patchRect(layout, 0, 170, 18), {
      ...present([SIDE_X + SIDE_LABEL_W, y, SIDE_CONTROL_W, 16]),
      varname: key,
      text: "",
      keymode: 1, // Return sends the text instead of a new line
      lines: 1,
      annotation,
    });
    const prepend = p.object(`prepend ${key}`, patchRect(layout, 1, 100));
    p.connect(field, 0, prepend, 0);
    p.connect(prepend, 0, node, 0);
    nextRow();
    return field;
  };
  textField("folder", `Only units from files under these folder globs (comma-separated), e.g. drums/** — same as --folder`);
  textField("category", "Only units from files of these categories (comma-separated) — same as --category");
  sideRow += 1; // the hit menu's row
  const daemonField = textField("daemon", "Path of the mass-audio executable started when no daemon answers (empty: mass-audio on PATH)");
  const daemonSet = p.object("prepend set", patchRect(layout, 2, 80));
  p.connect(route, NODE_OUTLET_SELECTORS.indexOf("daemon"), daemonSet, 0);
  p.connect(daemonSet, 0, daemonField, 0);

  // The dropped target is also kept in a message box and re-sent on `ready`.
  nextRow();
  const keepSet = p.object("prepend set", patchRect(layout, 0, 80));
  const keep = p.message("", patchRect(layout, 1, 200), { hidden: 1 });
  p.connect(drop, 0, keepSet, 0);
  p.connect(keepSet, 0, keep, 0);
  p.connect(ready, 0, keep, 0);
  p.connect(keep, 0, dropTarget, 0);

  return p.build({
    rect: [100, 100, 1000, 900],
    openinpresentation: 1,
    default_fontsize: 10,
    gridsize: [8, 8],
    devicewidth: DEVICE_WIDTH_PX,
    description: "mass-audio: regenerate a clip from your sample corpus (unit-level concatenative resynthesis)",
    latency: 0,
    autosave: 0,
    is_mpe: 0,
    openrect: [0, 0, DEVICE_WIDTH_PX, DEVICE_HEIGHT_PX],
  });
}

/** Names of the files the patch loads by name (node.script, js), as written in the box texts. */
export function referencedFiles(patcher: PatcherJson): string[] {
  const out: string[] = [];
  for (const { box } of patcher.patcher.boxes) {
    const text = typeof box.text === "string" ? box.text : "";
    const match = /^(?:node\.script|js|v8)\s+(\S+)/.exec(text);
    if (match && box.maxclass === "newobj") out.push(match[1]!);
  }
  return out;
}
