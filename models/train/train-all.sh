#!/bin/sh
# Retrains the default model from scratch and rewrites the shipped files. Run from anywhere:
#   sh models/train/train-all.sh
# Needs (training time only): apt-get install -y python3-torch python3-onnx ffmpeg; node + a built repo
# (npm run build) for the descriptor baseline of the evaluation and the onnxruntime-node check.
# Recipe of mass-audio-embed-v3: three teachers (train.py, seeds fixed below) distilled into one student of
# the same size (distill.py; the student is mass-audio-embed-v2 and v3's patch CNN), then a unit head over the
# student's pooled unit vector and the unit's descriptors (fuse.py). ~4 x 8 min of one CPU core + ~8 min.
# Also needs (training time only) apt-get install -y fluidsynth fluid-soundfont-gm for render_gm.py.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
WORK=${MASS_AUDIO_TRAIN_WORK:-/tmp/mass-audio-train}
export MASS_AUDIO_TRAIN_WORK="$WORK"
TEACHER_SEEDS="20240601 7 11"            # fixed before any of them was trained for v2; not chosen by score
STUDENT_SEED=20240602
mkdir -p "$WORK"
cd "$HERE"
$PY prepare_audio.py                     # CC0 FLAC -> mono 22050 Hz float32 in $WORK/mono22050
$PY make_split.py                        # rewrites split.json, inner-split.json, cv-folds.json (deterministic)
$PY check_frontend.py                    # numpy front end facts + torch training front end == numpy
TEACHERS=""
for s in $TEACHER_SEEDS; do
  $PY train.py --seed "$s" --out "$WORK/teacher-$s.pt" 2>&1 | tee "$WORK/teacher-$s.log"
  TEACHERS="${TEACHERS:+$TEACHERS,}$WORK/teacher-$s.pt"
done
$PY distill.py --teachers "$TEACHERS" --seed "$STUDENT_SEED" --out "$WORK/checkpoint.pt" 2>&1 | tee "$WORK/train.log"
# The unit head (fuse.py) learns from the units as mass-audio cuts and describes them: a built repo is needed.
if [ ! -f "$REPO/dist/src/cli/main.js" ]; then
  echo "no dist/: run npm run build first (the unit head trains on mass-audio analyze --json output)" >&2
  exit 1
fi
CORPUS=$(cd "$REPO/.." && pwd)/shared/corpus/sonic-pi
node "$REPO/dist/src/cli/main.js" analyze "${MASS_AUDIO_CORPUS:-$CORPUS}" --json > "$WORK/analyze.jsonl"
$PY render_gm.py                         # General MIDI clips -> $WORK/gm22050 (fluidsynth + FluidR3 GM, ~5 min)
rm -rf "$WORK/gm-eval"
$PY render_gm.py --eval-folder "$WORK/gm-eval"   # the same clips as WAV files in 30 acoustic-label folders
node "$REPO/dist/src/cli/main.js" analyze "$WORK/gm-eval" --json > "$WORK/gm-analyze.jsonl"
$PY fuse.py --checkpoint "$WORK/checkpoint.pt" --gm-units "$WORK/gm-analyze.jsonl" --out "$WORK/head.pt" 2>&1 | tee "$WORK/head.log"
$PY export.py --checkpoint "$WORK/checkpoint.pt" --head "$WORK/head.pt"   # .onnx x2, manifest.json, test/fixtures/embed/reference.json
$PY evaluate.py --checkpoint "$WORK/checkpoint.pt" --units "$WORK/analyze.jsonl" | tee "$WORK/eval.txt"   # the CNN alone
(cd "$REPO" && node models/train/check-onnx.cjs)
(cd "$REPO" && npm run eval -- retrieval --corpus "${MASS_AUDIO_CORPUS:-$CORPUS}" --label prefix --files models/train/split.json)   # v3, product path
