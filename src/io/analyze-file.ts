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
 * Resamplers of finished analyses, by rate pair, reset and ready: building one per file (its tables are
 * cached, but each stage makes WebAssembly memory and an instance) was a visible part of analysing short
 * files. Taken for one analysis at a time, so concurrent analyses in a thread never share one.
 */
const IDLE_RESAMPLERS = new Map<string, StreamingResampler[]>();
/** Idle resamplers kept per rate pair (more only appear with that many concurrent analyses). */
const MAX_IDLE_RESAMPLERS = 4;

function takeResampler(inputRateHz: number, outputRateHz: number): StreamingResampler {
  return IDLE_RESAMPLERS.get(`${inputRateHz}>${outputRateHz}`)?.pop() ?? new StreamingResampler(inputRateHz, outputRateHz);
}

function returnResampler(resampler: StreamingResampler): void {
  const key = `${resampler.inputRateHz}>${resampler.outputRateHz}`;
  let idle = IDLE_RESAMPLERS.get(key);
  if (idle === undefined) IDLE_RESAMPLERS.set(key, (idle = []));
  if (idle.length >= MAX_IDLE_RESAMPLERS || idle.includes(resampler)) return;
  resampler.reset();
  idle.push(resampler);
}

/**
 * Mixdown + resampling front end with buffers sized once for the largest block. With an embedding
 * collector, the mono stream also goes there (before the analyser, so a unit's samples are present when
 * the analyser closes it): the analysis-rate stream itself when the model runs at that rate, else a
 * second resampling of the mono mix to the model's rate.
 */
class MonoFrontEnd {
  private mono = new Float32Array(0);
  private resampled = new Float32Array(0);
  private embedResampled = new Float32Array(0);
  private readonly resampler: StreamingResampler;
  private readonly embedResampler: StreamingResampler | null;

  constructor(
    sourceRateHz: number,
    private readonly analyzer: UnitAnalyzer,
    private readonly embeddings?: UnitEmbeddingCollector,
    embedRateHz = ANALYSIS_RATE_HZ,
  ) {
    this.resampler = takeResampler(sourceRateHz, ANALYSIS_RATE_HZ);
    this.embedResampler = embeddings && embedRateHz !== ANALYSIS_RATE_HZ ? takeResampler(sourceRateHz, embedRateHz) : null;
  }

  /** Hands the resamplers back for the next file (after `finish`, or when the analysis failed). */
  release(): void {
    returnResampler(this.resampler);
    if (this.embedResampler) returnResampler(this.embedResampler);
  }

  push(channels: readonly Float32Array[], frameCount: number): void {
    if (this.mono.length < frameCount) {
      this.mono = new Float32Array(frameCount);
      this.resampled = new Float32Array(this.resampler.maxOutputFor(frameCount));
      if (this.embedResampler) this.embedResampled = new Float32Array(this.embedResampler.maxOutputFor(frameCount));
    }
    mixdownToMono(channels, frameCount, this.mono);
    if (this.embedResampler) {
      const count = this.embedResampler.process(this.mono, frameCount, this.embedResampled);
      if (count > 0) this.embeddings!.push(this.embedResampled, count);
    }
    const produced = this.resampler.process(this.mono, frameCount, this.resampled);
    if (produced > 0) {
      if (this.embeddings && !this.embedResampler) this.embeddings.push(this.resampled, produced);
      this.analyzer.push(this.resampled, produced);
    }
  }

  finish(): void {
    if (this.embedResampler) {
      const tail = new Float32Array(this.embedResampler.maxFlushOutput);
      const count = this.embedResampler.flush(tail);
      if (count > 0) this.embeddings!.push(tail, count);
    }
    const tail = new Float32Array(this.resampler.maxFlushOutput);
    const produced = this.resampler.flush(tail);
    if (produced > 0) {
      if (this.embeddings && !this.embedResampler) this.embeddings.push(tail, produced);
      this.analyzer.push(tail, produced);
    }
    this.analyzer.finish();
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
    const analyzer = new UnitAnalyzer(collector.add, resolved, FFT_ENGINE);
    const frontEnd = new MonoFrontEnd(reader.info.sampleRateHz, analyzer, embeddings, embedRateHz);
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
  const analyzer = new UnitAnalyzer(collector.add, resolved, FFT_ENGINE);
  const frontEnd = new MonoFrontEnd(sampleRateHz, analyzer, embeddings, embedRateHz);
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
