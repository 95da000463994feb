/**
 * Builds small native FLAC streams for known-answer tests: STREAMINFO + frames of VERBATIM subframes (a
 * CONSTANT subframe when a block's channel is one value), any rate, 1-8 channels, 4-32 bits, and each
 * stereo decorrelation mode. Follows RFC 9639 field by field; frames carry valid CRC-8 and CRC-16.
 * Checked once by hand: sox (libFLAC) and ffmpeg decode its output to the input samples (16 and 24 bits,
 * all stereo modes). codec-parser, in front of the WebAssembly libFLAC, rejects these streams, so tests
 * compare them with the input samples, not with that decoder.
 */

export type StereoMode = "independent" | "left-side" | "side-right" | "mid-side";

export interface FlacBuild {
  sampleRateHz: number;
  bitsPerSample: number;
  /** Integer samples, one array per channel, in [-2^(bits-1), 2^(bits-1)). */
  channels: Int32Array[];
  blockFrames?: number;
  /** Stereo only. */
  stereo?: StereoMode;
}

class BitWriter {
  private readonly bytes: number[] = [];
  private acc = 0;
  private count = 0;

  write(value: number, bits: number): void {
    for (let b = bits - 1; b >= 0; b--) {
      const bit = Math.floor(value / 2 ** b) & 1; // two's complement for negatives via the caller's wrap
      this.acc = (this.acc << 1) | bit;
      if (++this.count === 8) {
        this.bytes.push(this.acc);
        this.acc = 0;
        this.count = 0;
      }
    }
  }

  writeSigned(value: number, bits: number): void {
    this.write(value < 0 ? value + 2 ** bits : value, bits);
  }

  align(): void {
    while (this.count !== 0) this.write(0, 1);
  }

  get length(): number {
    return this.bytes.length;
  }

  toBytes(): number[] {
    return this.bytes;
  }
}

function crc8(bytes: readonly number[], start: number, end: number): number {
  let crc = 0;
  for (let i = start; i < end; i++) {
    crc ^= bytes[i]!;
    for (let b = 0; b < 8; b++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  }
  return crc;
}

function crc16(bytes: readonly number[], start: number, end: number): number {
  let crc = 0;
  for (let i = start; i < end; i++) {
    crc ^= bytes[i]! << 8;
    for (let b = 0; b < 8; b++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x8005) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** FLAC's UTF-8-like coding of the frame number. */
function codedNumber(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  let bytes = 2;
  while (n >= 2 ** (5 * bytes + 1)) bytes++;
  for (let i = bytes - 1; i > 0; i--) out.unshift(0x80 | (Math.floor(n / 2 ** (6 * (bytes - 1 - i))) & 0x3f));
  const leadBits = 7 - bytes;
  out.unshift(((0xff << (8 - bytes)) & 0xff) | (Math.floor(n / 2 ** (6 * (bytes - 1))) & ((1 << leadBits) - 1)));
  return out;
}

const CHANNEL_CODES: Record<StereoMode, number> = { independent: -1, "left-side": 8, "side-right": 9, "mid-side": 10 };

/** Encodes `build` as a native FLAC file. */
export function buildFlac(build: FlacBuild): Uint8Array {
  const { sampleRateHz, bitsPerSample: bps, channels } = build;
  const blockFrames = build.blockFrames ?? 4096;
  const totalFrames = channels[0]!.length;
  const out: number[] = [0x66, 0x4c, 0x61, 0x43];
  const info = new BitWriter();
  info.write(blockFrames, 16);
  info.write(blockFrames, 16);
  info.write(0, 24);
  info.write(0, 24);
  info.write(sampleRateHz, 20);
  info.write(channels.length - 1, 3);
  info.write(bps - 1, 5);
  info.write(totalFrames, 36);
  for (let i = 0; i < 16; i++) info.write(0, 8);
  out.push(0x80, 0, 0, 34, ...info.toBytes()); // last metadata block: STREAMINFO
  const mode = channels.length === 2 ? (build.stereo ?? "independent") : "independent";
  for (let frame = 0, start = 0; start < totalFrames; frame++, start += blockFrames) {
    const n = Math.min(blockFrames, totalFrames - start);
    const w = new BitWriter();
    const channelCode = mode === "independent" ? channels.length - 1 : CHANNEL_CODES[mode];
    w.write(0xfff8, 16);
    w.write(7, 4); // block size: 16-bit (n - 1) after the frame number
    w.write(0, 4); // sample rate from STREAMINFO
    w.write(channelCode, 4);
    w.write(0, 3); // sample size from STREAMINFO
    w.write(0, 1);
    for (const byte of codedNumber(frame)) w.write(byte, 8);
    w.write(n - 1, 16);
    const headerBytes = w.toBytes().slice();
    w.write(crc8(headerBytes, 0, headerBytes.length), 8);
    const subframes: { samples: Int32Array; bits: number }[] = [];
    const l = channels[0]!.subarray(start, start + n);
    const r = channels[1]?.subarray(start, start + n);
    const side = r === undefined ? undefined : l.map((v, i) => v - r[i]!);
    if (mode === "left-side") subframes.push({ samples: l, bits: bps }, { samples: side!, bits: bps + 1 });
    else if (mode === "side-right") subframes.push({ samples: side!, bits: bps + 1 }, { samples: r!, bits: bps });
    else if (mode === "mid-side") subframes.push({ samples: l.map((v, i) => (v + r![i]!) >> 1), bits: bps }, { samples: side!, bits: bps + 1 });
    else for (const ch of channels) subframes.push({ samples: ch.subarray(start, start + n), bits: bps });
    for (const { samples, bits } of subframes) {
      if (samples.every((v) => v === samples[0])) {
        w.write(0x00, 8); // CONSTANT
        w.writeSigned(samples[0]!, bits);
      } else {
        w.write(0x02, 8); // VERBATIM
        for (const v of samples) w.writeSigned(v, bits);
      }
    }
    w.align();
    const body = w.toBytes();
    const crc = crc16(body, 0, body.length);
    out.push(...body, crc >> 8, crc & 0xff);
  }
  return new Uint8Array(out);
}
