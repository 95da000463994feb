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
}

/** Maps analyser segments (analysis-rate samples) to units in the source's own frames. */
class UnitCollector {
  readonly units: Unit[] = [];
  constructor(
    private readonly sourceRateHz: number,
    private readonly sourceFrames: () => number,
  ) {}

  readonly add = (segment: AnalysedSegment): void => {
    const total = this.sourceFrames();
    const startFrame = Math.min(convertSampleRate(segment.startSample, ANALYSIS_RATE_HZ, this.sourceRateHz), total);
    const endFrame = Math.min(convertSampleRate(segment.endSample, ANALYSIS_RATE_HZ, this.sourceRateHz), total);
    if (endFrame <= startFrame) return;
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

/** Mixdown + resampling front end with buffers sized once for the largest block. */
class MonoFrontEnd {
  private mono = new Float32Array(0);
  private resampled = new Float32Array(0);
  private readonly resampler: StreamingResampler;

  constructor(
    sourceRateHz: number,
    private readonly analyzer: UnitAnalyzer,
  ) {
    this.resampler = new StreamingResampler(sourceRateHz, ANALYSIS_RATE_HZ);
  }

  push(channels: readonly Float32Array[], frameCount: number): void {
    if (this.mono.length < frameCount) {
      this.mono = new Float32Array(frameCount);
      this.resampled = new Float32Array(this.resampler.maxOutputFor(frameCount));
    }
    mixdownToMono(channels, frameCount, this.mono);
    const produced = this.resampler.process(this.mono, frameCount, this.resampled);
    if (produced > 0) this.analyzer.push(this.resampled, produced);
  }

  finish(): void {
    const tail = new Float32Array(this.resampler.maxFlushOutput);
    const produced = this.resampler.flush(tail);
    if (produced > 0) this.analyzer.push(tail, produced);
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
export async function analyzeFile(path: string, options: Partial<AnalysisOptions> = {}): Promise<FileAnalysis> {
  const resolved = resolveAnalysisOptions(options);
  const started = performance.now();
  const reader = await openAudioFile(path);
  try {
    let framesRead = 0;
    const collector = new UnitCollector(reader.info.sampleRateHz, () => framesRead);
    const analyzer = new UnitAnalyzer(collector.add, resolved, FFT_ENGINE);
    const frontEnd = new MonoFrontEnd(reader.info.sampleRateHz, analyzer);
    for await (const block of reader.blocks(ANALYSIS_BLOCK_FRAMES)) {
      // no finiteness check here: the readers reject NaN/Inf in float PCM, decoders produce finite samples
      framesRead += block.frameCount; // before push: units closed by this block may end inside it
      frontEnd.push(block.channels, block.frameCount);
    }
    frontEnd.finish();
    return {
      info: reader.info,
      units: collector.units,
      schemaVersion: DESCRIPTOR_SCHEMA_VERSION,
      analysisSec: (performance.now() - started) / 1000,
      audioSec: samplesToSeconds(framesRead, reader.info.sampleRateHz),
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
  const resolved = resolveAnalysisOptions(options);
  const started = performance.now();
  const frameCount = channels[0]?.length ?? 0;
  checkFinite(name, channels, frameCount, 0);
  const collector = new UnitCollector(sampleRateHz, () => frameCount);
  const analyzer = new UnitAnalyzer(collector.add, resolved, FFT_ENGINE);
  const frontEnd = new MonoFrontEnd(sampleRateHz, analyzer);
  const blockFrames = ANALYSIS_BLOCK_FRAMES;
  for (let start = 0; start < frameCount; start += blockFrames) {
    const count = Math.min(blockFrames, frameCount - start);
    frontEnd.push(
      channels.map((channel) => channel.subarray(start, start + count)),
      count,
    );
  }
  frontEnd.finish();
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
    info,
    units: collector.units,
    schemaVersion: DESCRIPTOR_SCHEMA_VERSION,
    analysisSec: (performance.now() - started) / 1000,
    audioSec: samplesToSeconds(frameCount, sampleRateHz),
  };
}
