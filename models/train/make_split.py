"""Deterministic train / held-out split of the corpus files, stratified by label.

Within each label the files are ordered by sha1(file name); the first ceil(n/3) are held out, the rest train.
Held-out files never feed any loss (self-supervised or supervised) nor the normalisation statistics.
"""

import hashlib
import json
import os

from paths import CORPUS_DIR, SPLIT_JSON, label_of


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


if __name__ == "__main__":
    main()
