/**
 * Fallback for formats without a streaming decoder here (M4A/AAC, CAF, WMA, WavPack...): the whole file
 * is decoded at open time by `audio-decode`, and blocks/ranges are copied out of memory. Only used below
 * `maxWholeFileBytes`; bigger files are refused with "too_large".
 */

import { DecodeError } from "../core/errors.js";
import { samplesToSeconds } from "../core/dsp/time.js";
import type { AudioFormat, AudioInfo } from "./audio-info.js";
import type { AudioBlock, AudioFileReader } from "./audio-reader.js";
import type { ByteSource } from "./byte-source.js";
import { checkChannelsAndRate } from "./pcm-layout.js";
import { allocateChannels, checkBlockFrames, checkFrameRange, DEFAULT_BLOCK_FRAMES } from "./read-args.js";

/**
 * 32 MiB of encoded audio: about 30 min of 128 kbps AAC, which decodes to ~600 MB of float32 stereo.
 * Larger files of formats without a streaming decoder are refused with advice to convert them.
 */
export const DEFAULT_MAX_WHOLE_FILE_BYTES = 32 * 1024 * 1024;

export class WholeFileReader implements AudioFileReader {
  private closed = false;

  private constructor(
    readonly info: AudioInfo,
    private readonly samples: readonly Float32Array[],
  ) {}

  /**
   * Decodes all of `source` in memory.
   * @throws DecodeError "too_large" (file above `maxWholeFileBytes`), "unsupported_codec" (no decoder),
   *   "corrupt" (decoder failed), "zero_length", "bad_header".
   */
  static async open(source: ByteSource, format: AudioFormat, variant: string, maxWholeFileBytes: number): Promise<WholeFileReader> {
    const path = source.path;
    const label = format === "other" ? variant : format;
    if (source.sizeBytes > maxWholeFileBytes) {
      throw new DecodeError(
        path,
        "too_large",
        `${label} file is ${source.sizeBytes} bytes; this format has no streaming decoder and is only decoded whole up to ` +
          `${maxWholeFileBytes} bytes. Convert the file to FLAC or WAV.`,
      );
    }
    const bytes = await source.readAt(0, source.sizeBytes);
    await source.close();
    let decoded: { channelData: Float32Array[]; sampleRate: number };
    try {
      // Loaded on first use (formats without a streaming decoder are rare): its import costs ~100 ms.
      const { default: decodeAudio } = await import("audio-decode");
      decoded = await decodeAudio(bytes);
    } catch (error) {
      const message = (error as Error).message ?? String(error);
      const reason = /unknown audio format|no decoder/i.test(message) ? "unsupported_codec" : "corrupt";
      throw new DecodeError(path, reason, `${label} could not be decoded (${message}); convert the file to FLAC or WAV`, { cause: error });
    }
    const channels = decoded.channelData;
    const frameCount = channels[0]?.length ?? 0;
    if (channels.length === 0 || frameCount === 0) throw new DecodeError(path, "zero_length", `${label} decoded to no audio frames`);
    checkChannelsAndRate(path, label, channels.length, decoded.sampleRate);
    const info: AudioInfo = Object.freeze({
      path,
      format,
      sampleRateHz: decoded.sampleRate,
      channelCount: channels.length,
      frameCount,
      bitDepth: undefined,
      durationSec: samplesToSeconds(frameCount, decoded.sampleRate),
    });
    return new WholeFileReader(info, channels);
  }

  async *blocks(blockFrames: number = DEFAULT_BLOCK_FRAMES): AsyncIterable<AudioBlock> {
    checkBlockFrames(blockFrames);
    this.checkOpen();
    const frameCount = this.info.frameCount ?? 0;
    const size = Math.min(blockFrames, frameCount);
    const channels = allocateChannels(this.info.channelCount, size);
    for (let startFrame = 0; startFrame < frameCount; startFrame += size) {
      const frames = Math.min(size, frameCount - startFrame);
      for (let c = 0; c < channels.length; c++) channels[c]!.set(this.samples[c]!.subarray(startFrame, startFrame + frames));
      yield { channels: frames === size ? channels : channels.map((ch) => ch.subarray(0, frames)), frameCount: frames, startFrame };
    }
  }

  async readRange(startFrame: number, endFrame: number): Promise<Float32Array[]> {
    checkFrameRange(startFrame, endFrame);
    this.checkOpen();
    const out = allocateChannels(this.info.channelCount, endFrame - startFrame);
    const last = Math.min(endFrame, this.info.frameCount ?? 0);
    if (last > startFrame) for (let c = 0; c < out.length; c++) out[c]!.set(this.samples[c]!.subarray(startFrame, last));
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private checkOpen(): void {
    if (this.closed) throw new DecodeError(this.info.path, "unreadable", "reader is closed");
  }
}
