// Loads the shipped ONNX in onnxruntime-node and compares it with the torch embeddings of the reference fixture.
// Run from the repo root: node models/train/check-onnx.cjs
const fs = require("node:fs");
const path = require("node:path");
const ort = require("onnxruntime-node");

async function main() {
  const repo = path.resolve(__dirname, "..", "..");
  const ref = JSON.parse(fs.readFileSync(path.join(repo, "test", "fixtures", "embed", "reference.json"), "utf8"));
  const dir = path.join(repo, "models", ref.model); // the model export.py wrote the fixture for
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8"));
  const session = await ort.InferenceSession.create(path.join(dir, manifest.file), { intraOpNumThreads: 1 });
  const M = manifest.input.mel.bands;
  const T = manifest.input.patchFrames;
  // patch 0 from the fixture; patch 1 is not in the fixture, so only compare patch 0 and a batch of copies
  const data = new Float32Array(3 * M * T);
  for (let b = 0; b < 3; b++) for (let m = 0; m < M; m++) for (let t = 0; t < T; t++) data[b * M * T + m * T + t] = ref.logmelNormalised[m][t];
  const out = await session.run({ [manifest.input.tensorName]: new ort.Tensor("float32", data, [3, 1, M, T]) });
  const e = out[manifest.output.tensorName];
  let maxDiff = 0;
  for (let b = 0; b < 3; b++) for (let i = 0; i < manifest.output.size; i++) maxDiff = Math.max(maxDiff, Math.abs(e.data[b * manifest.output.size + i] - ref.embeddings[0][i]));
  console.log(JSON.stringify({ inputs: session.inputNames, outputs: session.outputNames, dims: e.dims, maxAbsDiffPatch0: maxDiff }));
  // speed of the model alone, batch 64
  const batch = 64;
  const x = new Float32Array(batch * M * T).map((_, i) => Math.sin(i * 0.37));
  const feeds = { [manifest.input.tensorName]: new ort.Tensor("float32", x, [batch, 1, M, T]) };
  for (let i = 0; i < 5; i++) await session.run(feeds);
  const runs = 30;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) await session.run(feeds);
  const sec = Number(process.hrtime.bigint() - t0) / 1e9;
  const perPatchMs = (sec / (runs * batch)) * 1000;
  console.log(JSON.stringify({ batch, perPatchMs, patchesPerSec: 1 / (perPatchMs / 1000) }));
  let headDiff = 0;
  if (manifest.head) {
    // the unit head on the fixture's two units (torch reference)
    const h = manifest.head;
    const headSession = await ort.InferenceSession.create(path.join(dir, h.file), { intraOpNumThreads: 1 });
    const d = new Float32Array(ref.head.descriptors.flat());
    const c = new Float32Array(ref.head.cnn.flat());
    const r = await headSession.run({
      [h.descriptorsTensorName]: new ort.Tensor("float32", d, [2, h.descriptorColumns.length]),
      [h.embeddingTensorName]: new ort.Tensor("float32", c, [2, c.length / 2]),
    });
    const o = r[h.outputTensorName].data;
    const want = ref.head.unitEmbeddings.flat();
    for (let i = 0; i < want.length; i++) headDiff = Math.max(headDiff, Math.abs(o[i] - want[i]));
    console.log(JSON.stringify({ head: h.file, maxAbsDiffHead: headDiff }));
  }
  if (maxDiff > 1e-4 || headDiff > 1e-4) process.exit(1);
}
main().catch((err) => { console.error(err); process.exit(1); });
