"""Decodes the CC0 corpus to mono 22050 Hz float32 (raw little-endian .f32) in WORK_DIR/mono22050.

ffmpeg decodes the FLAC losslessly at its own rate; the channels are averaged (as src/core/dsp/mixdown.ts);
44.1 kHz is halved by a Kaiser-windowed-sinc halfband filter centred on each output instant (zero delay,
as src/core/dsp/resample.ts); any other rate goes through ffmpeg's resampler. Training time only.
"""

import json
import os
import subprocess
import sys

import numpy as np

from frontend import SAMPLE_RATE_HZ
from paths import AUDIO_DIR, CORPUS_DIR


def probe(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries",
                          "stream=channels,sample_rate", "-of", "json", path], check=True, capture_output=True, text=True)
    s = json.loads(out.stdout)["streams"][0]
    return int(s["channels"]), int(s["sample_rate"])


def decode(path, channels, rate_hz, out_rate_hz=None):
    cmd = ["ffmpeg", "-v", "error", "-i", path]
    if out_rate_hz is not None:
        cmd += ["-ar", str(out_rate_hz)]
    cmd += ["-f", "f32le", "-acodec", "pcm_f32le", "-"]
    raw = subprocess.run(cmd, check=True, capture_output=True).stdout
    return np.frombuffer(raw, dtype="<f4").reshape(-1, channels)


def halfband_kernel(half_taps=48, beta=8.0):
    """Lowpass at a quarter of the input rate (the output Nyquist), Kaiser window: odd length 2*half_taps*2+1."""
    n = np.arange(-2 * half_taps, 2 * half_taps + 1)
    h = 0.5 * np.sinc(n / 2.0) * np.kaiser(len(n), beta)
    return h / h.sum()


def halve_rate(x):
    """Output n = filtered input at 2n (zero outside the signal); round(len/2) samples."""
    h = halfband_kernel()
    y = np.convolve(x.astype(np.float64), h, mode="full")[(len(h) - 1) // 2:][: len(x)]
    return y[0::2][: int(round(len(x) / 2))]


def main():
    os.makedirs(AUDIO_DIR, exist_ok=True)
    names = sorted(f for f in os.listdir(CORPUS_DIR) if f.endswith(".flac"))
    if not names:
        sys.exit(f"no .flac in {CORPUS_DIR}")
    for name in names:
        src = os.path.join(CORPUS_DIR, name)
        dst = os.path.join(AUDIO_DIR, name[:-5] + ".f32")
        if os.path.exists(dst):
            continue
        channels, rate = probe(src)
        if rate == 2 * SAMPLE_RATE_HZ:
            mono = decode(src, channels, rate).mean(axis=1)
            mono = halve_rate(mono)
        elif rate == SAMPLE_RATE_HZ:
            mono = decode(src, channels, rate).mean(axis=1)
        else:
            mono = decode(src, channels, rate, SAMPLE_RATE_HZ).mean(axis=1)
        mono.astype("<f4").tofile(dst + ".tmp")
        os.replace(dst + ".tmp", dst)
    print(f"{len(names)} files in {AUDIO_DIR}")


if __name__ == "__main__":
    main()
