"""Make the PyTorch-interop fixtures under Tests/Fixtures/torch/ (needs torch and safetensors).

For each architecture, a checkpoint with small random weights saved by PyTorch
(<name>.safetensors) and the reference outputs of the PyTorch forward passes on fixed inputs
(<name>-io.safetensors): the Swift test loads the same checkpoint, runs the same inputs, and
must agree to 1e-4. "cond" is a class-conditional U-Net with a noise-aware label classifier,
run on fixed labels including none (-1, the table's last row). Also moons, scurve and circles
models trained briefly in PyTorch (<data>-torch.safetensors; the tutorial sets' as float16),
which the Swift tests sample.

Usage (from the repository root): python3 scripts/torch/make_fixtures.py [NAME ...]
(NAME: mlp, conv, cond, moons-torch; default all)
"""
import subprocess
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file

from scorekit_torch import build, save_checkpoint

HERE = Path(__file__).resolve().parent
OUT = HERE.parents[1] / "Tests" / "Fixtures" / "torch"

CONFIGS = {
    "mlp": {
        "format": "scorekit-model", "version": 1, "dataset": "fixture",
        "denoiser": {"network": {"architecture": "mlp-denoiser", "sample_shape": [2], "hidden": 16, "depth": 3,
                                 "embedding_features": 8, "embedding_max_frequency": 16.0},
                     "preconditioning": "edm", "sigma_data": 1.0, "sigma_min": 0.002, "sigma_max": 80.0},
        "classifier": {"network": {"architecture": "mlp-classifier", "sample_shape": [2], "hidden": 12, "depth": 2,
                                   "classes": 7, "scale_input": True},
                       "levels": {"sigma_min": 0.002, "sigma_max": 80.0, "count": 7}},
    },
    "conv": {
        "format": "scorekit-model", "version": 1, "dataset": "fixture",
        "denoiser": {"network": {"architecture": "unet", "sample_shape": [1, 8, 8], "channels": [8, 16], "groups": 4,
                                 "embedding_features": 8, "embedding_max_frequency": 16.0, "embedding_width": 16},
                     "preconditioning": "edm", "sigma_data": 0.85, "sigma_min": 0.002, "sigma_max": 80.0},
        "classifier": {"network": {"architecture": "cnn-classifier", "sample_shape": [1, 8, 8], "channels": [4, 8, 8],
                                   "hidden": 12, "classes": 7, "scale_input": True},
                       "levels": {"sigma_min": 0.002, "sigma_max": 80.0, "count": 7}},
        "label_classifier": {"network": {"architecture": "cnn-classifier", "sample_shape": [1, 8, 8], "channels": [4, 8],
                                         "hidden": 12, "classes": 10, "scale_input": False},
                             "labels": [str(d) for d in range(10)]},
    },
    "cond": {
        "format": "scorekit-model", "version": 1, "dataset": "fixture",
        "denoiser": {"network": {"architecture": "unet", "sample_shape": [1, 8, 8], "channels": [8, 16], "groups": 4,
                                 "embedding_features": 8, "embedding_max_frequency": 16.0, "embedding_width": 16,
                                 "label_classes": 10},
                     "preconditioning": "edm", "sigma_data": 0.85, "sigma_min": 0.002, "sigma_max": 80.0},
        "noisy_label_classifier": {"network": {"architecture": "cnn-classifier", "sample_shape": [1, 8, 8],
                                               "channels": [4, 8, 8], "hidden": 12, "classes": 10, "scale_input": True},
                                   "labels": [str(d) for d in range(10)], "sigma_min": 0.002, "sigma_max": 80.0},
    },
}
LABELS = [3, -1, 0, 9, -1, 7]


def randomise(module, gen):
    """Random weights everywhere (zero-initialised output layers would make the test vacuous)."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if "norm" in name and name.endswith("weight"):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=gen))
            else:
                p.copy_(0.3 * torch.randn(p.shape, generator=gen))


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    wanted = set(sys.argv[1:]) or set(CONFIGS) | {"moons-torch"}
    for name, config in CONFIGS.items():
        if name not in wanted:
            continue
        gen = torch.Generator().manual_seed(1234)
        nets = build(config)
        for module in nets.values():
            randomise(module, gen)
        shape = config["denoiser"]["network"]["sample_shape"]
        sigma = torch.tensor([0.002, 0.05, 0.4, 1.0, 3.0, 60.0], dtype=torch.float64)
        x0 = 0.8 * torch.randn([6] + shape, generator=gen)
        x = x0 + sigma.float().view((-1,) + (1,) * len(shape)) * torch.randn([6] + shape, generator=gen)
        io = {"x": x, "sigma": sigma}
        with torch.no_grad():
            io["denoised"] = nets["denoiser"](x, sigma)
            if "classifier" in nets:
                io["classifier_logits"] = nets["classifier"](x)
                io["classifier_features"] = nets["classifier"].features(x)
            if "noisy_label_classifier" in nets:
                labels = torch.tensor(LABELS)
                io["labels"] = labels.float()
                io["denoised_conditional"] = nets["denoiser"](x, sigma, labels)
                classifier = nets["noisy_label_classifier"]
                with torch.enable_grad():
                    xg = x.clone().requires_grad_(True)
                    log_p = torch.log_softmax(classifier(xg).double(), dim=1)
                    chosen = log_p[torch.arange(6), labels.clamp(min=0)]
                    (gradient,) = torch.autograd.grad(chosen.sum(), xg)
                io["noisy_log_p"] = chosen.detach().float()
                io["noisy_gradient"] = gradient
            if "label_classifier" in nets:
                io["label_logits"] = nets["label_classifier"](x0)
                io["label_features"] = nets["label_classifier"].features(x0)
                io["x0"] = x0
        save_checkpoint(str(OUT / f"{name}.safetensors"), config, nets)
        save_file({k: v.contiguous() for k, v in io.items()}, str(OUT / f"{name}-io.safetensors"),
                  metadata={"made_by": "scripts/torch/make_fixtures.py", "torch": torch.__version__})
        print(f"wrote {name}.safetensors and {name}-io.safetensors")
    if "moons-torch" not in wanted:
        return
    # Small 2-D models trained in PyTorch, to be sampled by ScoreKit: moons (standardised, fresh
    # draws) and the tutorial sets read from Models/Resources (unstandardised), stored as float16.
    subprocess.run([sys.executable, str(HERE / "train.py"), "--data", "moons", "--steps", "4000", "--classifier-steps", "500",
                    "--hidden", "64", "--seed", "7", "--out", str(OUT / "moons-torch.safetensors")], check=True)
    # The two rings (noise 0.1) need more steps than moons to sharpen: 4000 leaves them at twice their width.
    for data, steps in [("scurve", "4000"), ("circles", "8000")]:
        subprocess.run([sys.executable, str(HERE / "train.py"), "--data", data, "--steps", steps, "--classifier-steps", "500",
                        "--hidden", "64", "--seed", "7", "--half", "--out", str(OUT / f"{data}-torch.safetensors")], check=True)


if __name__ == "__main__":
    main()
