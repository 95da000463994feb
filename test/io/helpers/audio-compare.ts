/** Test-only signal comparison: block collection, alignment by cross-correlation, SNR, a reference resampler. */

import type { AudioFileReader } from "../../../src/io/audio-reader.js";

/** Concatenates all blocks of `reader.blocks(blockFrames)` (copying, since block buffers are reused). */
export async function collectBlocks(
  reader: AudioFileReader,
  blockFrames?: number,
): Promise<{ channels: Float32Array[]; blockSizes: number[]; startFrames: number[] }> {
  const parts: Float32Array[][] = [];
  const blockSizes: number[] = [];
  const startFrames: number[] = [];
  for await (const block of reader.blocks(blockFrames)) {
    parts.push(block.channels.map((ch) => ch.slice()));
    blockSizes.push(block.frameCount);
    startFrames.push(block.startFrame);
  }
  const total = blockSizes.reduce((a, b) => a + b, 0);
  const channels = Array.from({ length: reader.info.channelCount }, () => new Float32Array(total));
  let o = 0;
  parts.forEach((part, i) => {
    part.forEach((ch, c) => channels[c]!.set(ch, o));
    o += blockSizes[i]!;
  });
  return { channels, blockSizes, startFrames };
}

/** Joins planar parts (each `[channel][frame]`) end to end into one planar signal. */
export function concatParts(parts: readonly (readonly Float32Array[])[]): Float32Array[] {
  const total = parts.reduce((n, p) => n + p[0]!.length, 0);
  return (parts[0] ?? []).map((_, c) => {
    const out = new Float32Array(total);
    let o = 0;
    for (const p of parts) {
      out.set(p[c]!, o);
      o += p[c]!.length;
    }
    return out;
  });
}

/** Largest |a[i] - b[i]| over the common length (Infinity if lengths differ and `sameLength`). */
export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function mono(channels: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(channels[0]!.length);
  for (const ch of channels) for (let i = 0; i < out.length; i++) out[i]! += ch[i]! / channels.length;
  return out;
}

/**
 * The lag L (in frames, |L| <= maxLag) maximising the normalised cross-correlation of `decoded[i + L]`
 * against `reference[i]`, computed on the loudest `windowFrames` of the reference (mono mixes).
 */
export function bestLag(reference: readonly Float32Array[], decoded: readonly Float32Array[], maxLag: number, windowFrames = 16384): number {
  const r = mono(reference);
  const d = mono(decoded);
  // Window start: the loudest stretch of the reference, away from the edges.
  let bestStart = maxLag;
  let bestEnergy = -1;
  for (let s = maxLag; s + windowFrames + maxLag <= r.length; s += 1024) {
    let e = 0;
    for (let i = s; i < s + windowFrames; i++) e += r[i]! * r[i]!;
    if (e > bestEnergy) {
      bestEnergy = e;
      bestStart = s;
    }
  }
  const end = Math.min(bestStart + windowFrames, r.length);
  let best = 0;
  let bestScore = -Infinity;
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    let dot = 0;
    let dd = 0;
    for (let i = bestStart; i < end; i++) {
      const j = i + lag;
      if (j < 0 || j >= d.length) continue;
      dot += r[i]! * d[j]!;
      dd += d[j]! * d[j]!;
    }
    const score = dd > 0 ? dot / Math.sqrt(dd) : -Infinity;
    if (score > bestScore) {
      bestScore = score;
      best = lag;
    }
  }
  return best;
}

/**
 * Signal-to-noise ratio in dB of `decoded[i + lag]` against `reference[i]`, over frames where both exist,
 * skipping `edgeFrames` at each end (codec edge effects). Channels are compared pairwise and pooled.
 */
export function snrDb(reference: readonly Float32Array[], decoded: readonly Float32Array[], lag: number, edgeFrames = 2048): number {
  let signal = 0;
  let noise = 0;
  for (let c = 0; c < reference.length; c++) {
    const r = reference[c]!;
    const d = decoded[c]!;
    const start = Math.max(edgeFrames, -lag + edgeFrames);
    const end = Math.min(r.length, d.length - lag) - edgeFrames;
    for (let i = start; i < end; i++) {
      const e = d[i + lag]! - r[i]!;
      signal += r[i]! * r[i]!;
      noise += e * e;
    }
  }
  return 10 * Math.log10(signal / noise);
}

/**
 * Band-limited resampling by a Hann-windowed sinc (16 zero crossings each side), cutoff at 0.95 x the lower
 * Nyquist. Accurate to well below lossy-codec noise; slow but fine for a second of audio.
 */
export function resampleSinc(input: Float32Array, fromHz: number, toHz: number): Float32Array {
  const ratio = fromHz / toHz;
  const cutoff = 0.95 * Math.min(1, toHz / fromHz); // in cycles per input sample x2
  const halfTaps = Math.ceil(16 / cutoff);
  const outLength = Math.floor(input.length / ratio);
  const out = new Float32Array(outLength);
  for (let n = 0; n < outLength; n++) {
    const t = n * ratio;
    const center = Math.floor(t);
    let acc = 0;
    for (let k = center - halfTaps + 1; k <= center + halfTaps; k++) {
      if (k < 0 || k >= input.length) continue;
      const x = t - k;
      const arg = Math.PI * cutoff * x;
      const sinc = x === 0 ? 1 : Math.sin(arg) / arg;
      const window = 0.5 + 0.5 * Math.cos((Math.PI * x) / halfTaps);
      acc += input[k]! * cutoff * sinc * window;
    }
    out[n] = acc;
  }
  return out;
}
