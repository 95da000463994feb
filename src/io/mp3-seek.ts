/**
 * Seeking in an MP3 (MPEG Layer III) stream decoded by mpg123 in gapless mode, so that a range read decodes
 * only a few frames before the range instead of the whole file from frame 0.
 *
 * `Mp3Seeker.open` walks the frame headers from the first frame (4 bytes per frame: each header gives the
 * frame's length) and keeps the byte offset of every audio frame. mpg123 decodes every frame into exactly
 * `samplesPerFrame` samples (a frame it cannot decode fully is zero-filled), so audio frame k holds raw
 * samples [k * spf, (k + 1) * spf). In gapless mode with a LAME tag mpg123 skips the Xing/Info frame and the
 * first `encoderDelay + 529` raw samples (529 = decoder delay) and stops at raw sample
 * `frames * spf - padding + 529`; without any Xing/Info frame it trims nothing.
 *
 * A range starting at sequential sample S starts decoding with a fresh decoder at the frame holding raw
 * sample S + skip, minus a pre-roll of at least `PREROLL_FRAMES` frames and `PREROLL_BYTES` bytes, rounded
 * down to a multiple of `SYNTH_PHASE_FRAMES` (the bit
 * reservoir reaches back up to 511 bytes; the IMDCT overlap and the synthesis filterbank carry state across
 * one frame). A fresh mpg123 stream that starts at an ordinary audio frame finds no Xing/LAME tag and trims
 * nothing, so the decoded samples from there are raw samples; the pre-roll output is dropped and the rest
 * is bit-identical to the sequential decode (test/io/mp3-seek.test.ts).
 *
 * Streams the seeker does not trust are never sought (open returns undefined): not MPEG-1 Layer III, free format,
 * a header whose version, layer, rate or channel mode changes, bytes that are not a frame before the end
 * (other than a 128-byte ID3v1 tag), a last frame cut short, a Xing/Info frame without a LAME tag or whose
 * frame count differs from the frames found, a VBRI header.
 */

import type { ByteSource } from "./byte-source.js";
import { parseXingHeader } from "./codec-headers.js";
import { parseMpegFrameHeader, type MpegFrameHeader } from "./format-detect.js";

/** mpg123's decoder delay (GAPLESS_DELAY in mpg123's frame.h): 529 samples, added to the LAME encoder delay. */
const MPG123_DECODER_DELAY = 529;
/** Fewest frames decoded and dropped before the frame that holds a range's first sample: 10 frames. */
const PREROLL_FRAMES = 10;
/** Fewest bytes of pre-roll frames: 2 KiB (four times the 511-byte reach of the bit reservoir). */
const PREROLL_BYTES = 2048;
/**
 * A seeked decode starts at an audio frame whose index is a multiple of this: 4 frames. mpg123's polyphase
 * synthesis writes a 16-slot ring buffer, one slot per 32 output samples, and the slot it starts from
 * changes the order of the float additions (the last bit of the output), so the decode must start at the
 * same slot as the sequential one: an MPEG-1 frame is 36 slots, and 4 frames are 144 = 9 * 16.
 */
const SYNTH_PHASE_FRAMES = 4;
/** Bytes read per call while walking frame headers: 256 KiB. */
const SCAN_CHUNK_BYTES = 256 * 1024;
/** Size of an ID3v1 tag at the end of the file: 128 bytes. */
const ID3V1_BYTES = 128;

/** Where a seeked decode starts. */
export interface Mp3SeekPoint {
  /** File offset of the first frame fed to the decoder. */
  readonly byteOffset: number;
  /**
   * Sequential-decode sample index of the first sample decoded from there (negative when the pre-roll
   * begins before the gapless start trim): the decoder's output is numbered from this value.
   */
  readonly firstSample: number;
  /** Bytes from `byteOffset` to the end of the frame after the one that holds the range's last sample. */
  readonly rangeBytes: number;
}

function sameStream(a: MpegFrameHeader, b: MpegFrameHeader): boolean {
  return a.version === b.version && a.layer === b.layer && a.sampleRateHz === b.sampleRateHz && a.channelCount === b.channelCount;
}

function tagAt(b: Uint8Array, o: number, tag: string): boolean {
  if (b.length < o + tag.length) return false;
  for (let i = 0; i < tag.length; i++) if (b[o + i] !== tag.charCodeAt(i)) return false;
  return true;
}

/** Frame index of an MP3 stream, for seeking with mpg123 in gapless mode. */
export class Mp3Seeker {
  private constructor(
    /** File offset of every audio frame (the Xing/Info frame excluded). */
    private readonly frameOffsets: Uint32Array | Float64Array,
    private readonly frameBytes: Uint16Array,
    /** Samples per frame and channel: 1152 (MPEG-1 Layer III). */
    readonly samplesPerFrame: number,
    /** Raw decoded samples mpg123 drops at the start (encoder delay + decoder delay; 0 without a LAME tag). */
    readonly skipSamples: number,
    /** Samples of the sequential (gapless) decode. */
    readonly totalSamples: number,
  ) {}

  /** Audio frames in the stream. */
  get frameCount(): number {
    return this.frameOffsets.length;
  }

  /**
   * Walks the frame headers of the stream whose first frame is at `startOffset`.
   * @returns the seeker, or undefined when the stream is not one the seeker trusts (see the file comment).
   * @throws whatever `source.readAt` throws.
   */
  static async open(source: ByteSource, startOffset: number): Promise<Mp3Seeker | undefined> {
    const fileEnd = source.sizeBytes;
    let buffer = await source.readAt(startOffset, Math.min(SCAN_CHUNK_BYTES, fileEnd - startOffset));
    let bufferStart = startOffset;
    const first = parseMpegFrameHeader(buffer, 0);
    // MPEG-2/2.5 (576-sample frames) is not sought: there a seeked decode's synthesis slot did not always
    // match (it depends on which pre-roll frames mpg123 drops for lack of bit reservoir), 1-ulp differences.
    if (first === undefined || first.layer !== 3 || first.version !== 1) return undefined;
    const spf = first.samplesPerFrame;
    const mono = first.channelCount === 1;
    const sideInfoBytes = mono ? 17 : 32; // MPEG-1 side information
    const xingAt = 4 + sideInfoBytes;
    let position = startOffset;
    let skip = 0;
    let declaredFrames: number | undefined;
    let padding = 0;
    if (tagAt(buffer, 4 + 32, "VBRI")) return undefined;
    // A CRC-protected first frame holding a Xing/Info tag (after the 2 CRC bytes): not read by the opener.
    if ((buffer[1]! & 1) === 0 && (tagAt(buffer, xingAt + 2, "Xing") || tagAt(buffer, xingAt + 2, "Info"))) return undefined;
    if (tagAt(buffer, xingAt, "Xing") || tagAt(buffer, xingAt, "Info")) {
      const xing = parseXingHeader(buffer, 0, true, mono);
      if (xing === undefined || xing.encoderDelay === undefined || xing.padding === undefined) return undefined;
      skip = xing.encoderDelay + MPG123_DECODER_DELAY;
      declaredFrames = xing.frames;
      padding = xing.padding;
      position += first.frameBytes;
    }
    // First guess of the frame count from the first frame's size, at most 65536 (the arrays grow).
    const estimate = Math.min(65536, Math.ceil((fileEnd - startOffset) / Math.max(1, first.frameBytes - 1)) + 16);
    let offsets = new Float64Array(estimate);
    let sizes = new Uint16Array(estimate);
    let count = 0;
    while (position < fileEnd) {
      if (position + 4 > bufferStart + buffer.length) {
        if (fileEnd - position < 4) return undefined; // trailing bytes that are no frame
        buffer = await source.readAt(position, Math.min(SCAN_CHUNK_BYTES, fileEnd - position));
        bufferStart = position;
      }
      const header = parseMpegFrameHeader(buffer, position - bufferStart);
      if (header === undefined || !sameStream(header, first)) {
        const rest = fileEnd - position;
        if (rest === ID3V1_BYTES && tagAt(buffer, position - bufferStart, "TAG")) break;
        return undefined;
      }
      if (position + header.frameBytes > fileEnd) return undefined; // last frame cut short
      if (count === offsets.length) {
        const grown = new Float64Array(count * 2);
        grown.set(offsets);
        offsets = grown;
        const grownSizes = new Uint16Array(count * 2);
        grownSizes.set(sizes);
        sizes = grownSizes;
      }
      offsets[count] = position;
      sizes[count] = header.frameBytes;
      count++;
      position += header.frameBytes;
    }
    if (count === 0) return undefined;
    if (declaredFrames !== undefined && declaredFrames !== count) return undefined;
    const rawSamples = count * spf;
    const end = declaredFrames === undefined ? rawSamples : Math.min(rawSamples, rawSamples - padding + MPG123_DECODER_DELAY);
    const totalSamples = end - skip;
    if (totalSamples <= 0) return undefined;
    const compact = fileEnd <= 0xffffffff ? new Uint32Array(count) : new Float64Array(count);
    compact.set(offsets.subarray(0, count));
    return new Mp3Seeker(compact, sizes.slice(0, count), spf, skip, totalSamples);
  }

  /**
   * Where to start decoding so that sequential sample `sample` (0 <= sample < totalSamples) comes out
   * after the pre-roll; undefined when that start is the first audio frame (decode from the start).
   * `endSample` (exclusive, > sample) sizes `rangeBytes`.
   */
  locate(sample: number, endSample: number = sample + 1): Mp3SeekPoint | undefined {
    const frame = Math.floor((sample + this.skipSamples) / this.samplesPerFrame);
    let start = Math.min(frame, this.frameOffsets.length - 1) - PREROLL_FRAMES;
    let bytes = 0;
    for (let f = start; f < frame && f >= 0; f++) bytes += this.frameBytes[f]!;
    while (start > 0 && bytes < PREROLL_BYTES) {
      start--;
      bytes += this.frameBytes[start]!;
    }
    start -= ((start % SYNTH_PHASE_FRAMES) + SYNTH_PHASE_FRAMES) % SYNTH_PHASE_FRAMES;
    if (start <= 0) return undefined;
    const frames = this.frameOffsets.length;
    const last = Math.min(frames - 1, Math.floor((endSample - 1 + this.skipSamples) / this.samplesPerFrame) + 1);
    const byteOffset = this.frameOffsets[start]!;
    const rangeBytes = this.frameOffsets[last]! + this.frameBytes[last]! - byteOffset;
    return { byteOffset, firstSample: start * this.samplesPerFrame - this.skipSamples, rangeBytes };
  }

  /**
   * First sequential sample of audio frame `frame` (0 <= frame < frameCount): frame * samplesPerFrame -
   * skipSamples (negative inside the gapless start trim).
   */
  frameStartSample(frame: number): number {
    return frame * this.samplesPerFrame - this.skipSamples;
  }
}
