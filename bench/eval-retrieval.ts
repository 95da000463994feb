/**
 * Retrieval quality (`npm run eval -- retrieval [--corpus DIR] [--label prefix|folder] [--files LIST] [--json]`):
 * leave-one-file-out "find similar sound" on a labelled folder.
 *
 * The folder is indexed with the product's own path (MassAudio: analysis, embeddings when a model is on,
 * store, feature space). Every file then queries with up to `--queries-per-file` of its non-silent units
 * (evenly spaced, default 8). The other files are ranked by the distance of their nearest unit to the
 * query unit (exact scan, so index approximation does not blur the figure); a file is relevant when it
 * has the query file's label. Per query: precision@1/@5/@10 and average precision over the whole file
 * ranking; per file the mean over its queries; reported is the mean over files (macro), for each space:
 *
 *   descriptors  the 75 DSP descriptor columns (embedding weight 0)
 *   embedding    the learned embedding only (descriptor groups weight 0), when the corpus has one
 *   combined     the default weights (every group 1)
 *   weights ...  any extra weightings asked for (`--weights embedding=2`, repeatable), same points, same queries
 *
 * Labels: `prefix` = the file name up to its first `_`, `-`, space or digit run (`bd_haus.flac` -> `bd`);
 * `folder` = the name of the file's parent folder. Files whose label no other file shares cannot be
 * scored and are left out of the means (counted in the output).
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { columnWeights, DEFAULT_GROUP_WEIGHTS, type GroupWeights } from "../src/corpus/feature-space.js";
import { MassAudio, type MassAudioOptions } from "../src/service/mass-audio.js";
import { CC0_CORPUS_DIR, type BenchFigure } from "./bench-util.js";

export type LabelMode = "prefix" | "folder";

export interface RetrievalOptions {
  readonly corpusDir?: string;
  readonly label?: LabelMode;
  /** Only these file names (base names) take part, as queries and as candidates. */
  readonly files?: readonly string[];
  readonly queriesPerFile?: number;
  /** Extra weightings scored beside the three spaces (missing groups = 1), each named `weights <text>`. */
  readonly weightings?: readonly { readonly name: string; readonly weights: GroupWeights }[];
  /** Extra service options (e.g. the embedding model) for indexing. */
  readonly service?: Partial<MassAudioOptions>;
}

export interface SpaceScores {
  readonly p1: number;
  readonly p5: number;
  readonly p10: number;
  readonly map: number;
}

export interface RetrievalResult {
  readonly corpusDir: string;
  readonly label: LabelMode;
  readonly files: number;
  readonly scoredFiles: number;
  readonly labels: Record<string, number>;
  readonly queries: number;
  readonly units: number;
  readonly embeddingDim: number;
  /** By space name: the three spaces, then the extra weightings. */
  readonly spaces: Record<string, SpaceScores>;
}

export type SpaceName = "descriptors" | "embedding" | "combined";

const SPACE_WEIGHTS: Record<SpaceName, GroupWeights> = {
  descriptors: { ...DEFAULT_GROUP_WEIGHTS, embedding: 0 },
  embedding: { timbre: 0, pitch: 0, loudness: 0, duration: 0, embedding: 1 },
  combined: DEFAULT_GROUP_WEIGHTS,
};

/** The label of a file by its name prefix or its folder. */
export function labelOf(path: string, mode: LabelMode): string {
  if (mode === "folder") return basename(dirname(path));
  const name = basename(path);
  const match = /^[A-Za-z]+/.exec(name);
  return (match ? match[0] : name).toLowerCase();
}

interface FileUnits {
  readonly path: string;
  readonly label: string;
  /** Row numbers (into the point table) of the file's non-silent units. */
  readonly rows: number[];
}

/** Precision at k and average precision of a relevance list in rank order. */
export function rankingScores(relevant: readonly boolean[], totalRelevant: number): SpaceScores {
  let hits = 0;
  let precisionSum = 0;
  const at = (k: number): number => {
    let h = 0;
    for (let i = 0; i < Math.min(k, relevant.length); i++) if (relevant[i]) h++;
    return h / k;
  };
  for (let i = 0; i < relevant.length; i++) {
    if (!relevant[i]) continue;
    hits++;
    precisionSum += hits / (i + 1);
  }
  return { p1: at(1), p5: at(5), p10: at(10), map: totalRelevant > 0 ? precisionSum / totalRelevant : 0 };
}

/**
 * Indexes the folder into a temporary data dir and scores leave-one-file-out retrieval per space.
 * @throws when the folder holds fewer than two files sharing a label
 */
export async function evalRetrieval(options: RetrievalOptions = {}): Promise<RetrievalResult> {
  const corpusDir = resolve(options.corpusDir ?? CC0_CORPUS_DIR);
  const labelMode = options.label ?? "prefix";
  const queriesPerFile = options.queriesPerFile ?? 8;
  const only = options.files ? new Set(options.files) : null;
  const dataDir = await mkdtemp(join(tmpdir(), "mass-audio-eval-retrieval-"));
  const service = await MassAudio.open({ ...options.service, dataDir });
  try {
    await service.addRoot(corpusDir);
    await service.index();
    const corpus = service.corpus;
    await corpus.refitNow(); // statistics of the whole folder, whenever the automatic refits ran
    const space = corpus.space;
    const catalog = corpus.catalog;

    // Point table of every searchable non-silent unit of the selected files.
    const filesById = new Map<number, FileUnits>();
    const points: number[][] = [];
    const rowFile: number[] = [];
    let afterId = 0;
    for (;;) {
      const page = corpus.store.unitVectorsAfter(afterId, 4096);
      if (page.length === 0) break;
      for (const { id, vector, embedding } of page) {
        afterId = id;
        const unit = corpus.store.getUnit(id);
        if (!unit || unit.silent) continue;
        const file = catalog.file(unit.fileId);
        if (!file || (only && !only.has(basename(file.path)))) continue;
        let entry = filesById.get(unit.fileId);
        if (!entry) {
          entry = { path: file.path, label: labelOf(file.path, labelMode), rows: [] };
          filesById.set(unit.fileId, entry);
        }
        entry.rows.push(points.length);
        rowFile.push(unit.fileId);
        points.push(corpus.toPoint(vector, embedding));
      }
    }
    const files = [...filesById.entries()];
    const labelCounts: Record<string, number> = {};
    for (const [, f] of files) labelCounts[f.label] = (labelCounts[f.label] ?? 0) + 1;
    const scorable = files.filter(([, f]) => labelCounts[f.label]! >= 2);
    if (scorable.length === 0) throw new Error(`no two files share a label in ${corpusDir} (labels by ${labelMode})`);

    const dim = space.columns.length + space.embeddingDim;
    const w0 = columnWeights(DEFAULT_GROUP_WEIGHTS, space.embeddingDim);
    const spaceNames: SpaceName[] = space.embeddingDim > 0 ? ["descriptors", "embedding", "combined"] : ["descriptors"];
    const weightings: { name: string; weights: GroupWeights }[] = [...spaceNames.map((name) => ({ name, weights: SPACE_WEIGHTS[name] })), ...(options.weightings ?? [])];
    const fileIndex = new Map(files.map(([id], i) => [id, i]));
    const spaces: Record<string, SpaceScores> = {};
    let queryCount = 0;
    for (const { name, weights } of weightings) {
      const w = columnWeights(weights, space.embeddingDim);
      const ratio = Float64Array.from({ length: dim }, (_, c) => (w0[c]! > 0 ? w[c]! / w0[c]! : 0));
      const sums: SpaceScores = { p1: 0, p5: 0, p10: 0, map: 0 };
      const total = { ...sums };
      queryCount = 0;
      const nearestPerFile = new Float64Array(files.length);
      for (const [fileId, file] of scorable) {
        const queryRows = spread(file.rows, queriesPerFile);
        const perFile = { p1: 0, p5: 0, p10: 0, map: 0 };
        for (const q of queryRows) {
          nearestPerFile.fill(Infinity);
          const query = points[q]!;
          for (let row = 0; row < points.length; row++) {
            const other = rowFile[row]!;
            if (other === fileId) continue;
            const p = points[row]!;
            let d = 0;
            for (let c = 0; c < dim; c++) {
              const diff = query[c]! - p[c]!;
              d += ratio[c]! * diff * diff;
            }
            const fi = fileIndex.get(other)!;
            if (d < nearestPerFile[fi]!) nearestPerFile[fi] = d;
          }
          const ranked = files
            .map(([id, f], i) => ({ id, label: f.label, d: nearestPerFile[i]! }))
            .filter((c) => c.id !== fileId && Number.isFinite(c.d))
            .sort((a, b) => a.d - b.d || a.id - b.id);
          const scores = rankingScores(
            ranked.map((c) => c.label === file.label),
            labelCounts[file.label]! - 1,
          );
          perFile.p1 += scores.p1;
          perFile.p5 += scores.p5;
          perFile.p10 += scores.p10;
          perFile.map += scores.map;
          queryCount++;
        }
        total.p1 += perFile.p1 / queryRows.length;
        total.p5 += perFile.p5 / queryRows.length;
        total.p10 += perFile.p10 / queryRows.length;
        total.map += perFile.map / queryRows.length;
      }
      const n = scorable.length;
      spaces[name] = { p1: total.p1 / n, p5: total.p5 / n, p10: total.p10 / n, map: total.map / n };
    }
    return {
      corpusDir,
      label: labelMode,
      files: files.length,
      scoredFiles: scorable.length,
      labels: labelCounts,
      queries: queryCount,
      units: points.length,
      embeddingDim: space.embeddingDim,
      spaces,
    };
  } finally {
    await service.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Up to `count` evenly spaced items of a list. */
function spread<T>(items: readonly T[], count: number): T[] {
  if (items.length <= count) return [...items];
  return Array.from({ length: count }, (_, i) => items[Math.floor(((i + 0.5) * items.length) / count)]!);
}

/** Reads a file list: JSON array of names, JSON object with a `heldOut`/`files` array, or one name per line. */
export async function readFileList(path: string): Promise<string[]> {
  const text = await readFile(path, "utf8");
  try {
    const parsed: unknown = JSON.parse(text);
    const list = Array.isArray(parsed)
      ? parsed
      : ((parsed as Record<string, unknown>)["heldOut"] ?? (parsed as Record<string, unknown>)["files"]);
    if (Array.isArray(list)) return list.map((v) => basename(String(v)));
  } catch {
    // not JSON: one name per line
  }
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith("#"))
    .map((line) => basename(line));
}

/** Figures for the human table. */
export function retrievalFigures(result: RetrievalResult): BenchFigure[] {
  const figures: BenchFigure[] = [
    { name: `files scored / total (labels by ${result.label})`, value: result.scoredFiles, unit: `/ ${result.files}` },
    { name: "queries (units)", value: result.queries, unit: "" },
  ];
  for (const [name, s] of Object.entries(result.spaces)) {
    figures.push({ name: `${name}: P@1`, value: s.p1, unit: "" });
    figures.push({ name: `${name}: P@5`, value: s.p5, unit: "" });
    figures.push({ name: `${name}: P@10`, value: s.p10, unit: "" });
    figures.push({ name: `${name}: mAP`, value: s.map, unit: "" });
  }
  const base = result.spaces.descriptors;
  for (const [name, s] of Object.entries(result.spaces)) {
    if (!base || name === "descriptors") continue;
    const gain = (s.p5 - base.p5) * 100;
    const goal = name === "embedding" || name === "combined" ? { goal: ">= 10 (best of the two)", pass: gain >= 10 } : {};
    figures.push({ name: `${name} - descriptors: P@5`, value: gain, unit: "points", ...goal });
  }
  return figures;
}
