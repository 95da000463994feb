/**
 * Interleaved PCM bytes -> planar Float32 samples, for every sample encoding WAV and AIFF carry.
 *
 * Scaling follows the usual two's-complement convention (libsndfile, ffmpeg): an N-bit integer `k`
 * becomes `k / 2^(N-1)`, so full scale is [-1, 1) and the writer's `round(x * 2^(N-1))` inverts it
 * exactly. Unsigned 8-bit (WAV) is offset by 128 first.
 *
 * The hot loops index typed arrays only (no per-sample allocation). Little-endian encodings read through
 * typed-array views when the host is little-endian; big-endian ones assemble bytes. Only the float paths
 * check for NaN/Inf, so the integer paths pay nothing for it.
 */

/** How one sample is stored: signedness/float, width and byte order. */
export type PcmEncoding =
  | "u8"
  | "s8"
  | "s16le"
  | "s16be"
  | "s24le"
  | "s24be"
  | "s32le"
  | "s32be"
  | "f32le"
  | "f32be"
  | "f64le"
  | "f64be";

/** Bytes one sample of `encoding` occupies. */
export function bytesPerSample(encoding: PcmEncoding): number {
  switch (encoding) {
    case "u8":
    case "s8":
      return 1;
    case "s16le":
    case "s16be":
      return 2;
    case "s24le":
    case "s24be":
      return 3;
    case "s32le":
    case "s32be":
    case "f32le":
    case "f32be":
      return 4;
    case "f64le":
    case "f64be":
      return 8;
  }
}

/** True for the IEEE float encodings (the only ones that can hold NaN/Inf). */
export function isFloatEncoding(encoding: PcmEncoding): boolean {
  return encoding === "f32le" || encoding === "f32be" || encoding === "f64le" || encoding === "f64be";
}

/** Non-finite samples met in one conversion: how many, and the first one's frame (relative) and channel. */
export interface NonFiniteReport {
  count: number;
  firstFrame: number;
  firstChannel: number;
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const SCALE_8 = 1 / 128; // 2^-7
const SCALE_16 = 1 / 32768; // 2^-15
const SCALE_24 = 1 / 8388608; // 2^-23
const SCALE_32 = 1 / 2147483648; // 2^-31

/**
 * Converts `frameCount` interleaved frames of `channelCount` channels from `src` (starting at byte 0 of
 * `src`) into `out[c][outOffset + i]`.
 *
 * `src` must start at a byte offset of its ArrayBuffer that is a multiple of 8 (allocate it with
 * `Buffer.allocUnsafeSlow` or `new Uint8Array(n)`): the fast paths view it as Int16/Int32/Float32/Float64.
 *
 * @param nonFinite filled for float encodings when any sample is NaN or ±Inf (those samples are written
 *   as 0); `count` is reset to 0 first. Integer encodings never touch it.
 * @returns the number of non-finite samples (always 0 for integer encodings).
 */
export function convertInterleavedToPlanar(
  src: Uint8Array,
  encoding: PcmEncoding,
  channelCount: number,
  frameCount: number,
  out: readonly Float32Array[],
  outOffset: number,
  nonFinite: NonFiniteReport,
): number {
  nonFinite.count = 0;
  const sampleCount = frameCount * channelCount;
  const byteOffset = src.byteOffset;
  const aligned = byteOffset % 8 === 0;
  const fastLittleEndian = HOST_LITTLE_ENDIAN && aligned;
  switch (encoding) {
    case "u8":
      for (let c = 0; c < channelCount; c++) {
        const dst = out[c]!;
        for (let i = 0, s = c; i < frameCount; i++, s += channelCount) dst[outOffset + i] = (src[s]! - 128) * SCALE_8;
      }
      return 0;
    case "s8":
      for (let c = 0; c < channelCount; c++) {
        const dst = out[c]!;
        for (let i = 0, s = c; i < frameCount; i++, s += channelCount) dst[outOffset + i] = ((src[s]! << 24) >> 24) * SCALE_8;
      }
      return 0;
    case "s16le":
      if (fastLittleEndian) {
        const view = new Int16Array(src.buffer, byteOffset, sampleCount);
        if (channelCount === 2) {
          deinterleaveStereo(view, frameCount, out[0]!, out[1]!, outOffset, SCALE_16);
          return 0;
        }
        deinterleave(view, channelCount, frameCount, out, outOffset, SCALE_16);
        return 0;
      }
      for (let c = 0; c < channelCount; c++) {
        const dst = out[c]!;
        for (let i = 0, b = c * 2; i < frameCount; i++, b += channelCount * 2) {
          dst[outOffset + i] = (((src[b + 1]! << 24) >> 16) | src[b]!) * SCALE_16;
        }
      }
      return 0;
    case "s16be":
      for (let c = 0; c < channelCount; c++) {
        const dst = out[c]!;
        for (let i = 0, b = c * 2; i < frameCount; i++, b += channelCount * 2) {
          dst[outOffset + i] = (((src[b]! << 24) >> 16) | src[b + 1]!) * SCALE_16;
        }
      }
      return 0;
    case "s24le":
      for (let c = 0; c < channelCount; c++) {
        const dst = out[c]!;
        for (let i = 0, b = c * 3; i < frameCount; i++, b += channelCount * 3) {
          dst[outOffset + i] = (((src[b + 2]! << 24) | (src[b + 1]! << 16) | (src[b]! << 8)) >> 8) * SCALE_24;
        }
      }
      return 0;
    case "s24be":
      for (let c = 0; c < channelCount; c++) {
        const dst = out[c]!;
        for (let i = 0, b = c * 3; i < frameCount; i++, b += channelCount * 3) {
          dst[outOffset + i] = (((src[b]! << 24) | (src[b + 1]! << 16) | (src[b + 2]! << 8)) >> 8) * SCALE_24;
        }
      }
      return 0;
    case "s32le":
      if (fastLittleEndian) {
        deinterleave(new Int32Array(src.buffer, byteOffset, sampleCount), channelCount, frameCount, out, outOffset, SCALE_32);
        return 0;
      }
      for (let c = 0; c < channelCount; c++) {
        const dst = out[c]!;
        for (let i = 0, b = c * 4; i < frameCount; i++, b += channelCount * 4) {
          dst[outOffset + i] = ((src[b + 3]! << 24) | (src[b + 2]! << 16) | (src[b + 1]! << 8) | src[b]!) * SCALE_32;
        }
      }
      return 0;
    case "s32be":
      for (let c = 0; c < channelCount; c++) {
        const dst = out[c]!;
        for (let i = 0, b = c * 4; i < frameCount; i++, b += channelCount * 4) {
          dst[outOffset + i] = ((src[b]! << 24) | (src[b + 1]! << 16) | (src[b + 2]! << 8) | src[b + 3]!) * SCALE_32;
        }
      }
      return 0;
    case "f32le":
      if (fastLittleEndian) {
        return deinterleaveFloat(new Float32Array(src.buffer, byteOffset, sampleCount), channelCount, frameCount, out, outOffset, nonFinite);
      }
      return convertFloatDataView(src, 4, true, channelCount, frameCount, out, outOffset, nonFinite);
    case "f32be":
      return convertFloatDataView(src, 4, false, channelCount, frameCount, out, outOffset, nonFinite);
    case "f64le":
      if (fastLittleEndian) {
        return deinterleaveFloat(new Float64Array(src.buffer, byteOffset, sampleCount), channelCount, frameCount, out, outOffset, nonFinite);
      }
      return convertFloatDataView(src, 8, true, channelCount, frameCount, out, outOffset, nonFinite);
    case "f64be":
      return convertFloatDataView(src, 8, false, channelCount, frameCount, out, outOffset, nonFinite);
  }
}

function deinterleaveStereo(
  src: Int16Array | Int32Array,
  frameCount: number,
  left: Float32Array,
  right: Float32Array,
  outOffset: number,
  scale: number,
): void {
  for (let i = 0, s = 0; i < frameCount; i++, s += 2) {
    left[outOffset + i] = src[s]! * scale;
    right[outOffset + i] = src[s + 1]! * scale;
  }
}

function deinterleave(
  src: Int16Array | Int32Array,
  channelCount: number,
  frameCount: number,
  out: readonly Float32Array[],
  outOffset: number,
  scale: number,
): void {
  if (channelCount === 1) {
    // mono: a native int -> float conversion, then an exact power-of-two scaling in place (the same values as
    // src * scale, without the element access this function's two source types make polymorphic)
    const dst = out[0]!;
    dst.set(src.subarray(0, frameCount), outOffset);
    const end = outOffset + frameCount;
    for (let i = outOffset; i < end; i++) dst[i] = dst[i]! * scale;
    return;
  }
  for (let c = 0; c < channelCount; c++) {
    const dst = out[c]!;
    for (let i = 0, s = c; i < frameCount; i++, s += channelCount) dst[outOffset + i] = src[s]! * scale;
  }
}

function deinterleaveFloat(
  src: Float32Array | Float64Array,
  channelCount: number,
  frameCount: number,
  out: readonly Float32Array[],
  outOffset: number,
  nonFinite: NonFiniteReport,
): number {
  let bad = 0;
  for (let c = 0; c < channelCount; c++) {
    const dst = out[c]!;
    for (let i = 0, s = c; i < frameCount; i++, s += channelCount) {
      const v = src[s]!;
      // v - v is 0 for every finite v and NaN for NaN/±Inf.
      if (v - v === 0) {
        dst[outOffset + i] = v;
      } else {
        dst[outOffset + i] = 0;
        if (bad === 0 || i < nonFinite.firstFrame) {
          nonFinite.firstFrame = i;
          nonFinite.firstChannel = c;
        }
        bad++;
      }
    }
  }
  nonFinite.count = bad;
  return bad;
}

function convertFloatDataView(
  src: Uint8Array,
  width: 4 | 8,
  littleEndian: boolean,
  channelCount: number,
  frameCount: number,
  out: readonly Float32Array[],
  outOffset: number,
  nonFinite: NonFiniteReport,
): number {
  const view = new DataView(src.buffer, src.byteOffset, frameCount * channelCount * width);
  const stride = channelCount * width;
  let bad = 0;
  for (let c = 0; c < channelCount; c++) {
    const dst = out[c]!;
    for (let i = 0, b = c * width; i < frameCount; i++, b += stride) {
      const v = width === 4 ? view.getFloat32(b, littleEndian) : view.getFloat64(b, littleEndian);
      if (v - v === 0) {
        dst[outOffset + i] = v;
      } else {
        dst[outOffset + i] = 0;
        if (bad === 0 || i < nonFinite.firstFrame) {
          nonFinite.firstFrame = i;
          nonFinite.firstChannel = c;
        }
        bad++;
      }
    }
  }
  nonFinite.count = bad;
  return bad;
}
