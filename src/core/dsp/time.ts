/**
 * Conversions between sample frames, analysis frames and seconds (after librosa's `frames_to_time`).
 * All other code converts through these functions, never by inline arithmetic.
 */

/** Sample frames at `sampleRateHz` -> seconds. */
export function samplesToSeconds(samples: number, sampleRateHz: number): number {
  return samples / sampleRateHz;
}

/** Seconds -> nearest sample frame at `sampleRateHz` (rounded). */
export function secondsToSamples(seconds: number, sampleRateHz: number): number {
  return Math.round(seconds * sampleRateHz);
}

/** Milliseconds -> nearest sample frame at `sampleRateHz` (rounded). */
export function msToSamples(ms: number, sampleRateHz: number): number {
  return Math.round((ms / 1000) * sampleRateHz);
}

/**
 * STFT frame index -> the sample (at the analysis rate) where that frame starts.
 * Frame `i` covers samples `[i * hop, i * hop + frameSize)`.
 */
export function frameToSample(frameIndex: number, hopSizeSamples: number): number {
  return frameIndex * hopSizeSamples;
}

/** STFT frame index -> seconds of the frame's start. */
export function framesToSeconds(frameIndex: number, hopSizeSamples: number, sampleRateHz: number): number {
  return (frameIndex * hopSizeSamples) / sampleRateHz;
}

/**
 * A position in samples at one rate -> the same instant in samples at another rate (rounded).
 * Used to map analysis-rate boundaries back to the file's own sample frames.
 */
export function convertSampleRate(samples: number, fromRateHz: number, toRateHz: number): number {
  return Math.round((samples * toRateHz) / fromRateHz);
}

/** Amplitude (linear, 1 = full scale) -> dBFS, floored at `floorDb`. */
export function amplitudeToDb(amplitude: number, floorDb = -120): number {
  if (!(amplitude > 0)) return floorDb;
  const db = 20 * Math.log10(amplitude);
  return db < floorDb ? floorDb : db;
}

/** Frequency in Hz -> MIDI note number (A4 = 440 Hz = 69), fractional. */
export function hzToMidi(frequencyHz: number): number {
  return 69 + 12 * Math.log2(frequencyHz / 440);
}

/** MIDI note number -> frequency in Hz. */
export function midiToHz(midi: number): number {
  return 440 * Math.pow(2, (midi - 69) / 12);
}
