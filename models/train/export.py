"""Exports a checkpoint: models/<MODEL_NAME>/{<MODEL_NAME>.onnx, manifest.json} and the TS reference
fixture test/fixtures/embed/reference.json. /usr/bin/python3 export.py [--checkpoint PATH]"""

import argparse
import json
import os

import numpy as np
import torch

import frontend as fe
from model import Embedder, count_macs
from paths import FIXTURE_JSON, MODEL_DIR, MODEL_NAME, MODEL_VERSION, WORK_DIR

REFERENCE_SIGNAL = ("x[n] = 0.5*sin(2*pi*440*n/22050) + 0.25*sin(2*pi*3000*n/22050)*(n/22050), n = 0..22049, "
                    "float64 then float32")


def manifest(mean, std, size):
    return {
        "name": MODEL_NAME,
        "version": MODEL_VERSION,
        "file": MODEL_NAME + ".onnx",
        "licence": "CC0-1.0",
        "description": "mass-audio's own small log-mel CNN (distilled from three contrastive + supervised-contrastive "
                       "teachers trained on CC0 Sonic Pi samples and generated sounds): 64-d timbre embedding per 0.37 s patch",
        "input": {
            "kind": "logmel",
            "tensorName": "logmel",
            "layout": "B1MT",
            "sampleRateHz": fe.SAMPLE_RATE_HZ,
            "fftSize": fe.FFT_SIZE,
            "windowSamples": fe.WINDOW_SAMPLES,
            "hopSamples": fe.HOP_SAMPLES,
            "window": "hann-periodic",
            "center": False,
            "patchFrames": fe.PATCH_FRAMES,
            "patchHopFrames": fe.PATCH_HOP_FRAMES,
            "mel": {"bands": fe.MEL_BANDS, "fminHz": fe.FMIN_HZ, "fmaxHz": fe.FMAX_HZ, "scale": "slaney", "norm": "slaney",
                    "power": 2},
            "log": {"kind": "ln", "offset": fe.LOG_OFFSET},
            "normalise": {"kind": "global", "mean": mean, "std": std},
        },
        "output": {"tensorName": "embedding", "size": size, "layout": "BE", "l2normalised": True},
        "pooling": "mean",
        "maxPatchesPerUnit": 8,
    }


def g7(a):
    """Rounds to 7 significant digits (nested lists of floats)."""
    if isinstance(a, (list, tuple, np.ndarray)):
        return [g7(v) for v in a]
    return float(f"{float(a):.7g}")


def reference_signal():
    n = np.arange(22050, dtype=np.float64)
    x = 0.5 * np.sin(2 * np.pi * 440 * n / 22050) + 0.25 * np.sin(2 * np.pi * 3000 * n / 22050) * (n / 22050)
    return x.astype(np.float32)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", default=os.path.join(WORK_DIR, "checkpoint.pt"))
    args = ap.parse_args()
    ck = torch.load(args.checkpoint)
    model = Embedder(**ck.get("model_kwargs", {}))
    model.load_state_dict(ck["state"])
    model.eval()
    mean, std = ck["mean"], ck["std"]
    size = model.head[-1].out_features

    os.makedirs(MODEL_DIR, exist_ok=True)
    onnx_path = os.path.join(MODEL_DIR, MODEL_NAME + ".onnx")
    dummy = torch.zeros(2, 1, fe.MEL_BANDS, fe.PATCH_FRAMES)
    torch.onnx.export(model, dummy, onnx_path, opset_version=13, input_names=["logmel"], output_names=["embedding"],
                      dynamic_axes={"logmel": {0: "batch"}, "embedding": {0: "batch"}}, do_constant_folding=True,
                      training=torch.onnx.TrainingMode.EVAL)
    import onnx
    m = onnx.load(onnx_path)
    onnx.checker.check_model(m)
    with open(os.path.join(MODEL_DIR, "manifest.json"), "w") as f:
        json.dump(manifest(mean, std, size), f, indent=2)
        f.write("\n")

    # Reference fixture: first patch's normalised log-mel (float64 front end on the float32 signal) and the
    # torch float32 embeddings of the patches starting at frames 0 and patchHopFrames.
    x = reference_signal()
    lm = (fe.log_mel(x, dtype=np.float64) - mean) / std                    # [frames, bands]
    p0 = lm[0:fe.PATCH_FRAMES].T
    p1 = lm[fe.PATCH_HOP_FRAMES:fe.PATCH_HOP_FRAMES + fe.PATCH_FRAMES].T
    with torch.no_grad():
        emb = model(torch.from_numpy(np.stack([p0, p1])[:, None].astype(np.float32))).numpy()
    os.makedirs(os.path.dirname(FIXTURE_JSON), exist_ok=True)
    with open(FIXTURE_JSON, "w") as f:
        f.write("{\n")
        f.write(f'  "model": {json.dumps(MODEL_NAME)},\n')
        f.write(f'  "signal": {json.dumps(REFERENCE_SIGNAL)},\n')
        f.write('  "logmelNormalised": [\n')
        f.write(",\n".join("    " + json.dumps(g7(row), separators=(",", ":")) for row in p0))
        f.write("\n  ],\n")
        f.write('  "embeddings": [\n')
        f.write(",\n".join("    " + json.dumps(g7(row), separators=(",", ":")) for row in emb))
        f.write("\n  ]\n}\n")
    info = {"onnxBytes": os.path.getsize(onnx_path), "parameters": sum(p.numel() for p in model.parameters()),
            "macsPerPatch": count_macs(model), "mean": mean, "std": std,
            "silenceValue": float(fe.silence_value(mean, std))}
    with open(os.path.join(WORK_DIR, "export-info.json"), "w") as f:
        json.dump(info, f, indent=1)
    print(json.dumps(info))


if __name__ == "__main__":
    main()
