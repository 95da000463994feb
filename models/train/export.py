"""Exports the CNN checkpoint and the unit head (fuse.py): models/<MODEL_NAME>/{<MODEL_NAME>.onnx,
<MODEL_NAME>-head.onnx, manifest.json} and the TS reference fixture test/fixtures/embed/reference.json.
/usr/bin/python3 export.py [--checkpoint CNN.pt] [--head HEAD.pt]"""

import argparse
import json
import os

import numpy as np
import torch

import frontend as fe
from model import Embedder, count_macs
from embed_units import embed_unit_signals
from fuse import Head
from paths import FIXTURE_JSON, MODEL_DIR, MODEL_NAME, MODEL_VERSION, WORK_DIR

REFERENCE_SIGNAL = ("x[n] = 0.5*sin(2*pi*440*n/22050) + 0.25*sin(2*pi*3000*n/22050)*(n/22050), n = 0..22049, "
                    "float64 then float32")


def head_manifest(columns, cnn_size, size):
    return {
        "file": MODEL_NAME + "-head.onnx",
        "embeddingTensorName": "cnn",
        "descriptorsTensorName": "descriptors",
        "descriptorColumns": columns,
        "outputTensorName": "unit_embedding",
        "size": size,
    }


def manifest(mean, std, size, head=None):
    out = {
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
    if head is not None:
        out["description"] = ("mass-audio's own small log-mel CNN (mass-audio-embed-v2: distilled from three contrastive + "
                              "supervised-contrastive teachers trained on CC0 Sonic Pi samples and generated sounds) and a unit "
                              "head that combines its pooled unit vector with the unit's 75 descriptors (trained on the same "
                              "CC0 train files and rendered General MIDI clips): 64-d unit embedding")
        out["head"] = head
    return out


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
    ap.add_argument("--head", default=os.path.join(WORK_DIR, "head.pt"), help="fuse.py's unit head")
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

    hk = torch.load(args.head)
    head = Head(hk["n_desc"], hk["n_emb"], np.array(hk["mean"]), np.array(hk["std"]))
    head.load_state_dict(hk["state"])
    head.eval()
    assert hk["n_emb"] == size, f"head expects {hk['n_emb']}-d CNN vectors, the CNN gives {size}"
    head_size = head.net[-1].out_features
    head_path = os.path.join(MODEL_DIR, MODEL_NAME + "-head.onnx")
    torch.onnx.export(head, (torch.zeros(2, hk["n_desc"]), torch.zeros(2, size)), head_path, opset_version=13,
                      input_names=["descriptors", "cnn"], output_names=["unit_embedding"],
                      dynamic_axes={"descriptors": {0: "units"}, "cnn": {0: "units"}, "unit_embedding": {0: "units"}},
                      do_constant_folding=True, training=torch.onnx.TrainingMode.EVAL)
    onnx.checker.check_model(onnx.load(head_path))
    with open(os.path.join(MODEL_DIR, "manifest.json"), "w") as f:
        json.dump(manifest(mean, std, size, head_manifest(hk["columns"], size, head_size)), f, indent=2)
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
        f.write("\n  ],\n")
        # The head on two units of the reference signal, [0, 8960) and [4096, 13056) (two patches each, the
        # second ending in silence: embed_units, as the TS embedder cuts units), with descriptors within the
        # training range (mean + 0.8 std sin(i)); every 7th descriptor of the second unit is pushed far out of
        # range, so the clip to +-6 standard deviations is tested too.
        i = np.arange(hk["n_desc"])
        d0 = (np.array(hk["mean"]) + 0.8 * np.array(hk["std"]) * np.sin(i)).astype(np.float32)
        d1 = d0.copy()
        d1[::7] = np.float32(1e6)
        cnn = embed_unit_signals(model, [x[0:8960], x[4096:13056]], mean, std).astype(np.float32)
        descriptors = np.stack([d0, d1]).astype(np.float32)
        with torch.no_grad():
            out = head(torch.from_numpy(descriptors), torch.from_numpy(cnn.astype(np.float32))).numpy()
        f.write('  "head": {\n')
        f.write('    "descriptors": [\n' + ",\n".join("      " + json.dumps(g7(r), separators=(",", ":")) for r in descriptors) + "\n    ],\n")
        f.write('    "cnn": [\n' + ",\n".join("      " + json.dumps(g7(r), separators=(",", ":")) for r in cnn) + "\n    ],\n")
        f.write('    "unitEmbeddings": [\n' + ",\n".join("      " + json.dumps(g7(r), separators=(",", ":")) for r in out) + "\n    ]\n")
        f.write("  }\n}\n")
    info = {"onnxBytes": os.path.getsize(onnx_path), "headOnnxBytes": os.path.getsize(head_path),
            "headParameters": sum(p.numel() for p in head.net.parameters()), "parameters": sum(p.numel() for p in model.parameters()),
            "macsPerPatch": count_macs(model), "mean": mean, "std": std,
            "silenceValue": float(fe.silence_value(mean, std))}
    with open(os.path.join(WORK_DIR, "export-info.json"), "w") as f:
        json.dump(info, f, indent=1)
    print(json.dumps(info))


if __name__ == "__main__":
    main()
