/**
 * File -> units: streams an audio file in blocks (bounded memory, hours-long files are fine), mixes
 * each block to mono, resamples it to the analysis rate and feeds the streaming `UnitAnalyzer`.
 * Unit boundaries are mapped back to the file's own sample frames, so rendering reads the original
 * audio at full quality.
 */
import { performance } from "node:perf_hooks";
import { ANALYSIS_RATE_HZ } from "../core/analysis/analysis-config.js";
import { resolveAnalysisOptions, type AnalysisOptions } from "../core/analysis/analysis-params.js";
import { DESCRIPTOR_SCHEMA_VERSION } from "../core/analysis/schema.js";
import { UnitAnalyzer, type AnalysedSegment } from "../core/analysis/unit-analyzer.js";
import type { Unit } from "../core/analysis/unit.js";
import { mixdownToMono } from "../core/dsp/mixdown.js";
import { StreamingResampler } from "../core/dsp/resample.js";
import { convertSampleRate, samplesToSeconds } from "../core/dsp/time.js";
import { AnalysisError } from "../core/errors.js";
import type { AudioInfo } from "./audio-info.js";
import { openAudioFile } from "./audio-reader.js";
import { pffftEngineFactory } from "./pffft-engine.js";
import { EMBED_BATCH_UNITS, UnitEmbeddingCollector, type UnitEmbedderPort } from "./unit-embedding-collector.js";

/** PFFFT (WebAssembly SIMD) when it loads here, else fft.js inside the core. */
const FFT_ENGINE = pffftEngineFactory();

export { DEFAULT_ANALYSIS_OPTIONS, type AnalysisOptions } from "../core/analysis/analysis-params.js";

/** Frames read per block: 65536 frames = 1.5 s at 44.1 kHz. */
export const ANALYSIS_BLOCK_FRAMES = 65536;

export interface FileAnalysis {
  readonly info: AudioInfo;
  readonly units: Unit[];
  readonly schemaVersion: number;
  /** Wall-clock seconds the analysis took. */
  readonly analysisSec: number;
  /** Audio seconds analysed (the decoded length). */
  readonly audioSec: number;
  /** One embedding per unit (null for silent units) when an embedder was given. */
  readonly embeddings?: (Float32Array | null)[];
}

/** Ports of the analysis beyond the options. */
export interface AnalysisPorts {
  /** Computes a learned embedding per unit from the same decoded stream (no second decode). */
  readonly embedder?: UnitEmbedderPort;
}

/** Maps analyser segments (analysis-rate samples) to units in the source's own frames. */
class UnitCollector {
  readonly units: Unit[] = [];
  constructor(
    private readonly sourceRateHz: number,
    private readonly sourceFrames: () => number,
    private readonly embeddings?: UnitEmbeddingCollector,
    private readonly embedRateHz = ANALYSIS_RATE_HZ,
  ) {}

  readonly add = (segment: AnalysedSegment): void => {
    const total = this.sourceFrames();
    const startFrame = Math.min(convertSampleRate(segment.startSample, ANALYSIS_RATE_HZ, this.sourceRateHz), total);
    const endFrame = Math.min(convertSampleRate(segment.endSample, ANALYSIS_RATE_HZ, this.sourceRateHz), total);
    if (endFrame <= startFrame) return;
    this.embeddings?.addUnit(
      this.units.length,
      convertSampleRate(segment.startSample, ANALYSIS_RATE_HZ, this.embedRateHz),
      convertSampleRate(segment.endSample, ANALYSIS_RATE_HZ, this.embedRateHz),
      segment.silent,
      segment.vector,
    );
    this.units.push({
      index: this.units.length,
      startFrame,
      endFrame,
      startSec: samplesToSeconds(startFrame, this.sourceRateHz),
      endSec: samplesToSeconds(endFrame, this.sourceRateHz),
      silent: segment.silent,
      vector: segment.vector,
    });
  };
}

/**
 * Per-thread state of finished analyses, reset and ready for the next file: building an analyser
 * (descriptor tables, FFTs, filterbanks, buffers) or a front end (each resampler stage makes WebAssembly
 * memory and an instance) per file was a visible part of analysing short files. Taken for one analysis
 * at a time, so concurrent analyses in a thread never share one.
 */
const IDLE_ANALYZERS = new Map<string, UnitAnalyzer[]>();
const IDLE_FRONT_ENDS = new Map<string, MonoFrontEnd[]>();
/** Idle analysers and front ends kept per key (more only appear with that many concurrent analyses). */
const MAX_IDLE_PER_KEY = 4;

/** Receiver of an idle analyser: it emits nothing while idle (reset), and must not keep the last file's units. */
const NO_RECEIVER = (): void => undefined;

function takeIdle<T>(pool: Map<string, T[]>, key: string): T | undefined {
  return pool.get(key)?.pop();
}

function giveIdle<T>(pool: Map<string, T[]>, key: string, item: T): void {
  let idle = pool.get(key);
  if (idle === undefined) pool.set(key, (idle = []));
  if (idle.length < MAX_IDLE_PER_KEY && !idle.includes(item)) idle.push(item);
}

/** Resolved options in their declaration order: equal options give equal keys. */
function optionsKey(options: AnalysisOptions): string {
  return JSON.stringify(options);
}

function takeAnalyzer(options: AnalysisOptions, emit: (segment: AnalysedSegment) => void): UnitAnalyzer {
  const analyzer = takeIdle(IDLE_ANALYZERS, optionsKey(options));
  if (analyzer === undefined) return new UnitAnalyzer(emit, options, FFT_ENGINE);
  analyzer.reset(emit);
  return analyzer;
}

/** Hands an analyser back for the next file (also after a failed analysis: `reset` restores it fully). */
function returnAnalyzer(analyzer: UnitAnalyzer): void {
  analyzer.reset(NO_RECEIVER);
  giveIdle(IDLE_ANALYZERS, optionsKey(analyzer.options), analyzer);
}

function frontEndKey(sourceRateHz: number, embedRateHz: number | undefined): string {
  return `${sourceRateHz}>${embedRateHz ?? "-"}`;
}

/** The rate of the front end's own resampling for the embedder: undefined without one, or when the model runs at the analysis rate. */
function ownEmbedRate(embedder: UnitEmbedderPort | undefined): number | undefined {
  return embedder !== undefined && embedder.sampleRateHz !== ANALYSIS_RATE_HZ ? embedder.sampleRateHz : undefined;
}

/**
 * The front end for a file at `sourceRateHz`, feeding `analyzer` and, when given, `embeddings` (whose
 * rate decides `embedRateHz`, see `ownEmbedRate`); hand it back with `release()` when the analysis is over.
 */
function takeFrontEnd(
  sourceRateHz: number,
  embedRateHz: number | undefined,
  analyzer: UnitAnalyzer,
  embeddings: UnitEmbeddingCollector | undefined,
): MonoFrontEnd {
  const frontEnd = takeIdle(IDLE_FRONT_ENDS, frontEndKey(sourceRateHz, embedRateHz)) ?? new MonoFrontEnd(sourceRateHz, embedRateHz);
  frontEnd.attach(analyzer, embeddings);
  return frontEnd;
}

/**
 * Mixdown + resampling front end with buffers sized once for the largest block. With an embedding
 * collector, the mono stream also goes there (before the analyser, so a unit's samples are present when
 * the analyser closes it): the analysis-rate stream itself when the model runs at that rate, else a
 * second resampling of the mono mix to the model's rate (`embedRateHz`).
 */
class MonoFrontEnd {
  /** The largest block the buffers below hold the output of. */
  private capacityFrames = 0;
  private mono = new Float32Array(0);
  private resampled = new Float32Array(0);
  private embedResampled = new Float32Array(0);
  private readonly tail: Float32Array;
  private readonly embedTail: Float32Array;
  private readonly resampler: StreamingResampler;
  private readonly embedResampler: StreamingResampler | null;
  private analyzer: UnitAnalyzer | undefined;
  private embeddings: UnitEmbeddingCollector | undefined;

  constructor(
    private readonly sourceRateHz: number,
    private readonly embedRateHz: number | undefined,
  ) {
    this.resampler = new StreamingResampler(sourceRateHz, ANALYSIS_RATE_HZ);
    this.embedResampler = embedRateHz !== undefined ? new StreamingResampler(sourceRateHz, embedRateHz) : null;
    this.tail = new Float32Array(this.resampler.maxFlushOutput);
    this.embedTail = new Float32Array(this.embedResampler?.maxFlushOutput ?? 0);
  }

  /** Starts a stream into `analyzer` (and `embeddings`, whose rate must be the one this front end was made for). */
  attach(analyzer: UnitAnalyzer, embeddings: UnitEmbeddingCollector | undefined): void {
    this.analyzer = analyzer;
    this.embeddings = embeddings;
  }

  /** Hands the front end back for the next file (after `finish`, or when the analysis failed). */
  release(): void {
    this.analyzer = undefined;
    this.embeddings = undefined;
    this.resampler.reset();
    this.embedResampler?.reset();
    giveIdle(IDLE_FRONT_ENDS, frontEndKey(this.sourceRateHz, this.embedRateHz), this);
  }

  push(channels: readonly Float32Array[], frameCount: number): void {
    const analyzer = this.analyzer!;
    if (this.capacityFrames < frameCount) {
      this.capacityFrames = frameCount;
      this.resampled = new Float32Array(this.resampler.maxOutputFor(frameCount));
      if (this.embedResampler) this.embedResampled = new Float32Array(this.embedResampler.maxOutputFor(frameCount));
    }
    // a mono block is its own mix (mixdownToMono would copy it unchanged)
    let mono = channels[0]!;
    if (channels.length !== 1) {
      if (this.mono.length < frameCount) this.mono = new Float32Array(frameCount);
      mixdownToMono(channels, frameCount, this.mono);
      mono = this.mono;
    }
    if (this.embedResampler) {
      const count = this.embedResampler.process(mono, frameCount, this.embedResampled);
      if (count > 0) this.embeddings!.push(this.embedResampled, count);
    }
    const produced = this.resampler.process(mono, frameCount, this.resampled);
    if (produced > 0) {
      if (this.embeddings && !this.embedResampler) this.embeddings.push(this.resampled, produced);
      analyzer.push(this.resampled, produced);
    }
  }

  finish(): void {
    const analyzer = this.analyzer!;
    if (this.embedResampler) {
      const count = this.embedResampler.flush(this.embedTail);
      if (count > 0) this.embeddings!.push(this.embedTail, count);
    }
    const produced = this.resampler.flush(this.tail);
    if (produced > 0) {
      if (this.embeddings && !this.embedResampler) this.embeddings.push(this.tail, produced);
      analyzer.push(this.tail, produced);
    }
    analyzer.finish();
  }
}

function checkFinite(path: string, channels: readonly Float32Array[], frameCount: number, startFrame: number): void {
  for (let c = 0; c < channels.length; c++) {
    const data = channels[c]!;
    let sum = 0;
    for (let i = 0; i < frameCount; i++) sum += data[i]!;
    if (Number.isFinite(sum)) continue;
    for (let i = 0; i < frameCount; i++) {
      if (!Number.isFinite(data[i]!)) {
        throw new AnalysisError(path, `non-finite sample (NaN or Inf) at frame ${startFrame + i}, channel ${c + 1}`);
      }
    }
  }
}

/**
 * Analyses one audio file into units, streaming (memory bounded by the block size and the longest unit).
 * @param path any supported audio file (WAV, AIFF, FLAC, MP3, OGG Vorbis, Opus, M4A ...).
 * @throws DecodeError when the file cannot be read or decoded; AnalysisError on NaN/Inf samples;
 *   ParameterError on bad options.
 */
export async function analyzeFile(
  path: string,
  options: Partial<AnalysisOptions> = {},
  ports: AnalysisPorts = {},
): Promise<FileAnalysis> {
  const resolved = resolveAnalysisOptions(options);
  const started = performance.now();
  const reader = await openAudioFile(path);
  try {
    let framesRead = 0;
    const embedder = ports.embedder;
    const embedRateHz = embedder?.sampleRateHz ?? ANALYSIS_RATE_HZ;
    const embeddings = embedder ? new UnitEmbeddingCollector(embedder) : undefined;
    const collector = new UnitCollector(reader.info.sampleRateHz, () => framesRead, embeddings, embedRateHz);
    const analyzer = takeAnalyzer(resolved, collector.add);
    const frontEnd = takeFrontEnd(reader.info.sampleRateHz, ownEmbedRate(embedder), analyzer, embeddings);
    try {
      for await (const block of reader.blocks(ANALYSIS_BLOCK_FRAMES)) {
        // no finiteness check here: the readers reject NaN/Inf in float PCM, decoders produce finite samples
        framesRead += block.frameCount; // before push: units closed by this block may end inside it
        frontEnd.push(block.channels, block.frameCount);
        if (embeddings && embeddings.pendingCount >= EMBED_BATCH_UNITS) await embeddings.flush();
      }
      frontEnd.finish();
    } finally {
      frontEnd.release();
      returnAnalyzer(analyzer);
    }
    const unitEmbeddings = embeddings ? await embeddings.finish(collector.units.length) : undefined;
    return {
      info: reader.info,
      units: collector.units,
      schemaVersion: DESCRIPTOR_SCHEMA_VERSION,
      analysisSec: (performance.now() - started) / 1000,
      audioSec: samplesToSeconds(framesRead, reader.info.sampleRateHz),
      ...(unitEmbeddings ? { embeddings: unitEmbeddings } : {}),
    };
  } finally {
    await reader.close();
  }
}

/**
 * Analyses an in-memory clip (a query or regeneration target) with exactly the corpus code path.
 * @param channels planar samples, all of the same length.
 * @throws AnalysisError on NaN/Inf samples; ParameterError on bad options.
 */
export function analyzeSamples(
  channels: readonly Float32Array[],
  sampleRateHz: number,
  options: Partial<AnalysisOptions> = {},
  name = "<clip>",
): FileAnalysis {
  return analyzeSamplesWith(channels, sampleRateHz, options, name, undefined).analysis;
}

/**
 * `analyzeSamples` plus the ports (a unit embedder): what queries and targets use when the corpus holds
 * embeddings, so that they are described exactly as the corpus units are.
 * @throws AnalysisError on NaN/Inf samples; ParameterError on bad options; the embedder's errors.
 */
export async function analyzeClip(
  channels: readonly Float32Array[],
  sampleRateHz: number,
  options: Partial<AnalysisOptions> = {},
  name = "<clip>",
  ports: AnalysisPorts = {},
): Promise<FileAnalysis> {
  const started = performance.now();
  const embeddings = ports.embedder ? new UnitEmbeddingCollector(ports.embedder) : undefined;
  const { analysis } = analyzeSamplesWith(channels, sampleRateHz, options, name, embeddings, ports.embedder?.sampleRateHz);
  if (!embeddings) return analysis;
  const unitEmbeddings = await embeddings.finish(analysis.units.length);
  return { ...analysis, embeddings: unitEmbeddings, analysisSec: (performance.now() - started) / 1000 };
}

function analyzeSamplesWith(
  channels: readonly Float32Array[],
  sampleRateHz: number,
  options: Partial<AnalysisOptions>,
  name: string,
  embeddings: UnitEmbeddingCollector | undefined,
  embedRateHz = ANALYSIS_RATE_HZ,
): { analysis: FileAnalysis } {
  const resolved = resolveAnalysisOptions(options);
  const started = performance.now();
  const frameCount = channels[0]?.length ?? 0;
  checkFinite(name, channels, frameCount, 0);
  const collector = new UnitCollector(sampleRateHz, () => frameCount, embeddings, embedRateHz);
  const analyzer = takeAnalyzer(resolved, collector.add);
  const frontEnd = takeFrontEnd(sampleRateHz, embeddings && embedRateHz !== ANALYSIS_RATE_HZ ? embedRateHz : undefined, analyzer, embeddings);
  try {
    const blockFrames = ANALYSIS_BLOCK_FRAMES;
    for (let start = 0; start < frameCount; start += blockFrames) {
      const count = Math.min(blockFrames, frameCount - start);
      frontEnd.push(
        channels.map((channel) => channel.subarray(start, start + count)),
        count,
      );
    }
    frontEnd.finish();
  } finally {
    frontEnd.release();
    returnAnalyzer(analyzer);
  }
  const info: AudioInfo = {
    path: name,
    format: "other",
    sampleRateHz,
    channelCount: channels.length,
    frameCount,
    bitDepth: undefined,
    durationSec: samplesToSeconds(frameCount, sampleRateHz),
  };
  return {
    analysis: {
      info,
      units: collector.units,
      schemaVersion: DESCRIPTOR_SCHEMA_VERSION,
      analysisSec: (performance.now() - started) / 1000,
      audioSec: samplesToSeconds(frameCount, sampleRateHz),
    },
  };
}

/**
 * Source rate whose front end `prepareAnalysis` builds: 44.1 kHz, the rate of most audio files (another
 * rate's front end costs its first file ~30 ms in a fresh thread, mostly its polyphase table; built ahead
 * for a rate that never comes, that would be wasted).
 */
const COMMON_SOURCE_RATE_HZ = 44100;

/**
 * Builds on this thread, ahead of the first file, what analysing it would build: the analyser for
 * `options` (descriptor tables, filterbanks, FFT engines, WebAssembly kernels) and the front end
 * (resamplers) for 44.1 kHz sources, with the embedder's resampling when `ports.embedder` runs at another
 * rate. Meant for idle time before work arrives (a pool thread's `warm` task): the first file then starts
 * without building them. Results are unaffected: what it builds is reset before every use. (It does not run
 * the embedder: a first inference on silence cost more in a cold pass than it saved the first file.)
 * @throws ParameterError on bad options.
 */
export function prepareAnalysis(options: Partial<AnalysisOptions> = {}, ports: AnalysisPorts = {}): void {
  const analyzer = takeAnalyzer(resolveAnalysisOptions(options), NO_RECEIVER);
  try {
    takeFrontEnd(COMMON_SOURCE_RATE_HZ, ownEmbedRate(ports.embedder), analyzer, undefined).release();
  } finally {
    returnAnalyzer(analyzer);
  }
}
