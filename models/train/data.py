"""Training batches: pairs of augmented views of corpus (train split) and generated clips, as log-mel patches."""

import json
import os

import numpy as np
import torch

import frontend as fe
from frontend import PATCH_SAMPLES, SAMPLE_RATE_HZ as SR
from paths import AUDIO_DIR, GM_DIR, label_of

PRE_SAMPLES = int(0.3 * SR)    # 0.3 s of context before a view, for the reverb tail
VIEW_JITTER_SAMPLES = SR // 4  # two views of one item start up to 0.25 s apart (clamped to the clip)


def load_audio(name):
    return np.fromfile(os.path.join(AUDIO_DIR, name.replace(".flac", ".f32")), dtype="<f4")


def load_gm_clip(name):
    """A rendered General MIDI clip (render_gm.py) by its index name (no extension)."""
    return np.fromfile(os.path.join(GM_DIR, name + ".f32"), dtype="<f4")


def onset_samples(x, threshold=2.0):
    """Candidate start positions of a clip (samples): its first non-silent frame and spectral-flux peaks."""
    lm = fe.log_mel(x)
    energy = np.log(np.exp(lm).sum(axis=1))
    loud = np.nonzero(energy > energy.max() - 12)[0]
    starts = [int(loud[0]) if len(loud) else 0]
    flux = np.maximum(np.diff(lm, axis=0), 0).mean(axis=1)
    if len(flux) > 3:
        thr = flux.mean() + threshold * flux.std()
        for i in range(1, len(flux) - 1):
            if flux[i] > thr and flux[i] >= flux[i - 1] and flux[i] >= flux[i + 1] and energy[i + 1] > energy.max() - 30:
                starts.append(i + 1)
    return np.unique(np.array(starts) * fe.HOP_SAMPLES)


class Source:
    """One clip with its label index and candidate start positions."""

    def __init__(self, signal, label):
        self.signal = signal.astype(np.float32)
        self.label = label
        self.onsets = onset_samples(self.signal)

    def start(self, rng):
        """A base position: an onset (60 %) or anywhere in the clip."""
        if rng.random() < 0.6 or len(self.signal) <= PATCH_SAMPLES:
            return int(self.onsets[rng.integers(len(self.onsets))])
        return int(rng.integers(0, max(1, len(self.signal) - PATCH_SAMPLES // 2)))


def segment(src, pos, length, pre):
    """src.signal[pos - pre : pos + length], zero outside the clip."""
    out = np.zeros(pre + length, dtype=np.float32)
    a, b = pos - pre, pos + length
    sa, sb = max(a, 0), min(b, len(src.signal))
    if sb > sa:
        out[sa - a:sb - a] = src.signal[sa:sb]
    return out


def reverb_ir(rng):
    rt60 = rng.uniform(0.15, 1.2)
    n = int(min(rt60, 0.3) * SR)  # a 0.4 s patch hears at most ~0.3 s of tail
    t = np.arange(n) / SR
    ir = rng.standard_normal(n, dtype=np.float32) * np.exp(-6.9 * t / rt60)
    if rng.random() < 0.5:  # darker tail
        k = int(rng.integers(2, 8))
        ir = np.convolve(ir, np.ones(k) / k, mode="same")
    ir[0] = 0
    return ir / np.sqrt((ir ** 2).sum())


def coloured_noise(rng, n):
    x = rng.standard_normal(n, dtype=np.float32)
    slope = rng.choice([0.0, 0.5, 1.0])  # amplitude ~ f^-slope: white, pink, brown
    if slope:
        X = np.fft.rfft(x)
        f = np.arange(len(X)) + 1.0
        x = np.fft.irfft(X / f ** slope, n)
    return x / (np.sqrt((x ** 2).mean()) + 1e-12)


def eq_curve(rng, n_bins):
    """Random smooth gain curve (power domain) over the rfft bins: a tilt plus up to two peaks/notches."""
    f = np.linspace(0, SR / 2, n_bins)
    logf = np.log2(np.maximum(f, 20) / 1000)
    db = rng.uniform(-3, 3) * logf
    for _ in range(rng.integers(0, 3)):
        centre = rng.uniform(np.log2(60 / 1000), np.log2(10000 / 1000))
        width = rng.uniform(0.3, 2)
        db += rng.uniform(-10, 10) * np.exp(-0.5 * ((logf - centre) / width) ** 2)
    if rng.random() < 0.3:  # low-pass or high-pass
        fc = 2 ** rng.uniform(np.log2(2000), np.log2(10000)) if rng.random() < 0.5 else 2 ** rng.uniform(np.log2(40), np.log2(400))
        lp = fc > 1000
        db += -12 * np.log2(1 + (f / fc if lp else fc / np.maximum(f, 1)) ** 2) / 2
    return (10 ** (db / 10)).astype(np.float32)


class Augmenter:
    def __init__(self, sources, strength=1.0, speed_prob=0.7):
        self.sources = sources
        self.s = strength
        self.speed_prob = speed_prob

    def view(self, rng, src, pos):
        """One augmented waveform view of PATCH_SAMPLES starting near pos, and its power EQ curve."""
        s = self.s
        speed = 2 ** (rng.uniform(-1.5, 1.5) * s / 12) if rng.random() < self.speed_prob else 1.0  # +-1.5 semitones, tape-style
        reverb = rng.random() < 0.35 * s
        pre_out = PRE_SAMPLES if reverb else 0
        pre = int(np.ceil(pre_out * speed))
        need = int(np.ceil(PATCH_SAMPLES * speed)) + 2
        raw = segment(src, pos, need, pre)
        if speed != 1.0:
            t = np.arange(pre_out + PATCH_SAMPLES, dtype=np.float32) * np.float32(speed) + np.float32(pre - pre_out * speed)
            raw = np.interp(t, np.arange(len(raw), dtype=np.float32), raw).astype(np.float32)
        x = raw
        if reverb:
            ir = reverb_ir(rng)
            n = len(x) + len(ir) - 1
            nfft = 1 << (n - 1).bit_length()
            wet = np.fft.irfft(np.fft.rfft(x, nfft) * np.fft.rfft(ir, nfft), nfft)[: len(x)]
            mix = rng.uniform(0.1, 0.6)
            x = ((1 - mix) * x + mix * wet).astype(np.float32)
        x = x[pre_out:pre_out + PATCH_SAMPLES].copy()
        if rng.random() < 0.2 * s:  # a quiet second sound underneath
            other = self.sources[rng.integers(len(self.sources))]
            bg = segment(other, other.start(rng), PATCH_SAMPLES, 0).astype(np.float64)
            rms_x = np.sqrt((x ** 2).mean()) + 1e-9
            rms_b = np.sqrt((bg ** 2).mean()) + 1e-9
            x = x + bg * rms_x / rms_b * 10 ** (rng.uniform(-30, -12) / 20)
        if rng.random() < 0.5 * s:
            rms = np.sqrt((x ** 2).mean()) + 1e-9
            x = x + coloured_noise(rng, len(x)) * rms * 10 ** (-rng.uniform(15, 45) / 20)
        if rng.random() < 0.25:  # a short unit: silence after a cut (the TS side zero-pads units)
            cut = int(rng.uniform(0.03, 0.37) * SR)
            fade = min(64, cut)
            x[cut - fade:cut] *= np.linspace(1, 0, fade)
            x[cut:] = 0
        x *= 10 ** (rng.uniform(-12, 12) * s / 20)
        eq = eq_curve(rng, fe.FFT_SIZE // 2 + 1) if rng.random() < 0.7 * s else None
        return x.astype(np.float32), eq


_WIN_T = torch.from_numpy(fe._WIN32)


def _sparse_bank():
    """The mel bank as two (band, weight) pairs per FFT bin: a Slaney triangle bin touches at most 2 bands."""
    w = fe._MEL32
    k = w.shape[1]
    idx = np.zeros((2, k), dtype=np.int64)
    val = np.zeros((2, k), dtype=np.float32)
    for b in range(k):
        nz = np.nonzero(w[:, b])[0]
        assert len(nz) <= 2
        for j, m in enumerate(nz):
            idx[j, b], val[j, b] = m, w[m, b]
    return torch.from_numpy(idx), torch.from_numpy(val)


_BANK_IDX, _BANK_VAL = _sparse_bank()


def batch_logmel(segments, eqs):
    """Log-mel of views [B, PATCH_SAMPLES] with optional per-view power EQ curves -> [B, bands, frames]
    (torch float32; the same computation as frontend.log_mel, checked in check_frontend.py)."""
    x = torch.from_numpy(np.asarray(segments, dtype=np.float32))
    frames = x.unfold(1, fe.WINDOW_SAMPLES, fe.HOP_SAMPLES) * _WIN_T      # [B, T, N]
    spec = torch.fft.rfft(frames, n=fe.FFT_SIZE, dim=-1)
    power = torch.view_as_real(spec).square().sum(-1)                   # [B, T, K]
    if any(e is not None for e in eqs):
        curves = np.stack([e if e is not None else np.ones(fe.FFT_SIZE // 2 + 1, np.float32) for e in eqs])
        power = power * torch.from_numpy(curves)[:, None, :]
    flat = power.reshape(-1, power.shape[-1])
    mel = torch.zeros(flat.shape[0], fe.MEL_BANDS)
    mel.index_add_(1, _BANK_IDX[0], flat * _BANK_VAL[0])
    mel.index_add_(1, _BANK_IDX[1], flat * _BANK_VAL[1])
    lm = torch.log(mel + fe.LOG_OFFSET).reshape(power.shape[0], power.shape[1], fe.MEL_BANDS)
    return lm.transpose(1, 2).contiguous()


class PairSampler:
    """Batches of 2 views per item; items: class-balanced corpus files plus generated clips."""

    def __init__(self, corpus_sources, synth_sources, n_corpus_labels, rng, real_fraction=0.75, strength=1.0,
                 balance="label", gm_sources=(), gm_fraction=0.0, speed_prob=0.7):
        self.corpus = corpus_sources
        self.synth = synth_sources
        self.gm = list(gm_sources)
        self.gm_fraction = gm_fraction if self.gm else 0.0
        self.by_label = {}
        for s in corpus_sources:
            self.by_label.setdefault(s.label, []).append(s)
        self.labels = sorted(self.by_label)
        # label probabilities: uniform ("label") or proportional to sqrt(files of the label) ("sqrt")
        w = np.array([1.0 if balance == "label" else np.sqrt(len(self.by_label[k])) for k in self.labels])
        self.label_p = w / w.sum()
        self.rng = rng
        self.real_fraction = real_fraction
        self.aug = Augmenter(corpus_sources + synth_sources + (self.gm if self.gm_fraction else []), strength, speed_prob)

    def pick(self):
        rng = self.rng
        r = rng.random() if self.synth or self.gm_fraction else 0.0
        if r < self.real_fraction:
            group = self.by_label[self.labels[rng.choice(len(self.labels), p=self.label_p)]]
            return group[rng.integers(len(group))]
        if r < self.real_fraction + self.gm_fraction or not self.synth:
            return self.gm[rng.integers(len(self.gm))]
        return self.synth[rng.integers(len(self.synth))]

    def batch(self, items):
        rng = self.rng
        segs, eqs, labels = [], [], []
        for _ in range(items):
            src = self.pick()
            base = src.start(rng)
            for v in range(2):
                pos = base if v == 0 or rng.random() < 0.5 else int(np.clip(base + rng.integers(-VIEW_JITTER_SAMPLES, VIEW_JITTER_SAMPLES + 1), 0, max(0, len(src.signal) - 1)))
                pos += int(rng.integers(-fe.HOP_SAMPLES, fe.HOP_SAMPLES + 1))  # sub-frame offset
                x, eq = self.aug.view(rng, src, max(0, pos))
                segs.append(x)
                eqs.append(eq)
            labels.append(src.label)
        return batch_logmel(segs, eqs), np.array(labels)


def corpus_sources(names, label_index):
    return [Source(load_audio(n), label_index[label_of(n)]) for n in names]


ELECTRONIC_KITS = ("_kit24_", "_kit25_")  # Electronic, TR-808


def gm_corpus_label(entry):
    """The corpus category a rendered General MIDI clip clearly belongs to, or None (then it keeps its own
    label): kicks -> bd, snares -> sn, other kit hits -> drum (acoustic kits) or elec (Electronic, TR-808),
    basses -> bass, guitars -> guit, synth pads -> ambi, drum loops -> loop. Fixed before any run used it."""
    label, name = entry["label"], entry["name"]
    if label == "gm_loop":
        return "loop"
    if label.startswith("gm_drum_"):
        kind = label[len("gm_drum_"):]
        if kind == "kick":
            return "bd"
        if kind == "snare":
            return "sn"
        if kind in ("hat", "tom", "crash", "ride", "rim", "clap"):
            return "elec" if any(k in name for k in ELECTRONIC_KITS) else "drum"
        return None
    program = int(label[len("gm_p"):])
    return {3: "guit", 4: "bass", 11: "ambi"}.get(program // 8)


GM_HELD_OUT_KITS = ("_kit16_", "_kit32_")  # Power, Jazz


def gm_held_out(entry):
    """The General MIDI clips kept out of training by --gm-holdout, for scoring a model on instruments and kits
    it never heard: every program p with p % 4 == 3 (two of each family's eight) and the Power and Jazz kits."""
    label, name = entry["label"], entry["name"]
    if label.startswith("gm_p"):
        return int(label[len("gm_p"):]) % 4 == 3
    return any(k in name for k in GM_HELD_OUT_KITS)


def gm_sources(first_label, corpus_label_index=None, holdout=False):
    """The rendered General MIDI notes, drum hits and loops (render_gm.py), labels from first_label on; with
    corpus_label_index, clips of a corpus category (gm_corpus_label) take that category's label instead."""
    index = json.load(open(os.path.join(GM_DIR, "index.json")))
    labels = sorted({e["label"] for e in index})
    at = {lab: first_label + i for i, lab in enumerate(labels)}
    if holdout:
        index = [e for e in index if not gm_held_out(e)]

    def label_of_entry(e):
        mapped = gm_corpus_label(e) if corpus_label_index is not None else None
        return corpus_label_index[mapped] if mapped in (corpus_label_index or {}) else at[e["label"]]
    return [Source(load_gm_clip(e["name"]), label_of_entry(e)) for e in index]
