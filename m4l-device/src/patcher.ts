/**
 * A small builder for Max patcher JSON (the `.maxpat` format, also the `ptch` chunk of an `.amxd`).
 * Every box declares its inlet and outlet counts as Max saves them, so connections can be checked
 * before Max ever sees the file. Counts of the objects used here were read from patches saved by Max.
 */

export type Rect = readonly [number, number, number, number];

export interface BoxJson {
  readonly id: string;
  readonly maxclass: string;
  readonly numinlets: number;
  readonly numoutlets: number;
  readonly outlettype?: readonly string[];
  readonly patching_rect: Rect;
  readonly text?: string;
  readonly presentation?: 1;
  readonly presentation_rect?: Rect;
  readonly [attribute: string]: unknown;
}

export interface LineJson {
  readonly source: readonly [string, number];
  readonly destination: readonly [string, number];
}

export interface PatcherJson {
  readonly patcher: {
    readonly boxes: ReadonlyArray<{ readonly box: BoxJson }>;
    readonly lines: ReadonlyArray<{ readonly patchline: LineJson }>;
    readonly [attribute: string]: unknown;
  };
}

/** Inlets, outlets and outlet types of the object boxes (`newobj`) used, by first word of the box text. */
const NEWOBJ_IO: Readonly<Record<string, { inlets: number; outlets: (args: readonly string[]) => readonly string[] }>> = {
  "node.script": { inlets: 1, outlets: () => ["", ""] },
  js: { inlets: 1, outlets: () => [""] },
  route: { inlets: 1, outlets: (args) => [...args.map(() => ""), ""] },
  prepend: { inlets: 1, outlets: () => [""] },
  t: { inlets: 1, outlets: (args) => args.map((arg) => (arg === "b" ? "bang" : "")) },
  "plugin~": { inlets: 2, outlets: () => ["signal", "signal"] },
  "plugout~": { inlets: 2, outlets: () => ["signal", "signal"] },
  udpsend: { inlets: 1, outlets: () => [] },
  udpreceive: { inlets: 1, outlets: () => [""] },
  print: { inlets: 1, outlets: () => [] },
  loadbang: { inlets: 1, outlets: () => ["bang"] },
  deferlow: { inlets: 1, outlets: () => [""] },
};

/** Inlets and outlet types of the UI boxes used, by maxclass. */
const UI_IO: Readonly<Record<string, { inlets: number; outlettype: readonly string[] }>> = {
  "live.dial": { inlets: 1, outlettype: ["", "float"] },
  "live.numbox": { inlets: 1, outlettype: ["", "float"] },
  "live.menu": { inlets: 1, outlettype: ["", "", "float"] },
  "live.text": { inlets: 1, outlettype: ["", ""] },
  "live.drop": { inlets: 1, outlettype: ["", ""] },
  textedit: { inlets: 1, outlettype: ["", "int", "", ""] },
  umenu: { inlets: 1, outlettype: ["int", "", ""] },
  comment: { inlets: 1, outlettype: [] },
  message: { inlets: 2, outlettype: [""] },
  panel: { inlets: 1, outlettype: [] },
};

export class PatcherBuilder {
  private readonly boxes: BoxJson[] = [];
  private readonly lines: LineJson[] = [];
  private next = 1;

  /** An object box (`newobj`) such as `route a b` or `node.script x.mjs @autostart 1`. */
  object(text: string, rect: Rect, attributes: Record<string, unknown> = {}): string {
    const words = text.split(/\s+/).filter((word) => word !== "");
    const name = words[0] ?? "";
    const io = NEWOBJ_IO[name];
    if (!io) throw new Error(`patcher: no inlet/outlet counts known for object "${name}"`);
    const args = words.slice(1).filter((word) => !word.startsWith("@"));
    const outlettype = io.outlets(name === "route" || name === "t" ? args : []);
    return this.add({ maxclass: "newobj", text, numinlets: io.inlets, numoutlets: outlettype.length, outlettype, patching_rect: rect, ...attributes });
  }

  /** A user-interface box (`live.dial`, `message`, `comment`, ...). */
  ui(maxclass: string, rect: Rect, attributes: Record<string, unknown> = {}): string {
    const io = UI_IO[maxclass];
    if (!io) throw new Error(`patcher: no inlet/outlet counts known for maxclass "${maxclass}"`);
    const base: Omit<BoxJson, "id"> = { maxclass, numinlets: io.inlets, numoutlets: io.outlettype.length, patching_rect: rect };
    return this.add(io.outlettype.length > 0 ? { ...base, outlettype: io.outlettype, ...attributes } : { ...base, ...attributes });
  }

  message(text: string, rect: Rect, attributes: Record<string, unknown> = {}): string {
    return this.ui("message", rect, { text, ...attributes });
  }

  comment(text: string, rect: Rect, attributes: Record<string, unknown> = {}): string {
    return this.ui("comment", rect, { text, ...attributes });
  }

  /** Connects outlet `outlet` of `source` to inlet `inlet` of `destination`. @throws Error on a missing box or port. */
  connect(source: string, outlet: number, destination: string, inlet: number): void {
    const from = this.find(source);
    const to = this.find(destination);
    if (outlet < 0 || outlet >= from.numoutlets) throw new Error(`patcher: ${source} (${from.text ?? from.maxclass}) has no outlet ${outlet}`);
    if (inlet < 0 || inlet >= to.numinlets) throw new Error(`patcher: ${destination} (${to.text ?? to.maxclass}) has no inlet ${inlet}`);
    this.lines.push({ source: [source, outlet], destination: [destination, inlet] });
  }

  /** The patcher JSON with the given top-level attributes (window rect, presentation, parameters...). */
  build(attributes: Record<string, unknown>): PatcherJson {
    return {
      patcher: {
        fileversion: 1,
        appversion: { major: 8, minor: 6, revision: 0, architecture: "x64", modernui: 1 },
        classnamespace: "box",
        ...attributes,
        boxes: this.boxes.map((box) => ({ box })),
        lines: this.lines.map((patchline) => ({ patchline })),
      },
    };
  }

  private add(box: Omit<BoxJson, "id">): string {
    const id = `obj-${this.next}`;
    this.next += 1;
    this.boxes.push({ id, ...box } as BoxJson);
    return id;
  }

  private find(id: string): BoxJson {
    const box = this.boxes.find((candidate) => candidate.id === id);
    if (!box) throw new Error(`patcher: no box ${id}`);
    return box;
  }
}
