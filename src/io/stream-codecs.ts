/**
 * One shape over the four WebAssembly streaming decoders (eshaz/wasm-audio-decoders): feed encoded
 * chunks, get planar Float32 back, flush at the end, free. Each decoder module is imported on first use,
 * so reading WAV/AIFF never loads WebAssembly.
 *
 * - FLAC: `@wasm-audio-decoders/flac` FLACDecoder (native FLAC and Ogg FLAC), output rescaled to the
 *   WAV convention (see `rescaleFlac`).
 * - MP3: `mpg123-decoder` MPEGDecoder with gapless on: mpg123 removes the LAME encoder delay + decoder
 *   delay (529 samples) and end padding when the file has a LAME/Info tag. It always outputs 2 channels;
 *   the reader keeps channel 0 only for mono streams.
 * - Ogg Vorbis: `@wasm-audio-decoders/ogg-vorbis` OggVorbisDecoder (trims the last page to its granule).
 * - Opus: `ogg-opus-decoder` OggOpusDecoder at 48 kHz, native channel count (applies pre-skip, trims the end).
 */

export type StreamCodecFormat = "flac" | "mp3" | "ogg-vorbis" | "opus";

/** Result of one decode call, normalised. Arrays are owned by the caller. */
export interface DecodedChunk {
  readonly channelData: readonly Float32Array[];
  readonly samplesDecoded: number;
  readonly sampleRate: number;
  /** Decoder-reported errors in this call (lost sync, bad CRC...): audio may have gaps there. */
  readonly errorCount: number;
  readonly firstError: string | undefined;
}

export interface StreamCodec {
  decode(chunk: Uint8Array): Promise<DecodedChunk>;
  /** Decodes what is still buffered at end of input. */
  flush(): Promise<DecodedChunk>;
  free(): void;
}

interface RawDecoded {
  channelData: Float32Array[];
  samplesDecoded: number;
  sampleRate: number;
  bitDepth?: number;
  errors: ReadonlyArray<{ message?: string }>;
}

interface RawDecoder {
  ready: Promise<void>;
  decode(chunk: Uint8Array): RawDecoded | Promise<RawDecoded>;
  flush?: () => Promise<RawDecoded>;
  free(): void | Promise<void>;
}

const EMPTY: DecodedChunk = Object.freeze({ channelData: [], samplesDecoded: 0, sampleRate: 0, errorCount: 0, firstError: undefined });

/**
 * libFLAC output in @wasm-audio-decoders/flac is scaled by 1 / (2^(N-1) - 1); WAV/AIFF (and ffmpeg,
 * libsndfile) use 1 / 2^(N-1). Rescale in place so one file gives the same floats as FLAC or WAV: exactly
 * (by rounding back to the integer) up to 20 bits, within float32 resolution above.
 */
function rescaleFlac(raw: RawDecoded): void {
  const bits = raw.bitDepth ?? 0;
  if (bits < 2 || bits > 32 || raw.samplesDecoded === 0) return;
  const fullScale = 2 ** (bits - 1);
  const decoderScale = fullScale - 1;
  const inverse = 1 / fullScale;
  const factor = decoderScale / fullScale;
  for (const channel of raw.channelData) {
    const n = Math.min(channel.length, raw.samplesDecoded);
    if (bits <= 20) for (let i = 0; i < n; i++) channel[i] = Math.round(channel[i]! * decoderScale) * inverse;
    else for (let i = 0; i < n; i++) channel[i] = channel[i]! * factor;
  }
}

function normalise(raw: RawDecoded, isFlac: boolean): DecodedChunk {
  if (isFlac) rescaleFlac(raw);
  const errors = raw.errors ?? [];
  return {
    channelData: raw.channelData,
    samplesDecoded: raw.samplesDecoded,
    sampleRate: raw.sampleRate,
    errorCount: errors.length,
    firstError: errors.length > 0 ? String(errors[0]?.message ?? errors[0]) : undefined,
  };
}

async function instantiate(format: StreamCodecFormat): Promise<RawDecoder> {
  switch (format) {
    case "flac": {
      const { FLACDecoder } = await import("@wasm-audio-decoders/flac");
      return new FLACDecoder();
    }
    case "mp3": {
      const { MPEGDecoder } = await import("mpg123-decoder");
      return new MPEGDecoder({ enableGapless: true });
    }
    case "ogg-vorbis": {
      const { OggVorbisDecoder } = await import("@wasm-audio-decoders/ogg-vorbis");
      return new OggVorbisDecoder();
    }
    case "opus": {
      const { OggOpusDecoder } = await import("ogg-opus-decoder");
      return new OggOpusDecoder({ forceStereo: false });
    }
  }
}

/**
 * Creates a ready-to-use streaming decoder for `format`.
 * @throws whatever the WebAssembly instantiation throws (the caller wraps it as a DecodeError).
 */
export async function createStreamCodec(format: StreamCodecFormat): Promise<StreamCodec> {
  const decoder = await instantiate(format);
  await decoder.ready;
  const isFlac = format === "flac";
  let freed = false;
  return {
    async decode(chunk: Uint8Array): Promise<DecodedChunk> {
      return normalise(await decoder.decode(chunk), isFlac);
    },
    async flush(): Promise<DecodedChunk> {
      return decoder.flush === undefined ? EMPTY : normalise(await decoder.flush(), isFlac);
    },
    free(): void {
      if (freed) return;
      freed = true;
      void Promise.resolve(decoder.free()).catch(() => undefined);
    },
  };
}
