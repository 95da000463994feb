/**
 * The per-frame feature row: every STFT frame of the analysis is described by these values, in this
 * order, before the frames of a unit are summarised into the unit's descriptor vector (see `schema.ts`).
 */

export const MFCC_COUNT = 13;
export const CHROMA_COUNT = 12;

/** Names of the per-frame features, in row order. */
export const FRAME_FEATURES = [
  "rmsDb",
  "loudness",
  "centroidHz",
  "spreadHz",
  "flatness",
  "rolloffHz",
  "flux",
  "zcr",
  ...Array.from({ length: MFCC_COUNT }, (_, i) => `mfcc${i}` as const),
  ...Array.from({ length: CHROMA_COUNT }, (_, i) => `chroma${i}` as const),
  "f0Midi",
  "pitchConfidence",
] as const;

export type FrameFeatureName = (typeof FRAME_FEATURES)[number];

/** Length of one frame row. */
export const FRAME_FEATURE_COUNT = FRAME_FEATURES.length;

/** Index of a named per-frame feature in the row. */
export function frameFeatureIndex(name: FrameFeatureName): number {
  return (FRAME_FEATURES as readonly string[]).indexOf(name);
}

export const FRAME = {
  rmsDb: 0,
  loudness: 1,
  centroidHz: 2,
  spreadHz: 3,
  flatness: 4,
  rolloffHz: 5,
  flux: 6,
  zcr: 7,
  mfcc0: 8,
  chroma0: 8 + MFCC_COUNT,
  f0Midi: 8 + MFCC_COUNT + CHROMA_COUNT,
  pitchConfidence: 9 + MFCC_COUNT + CHROMA_COUNT,
} as const;
