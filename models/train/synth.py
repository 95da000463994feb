"""Generated training signals: drum hits, tones, noises, sweeps and little loops, each with a class label.

Deterministic for a seed. Classes are their own labels ("syn_kick" ...), never corpus labels.
"""

import numpy as np

from frontend import SAMPLE_RATE_HZ as SR

CLASSES = ["syn_kick", "syn_snare", "syn_hat", "syn_cymbal", "syn_clap", "syn_tom", "syn_tone", "syn_bass",
           "syn_pluck", "syn_bell", "syn_noise_pad", "syn_sweep", "syn_blip", "syn_loop", "syn_glitch", "syn_chord"]


def _t(dur):
    return np.arange(int(dur * SR)) / SR


def _fft_filter(x, rng, lo_hz, hi_hz, slope=2.0):
    """Smooth band-pass in the frequency domain (edges with a (f/fc)^slope roll-off)."""
    n = len(x)
    X = np.fft.rfft(x)
    f = np.fft.rfftfreq(n, 1 / SR) + 1e-3
    resp = 1.0 / (1 + (lo_hz / f) ** (2 * slope)) / (1 + (f / hi_hz) ** (2 * slope))
    return np.fft.irfft(X * np.sqrt(resp), n)


def _env(n, attack_s, decay_s):
    t = np.arange(n) / SR
    a = np.minimum(1.0, t / max(attack_s, 1e-4))
    return a * np.exp(-t / max(decay_s, 1e-3))


def _harmonic(rng, f0, dur, kind=None, vibrato=True):
    t = _t(dur)
    kind = kind or rng.choice(["sine", "saw", "square", "tri", "mix"])
    vib = 1 + (rng.uniform(0, 0.01) * np.sin(2 * np.pi * rng.uniform(3, 7) * t) if vibrato and rng.random() < 0.5 else 0)
    phase = 2 * np.pi * np.cumsum(f0 * vib) / SR
    nh = max(1, min(40, int(10000 / f0)))
    out = np.zeros_like(t)
    for h in range(1, nh + 1):
        if kind == "sine":
            a = 1.0 if h == 1 else 0.0
        elif kind == "saw":
            a = 1.0 / h
        elif kind == "square":
            a = 1.0 / h if h % 2 else 0.0
        elif kind == "tri":
            a = 1.0 / h ** 2 if h % 2 else 0.0
        else:
            a = rng.uniform(0, 1) / h ** rng.uniform(0.5, 2)
        if a:
            out += a * np.sin(h * phase + rng.uniform(0, 2 * np.pi))
    return out


def _ks(rng, f0, dur, damp):
    n = int(dur * SR)
    p = max(2, int(SR / f0))
    y = np.zeros(n + p + 1)
    y[: p + 1] = rng.uniform(-1, 1, p + 1)
    k = p + 1
    while k < len(y):
        m = min(p, len(y) - k)
        y[k:k + m] = damp * 0.5 * (y[k - p:k - p + m] + y[k - p - 1:k - p - 1 + m])
        k += m
    return y[p + 1:]


def gen(cls, rng):
    """One clip of class cls (name) as float64 mono at 22050 Hz, peak-normalised to a random level."""
    if cls == "syn_kick":
        dur = rng.uniform(0.2, 0.8)
        t = _t(dur)
        f_hi, f_lo = rng.uniform(90, 300), rng.uniform(35, 65)
        f = f_lo + (f_hi - f_lo) * np.exp(-t / rng.uniform(0.01, 0.06))
        x = np.sin(2 * np.pi * np.cumsum(f) / SR) * np.exp(-t / rng.uniform(0.08, 0.4))
        click = _fft_filter(rng.standard_normal(len(t)), rng, 1000, 8000) * np.exp(-t / 0.003)
        x = x + rng.uniform(0, 0.5) * click
        if rng.random() < 0.3:
            x = np.tanh(rng.uniform(1, 4) * x)
    elif cls == "syn_snare":
        dur = rng.uniform(0.15, 0.6)
        t = _t(dur)
        tone = np.sin(2 * np.pi * rng.uniform(150, 280) * t) * np.exp(-t / rng.uniform(0.02, 0.08))
        noise = _fft_filter(rng.standard_normal(len(t)), rng, rng.uniform(500, 2000), rng.uniform(6000, 11000)) * np.exp(-t / rng.uniform(0.05, 0.2))
        x = rng.uniform(0.3, 1) * tone + noise
    elif cls == "syn_hat":
        dur = rng.uniform(0.05, 0.25)
        t = _t(dur)
        x = _fft_filter(rng.standard_normal(len(t)), rng, rng.uniform(5000, 9000), 11000, 3) * np.exp(-t / rng.uniform(0.01, 0.05))
    elif cls == "syn_cymbal":
        dur = rng.uniform(0.5, 2.0)
        t = _t(dur)
        base = rng.uniform(250, 450)
        metal = sum(np.sign(np.sin(2 * np.pi * base * r * t)) for r in (1, 1.47, 1.65, 1.94, 2.52, 2.77))
        noise = rng.standard_normal(len(t))
        x = _fft_filter(metal * rng.uniform(0.2, 1) + noise, rng, rng.uniform(3000, 7000), 11000, 2) * np.exp(-t / rng.uniform(0.2, 0.9))
    elif cls == "syn_clap":
        dur = rng.uniform(0.15, 0.5)
        n = int(dur * SR)
        x = np.zeros(n)
        noise = _fft_filter(rng.standard_normal(n), rng, rng.uniform(700, 1200), rng.uniform(2500, 5000), 2)
        for k in range(rng.integers(3, 5)):
            s = int(k * rng.uniform(0.008, 0.014) * SR)
            x[s:] += noise[: n - s] * np.exp(-np.arange(n - s) / SR / (0.008 if k < 3 else rng.uniform(0.05, 0.15)))
    elif cls == "syn_tom":
        dur = rng.uniform(0.2, 0.8)
        t = _t(dur)
        f0 = rng.uniform(70, 320)
        f = f0 * (1 + 0.3 * np.exp(-t / 0.05))
        x = np.sin(2 * np.pi * np.cumsum(f) / SR) * np.exp(-t / rng.uniform(0.08, 0.3))
    elif cls == "syn_tone":
        dur = rng.uniform(0.3, 2.0)
        f0 = 440 * 2 ** (rng.uniform(-24, 24) / 12)
        x = _harmonic(rng, f0, dur) * _env(int(dur * SR), rng.uniform(0.002, 0.1), rng.uniform(0.3, 3))
    elif cls == "syn_bass":
        dur = rng.uniform(0.2, 1.2)
        f0 = rng.uniform(30, 120)
        x = _harmonic(rng, f0, dur, rng.choice(["saw", "square", "sine"]), vibrato=False)
        x = _fft_filter(x, rng, 20, rng.uniform(200, 2000), 2) * _env(len(x), 0.003, rng.uniform(0.1, 1.0))
    elif cls == "syn_pluck":
        dur = rng.uniform(0.3, 1.5)
        x = _ks(rng, 440 * 2 ** (rng.uniform(-24, 20) / 12), dur, rng.uniform(0.985, 0.999))
    elif cls == "syn_bell":
        dur = rng.uniform(0.5, 2.5)
        t = _t(dur)
        fc = 440 * 2 ** (rng.uniform(-12, 24) / 12)
        ratio = rng.choice([1.4, 2.76, 3.5, 1.21, 0.71])
        idx = rng.uniform(1, 8) * np.exp(-t / rng.uniform(0.1, 1))
        x = np.sin(2 * np.pi * fc * t + idx * np.sin(2 * np.pi * fc * ratio * t)) * np.exp(-t / rng.uniform(0.2, 1.5))
    elif cls == "syn_noise_pad":
        dur = rng.uniform(0.8, 3.0)
        t = _t(dur)
        lo = rng.uniform(50, 2000)
        x = _fft_filter(rng.standard_normal(len(t)), rng, lo, lo * rng.uniform(1.5, 10), 1.5)
        x *= (1 + 0.8 * np.sin(2 * np.pi * rng.uniform(0.2, 3) * t + rng.uniform(0, 6))) * _env(len(t), rng.uniform(0.05, 0.8), 10)
    elif cls == "syn_sweep":
        dur = rng.uniform(0.2, 2.0)
        t = _t(dur)
        f1, f2 = 2 ** rng.uniform(np.log2(60), np.log2(8000), 2)
        f = f1 * (f2 / f1) ** (t / dur)
        x = np.sin(2 * np.pi * np.cumsum(f) / SR)
        if rng.random() < 0.5:
            x = np.sign(x) * np.abs(x) ** 0.3
        x *= _env(len(t), 0.005, dur * rng.uniform(0.3, 3))
    elif cls == "syn_blip":
        dur = rng.uniform(0.02, 0.15)
        f0 = 2 ** rng.uniform(np.log2(300), np.log2(5000))
        x = _harmonic(rng, f0, dur, rng.choice(["sine", "square"]), vibrato=False) * _env(int(dur * SR), 0.001, dur / 3)
    elif cls == "syn_loop":
        bpm = rng.uniform(80, 170)
        step = 60 / bpm / 4
        n = int(16 * step * SR * rng.uniform(0.5, 1))
        x = np.zeros(n)
        pattern = rng.random((3, 16)) < np.array([[0.3], [0.2], [0.6]])
        pattern[0, 0] = True
        for row, c in enumerate(["syn_kick", "syn_snare", "syn_hat"]):
            hit = gen(c, rng)
            for s in range(16):
                if pattern[row, s]:
                    a = int(s * step * SR)
                    if a < n:
                        m = min(len(hit), n - a)
                        x[a:a + m] += hit[:m] * rng.uniform(0.5, 1)
    elif cls == "syn_glitch":
        n = int(rng.uniform(0.2, 1.5) * SR)
        x = np.zeros(n)
        a = 0
        while a < n:
            m = int(rng.uniform(0.01, 0.12) * SR)
            kind = rng.integers(0, 3)
            seg_t = np.arange(min(m, n - a)) / SR
            if kind == 0:
                seg = np.sign(np.sin(2 * np.pi * 2 ** rng.uniform(7, 12) * seg_t))
            elif kind == 1:
                hold = rng.integers(2, 40)
                seg = np.repeat(rng.uniform(-1, 1, len(seg_t) // hold + 1), hold)[: len(seg_t)]
            else:
                seg = np.zeros(len(seg_t))
            x[a:a + len(seg)] = seg * rng.uniform(0.2, 1)
            a += len(seg_t)
    elif cls == "syn_chord":
        dur = rng.uniform(0.5, 2.5)
        root = 440 * 2 ** (rng.uniform(-24, 12) / 12)
        kind = rng.choice(["saw", "sine", "tri", "mix"])
        chords = [[0, 4, 7], [0, 3, 7], [0, 7, 12], [0, 4, 7, 11], [0, 3, 7, 10]]
        x = sum(_harmonic(rng, root * 2 ** (i / 12), dur, kind) for i in chords[rng.integers(len(chords))])
        x = _fft_filter(x, rng, 20, rng.uniform(800, 8000), 1) * _env(int(dur * SR), rng.uniform(0.01, 0.5), rng.uniform(0.5, 4))
    else:
        raise ValueError(cls)
    x = np.asarray(x, dtype=np.float64)
    peak = np.max(np.abs(x))
    return (x / peak * 10 ** (rng.uniform(-18, -1) / 20)) if peak > 0 else x


def bank(per_class, seed):
    """per_class clips of every class: (list of float32 arrays, list of class indices)."""
    rng = np.random.default_rng(seed)
    clips, labels = [], []
    for _ in range(per_class):
        for ci, c in enumerate(CLASSES):
            clips.append(gen(c, rng).astype(np.float32))
            labels.append(ci)
    return clips, labels
