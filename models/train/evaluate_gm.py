"""Retrieval on the General MIDI clips that --gm-holdout keeps out of training (data.gm_held_out): programs and
kits a model trained with --gm-holdout never heard, labelled by acoustic folder (render_gm.eval_folder_of).

/usr/bin/python3 render_gm.py                          # once: $WORK/gm22050
/usr/bin/python3 evaluate_gm.py --write-folder DIR     # the held-out clips as WAV files in labelled folders
node dist/src/cli/main.js analyze DIR --json > gm-heldout.jsonl
/usr/bin/python3 evaluate_gm.py --units gm-heldout.jsonl CHECKPOINT...

Prints P@1/@5/@10/mAP of the multi protocol (retrieval.scores_multi) for the descriptors and each checkpoint.
"""

import argparse
import json
import shutil
import sys

import torch

import data
import render_gm
from embed_units import embed_units_of
from evaluate import load_model
from retrieval import cosine_distance, descriptor_units, euclidean, load_units, scores_multi


def write_folder(dst):
    shutil.rmtree(dst, ignore_errors=True)
    render_gm.write_eval_folder(dst, data.gm_held_out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--write-folder")
    ap.add_argument("--units", help="mass-audio analyze --json of the written folder")
    ap.add_argument("checkpoints", nargs="*")
    args = ap.parse_args()
    if args.write_folder:
        write_folder(args.write_folder)
        return
    if not args.units:
        sys.exit("--units or --write-folder")
    torch.set_num_threads(1)
    units = load_units(args.units)
    folder = {}
    with open(args.units) as f:
        for line in f:
            if line.startswith("{"):
                path = json.loads(line)["file"].split("/")
                folder[path[-1]] = path[-2]
    names = sorted(units)
    labels = [folder[n] for n in names]
    du, owner, us = descriptor_units(units, names)
    audio = {n: data.load_gm_clip(n[: -len(".wav")]) for n in names}
    show = lambda r: {k: round(v, 3) for k, v in r.items()}  # noqa: E731
    print("descriptors", show(scores_multi(euclidean(du), owner, labels)), flush=True)
    for path in args.checkpoints:
        model, ck = load_model(path)
        e = embed_units_of(model, ck["mean"], ck["std"], audio.__getitem__, names, owner, us)
        print(path, show(scores_multi(cosine_distance(e), owner, labels)), flush=True)


if __name__ == "__main__":
    main()
