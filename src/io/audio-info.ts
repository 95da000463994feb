/**
 * What is known about an audio file before (or without) decoding it: container/codec, native rate,
 * channel count and, where the header says so, length and bit depth.
 */

/** Container/codec family, detected from the file's content (magic bytes), never from its extension. */
export type AudioFormat = "wav" | "aiff" | "flac" | "mp3" | "ogg-vorbis" | "opus" | "m4a" | "other";

/** Header facts of one audio file. All values at the file's native rate. */
export interface AudioInfo {
  /** The path the file was opened with. */
  readonly path: string;
  readonly format: AudioFormat;
  /** Native sample rate (Hz); for Opus always 48000 (the decoder's output rate). */
  readonly sampleRateHz: number;
  /** Channels per frame, 1..64. */
  readonly channelCount: number;
  /** Sample frames per channel; `undefined` when unknown before a full decode (e.g. MP3 without a Xing/LAME header). */
  readonly frameCount: number | undefined;
  /** Bits per sample of the stored PCM (lossless formats); `undefined` for lossy codecs. */
  readonly bitDepth: number | undefined;
  /** `frameCount / sampleRateHz` in seconds, `undefined` when `frameCount` is. */
  readonly durationSec: number | undefined;
}

/**
 * File-name extensions (lower-case, with the dot) the corpus scanner treats as audio. Content decides
 * the decoder; the extension only decides whether a file is looked at.
 */
export const AUDIO_EXTENSIONS: readonly string[] = Object.freeze([
  ".wav",
  ".wave",
  ".bwf",
  ".rf64",
  ".aif",
  ".aiff",
  ".aifc",
  ".flac",
  ".mp3",
  ".ogg",
  ".oga",
  ".opus",
  ".m4a",
  ".aac",
  ".caf",
  ".wma",
  ".wv",
]);
