"""Trains one embedder (contrastive over augmented views + supervised contrastive on train labels): the recipe
of mass-audio-embed-v1, and of each teacher of mass-audio-embed-v2 (distill.py).

/usr/bin/python3 train.py [--steps N] [--seed S] [--inner]   (see README.md)
--inner: development mode, trains on inner-split.json's inner-train files (2/3 of the train split) and scores
retrieval on its inner-validation files (the held-out files stay untouched while choosing settings).
"""

import argparse
import json
import os
import random
import time

import numpy as np
import torch

import data
import frontend as fe
import synth
from embed_units import embed_unit_signals, unit_range
from model import Embedder, count_macs
from paths import CV_FOLDS_JSON, INNER_SPLIT_JSON, SPLIT_JSON, WORK_DIR, label_of


def seed_all(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def inner_split(train, fold=None):
    """The committed inner split (inner-split.json, written by make_split.py): (inner-train, inner-validation);
    with fold K: (the other folds, fold K) of cv-folds.json."""
    if fold is None:
        doc = json.load(open(INNER_SPLIT_JSON))
        fit, val = doc["innerTrain"], doc["innerValidation"]
    else:
        folds = json.load(open(CV_FOLDS_JSON))["folds"]
        val = folds[fold]
        fit = sorted(n for k, f in enumerate(folds) if k != fold for n in f)
    assert sorted(fit + val) == sorted(train), "inner-split.json does not partition split.json's train files"
    return fit, val


def norm_stats(names):
    """Mean and std of ln(mel + offset) over every frame of the named files (rounded: they go in the manifest)."""
    s, s2, n = 0.0, 0.0, 0
    for name in names:
        lm = fe.log_mel(data.load_audio(name), dtype=np.float64)
        s += lm.sum()
        s2 += (lm ** 2).sum()
        n += lm.size
    mean = s / n
    std = np.sqrt(s2 / n - mean ** 2)
    return round(float(mean), 4), round(float(std), 4)


def contrastive_losses(z, labels, tau):
    """z: [2B, E] unit vectors, views 2i and 2i+1 from item i; labels: [B]. NT-Xent and SupCon (mean over anchors)."""
    n = z.shape[0]
    sim = z @ z.t() / tau
    eye = torch.eye(n, dtype=torch.bool)
    sim = sim.masked_fill(eye, -1e9)
    logp = sim - torch.logsumexp(sim, dim=1, keepdim=True)
    idx = torch.arange(n)
    pair = idx ^ 1
    nt_xent = -logp[idx, pair].mean()
    lab = torch.as_tensor(labels).repeat_interleave(2)
    pos = (lab[:, None] == lab[None, :]) & ~eye
    supcon = -((logp * pos).sum(dim=1) / pos.sum(dim=1)).mean()
    return nt_xent, supcon


def retrieval_check(model, names, units, mean, std):
    """Leave-one-out retrieval among names with the first non-silent unit of each file (cosine)."""
    from retrieval import first_unit, scores, cosine_distance
    sigs = []
    for n in names:
        a, b = unit_range(first_unit(units[n]))
        sigs.append(data.load_audio(n)[a:b])
    e = embed_unit_signals(model, sigs, mean, std)
    first = scores(cosine_distance(e), [label_of(n) for n in names])
    from retrieval import descriptor_units, scores_multi
    _, owner, us = descriptor_units(units, names)
    audio = {n: data.load_audio(n) for n in names}
    sigs = [audio[names[o]][slice(*unit_range(u))] for o, u in zip(owner, us)]
    e = embed_unit_signals(model, sigs, mean, std)
    multi = scores_multi(cosine_distance(e), owner, [label_of(n) for n in names])
    return {"first": {k: round(v, 3) for k, v in first.items()}, "multi": {k: round(v, 3) for k, v in multi.items()}}


def pair_sampler(train, label_index, n_labels, args):
    """Batches of augmented view pairs: the train files (labels 0..n_labels-1) and generated clips (after)."""
    corpus = data.corpus_sources(train, label_index)
    clips, clip_labels = synth.bank(args.synth_per_class, args.seed + 1)
    synth_sources = [data.Source(c, n_labels + k) for c, k in zip(clips, clip_labels)]
    gm = data.gm_sources(n_labels + len(synth.CLASSES), label_index if args.gm_map else None,
                           args.gm_holdout) if args.gm_fraction > 0 else []
    sampler = data.PairSampler(corpus, synth_sources, n_labels, np.random.default_rng(args.seed + 2),
                               real_fraction=args.real_fraction, strength=args.strength, balance=args.balance,
                               gm_sources=gm, gm_fraction=args.gm_fraction, speed_prob=args.speed_prob)
    return sampler, synth_sources


def optimiser(model, args):
    """AdamW with a linear warm-up over the first 5 % of the steps, then a cosine decay to 0."""
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.wd)
    warm = max(1, args.steps // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * 0.5 * (1 + np.cos(np.pi * min(1.0, s / args.steps))))
    return opt, sched


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=700)
    ap.add_argument("--items", type=int, default=96, help="items per batch (2 views each)")
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--wd", type=float, default=1e-4)
    ap.add_argument("--tau", type=float, default=0.2)
    ap.add_argument("--w-inst", type=float, default=1.0, help="weight of NT-Xent (instance positives)")
    ap.add_argument("--w-sup", type=float, default=1.0, help="weight of SupCon (label positives)")
    ap.add_argument("--real-fraction", type=float, default=0.75)
    ap.add_argument("--synth-per-class", type=int, default=40)
    ap.add_argument("--gm-fraction", type=float, default=0.0,
                    help="share of batch items from the rendered General MIDI clips (render_gm.py)")
    ap.add_argument("--gm-map", action="store_true", help="General MIDI clips of a corpus category take its label")
    ap.add_argument("--gm-holdout", action="store_true", help="leave out the General MIDI clips of data.gm_held_out")
    ap.add_argument("--balance", default="sqrt", choices=["label", "sqrt"], help="label sampling of corpus items")
    ap.add_argument("--strength", type=float, default=1.0, help="augmentation strength")
    ap.add_argument("--speed-prob", type=float, default=0.7, help="share of views with a speed (pitch) change")
    ap.add_argument("--width-mult", type=float, default=1.0, help="channel and hidden widths x this (1 = v1/v2's)")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--inner", action="store_true")
    ap.add_argument("--fold", type=int, default=None, help="train on the other folds of cv-folds.json, score fold K")
    ap.add_argument("--units", default=os.path.join(WORK_DIR, "analyze.jsonl"))
    ap.add_argument("--out", default=os.path.join(WORK_DIR, "checkpoint.pt"))
    ap.add_argument("--eval-every", type=int, default=0)
    args = ap.parse_args()

    torch.set_num_threads(1)
    seed_all(args.seed)
    t0 = time.time()
    split = json.load(open(SPLIT_JSON))
    train = split["train"]
    val = []
    if args.inner or args.fold is not None:
        train, val = inner_split(train, args.fold)
    labels = sorted({label_of(n) for n in train})
    label_index = {lab: i for i, lab in enumerate(labels)}
    mean, std = norm_stats(train)
    print(f"train files {len(train)}, labels {len(labels)}, log-mel mean {mean} std {std}", flush=True)

    sampler, synth_sources = pair_sampler(train, label_index, len(labels), args)
    print(f"data ready in {time.time() - t0:.0f} s ({len(synth_sources)} generated clips)", flush=True)

    model_kwargs = {} if args.width_mult == 1 else {
        "width": tuple(int(round(c * args.width_mult)) for c in (16, 48, 96, 192)), "hidden": int(round(128 * args.width_mult))}
    model = Embedder(**model_kwargs)
    print(f"parameters {sum(p.numel() for p in model.parameters())}, MACs/patch {count_macs(model)}", flush=True)
    opt, sched = optimiser(model, args)
    units = None
    if val or args.eval_every:
        from retrieval import load_units
        units = load_units(args.units)
    run = {"nt": 0.0, "sup": 0.0}
    for step in range(args.steps):
        model.train()
        x, y = sampler.batch(args.items)
        x = ((x - mean) / std).unsqueeze(1)
        z = model(x)
        nt, sup = contrastive_losses(z, y, args.tau)
        loss = args.w_inst * nt + args.w_sup * sup
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        run["nt"] = 0.95 * run["nt"] + 0.05 * nt.item() if step else nt.item()
        run["sup"] = 0.95 * run["sup"] + 0.05 * sup.item() if step else sup.item()
        if step % 50 == 0 or step == args.steps - 1:
            print(f"step {step} nt-xent {run['nt']:.3f} supcon {run['sup']:.3f} lr {sched.get_last_lr()[0]:.2e} "
                  f"{time.time() - t0:.0f} s (cpu {time.process_time():.0f} s)", flush=True)
        if val and args.eval_every and (step + 1) % args.eval_every == 0 and step + 1 < args.steps:
            print("  inner val", retrieval_check(model, val, units, mean, std), flush=True)
    model.eval()
    torch.save({"state": model.state_dict(), "model_kwargs": model_kwargs, "mean": mean, "std": std, "args": vars(args), "labels": labels,
                "train_seconds": time.time() - t0, "cpu_seconds": time.process_time()}, args.out)
    print(f"saved {args.out} after {time.time() - t0:.0f} s", flush=True)
    if val:
        print("inner val", retrieval_check(model, val, units, mean, std), flush=True)
        from retrieval import table
        from retrieval import descriptor_units, scores_multi, euclidean
        d, owner, _ = descriptor_units(units, val)
        print("inner val descriptors", {"first": table(units, val)["descriptors"],
                                        "multi": scores_multi(euclidean(d), owner, [label_of(n) for n in val])}, flush=True)


if __name__ == "__main__":
    main()
