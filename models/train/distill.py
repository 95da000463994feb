"""Distils an ensemble of trained embedders (teachers, different seeds) into one student of the same size.

/usr/bin/python3 distill.py --teachers A.pt,B.pt,C.pt [--inner] [--out student.pt]   (see README.md)

Independently trained embedders agree on which sounds are near each other but not on their coordinates
(each seed ends in its own rotation of the space), so their vectors cannot be averaged. What can be
averaged is their similarity structure: the ensemble's cosine similarity of two patches is the mean of the
teachers' (= the cosine of their concatenated, 1/sqrt(k)-scaled unit vectors). The student sees the same
augmented views as the teachers and learns, for every view in the batch, the teachers' softmax over its
similarities to the other views (relational distillation, as CompRess/SEED, Abbasi Koohpayegani et al.
2020, Fang et al. 2021), optionally plus the recipe's own NT-Xent and SupCon losses.
--inner: train on the inner-train files, score on the inner-validation files (inner-split.json).
"""

import argparse
import json
import os
import time

import numpy as np
import torch

from model import Embedder, count_macs
from paths import SPLIT_JSON, WORK_DIR, label_of
from train import contrastive_losses, inner_split, norm_stats, optimiser, pair_sampler, retrieval_check, seed_all


class Ensemble(torch.nn.Module):
    """Concatenation of the teachers' unit vectors scaled by 1/sqrt(k): a unit vector whose dot products are
    the mean of the teachers' cosine similarities (used to score the ensemble itself and as the target)."""

    def __init__(self, models):
        super().__init__()
        self.models = torch.nn.ModuleList(models)

    def forward(self, x):
        return torch.cat([m(x) for m in self.models], dim=1) / np.sqrt(len(self.models))


def load_teachers(paths):
    models, stats = [], set()
    for p in paths:
        ck = torch.load(p)
        m = Embedder(**ck.get("model_kwargs", {}))
        m.load_state_dict(ck["state"])
        m.eval()
        for q in m.parameters():
            q.requires_grad_(False)
        models.append(m)
        stats.add((ck["mean"], ck["std"]))
    assert len(stats) == 1, f"teachers were normalised differently: {stats}"
    return Ensemble(models), stats.pop()


def relational_kd(z_student, z_teacher, tau):
    """Mean over anchors of KL(teacher || student) of the softmax over similarities to the other views."""
    n = z_student.shape[0]
    eye = torch.eye(n, dtype=torch.bool)
    s = (z_student @ z_student.t() / tau).masked_fill(eye, -1e9)
    t = (z_teacher @ z_teacher.t() / tau).masked_fill(eye, -1e9)
    p_t = torch.softmax(t, dim=1)
    return (p_t * (torch.log_softmax(t, dim=1) - torch.log_softmax(s, dim=1))).sum(dim=1).mean()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--teachers", required=True, help="comma-separated checkpoints of train.py")
    ap.add_argument("--steps", type=int, default=700)
    ap.add_argument("--items", type=int, default=96)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--wd", type=float, default=1e-4)
    ap.add_argument("--tau", type=float, default=0.2, help="temperature of NT-Xent/SupCon")
    ap.add_argument("--tau-kd", type=float, default=0.1, help="temperature of the distillation softmax")
    ap.add_argument("--w-kd", type=float, default=1.0)
    ap.add_argument("--w-inst", type=float, default=0.0)
    ap.add_argument("--w-sup", type=float, default=0.0)
    ap.add_argument("--real-fraction", type=float, default=0.75)
    ap.add_argument("--synth-per-class", type=int, default=40)
    ap.add_argument("--gm-fraction", type=float, default=0.0, help="as train.py")
    ap.add_argument("--gm-map", action="store_true", help="as train.py")
    ap.add_argument("--gm-holdout", action="store_true", help="as train.py")
    ap.add_argument("--speed-prob", type=float, default=0.7, help="as train.py")
    ap.add_argument("--balance", default="sqrt", choices=["label", "sqrt"])
    ap.add_argument("--strength", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=20240602)
    ap.add_argument("--inner", action="store_true")
    ap.add_argument("--fold", type=int, default=None, help="as train.py (teachers trained with the same --fold)")
    ap.add_argument("--eval-teachers", action="store_true", help="with --inner: also score the ensemble itself")
    ap.add_argument("--units", default=os.path.join(WORK_DIR, "analyze.jsonl"))
    ap.add_argument("--out", default=os.path.join(WORK_DIR, "checkpoint.pt"))
    args = ap.parse_args()

    torch.set_num_threads(1)
    seed_all(args.seed)
    t0 = time.time()
    teachers, (t_mean, t_std) = load_teachers(args.teachers.split(","))
    split = json.load(open(SPLIT_JSON))
    train, val = split["train"], []
    if args.inner or args.fold is not None:
        train, val = inner_split(train, args.fold)
    labels = sorted({label_of(n) for n in train})
    label_index = {lab: i for i, lab in enumerate(labels)}
    mean, std = norm_stats(train)
    assert (mean, std) == (t_mean, t_std), "teachers trained on other files than this run"
    units = None
    if val:
        from retrieval import load_units
        units = load_units(args.units)
        if args.eval_teachers:
            print("inner val ensemble", retrieval_check(teachers, val, units, mean, std), flush=True)
            for i, m in enumerate(teachers.models):
                print(f"inner val teacher {i}", retrieval_check(m, val, units, mean, std), flush=True)

    sampler, _ = pair_sampler(train, label_index, len(labels), args)
    print(f"train files {len(train)}, teachers {len(teachers.models)}, data ready in {time.time() - t0:.0f} s", flush=True)

    model = Embedder()
    print(f"parameters {sum(p.numel() for p in model.parameters())}, MACs/patch {count_macs(model)}", flush=True)
    opt, sched = optimiser(model, args)
    run = {}
    for step in range(args.steps):
        model.train()
        x, y = sampler.batch(args.items)
        x = ((x - mean) / std).unsqueeze(1)
        with torch.no_grad():
            zt = teachers(x)
        z = model(x)
        kd = relational_kd(z, zt, args.tau_kd)
        loss = args.w_kd * kd
        parts = {"kd": kd}
        if args.w_inst or args.w_sup:
            nt, sup = contrastive_losses(z, y, args.tau)
            loss = loss + args.w_inst * nt + args.w_sup * sup
            parts.update({"nt": nt, "sup": sup})
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        for k, v in parts.items():
            run[k] = 0.95 * run[k] + 0.05 * v.item() if k in run else v.item()
        if step % 50 == 0 or step == args.steps - 1:
            print(f"step {step} " + " ".join(f"{k} {v:.4f}" for k, v in run.items()) +
                  f" lr {sched.get_last_lr()[0]:.2e} {time.time() - t0:.0f} s (cpu {time.process_time():.0f} s)", flush=True)
    model.eval()
    torch.save({"state": model.state_dict(), "mean": mean, "std": std, "args": vars(args), "labels": labels,
                "train_seconds": time.time() - t0, "cpu_seconds": time.process_time()}, args.out)
    print(f"saved {args.out} after {time.time() - t0:.0f} s", flush=True)
    if val:
        print("inner val", retrieval_check(model, val, units, mean, std), flush=True)


if __name__ == "__main__":
    main()
