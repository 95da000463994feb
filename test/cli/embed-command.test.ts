import { cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { embedOutputPath, runEmbed } from "../../src/cli/embed-command.js";
import { buildProgram } from "../../src/cli/program.js";
import { ModelError, readModelManifest } from "../../src/io/model-manifest.js";
import { defaultModelDir } from "../../src/io/onnx-embedder.js";
import { readWholeFile } from "../../src/io/audio-reader.js";
import { CORPUS_DIR, tempDir } from "../helpers/corpus.js";
import { readNpy, readZip } from "../io/helpers/npy-reader.js";

/** The shipped default model (no --model flag): its STFT hop, patch hop and embedding size. */
const { manifest } = await readModelManifest(defaultModelDir());
if (manifest.input.kind !== "logmel") throw new Error("the default model takes log-mel patches");
const STFT_HOP = manifest.input.hopSamples;
const PATCH_HOP = manifest.input.patchHopFrames * STFT_HOP;
const SIZE = manifest.output.size;
const temp = tempDir();
afterAll(() => temp.cleanup());

function collect() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), progress: false } };
}

function readNpz(path: string): { embedding: ReturnType<typeof readNpy>; timestamps: ReturnType<typeof readNpy> } {
  const members = readZip(readFileSync(path));
  return { embedding: readNpy(members.get("embedding.npy")!), timestamps: readNpy(members.get("timestamps.npy")!) };
}

describe("mass-audio embed", () => {
  it("is registered on the program with OpenL3-like flags", () => {
    const command = buildProgram().commands.find((c) => c.name() === "embed");
    expect(command).toBeDefined();
    const flags = command!.options.map((o) => o.long);
    for (const flag of ["--model", "--output", "--hop-ms", "--suffix", "--no-audio-centering"]) expect(flags).toContain(flag);
  });

  it("names outputs <output>/<basename>[_<suffix>].npz, next to the input without --output", () => {
    expect(embedOutputPath("/a/b/kick.flac", "/out", undefined)).toBe("/out/kick.npz");
    expect(embedOutputPath("/a/b/kick.flac", undefined, "v1")).toBe("/a/b/kick_v1.npz");
  });

  it("writes an .npz with float32 embedding [frames, size] and float64 timestamps for a CC0 file", async () => {
    const input = join(CORPUS_DIR, "loop_amen.flac");
    const out = join(temp.dir, "out");
    const c = collect();
    const result = await runEmbed([input], { output: out }, c.io);
    expect(result.failed).toEqual([]);
    const path = join(out, "loop_amen.npz");
    expect(result.written).toEqual([{ input, output: path, frames: expect.any(Number), size: SIZE }]);
    const { info } = await readWholeFile(input);
    const monoLength = Math.round((info.frameCount! * 22050) / info.sampleRateHz);
    const frames = Math.ceil(monoLength / PATCH_HOP); // a patch every patch hop
    const { embedding, timestamps } = readNpz(path);
    expect(embedding.descr).toBe("<f4");
    expect(embedding.shape).toEqual([frames, SIZE]);
    expect(timestamps.descr).toBe("<f8");
    expect(timestamps.shape).toEqual([frames]);
    expect(timestamps.data[1]).toBeCloseTo(PATCH_HOP / 22050, 12);
    expect(timestamps.data[frames - 1]).toBeCloseTo(((frames - 1) * PATCH_HOP) / 22050, 9);
    expect(c.out[0]).toContain(`${path}  ${frames} x ${SIZE}`);
  });

  it("--hop-ms sets the hop (rounded to whole STFT hops), --suffix names the file, centring can be turned off", async () => {
    const input = join(CORPUS_DIR, "bd_haus.flac");
    const c = collect();
    const centred = await runEmbed([input], { output: temp.dir, hopMs: 100, suffix: "c" }, c.io);
    const plain = await runEmbed([input], { output: temp.dir, hopMs: 100, suffix: "n", center: false }, c.io);
    const a = readNpz(centred.written[0]!.output);
    const b = readNpz(plain.written[0]!.output);
    expect(centred.written[0]!.output).toBe(join(temp.dir, "bd_haus_c.npz"));
    const hop = Math.max(1, Math.round(2205 / STFT_HOP)) * STFT_HOP; // 100 ms = 2205 samples, in whole STFT hops
    expect(a.timestamps.data[1]).toBeCloseTo(hop / 22050, 12);
    expect(a.embedding.shape).toEqual(b.embedding.shape);
    expect(Array.from(a.embedding.data.subarray(0, SIZE))).not.toEqual(Array.from(b.embedding.data.subarray(0, SIZE)));
  });

  it("reports each bad file on one line and embeds the rest; a folder is searched", async () => {
    const dir = join(temp.dir, "mixed");
    cpSync(join(CORPUS_DIR, "bd_808.flac"), join(dir, "bd_808.flac"));
    writeFileSync(join(dir, "broken.wav"), "RIFF but not really a wave file at all");
    const c = collect();
    const result = await runEmbed([dir, join(dir, "missing.flac")], {}, c.io);
    expect(result.written.map((w) => w.output)).toEqual([join(dir, "bd_808.npz")]);
    expect(existsSync(join(dir, "bd_808.npz"))).toBe(true);
    expect(result.failed.map((f) => f.path)).toEqual([join(dir, "broken.wav"), join(dir, "missing.flac")]);
    expect(c.err).toHaveLength(2);
    for (const line of c.err) expect(line).toMatch(/^error: .*(broken\.wav|missing\.flac)/);
  });

  it("fails with a ModelError when the model folder does not exist, listing the installed models for a bad name", async () => {
    const c = collect();
    await expect(runEmbed([join(CORPUS_DIR, "bd_808.flac")], { model: join(temp.dir, "no-model") }, c.io)).rejects.toThrow(ModelError);
    await expect(runEmbed([join(CORPUS_DIR, "bd_808.flac")], { model: "nope" }, c.io)).rejects.toThrow(
      /no model named "nope" \(models here: .*mass-audio-embed-v3/,
    );
  });
});
