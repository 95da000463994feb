"""Checks: the numpy front end against hand-computed facts, and the torch training front end against it."""

import numpy as np

import frontend as fe
from data import batch_logmel


def main():
    w = fe.mel_filterbank()
    # Slaney normalisation: each triangle integrates to ~1 over Hz (sum of weights * bin width)
    area = w.sum(axis=1) * fe.SAMPLE_RATE_HZ / fe.FFT_SIZE
    assert np.all(np.abs(area - 1) < 0.1), area
    assert abs(fe.hz_to_mel(1000) - 15) < 1e-12 and abs(fe.mel_to_hz(fe.hz_to_mel(4321.0)) - 4321.0) < 1e-9
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((6, fe.PATCH_SAMPLES)) * np.array([1e-4, 1e-3, 1e-2, 0.1, 0.5, 1.0])[:, None]).astype(np.float32)
    a = batch_logmel(x, [None] * 6).numpy()
    b = np.stack([fe.log_mel(xi, n_frames=fe.PATCH_FRAMES, dtype=np.float64).T for xi in x])
    d = np.abs(a - b).max()
    print("torch front end vs numpy float64: max abs diff", d)
    assert d < 1e-4
    z = fe.log_mel(np.zeros(100, np.float32), n_frames=3)
    assert np.all(z == np.float32(np.log(fe.LOG_OFFSET)))
    print("ok")


if __name__ == "__main__":
    main()
