/**
 * Time stretching by WSOLA (waveform-similarity overlap-add; Verhelst & Roelands, ICASSP 1993): output
 * frames are cut from the input near their nominal position, each shifted within a tolerance so that it
 * best continues the previous frame (maximum cross-correlation with the "natural continuation"), then
 * overlap-added with a periodic Hann window at 50 % overlap. Pitch and timbre are kept; transients are
 * kept better than with a phase vocoder. The alignment is computed on the channel sum and applied to every
 * channel, so the stereo image is kept.
 */
import { ParameterError } from "../errors.js";
import { runSteps } from "../steps.js";

/** Frame length at 44.1 kHz scale: 1024 samples = 23 ms (scaled with the rate, see `wsolaFrameSize`). */
const FRAME_SECONDS = 1024 / 44100;
/** Samples skipped in the correlation sum (and in the search step): a speed/accuracy trade, 4 = fine to ~5 kHz. */
const CORRELATION_DECIMATION = 4;

/** WSOLA frame length for a sample rate: ~23 ms, even. */
export function wsolaFrameSize(sampleRateHz: number): number {
  return Math.max(64, 2 * Math.round((FRAME_SECONDS * sampleRateHz) / 2));
}

/**
 * Stretches planar audio to exactly `outputFrames` frames without changing its pitch.
 * @param channels planar input, all the same length (>= 1 frame).
 * @param outputFrames wanted output length, integer >= 1; the stretch factor outputFrames / inputFrames
 *   should stay within [0.25, 4] for good quality (not enforced).
 * @param sampleRateHz rate of the audio (sets the ~23 ms frame).
 * @returns new planar arrays of `outputFrames` frames.
 * @throws ParameterError on an empty input or a bad length.
 */
export function wsolaStretch(channels: readonly Float32Array[], outputFrames: number, sampleRateHz: number): Float32Array[] {
  return runSteps(wsolaStretchSteps(channels, outputFrames, sampleRateHz));
}

/** Output frames of WSOLA work between two pause points of `wsolaStretchSteps`: 8192 frames. */
export const WSOLA_STEP_FRAMES = 8192;

/**
 * `wsolaStretch` in pieces: a generator that pauses after about every `WSOLA_STEP_FRAMES` output frames of
 * work (so that a long unit can be stretched over several event-loop turns) and returns the same arrays.
 * @throws ParameterError as `wsolaStretch` (on the first `next()`).
 */
export function* wsolaStretchSteps(channels: readonly Float32Array[], outputFrames: number, sampleRateHz: number): Generator<void, Float32Array[]> {
  const inputFrames = channels[0]?.length ?? 0;
  if (inputFrames < 1) throw new ParameterError("wsolaStretch: empty input");
  if (!Number.isInteger(outputFrames) || outputFrames < 1) throw new ParameterError(`wsolaStretch: outputFrames must be an integer >= 1, got ${outputFrames}`);
  const frame = wsolaFrameSize(sampleRateHz);
  const hop = frame / 2;
  const tolerance = frame / 4;
  const ratio = outputFrames / inputFrames;
  const window = new Float32Array(frame);
  for (let j = 0; j < frame; j++) window[j] = 0.5 - 0.5 * Math.cos((2 * Math.PI * j) / frame);

  // Channel sum, zero-padded by two frames on both sides, for the alignment search.
  const pad = 2 * frame;
  const guide = new Float32Array(inputFrames + 2 * pad);
  for (const channel of channels) for (let i = 0; i < inputFrames; i++) guide[pad + i] = guide[pad + i]! + channel[i]!;

  const out = channels.map(() => new Float32Array(outputFrames + frame));
  const weight = new Float32Array(outputFrames + frame);
  let previous = 0;
  const hopsPerStep = Math.max(1, Math.floor(WSOLA_STEP_FRAMES / hop));
  for (let m = 0; m * hop < outputFrames; m++) {
    if (m > 0 && m % hopsPerStep === 0) yield;
    const nominal = Math.round((m * hop) / ratio);
    let position = nominal;
    if (m > 0) {
      const natural = previous + hop;
      let best = -Infinity;
      for (let delta = -tolerance; delta <= tolerance; delta += 2) {
        const candidate = nominal + delta;
        if (candidate < -frame || candidate > inputFrames) continue;
        let sum = 0;
        for (let j = 0; j < frame; j += CORRELATION_DECIMATION) sum += guide[pad + natural + j]! * guide[pad + candidate + j]!;
        if (sum > best) {
          best = sum;
          position = candidate;
        }
      }
    }
    const offset = m * hop;
    for (let c = 0; c < channels.length; c++) {
      const input = channels[c]!;
      const target = out[c]!;
      for (let j = 0; j < frame; j++) {
        const source = position + j;
        if (source >= 0 && source < inputFrames) target[offset + j] = target[offset + j]! + window[j]! * input[source]!;
      }
    }
    for (let j = 0; j < frame; j++) weight[offset + j] = weight[offset + j]! + window[j]!;
    previous = position;
  }
  yield;
  return out.map((data) => {
    const result = new Float32Array(outputFrames);
    for (let i = 0; i < outputFrames; i++) {
      const w = weight[i]!;
      result[i] = w > 1e-6 ? data[i]! / Math.max(w, 0.5) : 0;
    }
    return result;
  });
}
