"""Retrieval table of a checkpoint on the held-out files and on all files, against descriptors only.

/usr/bin/python3 evaluate.py [--checkpoint PATH] [--units analyze.jsonl] [--json OUT]
Protocols (both leave-one-file-out, same-label = relevant, queries without a same-label partner skipped):
  first  each file queries once with its first non-silent unit; other files ranked by that unit's distance
  multi  the TS harness's protocol: up to 8 units per file query, files ranked by their nearest unit
Spaces: descriptors (75 z-scored columns, Euclidean), embedding (cosine), combined (z-scored descriptors
concatenated with the unit embedding scaled to the same mean norm sqrt(75), Euclidean); "combined x2" gives
the embedding twice that norm.
"""

import argparse
import json
import os

import numpy as np
import torch

import data
from embed_units import embed_unit_signals, embed_units_of, unit_range
from model import Embedder
from paths import SPLIT_JSON, WORK_DIR, label_of
from retrieval import (cosine_distance, descriptor_units, euclidean, first_unit, format_table, load_units, scores,
                       scores_multi, descriptor_matrix)


def spaces(d, e, combined_weight=1.0):
    scale = combined_weight * np.sqrt(d.shape[1])
    return {"descriptors": euclidean(d), "embedding": cosine_distance(e),
            "combined": euclidean(np.concatenate([d, scale * e], axis=1)),
            # equal norms still let the descriptors dominate the distances (the embeddings of a corpus
            # cluster: their pairwise distances are smaller); twice the weight evens the spread out
            "combined x2": euclidean(np.concatenate([d, 2 * scale * e], axis=1))}


def evaluate(model, mean, std, units, names, combined_weight=1.0):
    labels = [label_of(n) for n in names]
    audio = {n: data.load_audio(n) for n in names}
    out = {}
    # first non-silent unit per file
    d = descriptor_matrix(units, names)
    e = embed_unit_signals(model, [audio[n][slice(*unit_range(first_unit(units[n])))] for n in names], mean, std)
    out["first"] = {k: scores(v, labels) for k, v in spaces(d, e, combined_weight).items()}
    # every non-silent unit
    du, owner, us = descriptor_units(units, names)
    eu = embed_units_of(model, mean, std, audio.__getitem__, names, owner, us)
    out["multi"] = {k: scores_multi(v, owner, labels) for k, v in spaces(du, eu, combined_weight).items()}
    return out


def load_model(path):
    ck = torch.load(path)
    model = Embedder(**ck.get("model_kwargs", {}))
    model.load_state_dict(ck["state"])
    model.eval()
    return model, ck


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", default=os.path.join(WORK_DIR, "checkpoint.pt"))
    ap.add_argument("--units", default=os.path.join(WORK_DIR, "analyze.jsonl"))
    ap.add_argument("--json", default=os.path.join(WORK_DIR, "eval.json"))
    ap.add_argument("--combined-weight", type=float, default=1.0)
    args = ap.parse_args()
    torch.set_num_threads(1)
    model, ck = load_model(args.checkpoint)
    units = load_units(args.units)
    split = json.load(open(SPLIT_JSON))
    pools = {"held-out": split["heldOut"], "all": sorted(split["train"] + split["heldOut"])}
    result = {pool: evaluate(model, ck["mean"], ck["std"], units, names, args.combined_weight) for pool, names in pools.items()}
    for proto in ("first", "multi"):
        print(f"\nprotocol: {proto}")
        print(format_table({pool: result[pool][proto] for pool in pools}))
    with open(args.json, "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
