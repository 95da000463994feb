/**
 * Streaming reader for uncompressed files (WAV, AIFF): positioned reads of whole blocks into one reused
 * byte buffer, converted in place into reused Float32 channels. `readRange` seeks straight to the frame.
 * Memory per `blocks()` iteration: blockFrames x (bytes per frame + 4 x channels).
 */

import { DecodeError } from "../core/errors.js";
import { samplesToSeconds } from "../core/dsp/time.js";
import type { AudioInfo } from "./audio-info.js";
import type { AudioBlock, AudioFileReader } from "./audio-reader.js";
import type { ByteSource } from "./byte-source.js";
import { convertInterleavedToPlanar, isFloatEncoding, type NonFiniteReport } from "./pcm-convert.js";
import type { PcmLayout } from "./pcm-layout.js";
import { allocateChannels, checkBlockFrames, checkFrameRange, DEFAULT_BLOCK_FRAMES } from "./read-args.js";

/** Frames converted per read inside `readRange` (bounds its scratch buffer). */
const RANGE_CHUNK_FRAMES = 65536;

/** A byte buffer whose data starts at offset 0 of its own ArrayBuffer (so typed views are aligned). */
function alignedBytes(length: number): Uint8Array {
  return new Uint8Array(new ArrayBuffer(Math.max(8, length)), 0, length);
}

export class PcmFileReader implements AudioFileReader {
  readonly info: AudioInfo;
  private readonly report: NonFiniteReport = { count: 0, firstFrame: 0, firstChannel: 0 };
  private closed = false;

  constructor(
    private readonly source: ByteSource,
    private readonly layout: PcmLayout,
  ) {
    this.info = Object.freeze({
      path: source.path,
      format: layout.format,
      sampleRateHz: layout.sampleRateHz,
      channelCount: layout.channelCount,
      frameCount: layout.frameCount,
      bitDepth: layout.bitDepth,
      durationSec: samplesToSeconds(layout.frameCount, layout.sampleRateHz),
    });
  }

  async *blocks(blockFrames: number = DEFAULT_BLOCK_FRAMES): AsyncIterable<AudioBlock> {
    checkBlockFrames(blockFrames);
    this.checkOpen();
    const { blockAlign, channelCount, frameCount } = this.layout;
    const size = Math.min(blockFrames, frameCount);
    const bytes = alignedBytes(size * blockAlign);
    const channels = allocateChannels(channelCount, size);
    const report: NonFiniteReport = { count: 0, firstFrame: 0, firstChannel: 0 };
    for (let startFrame = 0; startFrame < frameCount; startFrame += size) {
      const frames = Math.min(size, frameCount - startFrame);
      await this.readFrames(bytes, startFrame, frames, channels, 0, report);
      yield {
        channels: frames === size ? channels : channels.map((ch) => ch.subarray(0, frames)),
        frameCount: frames,
        startFrame,
      };
    }
  }

  async readRange(startFrame: number, endFrame: number): Promise<Float32Array[]> {
    checkFrameRange(startFrame, endFrame);
    this.checkOpen();
    const { blockAlign, channelCount, frameCount } = this.layout;
    const out = allocateChannels(channelCount, endFrame - startFrame);
    const lastFrame = Math.min(endFrame, frameCount);
    if (lastFrame <= startFrame) return out;
    const chunkFrames = Math.min(RANGE_CHUNK_FRAMES, lastFrame - startFrame);
    const bytes = alignedBytes(chunkFrames * blockAlign);
    for (let frame = startFrame; frame < lastFrame; frame += chunkFrames) {
      const frames = Math.min(chunkFrames, lastFrame - frame);
      await this.readFrames(bytes, frame, frames, out, frame - startFrame, this.report);
    }
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.source.close();
  }

  private checkOpen(): void {
    if (this.closed) throw new DecodeError(this.source.path, "unreadable", "reader is closed");
  }

  /** Reads and converts frames [startFrame, startFrame + frames) into `out[c][outOffset...]`. */
  private async readFrames(
    bytes: Uint8Array,
    startFrame: number,
    frames: number,
    out: readonly Float32Array[],
    outOffset: number,
    report: NonFiniteReport,
  ): Promise<void> {
    const { blockAlign, channelCount, dataOffset, encoding } = this.layout;
    const wanted = frames * blockAlign;
    const got = await this.source.readInto(bytes, 0, wanted, dataOffset + startFrame * blockAlign);
    if (got < wanted) {
      throw new DecodeError(
        this.source.path,
        "truncated",
        `file ended at frame ${startFrame + Math.floor(got / blockAlign)} of ${this.layout.frameCount} (was it shortened while being read?)`,
      );
    }
    convertInterleavedToPlanar(bytes, encoding, channelCount, frames, out, outOffset, report);
    if (report.count > 0 && isFloatEncoding(encoding)) {
      throw new DecodeError(
        this.source.path,
        "corrupt",
        `${report.count} non-finite (NaN/Inf) float samples in frames [${startFrame}, ${startFrame + frames}); ` +
          `first at frame ${startFrame + report.firstFrame}, channel ${report.firstChannel}`,
      );
    }
  }
}
