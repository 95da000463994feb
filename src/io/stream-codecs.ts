/**
 * One shape over the four WebAssembly streaming decoders (eshaz/wasm-audio-decoders): feed encoded
 * chunks, get planar Float32 back, flush at the end, free. Each decoder module is imported on first use,
 * so reading WAV/AIFF never loads WebAssembly.
 *
 * - FLAC: native FLAC up to 24 bits goes to our TypeScript decoder (`flac-decoder.ts`, pooled per thread);
 *   Ogg FLAC and 25-32-bit FLAC to `@wasm-audio-decoders/flac` FLACDecoder, output rescaled to the WAV
 *   convention (see `rescaleFlac`).
 * - MP3: `mpg123-decoder` MPEGDecoder's WebAssembly instance, driven directly and pooled per thread
 *   (`mpeg-decoder-pool.ts`), with gapless on: mpg123 removes the LAME encoder delay + decoder
 *   delay (529 samples) and end padding when the file has a LAME/Info tag. It always outputs 2 channels;
 *   the reader keeps channel 0 only for mono streams.
 * - Ogg Vorbis: `@wasm-audio-decoders/ogg-vorbis` OggVorbisDecoder (trims the last page to its granule).
 * - Opus: `ogg-opus-decoder` OggOpusDecoder at 48 kHz, native channel count (applies pre-skip, trims the end).
 */

import { PooledMpegDecoder } from "./mpeg-decoder-pool.js";
import { FLAC_MAX_DECODED_BITS, FlacStreamDecoder, peekFlacStreamInfo } from "./flac-decoder.js";

export type StreamCodecFormat = "flac" | "mp3" | "ogg-vorbis" | "opus";

/** Result of one decode call, normalised. The arrays are valid until the next call on the codec. */
export interface DecodedChunk {
  readonly channelData: readonly Float32Array[];
  readonly samplesDecoded: number;
  readonly sampleRate: number;
  /** Decoder-reported errors in this call (lost sync, bad CRC...): audio may have gaps there. */
  readonly errorCount: number;
  readonly firstError: string | undefined;
}

export interface StreamCodec {
  /** Feeds the next encoded bytes (may be empty to continue with buffered input, see `hasPendingOutput`). */
  decode(chunk: Uint8Array): Promise<DecodedChunk>;
  /** Decodes what is still buffered at end of input. */
  flush(): Promise<DecodedChunk>;
  /**
   * True when the last `decode`/`flush` stopped with buffered input left that gives more audio without new
   * input (the codec bounds its output per call): call the same method again (`decode` with an empty chunk).
   */
  readonly hasPendingOutput: boolean;
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

/** Idle TypeScript FLAC decoders kept for the next file on this thread (their buffers are reused). */
const idleFlacDecoders: FlacStreamDecoder[] = [];
/** Most idle FLAC decoders kept per thread. */
const MAX_IDLE_FLAC_DECODERS = 4;

/** Native FLAC through `FlacStreamDecoder`. */
function typescriptFlacCodec(): StreamCodec {
  const decoder = idleFlacDecoders.pop() ?? new FlacStreamDecoder();
  decoder.reset();
  let freed = false;
  return {
    decode: (chunk) => Promise.resolve(decoder.decode(chunk)),
    flush: () => Promise.resolve(decoder.flush()),
    get hasPendingOutput() {
      return decoder.hasPendingOutput;
    },
    free(): void {
      if (freed) return;
      freed = true;
      decoder.reset();
      if (idleFlacDecoders.length < MAX_IDLE_FLAC_DECODERS) idleFlacDecoders.push(decoder);
    },
  };
}

/**
 * FLAC: picks the decoder on the first chunk (which holds "fLaC" + STREAMINFO, or an Ogg page): native
 * FLAC up to 24 bits -> TypeScript, anything else -> WebAssembly libFLAC.
 */
function adaptiveFlacCodec(): StreamCodec {
  let inner: StreamCodec | undefined;
  let freed = false;
  const choose = async (first: Uint8Array): Promise<StreamCodec> => {
    const info = peekFlacStreamInfo(first);
    const native = info !== undefined && info.bitsPerSample >= 4 && info.bitsPerSample <= FLAC_MAX_DECODED_BITS;
    inner = native ? typescriptFlacCodec() : await wasmCodec("flac");
    if (freed) inner.free();
    return inner;
  };
  return {
    async decode(chunk: Uint8Array): Promise<DecodedChunk> {
      if (inner === undefined && chunk.length === 0) return EMPTY;
      return (inner ?? (await choose(chunk))).decode(chunk);
    },
    async flush(): Promise<DecodedChunk> {
      return inner === undefined ? EMPTY : inner.flush();
    },
    get hasPendingOutput() {
      return inner?.hasPendingOutput ?? false;
    },
    free(): void {
      if (freed) return;
      freed = true;
      inner?.free();
    },
  };
}

/**
 * Creates a ready-to-use streaming decoder for `format`.
 * @throws whatever the WebAssembly instantiation throws (the caller wraps it as a DecodeError).
 */
export async function createStreamCodec(format: StreamCodecFormat): Promise<StreamCodec> {
  if (format === "flac") return adaptiveFlacCodec();
  if (format === "mp3") {
    const pooled = await PooledMpegDecoder.acquire();
    if (pooled !== undefined) return pooledMpegCodec(pooled);
  }
  return wasmCodec(format);
}

/** MP3 through a pooled mpg123 instance (see mpeg-decoder-pool.ts). */
function pooledMpegCodec(decoder: PooledMpegDecoder): StreamCodec {
  let freed = false;
  return {
    decode: (chunk) => Promise.resolve(decoder.decode(chunk)),
    flush: () => Promise.resolve(EMPTY),
    get hasPendingOutput() {
      return decoder.hasPendingOutput;
    },
    free(): void {
      if (freed) return;
      freed = true;
      decoder.release();
    },
  };
}

/**
 * Decoders whose `flush()` completed: the packages end `flush()` with `reset()`, which leaves a fresh
 * WebAssembly instance, so the next file of that format can use it instead of instantiating another.
 */
const idleWasmDecoders = new Map<StreamCodecFormat, RawDecoder[]>();
/** Most idle WebAssembly decoders kept per format and thread (each holds its own WebAssembly memory). */
const MAX_IDLE_WASM_DECODERS = 1;

async function wasmCodec(format: StreamCodecFormat): Promise<StreamCodec> {
  const idle = idleWasmDecoders.get(format);
  const decoder = idle?.pop() ?? (await instantiate(format));
  await decoder.ready;
  const isFlac = format === "flac";
  let freed = false;
  // Only a decoder whose flush (and so its reset) finished without error goes back to the pool.
  let reusable = false;
  let failed = false;
  const guard = async <T>(step: () => Promise<T>): Promise<T> => {
    try {
      return await step();
    } catch (error) {
      failed = true;
      throw error;
    }
  };
  return {
    decode: (chunk) => guard(async () => normalise(await decoder.decode(chunk), isFlac)),
    flush: () =>
      guard(async () => {
        if (decoder.flush === undefined) return EMPTY;
        const result = normalise(await decoder.flush(), isFlac);
        reusable = !failed;
        return result;
      }),
    hasPendingOutput: false,
    free(): void {
      if (freed) return;
      freed = true;
      const pool = idleWasmDecoders.get(format) ?? [];
      idleWasmDecoders.set(format, pool);
      if (reusable && !failed && pool.length < MAX_IDLE_WASM_DECODERS) pool.push(decoder);
      else void Promise.resolve(decoder.free()).catch(() => undefined);
    },
  };
}
