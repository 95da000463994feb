"""Unit embeddings as the TS side computes them: the unit's own samples at 22050 Hz (zero outside), patches
every 16 frames while they start inside the unit (at least one, at most 8), model per patch, mean, L2."""

import numpy as np
import torch

import frontend as fe
from frontend import SAMPLE_RATE_HZ as SR


def unit_range(unit):
    """[start, end) samples at 22050 Hz of an analyze --json unit (its seconds)."""
    a = int(round(unit["startSec"] * SR))
    b = max(a + 1, int(round(unit["endSec"] * SR)))
    return a, b


def embed_units_of(model, mean, std, load, names, owner, units):
    """embed_unit_signals of analyze --json units: unit k is units[k] of the clip names[owner[k]], and
    load(name) gives that clip's float32 mono at 22050 Hz (each clip loaded once)."""
    audio = {n: load(n) for n in names}
    return embed_unit_signals(model, [audio[names[o]][slice(*unit_range(u))] for o, u in zip(owner, units)], mean, std)


@torch.no_grad()
def embed_unit_signals(model, signals, mean, std, max_patches=8, batch=256):
    """One L2-normalised vector per unit signal (float32 mono at 22050 Hz)."""
    model.eval()
    patches, owner = [], []
    for i, s in enumerate(signals):
        p = fe.unit_patches(s, mean, std, max_patches)
        patches.append(p)
        owner += [i] * len(p)
    allp = torch.from_numpy(np.concatenate(patches))
    out = torch.cat([model(allp[k:k + batch]) for k in range(0, len(allp), batch)]).numpy().astype(np.float64)
    owner = np.array(owner)
    vecs = np.zeros((len(signals), out.shape[1]))
    np.add.at(vecs, owner, out)
    return vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
