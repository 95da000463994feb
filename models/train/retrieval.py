"""Leave-one-file-out retrieval scores (precision@1/@5/@10, mAP of same-label files).

Every file is a query once, with one vector (its first non-silent unit); the other files of the same pool
are ranked by distance; a file is relevant when its label equals the query's. Queries whose label no other
file of the pool shares are left out of the means (nothing to retrieve).
"""

import json

import numpy as np

from paths import label_of


def load_units(jsonl_path):
    """analyze --json output -> {file name: [units...]} (units in order, with startSec/endSec/silent/descriptors)."""
    files = {}
    with open(jsonl_path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            u = json.loads(line)
            name = u["file"].split("/")[-1]
            files.setdefault(name, []).append(u)
    for units in files.values():
        units.sort(key=lambda u: u["unit"])
    return files


def first_unit(units):
    for u in units:
        if not u.get("silent", False):
            return u
    return units[0]


def column_stats(rows):
    """Mean and standard deviation of each column; a constant column gets std 1 (its z-scores stay 0)."""
    mean = rows.mean(axis=0)
    std = rows.std(axis=0)
    std[std < 1e-12] = 1.0
    return mean, std


def descriptor_matrix(files, names, columns=None):
    """Rows: the first non-silent unit of each named file; columns z-scored (mean/std over every unit of every file)."""
    all_units = [u for us in files.values() for u in us]
    if columns is None:
        columns = list(all_units[0]["descriptors"].keys())
    mean, std = column_stats(np.array([[u["descriptors"][c] for c in columns] for u in all_units], dtype=np.float64))
    rows = np.array([[first_unit(files[n])["descriptors"][c] for c in columns] for n in names], dtype=np.float64)
    return (rows - mean) / std


def scores(dist, labels):
    """dist: [N, N] distances, labels: N strings. Returns dict p1, p5, p10, map, queries."""
    labels = np.asarray(labels)
    n = len(labels)
    acc = {"p1": 0.0, "p5": 0.0, "p10": 0.0, "map": 0.0}
    q = 0
    for i in range(n):
        others = np.array([j for j in range(n) if j != i])
        rel = labels[others] == labels[i]
        total = int(rel.sum())
        if total == 0:
            continue
        order = np.lexsort((others, dist[i, others]))
        r = rel[order]
        for k in (1, 5, 10):
            acc[f"p{k}"] += r[:k].sum() / k
        hits = np.cumsum(r)
        acc["map"] += float((hits[r] / (np.nonzero(r)[0] + 1)).sum() / total)
        q += 1
    out = {k: v / q for k, v in acc.items()}
    out["queries"] = q
    return out


def euclidean(x):
    sq = (x * x).sum(axis=1)
    return np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2 * x @ x.T, 0))


def cosine_distance(x):
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    return 1 - x @ x.T


def table(files, names, embeddings=None, combined_weight=1.0):
    """Scores for descriptors / embedding / combined over the named files (embeddings: {name: vector})."""
    labels = [label_of(n) for n in names]
    d = descriptor_matrix(files, names)
    out = {"descriptors": scores(euclidean(d), labels)}
    if embeddings is not None:
        e = np.array([embeddings[n] for n in names], dtype=np.float64)
        e /= np.linalg.norm(e, axis=1, keepdims=True)
        out["embedding"] = scores(cosine_distance(e), labels)
        # the z-scored descriptor rows have mean squared norm = columns; give the unit embedding the same norm
        scale = combined_weight * np.sqrt(d.shape[1])
        out["combined"] = scores(euclidean(np.concatenate([d, scale * e], axis=1)), labels)
    return out


def format_table(results):
    lines = ["| pool | space | P@1 | P@5 | P@10 | mAP | queries |", "|---|---|---|---|---|---|---|"]
    for pool, spaces in results.items():
        for space, s in spaces.items():
            lines.append(f"| {pool} | {space} | {s['p1']:.3f} | {s['p5']:.3f} | {s['p10']:.3f} | {s['map']:.3f} | {s['queries']} |")
    return "\n".join(lines)


def scores_multi(dist_units, unit_file, labels, queries_per_file=8):
    """The TS harness protocol (bench/eval-retrieval.ts): each file queries with up to queries_per_file of its
    units (evenly spread); other files are ranked by their nearest unit; per-file means, then the mean over files.
    dist_units: [U, U]; unit_file: U file indices; labels: per file."""
    labels = np.asarray(labels)
    unit_file = np.asarray(unit_file)
    nf = len(labels)
    acc = {"p1": 0.0, "p5": 0.0, "p10": 0.0, "map": 0.0}
    q = 0
    for f in range(nf):
        rows = np.nonzero(unit_file == f)[0]
        total = int((labels == labels[f]).sum()) - 1
        if total == 0 or len(rows) == 0:
            continue
        if len(rows) > queries_per_file:
            rows = rows[[int((i + 0.5) * len(rows) / queries_per_file) for i in range(queries_per_file)]]
        per = {k: 0.0 for k in acc}
        for r in rows:
            near = np.full(nf, np.inf)
            np.minimum.at(near, unit_file, dist_units[r])
            others = np.array([g for g in range(nf) if g != f and np.isfinite(near[g])])
            order = np.lexsort((others, near[others]))
            rel = labels[others][order] == labels[f]
            for k in (1, 5, 10):
                per[f"p{k}"] += rel[:k].sum() / k
            hits = np.cumsum(rel)
            per["map"] += float((hits[rel] / (np.nonzero(rel)[0] + 1)).sum() / total)
        for k in acc:
            acc[k] += per[k] / len(rows)
        q += 1
    out = {k: v / q for k, v in acc.items()}
    out["queries"] = q
    return out


def unit_rows(files, names, columns):
    """Non-silent units of the named files: raw descriptor rows (the given columns), owner file index, the units."""
    rows, owner, units = [], [], []
    for i, n in enumerate(names):
        for u in files[n]:
            if u.get("silent", False):
                continue
            rows.append([u["descriptors"][c] for c in columns])
            owner.append(i)
            units.append(u)
    return np.array(rows, dtype=np.float64), np.array(owner), units


def descriptor_units(files, names):
    """All non-silent units of the named files: z-scored descriptor rows, their file index, the units."""
    all_units = [u for us in files.values() for u in us]
    columns = list(all_units[0]["descriptors"].keys())
    mean, std = column_stats(np.array([[u["descriptors"][c] for c in columns] for u in all_units], dtype=np.float64))
    rows, owner, units = unit_rows(files, names, columns)
    return (rows - mean) / std, owner, units
