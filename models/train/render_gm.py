"""Renders labelled training notes from the FluidR3 General MIDI SoundFont (MIT licence), training time only.

/usr/bin/python3 render_gm.py     (needs: apt-get install -y fluidsynth fluid-soundfont-gm)

Writes $WORK/gm22050/<name>.f32 (mono float32 at 22050 Hz, dry: reverb and chorus off) and
$WORK/gm22050/index.json ([{"name", "label"}]). Deterministic: a fixed seed, one fluidsynth render per MIDI file.
- Instruments: every melodic program of bank 0 (128), 10 notes each at random pitches in the program's range,
  velocities and held lengths; label = the program ("gm_p<NN>": the same instrument at other pitches and
  dynamics is a positive, a different instrument is not).
- Drum kits (bank 128: Standard, Room, Power, Electronic, TR-808, Jazz, Brush, Orchestra): every drum note
  35-81 at two velocities; label = the kind of hit (kick, snare, clap, hat, tom, cymbal, hand drum, shaker,
  wood, metal, ...), the same across kits.
- Drum loops: 24 one-bar patterns per kit at 80-170 BPM; label "gm_loop".

/usr/bin/python3 render_gm.py --eval-folder DIR   (after a render) also writes the clips as 16-bit WAV files in
folders named by an acoustic label: the program's General MIDI family (piano, organ, guitar, bass, ...), the
kind of drum hit (hit-kick, hit-snare, ...) or drum-loop; for `npm run eval -- retrieval --corpus DIR --label
folder`, a labelled set that no shipped model was trained on.
"""

import argparse
import json
import os
import struct
import subprocess
import tempfile
import wave

import numpy as np

from frontend import SAMPLE_RATE_HZ as SR
from paths import GM_DIR

SF2 = os.environ.get("MASS_AUDIO_GM_SF2", "/usr/share/sounds/sf2/FluidR3_GM.sf2")
SEED = 4242
NOTE_SPACING_S = 3.0     # a note every 3 s in a render: held <= 1.6 s, release tail then silence
KITS = {0: "standard", 8: "room", 16: "power", 24: "electronic", 25: "tr808", 32: "jazz", 40: "brush", 48: "orchestra"}
DRUM_KIND = {}
for notes, kind in [((35, 36), "kick"), ((38, 40), "snare"), ((37,), "rim"), ((39,), "clap"), ((42, 44, 46), "hat"),
                    ((41, 43, 45, 47, 48, 50), "tom"), ((49, 52, 55, 57), "crash"), ((51, 53, 59), "ride"),
                    ((60, 61, 62, 63, 64, 65, 66), "hand"), ((54, 69, 70, 82), "shaker"), ((56, 67, 68, 80, 81), "metal"),
                    ((75, 76, 77), "wood"), ((58, 71, 72, 73, 74, 78, 79), "other")]:
    for n in notes:
        DRUM_KIND[n] = kind


def var_len(n):
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.insert(0, (n & 0x7F) | 0x80)
        n >>= 7
    return bytes(out)


def midi_file(events, tpq=480, bpm=120):
    """events: (time_s, bytes) -> a type-0 SMF at a fixed tempo."""
    tick_s = 60 / bpm / tpq
    track = bytearray(b"\x00\xff\x51\x03" + (int(60e6 / bpm)).to_bytes(3, "big"))
    last = 0
    for t, msg in sorted(events, key=lambda e: (e[0], e[1][0] & 0xF0 != 0x80)):
        tick = int(round(t / tick_s))
        track += var_len(tick - last) + msg
        last = tick
    track += b"\x00\xff\x2f\x00"
    return b"MThd" + struct.pack(">IHHH", 6, 0, 1, tpq) + b"MTrk" + struct.pack(">I", len(track)) + bytes(track)


def render(events, seconds):
    """Renders events with fluidsynth to mono float32 at SR (the channel mean), `seconds` long."""
    with tempfile.TemporaryDirectory() as tmp:
        mid, raw = os.path.join(tmp, "x.mid"), os.path.join(tmp, "x.raw")
        # a final all-notes-off keeps the render at least `seconds` long
        with open(mid, "wb") as f:
            f.write(midi_file(events + [(seconds, bytes([0xB0, 123, 0]))]))
        subprocess.run(["fluidsynth", "-q", "-ni", "-R", "0", "-C", "0", "-g", "0.6", "-r", str(SR), "-T", "raw",
                        "-O", "float", "-E", "little", "-F", raw, SF2, mid], check=True, capture_output=True)
        x = np.fromfile(raw, dtype="<f4").reshape(-1, 2).mean(axis=1)
    return x[: int(seconds * SR)]


def trim(x, floor_db=-60.0):
    """Cuts leading and trailing silence (below floor_db of the peak) and fades the last 10 ms."""
    peak = np.abs(x).max()
    if peak <= 1e-6:
        return None
    idx = np.nonzero(np.abs(x) > peak * 10 ** (floor_db / 20))[0]
    y = x[idx[0]: idx[-1] + 1].astype(np.float32)
    fade = min(len(y), SR // 100)
    y[-fade:] *= np.linspace(1, 0, fade, dtype=np.float32)
    return y


def pitch_range(program):
    family = program // 8
    if family == 4:                  # basses
        return 28, 55
    if program in (112, 113, 114, 115, 116, 117, 118, 119):  # percussive
        return 48, 84
    if family in (9, 10):            # pipe, synth lead
        return 55, 91
    if program in (120, 121, 122, 123, 124, 125, 126, 127):  # sound effects: pitch matters little
        return 48, 72
    return 36, 88


def notes_of(count, rng, lo, hi, channel, program, bank):
    evs = [(0.0, bytes([0xB0 | channel, 0, bank])), (0.0, bytes([0xC0 | channel, program]))]
    starts = []
    for i in range(count):
        t = 0.1 + i * NOTE_SPACING_S
        key = int(rng.integers(lo, hi + 1))
        vel = int(rng.integers(50, 128))
        held = float(rng.uniform(0.3, 1.6))
        evs += [(t, bytes([0x90 | channel, key, vel])), (t + held, bytes([0x80 | channel, key, 0]))]
        starts.append((t, key, vel))
    return evs, starts


def cut(x, t):
    a = int(t * SR)
    return trim(x[a: a + int((NOTE_SPACING_S - 0.05) * SR)])


FAMILIES = ["piano", "chromatic-perc", "organ", "guitar", "bass", "strings", "ensemble", "brass", "reed", "pipe",
            "synth-lead", "synth-pad", "synth-fx", "ethnic", "percussive", "sound-fx"]


def eval_folder_of(label):
    """The acoustic folder label of a clip: GM family for notes, hit-<kind> for drum hits, drum-loop."""
    if label.startswith("gm_p"):
        return FAMILIES[int(label[len("gm_p"):]) // 8]
    if label == "gm_loop":
        return "drum-loop"
    return "hit-" + label[len("gm_drum_"):]


def write_wav(path, x):
    """16-bit mono WAV at SR."""
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes((np.clip(x, -1, 1) * 32767).astype("<i2").tobytes())


def write_eval_folder(dst, keep=lambda entry: True):
    """The rendered clips (those `keep` accepts) as 16-bit mono WAV (22050 Hz) under dst/<acoustic label>/."""
    index = [e for e in json.load(open(os.path.join(GM_DIR, "index.json"))) if keep(e)]
    for e in index:
        folder = os.path.join(dst, eval_folder_of(e["label"]))
        os.makedirs(folder, exist_ok=True)
        write_wav(os.path.join(folder, e["name"] + ".wav"), np.fromfile(os.path.join(GM_DIR, e["name"] + ".f32"), dtype="<f4"))
    print(f"{len(index)} WAV files in {len({eval_folder_of(e['label']) for e in index})} folders under {dst}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--eval-folder", help="write the rendered clips as WAV files in labelled folders (no render)")
    args = ap.parse_args()
    if args.eval_folder:
        write_eval_folder(args.eval_folder)
        return
    os.makedirs(GM_DIR, exist_ok=True)
    rng = np.random.default_rng(SEED)
    index = []

    def save(name, label, y):
        if y is None or len(y) < SR // 50:
            return
        y = y / (np.abs(y).max() + 1e-9) * 0.5
        y.astype("<f4").tofile(os.path.join(GM_DIR, name + ".f32"))
        index.append({"name": name, "label": label})

    for program in range(128):
        lo, hi = pitch_range(program)
        evs, starts = notes_of(10, rng, lo, hi, 0, program, 0)
        x = render(evs, 0.1 + len(starts) * NOTE_SPACING_S)
        for i, (t, key, vel) in enumerate(starts):
            save(f"gm_p{program:03d}_{i}_k{key}_v{vel}", f"gm_p{program:03d}", cut(x, t))
    for kit, kit_name in KITS.items():
        evs = [(0.0, bytes([0xB9, 0, 0])), (0.0, bytes([0xC9, kit]))]
        starts = []
        for note in range(35, 82):
            for vel in (int(rng.integers(60, 95)), int(rng.integers(100, 128))):
                t = 0.1 + len(starts) * NOTE_SPACING_S
                evs += [(t, bytes([0x99, note, vel])), (t + 0.2, bytes([0x89, note, 0]))]
                starts.append((t, note, vel))
        x = render(evs, 0.1 + len(starts) * NOTE_SPACING_S)
        for t, note, vel in starts:
            save(f"gm_kit{kit:02d}_{kit_name}_n{note}_v{vel}", f"gm_drum_{DRUM_KIND[note]}", cut(x, t))
        # loops: kick/snare/hat patterns with a few extras, one bar each
        for j in range(24):
            bpm = float(rng.uniform(80, 170))
            step = 60 / bpm / 4
            evs = [(0.0, bytes([0xB9, 0, 0])), (0.0, bytes([0xC9, kit]))]
            kick, snare, hat = rng.choice([35, 36]), rng.choice([38, 40]), rng.choice([42, 42, 44, 46])
            extra = int(rng.choice([39, 50, 45, 54, 56, 62, 63, 64, 69, 70, 75, 76]))
            for s in range(16):
                for note, p in ((kick, 0.35 + 0.65 * (s in (0, 8))), (snare, 0.1 + 0.85 * (s in (4, 12))),
                                (hat, 0.75 if s % 2 == 0 else 0.35), (extra, 0.15)):
                    if rng.random() < p:
                        t = 0.1 + s * step + float(rng.normal(0, 0.004))
                        evs += [(max(0.1, t), bytes([0x99, int(note), int(rng.integers(60, 128))])),
                                (max(0.1, t) + 0.1, bytes([0x89, int(note), 0]))]
            x = render(evs, 0.1 + 16 * step + 0.8)
            y = trim(x[int(0.1 * SR):])
            save(f"gm_kit{kit:02d}_{kit_name}_loop{j}", "gm_loop", y)
    with open(os.path.join(GM_DIR, "index.json"), "w") as f:
        json.dump(index, f, indent=0)
    labels = sorted({e["label"] for e in index})
    print(f"{len(index)} clips, {len(labels)} labels, "
          f"{sum(os.path.getsize(os.path.join(GM_DIR, e['name'] + '.f32')) for e in index) / 4 / SR / 60:.1f} min")


if __name__ == "__main__":
    main()
