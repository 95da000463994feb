/**
 * The unit descriptor schema: column names, order, groups and version. The index, the selector, the
 * store and the tests all read this one definition. Any change here is a version bump and a rebuild.
 */
import { FRAME_FEATURES, type FrameFeatureName } from "./frame-features.js";

/** Bump on any change of columns, their order, their definitions or the analysis front end. */
export const DESCRIPTOR_SCHEMA_VERSION = 1;

/** Per-frame features summarised by mean and standard deviation over the unit's frames. */
export const SUMMARISED_FEATURES = FRAME_FEATURES.filter(
  (name) => name !== "f0Midi" && name !== "pitchConfidence",
) as readonly Exclude<FrameFeatureName, "f0Midi" | "pitchConfidence">[];

/** Per-frame features that also get start and end values (mean over the first / last ~35 ms). */
export const EDGE_FEATURES = ["rmsDb", "centroidHz"] as const satisfies readonly FrameFeatureName[];

/** Descriptor groups that per-query weights address. */
export type DescriptorGroup = "timbre" | "pitch" | "loudness" | "duration";

function groupOf(feature: string): DescriptorGroup {
  if (feature.startsWith("chroma") || feature.startsWith("pitch") || feature.startsWith("f0")) return "pitch";
  if (feature.startsWith("rmsDb") || feature.startsWith("loudness") || feature.startsWith("peak") || feature.startsWith("attack"))
    return "loudness";
  if (feature.startsWith("duration")) return "duration";
  return "timbre";
}

/** Column names of the unit vector, in order. */
export const DESCRIPTOR_COLUMNS: readonly string[] = [
  ...SUMMARISED_FEATURES.flatMap((name) => [`${name}.mean`, `${name}.std`]),
  ...EDGE_FEATURES.flatMap((name) => [`${name}.start`, `${name}.end`]),
  "peakDb",
  "pitchMidi",
  "pitchConfidence",
  "attackTimeSec",
  "durationSec",
];

/** Length of a unit descriptor vector. */
export const DESCRIPTOR_COUNT = DESCRIPTOR_COLUMNS.length;

/** The group of every column, in column order. */
export const DESCRIPTOR_GROUPS: readonly DescriptorGroup[] = DESCRIPTOR_COLUMNS.map(groupOf);

/** Column index by name; throws on a name that is not in the schema. */
export function descriptorIndex(column: string): number {
  const index = DESCRIPTOR_COLUMNS.indexOf(column);
  if (index < 0) throw new RangeError(`unknown descriptor column "${column}"`);
  return index;
}

/** The whole schema as plain data, as stored next to every vector. */
export interface DescriptorSchema {
  readonly version: number;
  readonly columns: readonly string[];
  readonly groups: readonly DescriptorGroup[];
}

export const DESCRIPTOR_SCHEMA: DescriptorSchema = {
  version: DESCRIPTOR_SCHEMA_VERSION,
  columns: DESCRIPTOR_COLUMNS,
  groups: DESCRIPTOR_GROUPS,
};
