import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DESCRIPTOR_COLUMNS } from "../../src/core/analysis/schema.js";
import { ModelError, parseModelManifest, readModelManifest, unitVectorSize } from "../../src/io/model-manifest.js";
import { REPO_ROOT, tempDir } from "../helpers/corpus.js";

/** The example of CONTRACTS.md A, verbatim. */
const CONTRACT_EXAMPLE = {
  name: "mass-audio-embed-v1",
  version: 1,
  file: "mass-audio-embed-v1.onnx",
  licence: "CC0-1.0",
  description: "one line",
  input: {
    kind: "logmel",
    tensorName: "logmel",
    layout: "B1MT",
    sampleRateHz: 22050,
    fftSize: 1024,
    windowSamples: 1024,
    hopSamples: 256,
    window: "hann-periodic",
    center: false,
    patchFrames: 32,
    patchHopFrames: 16,
    mel: { bands: 64, fminHz: 30, fmaxHz: 11025, scale: "slaney", norm: "slaney", power: 2 },
    log: { kind: "ln", offset: 1e-6 },
    normalise: { kind: "global", mean: -8.0, std: 4.0 },
  },
  output: { tensorName: "embedding", size: 64, layout: "BE", l2normalised: true },
  pooling: "mean",
};

type Json = Record<string, unknown>;
const clone = (): Json => JSON.parse(JSON.stringify(CONTRACT_EXAMPLE)) as Json;
const input = (m: Json): Json => m["input"] as Json;

function problems(json: unknown): string {
  try {
    parseModelManifest(json, "/models/x/manifest.json");
  } catch (error) {
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).reason).toBe("invalid_manifest");
    return (error as Error).message;
  }
  throw new Error("expected a ModelError");
}

const temp = tempDir();
afterAll(() => temp.cleanup());

describe("parseModelManifest", () => {
  it("accepts the contract's example exactly, with maxPatchesPerUnit defaulting to 8", () => {
    const manifest = parseModelManifest(clone(), "manifest.json");
    expect(manifest.name).toBe("mass-audio-embed-v1");
    expect(manifest.input.kind).toBe("logmel");
    expect(manifest.maxPatchesPerUnit).toBe(8);
    expect(manifest.output.size).toBe(64);
    expect(unitVectorSize(manifest)).toBe(64);
    expect(unitVectorSize({ ...manifest, pooling: "mean+std" })).toBe(128);
  });

  it("fills documented defaults for user manifests (window, centring, mel scale/norm/power, normalise, hops)", () => {
    const m = clone();
    const i = input(m);
    for (const key of ["window", "center", "patchHopFrames", "normalise", "windowSamples"]) delete i[key];
    i["mel"] = { bands: 96, fminHz: 0, fmaxHz: null };
    const manifest = parseModelManifest(m, "manifest.json");
    if (manifest.input.kind !== "logmel") throw new Error("kind");
    expect(manifest.input.window).toBe("hann-periodic");
    expect(manifest.input.center).toBe(false);
    expect(manifest.input.windowSamples).toBe(1024);
    expect(manifest.input.patchHopFrames).toBe(32);
    expect(manifest.input.normalise).toEqual({ kind: "none" });
    expect(manifest.input.mel).toEqual({ bands: 96, fminHz: 0, fmaxHz: 11025, scale: "slaney", norm: "slaney", power: 2 });
  });

  it("accepts waveform inputs, dB logs with topDb/ref, per-band normalisation and every pooling", () => {
    const wave = { ...clone(), input: { kind: "waveform", tensorName: "audio", layout: "B1T", sampleRateHz: 32000, patchSamples: 32000, patchHopSamples: 16000 }, pooling: "max" };
    expect(parseModelManifest(wave, "m.json").input).toEqual(wave.input);
    const db = clone();
    input(db)["log"] = { kind: "db", offset: 1e-10, topDb: 80, ref: "max" };
    input(db)["normalise"] = { kind: "per-band", mean: new Array(64).fill(0), std: new Array(64).fill(2) };
    db["pooling"] = "mean+std";
    const manifest = parseModelManifest(db, "m.json");
    expect(manifest.pooling).toBe("mean+std");
    expect(manifest.input.kind === "logmel" && manifest.input.log).toEqual({ kind: "db", offset: 1e-10, topDb: 80, ref: "max" });
  });

  it("names the file, the JSON path, the expected and the actual value of every problem", () => {
    const m = clone();
    (input(m)["mel"] as Json)["bands"] = 0;
    input(m)["fftSize"] = 1000;
    (m["output"] as Json)["size"] = "64";
    m["pooling"] = "median";
    const message = problems(m);
    expect(message).toContain("/models/x/manifest.json: invalid model manifest");
    expect(message).toContain("input.mel.bands: expected an integer >= 1 and <= 4096, got 0");
    expect(message).toContain("input.fftSize: expected a power of two, got 1000");
    expect(message).toContain('output.size: expected an integer >= 1 and <= 1048576, got "64"');
    expect(message).toContain('manifest.pooling: expected "mean" | "mean+std" | "max", got "median"');
  });

  it("reports missing fields, unknown nested fields, a bad kind and a non-object", () => {
    const m = clone();
    delete input(m)["hopSamples"];
    (input(m)["mel"] as Json)["htk"] = true;
    expect(problems(m)).toMatch(/input\.hopSamples: missing \(expected an integer >= 1\).*input\.mel\.htk: unknown field/);
    const k = clone();
    input(k)["kind"] = "spectrogram";
    expect(problems(k)).toContain('input.kind: expected "logmel" | "waveform", got "spectrogram"');
    expect(problems([1, 2])).toContain("manifest: expected an object, got an array of 2");
  });

  it("rejects fmax above Nyquist, more bands than bins, topDb on a non-dB log and wrong per-band lengths", () => {
    const m = clone();
    (input(m)["mel"] as Json)["fmaxHz"] = 16000;
    expect(problems(m)).toContain("input.mel.fmaxHz: expected a number > 30 and <= 11025, got 16000");
    const b = clone();
    input(b)["fftSize"] = 64;
    input(b)["windowSamples"] = 64;
    expect(problems(b)).toContain("input.mel.bands: expected at most fftSize/2 + 1 = 33 bands, got 64");
    const t = clone();
    (input(t)["log"] as Json)["topDb"] = 80;
    expect(problems(t)).toContain('topDb and ref apply to kind "db" only');
    const p = clone();
    input(p)["normalise"] = { kind: "per-band", mean: [0, 1], std: [1, 1] };
    expect(problems(p)).toContain("input.normalise.mean: expected an array of 64 finite numbers, got an array of 2");
  });

  it("reads an optional unit head: its size is the unit vector's; a wrong column list names the first difference", () => {
    const withHead = clone();
    const head = {
      file: "head.onnx",
      embeddingTensorName: "cnn",
      descriptorsTensorName: "descriptors",
      descriptorColumns: [...DESCRIPTOR_COLUMNS],
      outputTensorName: "unit_embedding",
      size: 32,
    };
    withHead["head"] = head;
    const manifest = parseModelManifest(withHead, "manifest.json");
    expect(manifest.head).toEqual(head);
    expect(unitVectorSize(manifest)).toBe(32);
    expect(unitVectorSize(parseModelManifest(clone(), "manifest.json"))).toBe(64);
    withHead["head"] = { ...head, descriptorColumns: DESCRIPTOR_COLUMNS.slice(0, 70), size: 0, file: "../head.onnx", extra: 1 };
    const text = problems(withHead);
    expect(text).toContain("head.descriptorColumns: the head was trained on other descriptors than this version of mass-audio computes: 70 columns");
    expect(text).toContain(`first difference at column 70: expected ${JSON.stringify(DESCRIPTOR_COLUMNS[70])}, got null`);
    expect(text).toContain("head.size: expected an integer >= 1");
    expect(text).toContain('head.file: expected a .onnx file name inside the model folder, got "../head.onnx"');
    expect(text).toContain("head.extra: unknown field");
  });

  it("rejects a model file outside the folder or not ending in .onnx", () => {
    for (const file of ["../other.onnx", "/abs/model.onnx", "model.pt"]) {
      expect(problems({ ...clone(), file })).toContain("manifest.file: expected a .onnx file name inside the model folder");
    }
  });
});

describe("example manifests in docs/models", () => {
  const dir = join(REPO_ROOT, "docs/models");
  const files = readdirSync(dir).filter((n) => n.endsWith(".manifest.json"));

  it("cover OpenL3, VGGish, PANNs and CLAP", () => {
    expect(files.sort()).toEqual(["clap-htsat.manifest.json", "openl3.manifest.json", "panns-cnn14.manifest.json", "vggish.manifest.json"]);
  });

  for (const file of files) {
    it(`${file} is a valid manifest`, () => {
      const manifest = parseModelManifest(JSON.parse(readFileSync(join(dir, file), "utf8")), file);
      expect(manifest.file.endsWith(".onnx")).toBe(true);
    });
  }
});

describe("readModelManifest", () => {
  function modelDir(name: string, manifest: string | undefined, onnx: boolean): string {
    const dir = join(temp.dir, name);
    mkdirSync(dir, { recursive: true });
    if (manifest !== undefined) writeFileSync(join(dir, "manifest.json"), manifest);
    if (onnx) writeFileSync(join(dir, "mass-audio-embed-v1.onnx"), "not really onnx");
    return dir;
  }

  it("returns the manifest and the absolute model path", async () => {
    const dir = modelDir("ok", JSON.stringify(CONTRACT_EXAMPLE), true);
    const files = await readModelManifest(dir);
    expect(files.modelPath).toBe(join(dir, "mass-audio-embed-v1.onnx"));
    expect(files.manifest.version).toBe(1);
  });

  it("a folder without manifest.json is 'missing' and says what a model folder holds", async () => {
    const dir = modelDir("empty", undefined, false);
    await expect(readModelManifest(dir)).rejects.toThrow(/manifest\.json: no manifest\.json here/);
    await expect(readModelManifest(dir)).rejects.toMatchObject({ reason: "missing", code: "model_missing" });
  });

  it("a manifest whose .onnx file is absent names both files", async () => {
    const dir = modelDir("no-onnx", JSON.stringify(CONTRACT_EXAMPLE), false);
    await expect(readModelManifest(dir)).rejects.toThrow(
      `${join(dir, "mass-audio-embed-v1.onnx")}: model file not found (named by ${join(dir, "manifest.json")}, field "file")`,
    );
  });

  it("a manifest that is not JSON is 'invalid_manifest'", async () => {
    const dir = modelDir("bad-json", "{ name: oops", true);
    await expect(readModelManifest(dir)).rejects.toMatchObject({ reason: "invalid_manifest" });
    await expect(readModelManifest(dir)).rejects.toThrow(/not valid JSON/);
  });
});
