/**
 * Where the samples of an uncompressed file (WAV, AIFF) are and how they are stored: everything the
 * streaming PCM reader needs to seek to any frame without parsing the header again.
 */

import { DecodeError } from "../core/errors.js";
import type { PcmEncoding } from "./pcm-convert.js";

export interface PcmLayout {
  readonly format: "wav" | "aiff";
  readonly encoding: PcmEncoding;
  readonly channelCount: number;
  readonly sampleRateHz: number;
  /** Valid bits per sample (may be fewer than the container, e.g. 20 bits in 3 bytes). */
  readonly bitDepth: number;
  /** Absolute byte offset of frame 0. */
  readonly dataOffset: number;
  /** Bytes per frame (all channels). */
  readonly blockAlign: number;
  /** Frames actually present in the file (a data chunk claiming more than the file holds is cut to what is there). */
  readonly frameCount: number;
  /** True when the header claimed more sample bytes than the file holds (e.g. a recorder crashed). */
  readonly truncatedData: boolean;
}

/** Most channels a header may declare before we call it absurd. */
export const MAX_CHANNELS = 64;
/** Lowest plausible sample rate (1 kHz). */
export const MIN_SAMPLE_RATE_HZ = 1000;
/** Highest plausible sample rate (768 kHz, 16x 48 kHz). */
export const MAX_SAMPLE_RATE_HZ = 768000;

/**
 * Rejects absurd channel counts and sample rates.
 * @throws DecodeError "bad_header"
 */
export function checkChannelsAndRate(path: string, what: string, channelCount: number, sampleRateHz: number): void {
  if (!Number.isInteger(channelCount) || channelCount < 1 || channelCount > MAX_CHANNELS) {
    throw new DecodeError(path, "bad_header", `${what} header declares ${channelCount} channels (expected 1..${MAX_CHANNELS})`);
  }
  if (!Number.isFinite(sampleRateHz) || sampleRateHz < MIN_SAMPLE_RATE_HZ || sampleRateHz > MAX_SAMPLE_RATE_HZ) {
    throw new DecodeError(
      path,
      "bad_header",
      `${what} header declares a sample rate of ${sampleRateHz} Hz (expected ${MIN_SAMPLE_RATE_HZ}..${MAX_SAMPLE_RATE_HZ})`,
    );
  }
}
