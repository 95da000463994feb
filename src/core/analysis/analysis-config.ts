/**
 * The fixed analysis front end shared by the corpus and every target. Changing any of these values
 * changes the feature space: bump `DESCRIPTOR_SCHEMA_VERSION` and rebuild.
 */

/** Every file is mixed to mono and resampled to this rate before analysis. 22.05 kHz keeps 11 kHz of bandwidth. */
export const ANALYSIS_RATE_HZ = 22050;
/** STFT frame length: 1024 samples = 46.4 ms at 22.05 kHz (the meyda/aubio default size). */
export const FRAME_SIZE_SAMPLES = 1024;
/** STFT hop: 256 samples = 11.6 ms at 22.05 kHz, the onset time resolution. */
export const HOP_SIZE_SAMPLES = 256;
/** Number of spectrum bins meyda exposes (bufferSize / 2); bin k is at k * rate / frameSize Hz. */
export const SPECTRUM_BINS = FRAME_SIZE_SAMPLES / 2;
