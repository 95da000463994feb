/** The example log-mel front end of the embedding contract (CONTRACTS A), as the tiny fixture models use it. */
import type { LogMelFramerConfig } from "../../src/core/dsp/log-mel-framer.js";

export const CONTRACT_FRONT_END: LogMelFramerConfig = {
  sampleRateHz: 22050,
  fftSize: 1024,
  windowSamples: 1024,
  hopSamples: 256,
  window: "hann-periodic",
  center: false,
  mel: { bands: 64, fminHz: 30, fmaxHz: 11025, scale: "slaney", norm: "slaney", power: 2 },
  log: { kind: "ln", offset: 1e-6 },
};
