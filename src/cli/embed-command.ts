/**
 * `mass-audio embed FILE|DIR... [--model NAME|DIR] [--output DIR] [--hop-ms N] [--suffix S]`: frame
 * embeddings of whole files, mirroring `openl3 audio FILE --output-dir DIR`: per input file one
 * `<output>/<basename>[_<suffix>].npz` holding `embedding` (float32, [frames, size]: the model's output per
 * patch) and `timestamps` (float64, [frames], seconds), exactly OpenL3's keys and types
 * (`np.load(path)["embedding"]`). As in OpenL3, the signal is centred by default (half a patch of silence
 * before it, so a timestamp is the centre of its patch); `--no-audio-centering` makes timestamps the patch
 * starts. Without `--output` the file goes next to its input. A bad file is reported on one line; the
 * others go on.
 */
import { Command, InvalidArgumentError } from "commander";
import { mkdir } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import { MassAudioError, WriteError } from "../core/errors.js";
import { msToSamples } from "../core/dsp/time.js";
import type { OnnxEmbedder } from "../io/onnx-embedder.js";
import { DEFAULT_MODEL_NAME } from "../io/model-manifest.js";
import { writeNpz } from "../io/npy-writer.js";
import { expandAudioPaths } from "./audio-paths.js";
import { createProgress } from "./progress.js";

/** Files above which a progress bar is shown (on a terminal). */
const PROGRESS_MIN_FILES = 4;

export interface EmbedOptions {
  /** Model name under models/ or a model folder (default: the shipped model). */
  readonly model?: string;
  /** Output folder (created if missing); default: each input's folder. */
  readonly output?: string;
  /** Hop between embeddings in ms (default: the model's patch hop). */
  readonly hopMs?: number;
  /** Appended to output names as `_<suffix>`. */
  readonly suffix?: string;
  /** Centre timestamps on patches (OpenL3's default); default true. */
  readonly center?: boolean;
  /** Patches per ORT run. */
  readonly batchSize?: number;
}

export interface EmbedRunResult {
  readonly written: { input: string; output: string; frames: number; size: number }[];
  readonly failed: { path: string; message: string }[];
}

/** `<outputDir or the input's folder>/<basename without extension>[_<suffix>].npz` (OpenL3's naming). */
export function embedOutputPath(input: string, outputDir: string | undefined, suffix: string | undefined): string {
  const base = basename(input, extname(input));
  return join(outputDir ?? dirname(input), `${base}${suffix ? `_${suffix}` : ""}.npz`);
}

/**
 * Embeds every path, writing one .npz per file; one line per written file through `out`, one per bad file
 * through `err`. Never throws for a bad audio file.
 * @throws ModelError when the model cannot be loaded; ParameterError on bad options; WriteError when the
 *   output folder cannot be created
 */
export async function runEmbed(
  inputs: readonly string[],
  options: EmbedOptions,
  io: { out: (line: string) => void; err: (line: string) => void; progress?: boolean },
): Promise<EmbedRunResult> {
  // loaded here, not at start-up: onnxruntime-node takes ~0.3 s to load and other commands do not need it
  const { loadUnitEmbedder, readMonoFile, resolveModelDir } = await import("../io/onnx-embedder.js");
  const embedder: OnnxEmbedder = await loadUnitEmbedder(resolveModelDir(options.model), { batchSize: options.batchSize });
  const result: EmbedRunResult = { written: [], failed: [] };
  try {
    const paths = await expandAudioPaths(inputs);
    if (options.output !== undefined) {
      const folder = options.output;
      await mkdir(folder, { recursive: true }).catch((error: unknown) => {
        throw new WriteError(folder, `cannot create the output folder: ${(error as Error).message}`, { cause: error });
      });
    }
    const hopSamples = options.hopMs === undefined ? undefined : Math.max(1, msToSamples(options.hopMs, embedder.sampleRateHz));
    const progress = createProgress(paths.length, { enabled: io.progress ?? paths.length >= PROGRESS_MIN_FILES, label: "embed" });
    for (const path of paths) {
      try {
        const { mono } = await readMonoFile(path, embedder.sampleRateHz);
        const frames = await embedder.embedFrames(mono, { hopSamples, center: options.center ?? true });
        const output = embedOutputPath(path, options.output, options.suffix);
        await writeNpz(output, {
          embedding: { data: frames.embeddings, shape: [frames.frameCount, frames.size] },
          timestamps: { data: frames.timestampsSec, shape: [frames.frameCount] },
        });
        result.written.push({ input: path, output, frames: frames.frameCount, size: frames.size });
        io.out(`${output}  ${frames.frameCount} x ${frames.size}  hop ${(frames.hopSec * 1000).toFixed(1)} ms`);
      } catch (error) {
        if (!(error instanceof MassAudioError)) throw error;
        result.failed.push({ path, message: error.message });
        io.err(`error: ${error.message}`);
      }
      progress.increment();
    }
    progress.stop();
  } finally {
    await embedder.close();
  }
  return result;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("expected a number > 0");
  return n;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected an integer >= 1");
  return n;
}

export function registerEmbedCommand(program: Command): void {
  const command = new Command("embed")
    .description(
      "write frame embeddings (.npz with 'embedding' and 'timestamps', as openl3) of audio files: the patch model's output " +
        "every hop (a model's unit head needs a unit's descriptors, so it applies to indexed units only)",
    )
    .argument("<file...>", "audio files or folders (searched recursively)")
    .option("-m, --model <name|dir>", `model name under models/ or a model folder (default: ${DEFAULT_MODEL_NAME})`)
    .option("-o, --output <dir>", "output folder (default: next to each input)")
    .option("--hop-ms <ms>", "hop between embeddings in ms (default: the model's patch hop)", positiveNumber)
    .option("-x, --suffix <s>", "append _<s> to output file names")
    .option("-n, --no-audio-centering", "do not pad the start: timestamps are patch starts, not centres")
    .option("--batch-size <n>", "patches per inference run", positiveInteger);
  command.action(async (files: string[], flags: Record<string, unknown>) => {
    const result = await runEmbed(
      files,
      {
        model: flags["model"] as string | undefined,
        output: flags["output"] as string | undefined,
        hopMs: flags["hopMs"] as number | undefined,
        suffix: flags["suffix"] as string | undefined,
        center: flags["audioCentering"] !== false,
        batchSize: flags["batchSize"] as number | undefined,
      },
      {
        out: (line) => process.stdout.write(line + "\n"),
        err: (line) => process.stderr.write(line + "\n"),
        progress: process.stderr.isTTY ? undefined : false,
      },
    );
    process.stderr.write(`${result.written.length} file(s) embedded, ${result.failed.length} failed\n`);
    if (result.written.length === 0) process.exitCode = 1;
  });
  program.addCommand(command);
}
