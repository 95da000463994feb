"""Where the recipe reads and writes. Override with environment variables."""

import os

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
CORPUS_DIR = os.environ.get("MASS_AUDIO_CORPUS", os.path.abspath(os.path.join(REPO, "..", "shared", "corpus", "sonic-pi")))
WORK_DIR = os.environ.get("MASS_AUDIO_TRAIN_WORK", "/tmp/mass-audio-train")
AUDIO_DIR = os.path.join(WORK_DIR, "mono22050")
GM_DIR = os.path.join(WORK_DIR, "gm22050")  # render_gm.py's clips (the General MIDI experiment)
SPLIT_JSON = os.path.join(HERE, "split.json")
INNER_SPLIT_JSON = os.path.join(HERE, "inner-split.json")
CV_FOLDS_JSON = os.path.join(HERE, "cv-folds.json")
MODEL_NAME = "mass-audio-embed-v3"
MODEL_VERSION = 3  # name@version identifies the model in a corpus store: a new model is a new name and version
MODEL_DIR = os.path.join(REPO, "models", MODEL_NAME)
FIXTURE_JSON = os.path.join(REPO, "test", "fixtures", "embed", "reference.json")


def label_of(name):
    """Category of a corpus file: its name up to the first '_' (bd_haus.flac -> bd)."""
    return os.path.basename(name).split("_")[0].lower()
