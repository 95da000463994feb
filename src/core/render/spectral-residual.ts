/**
 * The residual of a target after the sounds already placed, for layering (after AudioGuide, which
 * subtracts the energy of each selected sound from the target before choosing the next layer): per STFT
 * bin, the target's magnitude minus the placed magnitude, floored at 0, with the target's phase,
 * resynthesised by weighted overlap-add. Mono (the residual only drives the next layer's analysis and
 * level, it is never heard).
 */
import { RealFft } from "../dsp/fft.js";
import { ParameterError } from "../errors.js";
import { runSteps } from "../steps.js";

/** STFT frame: 2048 samples (46 ms at 44.1 kHz), hop a quarter frame. */
const FRAME = 2048;
const HOP = FRAME / 4;

function mono(channels: readonly Float32Array[], frames: number): Float32Array {
  const out = new Float32Array(frames);
  for (const data of channels) for (let n = 0; n < Math.min(frames, data.length); n++) out[n] = out[n]! + data[n]! / channels.length;
  return out;
}

/**
 * Magnitude-subtracted residual of `target` after `placed` (both planar, mixed to mono).
 * @param target planar target audio.
 * @param placed planar audio already placed (same rate; shorter arrays are zero-extended).
 * @returns mono residual, as long as the target.
 * @throws ParameterError on an empty target.
 */
export function spectralResidual(target: readonly Float32Array[], placed: readonly Float32Array[]): Float32Array {
  return runSteps(spectralResidualSteps(target, placed));
}

/** STFT frames between two pause points of `spectralResidualSteps`: 16 (8192 samples). */
const FRAMES_PER_STEP = 16;

/**
 * `spectralResidual` in pieces: a generator that pauses every few STFT frames (so that a long clip can be
 * processed over several event-loop turns) and returns the same residual.
 * @throws ParameterError as `spectralResidual` (on the first `next()`).
 */
export function* spectralResidualSteps(target: readonly Float32Array[], placed: readonly Float32Array[]): Generator<void, Float32Array> {
  const frames = target[0]?.length ?? 0;
  if (frames === 0) throw new ParameterError("spectralResidual: empty target");
  const t = mono(target, frames);
  const p = mono(placed, frames);
  const fft = new RealFft(FRAME);
  const window = new Float32Array(FRAME);
  for (let i = 0; i < FRAME; i++) window[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / FRAME);
  const bins = FRAME / 2 + 1;
  const frameT = new Float32Array(FRAME);
  const frameP = new Float32Array(FRAME);
  const reT = new Float32Array(bins);
  const imT = new Float32Array(bins);
  const reP = new Float32Array(bins);
  const imP = new Float32Array(bins);
  const back = new Float32Array(FRAME);
  const out = new Float32Array(frames + 2 * FRAME);
  const norm = new Float32Array(frames + 2 * FRAME);
  // Frames start at -FRAME so every sample is covered by the full set of overlapping windows.
  let stepFrames = 0;
  for (let start = -FRAME; start < frames; start += HOP) {
    if (++stepFrames > FRAMES_PER_STEP) {
      stepFrames = 1;
      yield;
    }
    for (let i = 0; i < FRAME; i++) {
      const n = start + i;
      const inside = n >= 0 && n < frames;
      frameT[i] = inside ? t[n]! * window[i]! : 0;
      frameP[i] = inside ? p[n]! * window[i]! : 0;
    }
    fft.forward(frameT, reT, imT);
    fft.forward(frameP, reP, imP);
    for (let k = 0; k < bins; k++) {
      const magT = Math.hypot(reT[k]!, imT[k]!);
      const magP = Math.hypot(reP[k]!, imP[k]!);
      const scale = magT > 0 ? Math.max(0, magT - magP) / magT : 0;
      reT[k] = reT[k]! * scale;
      imT[k] = imT[k]! * scale;
    }
    fft.inverse(reT, imT, back);
    for (let i = 0; i < FRAME; i++) {
      const n = start + i + FRAME;
      out[n] = out[n]! + back[i]! * window[i]!;
      norm[n] = norm[n]! + window[i]! * window[i]!;
    }
  }
  yield;
  const residual = new Float32Array(frames);
  for (let n = 0; n < frames; n++) {
    const w = norm[n + FRAME]!;
    residual[n] = w > 1e-9 ? out[n + FRAME]! / w : 0;
  }
  return residual;
}
