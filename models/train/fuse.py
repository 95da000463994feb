"""The unit head: a small MLP that maps a unit's pooled CNN embedding and its 75 analysis descriptors to the
unit's final embedding (mass-audio-embed-v3 = the v2 CNN + this head).

/usr/bin/python3 fuse.py [--checkpoint CNN.pt] [--units analyze.jsonl] [--fold K] [--seed S] [--out HEAD.pt]

Why: the CNN hears 0.37 s log-mel patches (at most 8 per unit); the descriptors summarise the whole unit
(duration, envelope, pitch, loudness, spectral shape). Concatenating the two with fixed weights gains
nothing (models/train/README.md), but a head that learns how to combine them does (cross-validation below).

- Data: every non-silent unit of the train files of split.json (with --fold K: of the other two CV folds;
  fold K is scored), as `mass-audio analyze --json` gives them, and the CNN's pooled unit embedding of each;
  with --gm-units, also the units of the rendered General MIDI clips (render_gm.py) except those --gm-holdout
  keeps out (data.gm_held_out), labelled by acoustic folder (render_gm.eval_folder_of).
- Input: descriptors z-scored with the training units' mean and std (clipped to +-6; NaN -> 0), concatenated with the
  embedding times sqrt(75) (the same norm as the descriptors); Gaussian noise (sd 0.3) on the input while
  training.
- Head: linear 139 -> 128, ReLU, linear 128 -> 64, L2 normalisation.
- Objective: supervised contrastive loss (labels = file-name prefixes), temperature 0.2, all training units in
  one batch; plus, with --gm-units, the same loss over 1024 random GM units per step (their own labels, never
  contrasted with corpus units: "kick" and "bd" are the same sound), weight --gm-weight (0.3); AdamW lr 3e-3,
  weight decay 1e-2, 300 steps. Takes about a minute.
- Scores: retrieval.scores_multi (the product path's protocol) of descriptors, CNN embedding and head, on fold K
  (--fold), on the held-out GM clips (with --gm-units) and on the held-out files (--score-held-out, once).
"""

import argparse
import json
import os

import numpy as np
import torch

import data
import render_gm
from embed_units import embed_units_of
from evaluate import load_model
from paths import SPLIT_JSON, WORK_DIR, label_of
from retrieval import column_stats, cosine_distance, euclidean, load_units, scores_multi, unit_rows
from train import inner_split

HIDDEN = 128
OUT = 64
TAU = 0.2
WEIGHT_DECAY = 1e-2
STEPS = 300
LR = 3e-3
INPUT_NOISE = 0.3
CLIP = 6.0


class Head(torch.nn.Module):
    """Raw descriptors and the CNN's unit embedding in, the unit's embedding out (normalisation inside)."""

    def __init__(self, n_desc, n_emb, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32))
        self.register_buffer("inv_std", torch.tensor(1.0 / std, dtype=torch.float32))
        self.emb_scale = float(np.sqrt(n_desc))
        self.net = torch.nn.Sequential(torch.nn.Linear(n_desc + n_emb, HIDDEN), torch.nn.ReLU(), torch.nn.Linear(HIDDEN, OUT))

    def features(self, descriptors, embedding):
        # a descriptor that is not a number counts as the training mean (z = 0), as the feature space maps NaN
        # to its median; +-infinity ends at the clip
        descriptors = torch.where(torch.isnan(descriptors), self.mean.expand_as(descriptors), descriptors)
        z = torch.clamp((descriptors - self.mean) * self.inv_std, -CLIP, CLIP)
        return torch.cat([z, self.emb_scale * embedding], dim=1)

    def from_features(self, x):
        y = self.net(x)
        return y / torch.sqrt((y * y).sum(dim=1, keepdim=True) + 1e-12)

    def forward(self, descriptors, embedding):
        return self.from_features(self.features(descriptors, embedding))


def supcon(z, labels, tau):
    s = z @ z.T / tau
    eye = torch.eye(len(labels), dtype=torch.bool)
    s = s.masked_fill(eye, -1e9)
    logp = s - torch.logsumexp(s, dim=1, keepdim=True)
    pos = (labels[:, None] == labels[None, :]) & ~eye
    count = pos.sum(1)
    ok = count > 0
    return -((logp * pos).sum(1)[ok] / count[ok]).mean()


def cnn_embeddings(model, ck, names, owner, units):
    return embed_units_of(model, ck["mean"], ck["std"], data.load_audio, names, owner, units)


def train_head(desc, emb, labels, seed, extra=None, extra_weight=0.0, extra_batch=1024):
    """extra: (descriptors, embeddings, labels) of a second labelled set (the GM clips), its own loss term."""
    torch.manual_seed(seed)
    mean, std = column_stats(desc if extra is None else np.vstack([desc, extra[0]]))
    head = Head(desc.shape[1], emb.shape[1], mean, std)
    opt = torch.optim.AdamW(head.net.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
    features = lambda d, e: head.features(torch.tensor(d, dtype=torch.float32), torch.tensor(e, dtype=torch.float32)).detach()  # noqa: E731
    x = features(desc, emb)
    lab = torch.tensor(labels)
    if extra is not None:
        xg, lg = features(extra[0], extra[1]), torch.tensor(extra[2])
        picker = torch.Generator().manual_seed(seed + 1)
    for _ in range(STEPS):
        z = head.from_features(x + INPUT_NOISE * torch.randn_like(x))
        loss = supcon(z, lab, TAU)
        if extra is not None and extra_weight > 0:
            pick = torch.randperm(len(xg), generator=picker)[:extra_batch]
            zg = head.from_features(xg[pick] + INPUT_NOISE * torch.randn_like(xg[pick]))
            loss = loss + extra_weight * supcon(zg, lg[pick], TAU)
        opt.zero_grad()
        loss.backward()
        opt.step()
    head.eval()
    return head, float(loss)


@torch.no_grad()
def apply_head(head, desc, emb):
    return head(torch.tensor(desc, dtype=torch.float32), torch.tensor(emb, dtype=torch.float32)).numpy().astype(np.float64)


def gm_units(path):
    """analyze --json of render_gm.py --eval-folder: units by WAV name, the clip index entries, folder labels."""
    files = load_units(path)
    index = {e["name"] + ".wav": e for e in json.load(open(os.path.join(data.GM_DIR, "index.json")))}
    return files, index


def gm_embeddings(model, ck, files, names, columns):
    desc, owner, units = unit_rows(files, names, columns)
    emb = embed_units_of(model, ck["mean"], ck["std"], lambda n: data.load_gm_clip(n[: -len(".wav")]), names, owner, units)
    return desc, owner, emb


def zscore(rows, ref):
    mean, std = column_stats(ref)
    return (rows - mean) / std


def report(pool, head, desc, owner, emb, labels):
    """Prints the multi-protocol scores of the descriptors, the CNN embedding and the head on one pool."""
    for space, dist in (("descriptors ", euclidean(zscore(desc, desc))), ("CNN embedding", cosine_distance(emb)),
                        ("head         ", cosine_distance(apply_head(head, desc, emb)))):
        r = scores_multi(dist, owner, labels)
        print(f"{pool} {space} " + " ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in r.items()), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", default=os.path.join(WORK_DIR, "checkpoint.pt"), help="the CNN (v2 student)")
    ap.add_argument("--units", default=os.path.join(WORK_DIR, "analyze.jsonl"))
    ap.add_argument("--fold", type=int, help="train on the other CV folds of the train files, score fold K")
    ap.add_argument("--seed", type=int, default=20241130)
    ap.add_argument("--gm-units", help="mass-audio analyze --json of render_gm.py --eval-folder DIR (adds the GM clips)")
    ap.add_argument("--gm-weight", type=float, default=0.3)
    ap.add_argument("--score-held-out", action="store_true", help="also score the held-out files (only once, at the end)")
    ap.add_argument("--out", help="write the trained head (torch checkpoint)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    split = json.load(open(SPLIT_JSON))
    files = load_units(args.units)
    columns = list(next(iter(files.values()))[0]["descriptors"].keys())
    if args.fold is None:
        fit, scored = split["train"], {"held-out": split["heldOut"]} if args.score_held_out else {}
    else:
        fit, val = inner_split(split["train"], args.fold)
        scored = {f"fold {args.fold}": val}
    model, ck = load_model(args.checkpoint)
    label_names = sorted({label_of(n) for n in split["train"]})
    desc, owner, units = unit_rows(files, fit, columns)
    emb = cnn_embeddings(model, ck, fit, owner, units)
    labels = np.array([label_names.index(label_of(fit[o])) for o in owner])
    extra, gm = None, None
    if args.gm_units:
        gm_files, gm_index = gm_units(args.gm_units)
        gm_train = sorted(n for n in gm_files if not data.gm_held_out(gm_index[n]))
        gm_test = sorted(n for n in gm_files if data.gm_held_out(gm_index[n]))
        folder_of = lambda n: render_gm.eval_folder_of(gm_index[n]["label"])  # noqa: E731
        folders = sorted({folder_of(n) for n in gm_train})
        gd, go, ge = gm_embeddings(model, ck, gm_files, gm_train, columns)
        extra = (gd, ge, np.array([folders.index(folder_of(gm_train[o])) for o in go]))
        gm = (gm_files, gm_test, folder_of)
    head, loss = train_head(desc, emb, labels, args.seed, extra, args.gm_weight)
    print(f"head trained on {len(fit)} files, {len(units)} units" + (f" + {len(extra[0])} GM units (weight {args.gm_weight})" if extra else "")
          + f"; final loss {loss:.3f}", flush=True)
    if args.out:
        torch.save({"state": head.state_dict(), "n_desc": desc.shape[1], "n_emb": emb.shape[1], "columns": columns,
                    "mean": head.mean.numpy().tolist(), "std": (1.0 / head.inv_std.numpy()).tolist(),
                    "cnn_checkpoint": os.path.abspath(args.checkpoint), "seed": args.seed, "fit_files": len(fit),
                    "gm_weight": args.gm_weight if extra else 0.0}, args.out)
    if gm:
        gm_files, gm_test, folder_of = gm
        d, o, e = gm_embeddings(model, ck, gm_files, gm_test, columns)
        report("GM held-out", head, d, o, e, [folder_of(n) for n in gm_test])
    for pool, names in scored.items():
        d, o, us = unit_rows(files, names, columns)
        report(pool, head, d, o, cnn_embeddings(model, ck, names, o, us), [label_of(n) for n in names])


if __name__ == "__main__":
    main()
