"""Log-mel front end of mass-audio-embed-v1 and -v2, in numpy (training and the reference fixture).

This is the manifest's `input` (see /work/notes/CONTRACTS.md section A and src/core/dsp/log-mel-framer.ts):
frame i covers samples [i*hop, i*hop + window) of the mono 22050 Hz signal (center=False, zero-padded at the
end), periodic Hann window, power spectrum |X_k|^2 (no 1/N), Slaney-scale mel bank with Slaney area
normalisation written as librosa.filters.mel defines it, ln(mel + offset), then (x - mean) / std.
"""

import numpy as np

SAMPLE_RATE_HZ = 22050
FFT_SIZE = 1024          # 46.4 ms at 22.05 kHz
WINDOW_SAMPLES = 1024
HOP_SAMPLES = 256        # 11.6 ms, the analysis hop
MEL_BANDS = 64
FMIN_HZ = 30.0
FMAX_HZ = 11025.0        # Nyquist
LOG_OFFSET = 1e-3        # ln(1e-3) = -6.9: about 95 dB below a full-scale sine's band energy
PATCH_FRAMES = 32        # 31*256 + 1024 = 8960 samples = 0.406 s of signal, frame starts span 0.37 s
PATCH_HOP_FRAMES = 16
PATCH_SAMPLES = (PATCH_FRAMES - 1) * HOP_SAMPLES + WINDOW_SAMPLES


def hz_to_mel(f):
    """librosa.hz_to_mel(f, htk=False): linear (200/3 Hz per mel) below 1 kHz, log above."""
    f = np.asarray(f, dtype=np.float64)
    f_sp = 200.0 / 3
    mels = f / f_sp
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-12) / min_log_hz) / logstep, mels)


def mel_to_hz(m):
    """librosa.mel_to_hz(m, htk=False)."""
    m = np.asarray(m, dtype=np.float64)
    f_sp = 200.0 / 3
    freqs = f_sp * m
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), freqs)


def mel_filterbank(sr=SAMPLE_RATE_HZ, n_fft=FFT_SIZE, n_mels=MEL_BANDS, fmin=FMIN_HZ, fmax=FMAX_HZ):
    """librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, htk=False, norm='slaney'),
    in float64: [n_mels, n_fft // 2 + 1]."""
    fftfreqs = np.arange(n_fft // 2 + 1, dtype=np.float64) * sr / n_fft
    mel_f = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fftfreqs)
    weights = np.zeros((n_mels, n_fft // 2 + 1), dtype=np.float64)
    for i in range(n_mels):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        weights[i] = np.maximum(0, np.minimum(lower, upper))
    enorm = 2.0 / (mel_f[2:n_mels + 2] - mel_f[:n_mels])
    return weights * enorm[:, None]


def hann_periodic(n=WINDOW_SAMPLES):
    return 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)


_MEL64 = mel_filterbank()
_MEL32 = _MEL64.astype(np.float32)
_WIN64 = hann_periodic()
_WIN32 = _WIN64.astype(np.float32)


def frame_count(n_samples):
    """Frames whose window starts inside the signal (at least one)."""
    return max(1, -(-n_samples // HOP_SAMPLES))


def log_mel(signal, n_frames=None, dtype=np.float32):
    """Un-normalised ln(mel + offset) of a mono signal: [n_frames, bands]. The signal is zero outside
    [0, len); n_frames defaults to frame_count(len(signal)). dtype float64 for the reference fixture."""
    x = np.asarray(signal, dtype=dtype)
    if n_frames is None:
        n_frames = frame_count(len(x))
    need = (n_frames - 1) * HOP_SAMPLES + WINDOW_SAMPLES
    if len(x) < need:
        x = np.concatenate([x, np.zeros(need - len(x), dtype=dtype)])
    idx = np.arange(n_frames)[:, None] * HOP_SAMPLES + np.arange(WINDOW_SAMPLES)[None, :]
    win = _WIN64 if dtype == np.float64 else _WIN32
    bank = _MEL64 if dtype == np.float64 else _MEL32
    spec = np.fft.rfft(x[idx] * win, n=FFT_SIZE, axis=-1)
    power = (spec.real ** 2 + spec.imag ** 2).astype(dtype)
    return np.log(power @ bank.T + dtype(LOG_OFFSET)).astype(dtype)


def log_mel_batch(segments):
    """Un-normalised log-mel of a batch of equal-length segments [B, samples] (float32): [B, frames, bands]."""
    x = np.asarray(segments, dtype=np.float32)
    b, n = x.shape
    n_frames = (n - WINDOW_SAMPLES) // HOP_SAMPLES + 1
    idx = np.arange(n_frames)[:, None] * HOP_SAMPLES + np.arange(WINDOW_SAMPLES)[None, :]
    spec = np.fft.rfft(x[:, idx] * _WIN32, n=FFT_SIZE, axis=-1)
    power = (spec.real ** 2 + spec.imag ** 2).astype(np.float32)
    return np.log(power @ _MEL32.T + np.float32(LOG_OFFSET))


def silence_value(mean, std):
    """Normalised log-mel value of a zero frame: (ln(offset) - mean) / std (the padding of short units)."""
    return (np.log(LOG_OFFSET) - mean) / std


def unit_patches(unit_signal, mean, std, max_patches=8):
    """Model input patches of one unit, as the TS side builds them: the unit's own samples (zero outside),
    patches starting every PATCH_HOP_FRAMES frames while start < unit length (at least one, at most
    max_patches), each [bands, PATCH_FRAMES] normalised. Returns [P, 1, bands, PATCH_FRAMES] float32."""
    n = len(unit_signal)
    hop_samples = PATCH_HOP_FRAMES * HOP_SAMPLES
    count = min(max(1, -(-n // hop_samples)), max_patches)
    total_frames = (count - 1) * PATCH_HOP_FRAMES + PATCH_FRAMES
    lm = (log_mel(unit_signal, n_frames=total_frames) - mean) / std  # [frames, bands]
    out = np.stack([lm[p * PATCH_HOP_FRAMES:p * PATCH_HOP_FRAMES + PATCH_FRAMES].T for p in range(count)])
    return out[:, None].astype(np.float32)
