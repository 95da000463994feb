/**
 * Category tags from folder and file names ("Drums/Kicks/BD_808.wav" -> kick, drum). Names are split
 * into lower-case words (separators, camelCase and letter/digit boundaries), then single words and
 * adjacent word pairs are looked up in an alias table. A file's tags are a bit mask over `CATEGORIES`
 * so filters test them with one AND.
 */
import { ParameterError } from "../core/errors.js";

/** The category vocabulary, in bit order (at most 32 entries: the mask is a uint32). */
export const CATEGORIES = [
  "kick",
  "snare",
  "hat",
  "clap",
  "tom",
  "cymbal",
  "perc",
  "drum",
  "bass",
  "pad",
  "ambient",
  "vocal",
  "fx",
  "loop",
  "synth",
  "guitar",
  "piano",
  "strings",
  "brass",
  "bell",
  "pluck",
  "lead",
  "chord",
  "tabla",
  "glitch",
  "vinyl",
  "misc",
] as const;

export type Category = (typeof CATEGORIES)[number];

/** Single-word aliases. Kept to words that are unambiguous inside sample-library names. */
const WORD_ALIASES: Readonly<Record<string, readonly Category[]>> = {
  kick: ["kick"],
  kicks: ["kick"],
  kik: ["kick"],
  kck: ["kick"],
  bd: ["kick"],
  bassdrum: ["kick"],
  snare: ["snare"],
  snares: ["snare"],
  snr: ["snare"],
  sn: ["snare"],
  sd: ["snare"],
  rim: ["snare"],
  rimshot: ["snare"],
  hat: ["hat"],
  hats: ["hat"],
  hihat: ["hat"],
  hihats: ["hat"],
  hh: ["hat"],
  chh: ["hat"],
  ohh: ["hat"],
  clap: ["clap"],
  claps: ["clap"],
  clp: ["clap"],
  handclap: ["clap"],
  snap: ["clap"],
  snaps: ["clap"],
  tom: ["tom"],
  toms: ["tom"],
  tomtom: ["tom"],
  cymbal: ["cymbal"],
  cymbals: ["cymbal"],
  cym: ["cymbal"],
  crash: ["cymbal"],
  ride: ["cymbal"],
  splash: ["cymbal"],
  china: ["cymbal"],
  perc: ["perc"],
  percs: ["perc"],
  percussion: ["perc"],
  shaker: ["perc"],
  conga: ["perc"],
  congas: ["perc"],
  bongo: ["perc"],
  bongos: ["perc"],
  cowbell: ["perc"],
  tambourine: ["perc"],
  tamb: ["perc"],
  clave: ["perc"],
  claves: ["perc"],
  woodblock: ["perc"],
  triangle: ["perc"],
  guiro: ["perc"],
  cabasa: ["perc"],
  timbale: ["perc"],
  timbales: ["perc"],
  djembe: ["perc"],
  tabla: ["tabla"],
  drum: ["drum"],
  drums: ["drum"],
  kit: ["drum"],
  roll: ["drum"],
  bass: ["bass"],
  basses: ["bass"],
  sub: ["bass"],
  subbass: ["bass"],
  reese: ["bass"],
  pad: ["pad"],
  pads: ["pad"],
  ambi: ["ambient"],
  ambient: ["ambient"],
  atmos: ["ambient"],
  atmosphere: ["ambient"],
  drone: ["ambient"],
  drones: ["ambient"],
  texture: ["ambient"],
  textures: ["ambient"],
  vocal: ["vocal"],
  vocals: ["vocal"],
  vox: ["vocal"],
  voice: ["vocal"],
  voices: ["vocal"],
  acapella: ["vocal"],
  choir: ["vocal"],
  chant: ["vocal"],
  fx: ["fx"],
  sfx: ["fx"],
  effect: ["fx"],
  effects: ["fx"],
  riser: ["fx"],
  risers: ["fx"],
  sweep: ["fx"],
  sweeps: ["fx"],
  impact: ["fx"],
  impacts: ["fx"],
  woosh: ["fx"],
  whoosh: ["fx"],
  swoosh: ["fx"],
  swash: ["fx"],
  noise: ["fx"],
  foley: ["fx"],
  robot: ["fx"],
  loop: ["loop"],
  loops: ["loop"],
  break: ["loop"],
  breaks: ["loop"],
  breakbeat: ["loop"],
  breakbeats: ["loop"],
  groove: ["loop"],
  grooves: ["loop"],
  amen: ["loop"],
  synth: ["synth"],
  synths: ["synth"],
  elec: ["synth"],
  electro: ["synth"],
  blip: ["synth"],
  beep: ["synth"],
  guitar: ["guitar"],
  guitars: ["guitar"],
  guit: ["guitar"],
  gtr: ["guitar"],
  piano: ["piano"],
  pianos: ["piano"],
  keys: ["piano"],
  rhodes: ["piano"],
  strings: ["strings"],
  string: ["strings"],
  violin: ["strings"],
  cello: ["strings"],
  brass: ["brass"],
  horn: ["brass"],
  horns: ["brass"],
  trumpet: ["brass"],
  bell: ["bell"],
  bells: ["bell"],
  chime: ["bell"],
  chimes: ["bell"],
  pluck: ["pluck"],
  plucks: ["pluck"],
  lead: ["lead"],
  leads: ["lead"],
  chord: ["chord"],
  chords: ["chord"],
  stab: ["chord"],
  stabs: ["chord"],
  glitch: ["glitch"],
  vinyl: ["vinyl"],
  scratch: ["vinyl"],
  misc: ["misc"],
};

/**
 * Word pairs that mean something else than their words ("bass drum" is a kick, not a bass; the
 * "closed/open/pedal cymbal" of a kit is a hi-hat). A pair rule replaces the single-word tags of both words.
 */
const PAIR_ALIASES: Readonly<Record<string, readonly Category[]>> = {
  "bass drum": ["kick"],
  "drum bass": ["kick"],
  "hi hat": ["hat"],
  "high hat": ["hat"],
  "open hat": ["hat"],
  "closed hat": ["hat"],
  "cymbal closed": ["hat"],
  "cymbal open": ["hat"],
  "cymbal pedal": ["hat"],
  "closed cymbal": ["hat"],
  "open cymbal": ["hat"],
  "pedal cymbal": ["hat"],
  "snare drum": ["snare"],
  "sub bass": ["bass"],
  "hand clap": ["clap"],
  "finger snap": ["clap"],
};

/** Tags that imply another tag (every kit piece is a drum; tabla is percussion; ...). */
const IMPLIED: Partial<Record<Category, readonly Category[]>> = {
  kick: ["drum"],
  snare: ["drum"],
  hat: ["drum"],
  clap: ["drum"],
  tom: ["drum"],
  cymbal: ["drum"],
  tabla: ["perc"],
  glitch: ["fx"],
  vinyl: ["fx"],
};

const BIT: ReadonlyMap<string, number> = new Map(CATEGORIES.map((name, i) => [name, i]));

/** Splits a name into lower-case words at separators, camelCase humps and letter/digit boundaries. */
export function nameWords(name: string): string[] {
  return name
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .replace(/([a-zA-Z])(\d)/g, "$1 $2")
    .replace(/(\d)([a-zA-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word.length > 0);
}

function maskOf(categories: readonly Category[]): number {
  let mask = 0;
  for (const category of categories) mask |= 1 << BIT.get(category)!;
  return mask >>> 0;
}

/** IMPLIED as bit masks, in declaration order: [mask of the tag, mask of the tags it implies]. */
const IMPLIED_MASKS: readonly (readonly [number, number])[] = Object.entries(IMPLIED).map(([category, implied]) => [
  1 << BIT.get(category)!,
  maskOf(implied),
]);

function withImplied(mask: number): number {
  let out = mask;
  for (const [tag, implied] of IMPLIED_MASKS) {
    if (out & tag) out |= implied;
  }
  return out >>> 0;
}

function wordsMask(words: readonly string[]): number {
  let mask = 0;
  const claimed = new Uint8Array(words.length);
  for (let i = 0; i + 1 < words.length; i++) {
    const pair = PAIR_ALIASES[`${words[i]} ${words[i + 1]}`];
    if (pair === undefined) continue;
    mask |= maskOf(pair);
    claimed[i] = 1;
    claimed[i + 1] = 1;
  }
  for (let i = 0; i < words.length; i++) {
    if (claimed[i]) continue;
    const word = words[i]!;
    const tags = Object.prototype.hasOwnProperty.call(WORD_ALIASES, word) ? WORD_ALIASES[word] : undefined;
    if (tags !== undefined) mask |= maskOf(tags);
  }
  return mask;
}

/**
 * The category mask of a file from its path inside its root.
 * @param relativePath path below the root (either separator), including the file name; the extension is ignored.
 * @param rootName the root folder's own name, which often names the collection ("Kicks").
 */
export function categoryMaskForPath(relativePath: string, rootName = ""): number {
  const parts = [rootName, ...relativePath.split(/[\\/]+/)].filter((part) => part.length > 0);
  let mask = 0;
  parts.forEach((part, i) => {
    mask |= i === parts.length - 1 ? wordsMask(nameWords(part.replace(/\.[^.]+$/, ""))) : folderMask(part);
  });
  return withImplied(mask);
}

/** Masks of folder names seen so far: every file of a folder shares them (at most 4096 names kept). */
const FOLDER_MASKS = new Map<string, number>();
const FOLDER_MASKS_MAX = 4096;

function folderMask(name: string): number {
  let mask = FOLDER_MASKS.get(name);
  if (mask === undefined) {
    mask = wordsMask(nameWords(name));
    if (FOLDER_MASKS.size >= FOLDER_MASKS_MAX) FOLDER_MASKS.clear();
    FOLDER_MASKS.set(name, mask);
  }
  return mask;
}

/** The category names of a mask, in vocabulary order. */
export function categoriesOfMask(mask: number): Category[] {
  return CATEGORIES.filter((_, i) => (mask >>> i) & 1);
}

/** True when `name` is in the vocabulary. */
export function isCategory(name: string): name is Category {
  return BIT.has(name);
}

/**
 * The mask of named categories, for filters.
 * @throws ParameterError naming the unknown category and listing the vocabulary.
 */
export function categoryMask(names: readonly string[]): number {
  let mask = 0;
  for (const raw of names) {
    const name = raw.trim().toLowerCase();
    const bit = BIT.get(name);
    if (bit === undefined) throw new ParameterError(`unknown category "${raw}" (known: ${CATEGORIES.join(", ")})`);
    mask |= 1 << bit;
  }
  return mask >>> 0;
}
