/**
 * The OSC address space as data (CONTRACTS.md C, extended only by added addresses): every request with its
 * fixed arguments, its options and its replies, every message pushed to subscribers, every error code.
 * The request parser validates against this table, the server's handler map is keyed by it (a missing
 * handler is a type error), and `formatOscReference()` renders the README tables from it.
 *
 * Conventions: the first argument of every request is a client-chosen id (int or string), echoed with the
 * same OSC type as the first argument of every reply; replies go to the sender's address and port;
 * options are `key value` pairs after the fixed arguments.
 */
import type { ParamDef } from "../../core/params.js";
import { REQUEST_ERROR_CODES } from "../daemon/request-error.js";
import { FIND_OPTION_SET, REGEN_OPTION_SET, TARGET_OPTION_SET, type OptionSet, type OptionSpec } from "../daemon/request-options.js";
import { MAX_REPLY_DATAGRAM_BYTES } from "./osc-codec.js";

/** One argument of a message: its name, OSC type tags (`i` int32, `f` float32, `s` string, `|` either, `...` repeated). */
export interface ArgDoc {
  readonly name: string;
  readonly type: string;
  readonly doc: string;
}

export interface MessageDoc {
  readonly address: string;
  /** Arguments after the id (replies) or all arguments (pushed events). */
  readonly args: readonly ArgDoc[];
  readonly doc: string;
}

export interface RequestSpec {
  readonly address: string;
  /** Fixed arguments after the id: all strings. */
  readonly args: readonly ArgDoc[];
  /** The options accepted as `key value` pairs after the fixed arguments; null: none (extra arguments are an error). */
  readonly options: OptionSet | null;
  /** Replies in the order they are sent (besides `/mass/error`). */
  readonly replies: readonly MessageDoc[];
  readonly doc: string;
}

const TARGET_PATH: ArgDoc = { name: "TARGET_PATH", type: "s", doc: "absolute path of an audio file (any file by absolute path, e.g. a clip's file)" };
const ROOTS_REPLY: MessageDoc = { address: "/mass/roots/reply", args: [{ name: "PATH", type: "s...", doc: "every root of the corpus, sorted" }], doc: "the roots now" };
const SUBSCRIBED_REPLY = (flag: number): MessageDoc => ({
  address: "/mass/subscribed",
  args: [{ name: "subscribed", type: "i", doc: `${flag}` }],
  doc: flag === 1 ? "the sender gets /mass/event/* from now on" : "the sender gets no more events",
});
const PRESET_REPLY: MessageDoc = { address: "/mass/preset/reply", args: [{ name: "NAME", type: "s", doc: "the preset" }], doc: "done" };

export const OSC_REQUESTS = {
  "/mass/ping": {
    address: "/mass/ping",
    args: [],
    options: null,
    replies: [{ address: "/mass/pong", args: [{ name: "version", type: "s", doc: "mass-audio version" }], doc: "the daemon is up" }],
    doc: "liveness check",
  },
  "/mass/find": {
    address: "/mass/find",
    args: [TARGET_PATH],
    options: FIND_OPTION_SET,
    replies: [
      {
        address: "/mass/find/hit",
        args: [
          { name: "rank", type: "i", doc: "1-based" },
          { name: "path", type: "s", doc: "source file" },
          { name: "start", type: "f", doc: "unit start, seconds" },
          { name: "end", type: "f", doc: "unit end, seconds" },
          { name: "distance", type: "f", doc: "0 = identical" },
          { name: "category", type: "s", doc: "categories, comma-separated; \"\" when none" },
        ],
        doc: "one per hit, nearest first",
      },
      { address: "/mass/find/done", args: [{ name: "count", type: "i", doc: "hits sent" }], doc: "after the last hit" },
    ],
    doc: "the units most similar to the target's unit at `at` seconds (as `mass-audio find`); never waits for regenerations",
  },
  "/mass/regen": {
    address: "/mass/regen",
    args: [TARGET_PATH],
    options: REGEN_OPTION_SET,
    replies: [
      { address: "/mass/regen/progress", args: [{ name: "fraction", type: "f", doc: "0..1" }], doc: "a few times while it runs" },
      {
        address: "/mass/regen/done",
        args: [
          { name: "OUT_PATH", type: "s", doc: "the WAV written (its JSON sidecar beside it)" },
          { name: "seconds", type: "f", doc: "output duration" },
          { name: "units", type: "i", doc: "target units (slots)" },
        ],
        doc: "when written",
      },
    ],
    doc: "regenerates the target from the corpus (as `mass-audio regen`) into the output folder; queued, one at a time",
  },
  "/mass/status": {
    address: "/mass/status",
    args: [],
    options: null,
    replies: [
      {
        address: "/mass/status/reply",
        args: [
          { name: "files", type: "i", doc: "files indexed" },
          { name: "units", type: "i", doc: "searchable units" },
          { name: "pending", type: "i", doc: "files waiting for analysis" },
          { name: "failed", type: "i", doc: "files that could not be analysed" },
          { name: "indexing", type: "i", doc: "1 while indexing, else 0" },
        ],
        doc: "corpus counts",
      },
    ],
    doc: "corpus status",
  },
  "/mass/roots/add": {
    address: "/mass/roots/add",
    args: [{ name: "PATH", type: "s", doc: "absolute path of a folder" }],
    options: null,
    replies: [ROOTS_REPLY],
    doc: "adds a root folder and indexes it in the background (progress to subscribers)",
  },
  "/mass/roots/remove": {
    address: "/mass/roots/remove",
    args: [{ name: "PATH", type: "s", doc: "absolute path of a root" }],
    options: null,
    replies: [ROOTS_REPLY],
    doc: "removes a root with its units",
  },
  "/mass/roots/list": {
    address: "/mass/roots/list",
    args: [],
    options: null,
    replies: [ROOTS_REPLY],
    doc: "lists the roots",
  },
  "/mass/subscribe": {
    address: "/mass/subscribe",
    args: [],
    options: null,
    replies: [SUBSCRIBED_REPLY(1)],
    doc: "pushes /mass/event/* to the sender's address and port",
  },
  "/mass/unsubscribe": {
    address: "/mass/unsubscribe",
    args: [],
    options: null,
    replies: [SUBSCRIBED_REPLY(0)],
    doc: "stops the events",
  },
  "/mass/target": {
    address: "/mass/target",
    args: [TARGET_PATH],
    options: TARGET_OPTION_SET,
    replies: [{ address: "/mass/target/reply", args: [{ name: "TARGET_PATH", type: "s", doc: "the target set" }], doc: "done" }],
    doc: "sets the current target and its options (replacing the previous options): what MIDI note-ons regenerate",
  },
  "/mass/preset/save": {
    address: "/mass/preset/save",
    args: [{ name: "NAME", type: "s", doc: "1-64 letters, digits, spaces, _ - . , ( ) +" }],
    options: null,
    replies: [PRESET_REPLY],
    doc: "saves the current target options as a preset (JSON in `<data dir>/presets/`)",
  },
  "/mass/preset/load": {
    address: "/mass/preset/load",
    args: [{ name: "NAME", type: "s", doc: "a saved preset" }],
    options: null,
    replies: [PRESET_REPLY],
    doc: "replaces the current target options by the preset's (the target path stays)",
  },
  "/mass/preset/list": {
    address: "/mass/preset/list",
    args: [],
    options: null,
    replies: [{ address: "/mass/preset/list/reply", args: [{ name: "NAME", type: "s...", doc: "presets in name order" }], doc: "MIDI program N loads the N-th (0-based)" }],
    doc: "lists the saved presets",
  },
} as const satisfies Record<string, RequestSpec>;

export type RequestAddress = keyof typeof OSC_REQUESTS;

/** Messages pushed to subscribers (no id). */
export const OSC_EVENTS = {
  "/mass/event/progress": {
    address: "/mass/event/progress",
    args: [
      { name: "filesDone", type: "i", doc: "files done in this indexing run" },
      { name: "filesTotal", type: "i", doc: "files queued in this run" },
      { name: "units", type: "i", doc: "units in the corpus now" },
    ],
    doc: "indexing progress (at most 10 per second, and once when indexing stops)",
  },
  "/mass/event/file": {
    address: "/mass/event/file",
    args: [
      { name: "kind", type: "s", doc: "analysed | failed | restored | moved | copied | missing | removed" },
      { name: "path", type: "s", doc: "the file" },
    ],
    doc: "a file changed in the corpus (unchanged files are not reported)",
  },
  "/mass/event/regen": {
    address: "/mass/event/regen",
    args: [
      { name: "OUT_PATH", type: "s", doc: "the WAV written" },
      { name: "units", type: "i", doc: "target units" },
    ],
    doc: "a regeneration finished (OSC- or MIDI-triggered)",
  },
  "/mass/event/root": {
    address: "/mass/event/root",
    args: [
      { name: "path", type: "s", doc: "the root" },
      { name: "status", type: "s", doc: "online | offline" },
    ],
    doc: "a root folder went offline (unplugged drive) or came back",
  },
} as const satisfies Record<string, MessageDoc>;

export const OSC_ERROR: MessageDoc = {
  address: "/mass/error",
  args: [
    { name: "code", type: "s", doc: Object.keys(REQUEST_ERROR_CODES).join(" | ") },
    { name: "message", type: "s", doc: "what went wrong, naming the value at fault" },
  ],
  doc: "any failed request (never silence); an undecodable packet gets id \"\" and code bad_packet",
};

// ---------------------------------------------------------------- README rendering

function argList(args: readonly ArgDoc[]): string {
  return args.map((arg) => arg.name).join(" ");
}

function requestLine(spec: RequestSpec): string {
  const fixed = argList(spec.args);
  return `\`${spec.address} id${fixed ? ` ${fixed}` : ""}${spec.options ? " [key value ...]" : ""}\``;
}

function replyLine(reply: MessageDoc, withId: boolean): string {
  const args = argList(reply.args);
  return `\`${reply.address}${withId ? " id" : ""}${args ? ` ${args}` : ""}\``;
}

function optionRange(spec: OptionSpec): string {
  if (spec.kind === "param") return paramRange(spec.def);
  if (spec.kind === "number") return `${spec.integer ? "integer" : "number"}${spec.unit ? ` (${spec.unit})` : ""}`;
  if (spec.kind === "range") return `MIN..MAX${spec.unit ? ` (${spec.unit})` : ""}`;
  if (spec.kind === "list") return "text, repeatable";
  return "text";
}

function paramRange(def: ParamDef): string {
  if (def.kind === "enum") return def.values.join(" \\| ");
  if (def.kind === "boolean") return "0/1, true/false";
  return `${def.kind === "integer" ? "integer" : "number"} ${def.min}..${def.max}${def.unit ? ` ${def.unit}` : ""}`;
}

function optionDefault(spec: OptionSpec): string {
  return spec.kind === "param" ? String(spec.def.defaultValue) : "";
}

function optionTable(set: OptionSet): string[] {
  return [
    "| key | value | default | meaning |",
    "|---|---|---|---|",
    ...set.specs.map(
      (spec) => `| \`${spec.flag}\`${spec.key !== spec.flag ? ` (\`${spec.key}\`)` : ""} | ${optionRange(spec)} | ${optionDefault(spec)} | ${spec.doc} |`,
    ),
  ];
}

/**
 * The OSC reference in Markdown (requests, events, error codes, options), generated from the tables
 * above so the README cannot drift from the code.
 */
export function formatOscReference(): string {
  const requests: RequestSpec[] = Object.values(OSC_REQUESTS);
  const lines = [
    "| request | replies (each starts with the id) | what it does |",
    "|---|---|---|",
    ...requests.map((spec) => `| ${requestLine(spec)} | ${spec.replies.map((r) => replyLine(r, true)).join(", then ")} | ${spec.doc} |`),
    "",
    "| pushed to subscribers | meaning |",
    "|---|---|",
    ...Object.values(OSC_EVENTS).map((event: MessageDoc) => `| ${replyLine(event, false)} | ${event.doc} |`),
    "",
    "Replies go to the sender's address and port. Any request may end with `replyPort N`: its replies (and, after",
    "`/mass/subscribe`, the events) then go to port N of the sender's host (Max's `udpsend` sends from a random port",
    "that `udpreceive` cannot listen on).",
    "",
    "A find's hits and its done message travel together as one OSC bundle (time tag \"immediately\"), or as a few",
    `bundles of at most ${MAX_REPLY_DATAGRAM_BYTES / 1024} KiB each when the paths are long or k is large, done in the last. OSC receivers (Max's`,
    "`udpreceive`, Pd's `oscparse`, SuperCollider, osc.js, python-osc, liblo) hand on a bundle's messages one by one, in",
    "order; a client that reads raw datagrams must unpack `#bundle` packets.",
    "",
    `Errors: ${replyLine(OSC_ERROR, true)}, ${OSC_ERROR.doc}.`,
    "",
    "| code | when |",
    "|---|---|",
    ...Object.entries(REQUEST_ERROR_CODES).map(([code, doc]) => `| \`${code}\` | ${doc} |`),
    "",
    "Options of `/mass/find` (keys: the CLI flag without dashes or the camelCase key, any case):",
    "",
    ...optionTable(FIND_OPTION_SET),
    "",
    "Options of `/mass/regen` (`/mass/target` takes the same without `out`):",
    "",
    ...optionTable(REGEN_OPTION_SET),
  ];
  return lines.join("\n");
}
