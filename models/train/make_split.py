"""Deterministic train / held-out split of the corpus files, stratified by label.

Within each label the files are ordered by sha1(file name); the first ceil(n/3) are held out, the rest train.
Held-out files never feed any loss (self-supervised or supervised) nor the normalisation statistics.

Inner split (inner-split.json), for choosing between recipes without looking at the held-out files: per
label, the train files ordered by sha1("inner:" + name) hex; the first floor(n/3) are inner-validation, the
rest inner-train (76 / 28 of the 104 train files).

Cross-validation folds (cv-folds.json), for recipe comparisons that need more than the inner split's 27
queries: per label, the train files ordered by sha1("cv:" + name) hex, file i goes to fold i mod 3 (40 / 36 /
28 files); `train.py --fold K` trains on the other two folds and scores fold K (~95 scorable queries in all).
"""

import hashlib
import json
import os

from paths import CORPUS_DIR, CV_FOLDS_JSON, INNER_SPLIT_JSON, SPLIT_JSON, label_of


def make_split(names):
    by_label = {}
    for n in names:
        by_label.setdefault(label_of(n), []).append(n)
    held, train = [], []
    for label in sorted(by_label):
        files = sorted(by_label[label], key=lambda n: hashlib.sha1(n.encode("utf-8")).hexdigest())
        k = -(-len(files) // 3)
        held += files[:k]
        train += files[k:]
    return sorted(train), sorted(held)


def inner_split(train):
    """Development split of the train files: per label, by sha1 of 'inner:' + name, floor(n/3) for validation."""
    by = {}
    for n in train:
        by.setdefault(label_of(n), []).append(n)
    fit, val = [], []
    for lab in sorted(by):
        fs = sorted(by[lab], key=lambda n: hashlib.sha1(("inner:" + n).encode()).hexdigest())
        k = len(fs) // 3
        val += fs[:k]
        fit += fs[k:]
    return sorted(fit), sorted(val)


def cv_folds(train, k=3):
    """Cross-validation folds of the train files: per label, by sha1 of 'cv:' + name, file i -> fold i mod k."""
    by = {}
    for n in train:
        by.setdefault(label_of(n), []).append(n)
    folds = [[] for _ in range(k)]
    for lab in sorted(by):
        for i, n in enumerate(sorted(by[lab], key=lambda n: hashlib.sha1(("cv:" + n).encode()).hexdigest())):
            folds[i % k].append(n)
    return [sorted(f) for f in folds]


def main():
    names = sorted(f for f in os.listdir(CORPUS_DIR) if f.endswith(".flac"))
    train, held = make_split(names)
    doc = {
        "rule": "per label (file-name prefix before the first '_'): files ordered by sha1(name) hex; first ceil(n/3) held out",
        "corpus": "../shared/corpus/sonic-pi (CC0, 165 FLAC)",
        "train": train,
        "heldOut": held,
    }
    with open(SPLIT_JSON, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"train {len(train)}, held out {len(held)} -> {SPLIT_JSON}")
    fit, val = inner_split(train)
    inner = {
        "rule": "the train files of split.json; per label, ordered by sha1('inner:' + name) hex; first floor(n/3) are "
                "innerValidation. Recipes are compared on innerValidation only (trained on innerTrain)",
        "innerTrain": fit,
        "innerValidation": val,
    }
    with open(INNER_SPLIT_JSON, "w") as f:
        json.dump(inner, f, indent=1)
        f.write("\n")
    print(f"inner train {len(fit)}, inner validation {len(val)} -> {INNER_SPLIT_JSON}")
    folds = cv_folds(train)
    with open(CV_FOLDS_JSON, "w") as f:
        json.dump({"rule": "the train files of split.json; per label, ordered by sha1('cv:' + name) hex; file i is in fold "
                           "i mod 3. train.py --fold K trains on the other folds and scores fold K", "folds": folds}, f, indent=1)
        f.write("\n")
    print(f"cross-validation folds {[len(f) for f in folds]} -> {CV_FOLDS_JSON}")


if __name__ == "__main__":
    main()
