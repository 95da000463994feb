/**
 * One embedder per model folder per thread: an ORT session is costly to create (model load, graph
 * optimisation), so each worker thread (and the main thread, for query targets) keeps the one it made.
 */
import { resolve } from "node:path";
import { loadUnitEmbedder, type OnnxEmbedder } from "../io/onnx-embedder.js";

const embedders = new Map<string, Promise<OnnxEmbedder>>();

/**
 * The thread's embedder for a model folder (loaded on first use, one intra-op thread).
 * @throws ModelError when the folder holds no valid model (a failed load is not cached)
 */
export function embedderFor(modelDir: string): Promise<OnnxEmbedder> {
  const key = resolve(modelDir);
  let embedder = embedders.get(key);
  if (!embedder) {
    embedder = loadUnitEmbedder(key, { intraOpThreads: 1 });
    embedders.set(key, embedder);
    embedder.catch(() => embedders.delete(key));
  }
  return embedder;
}
