"""Train ScoreKit's networks in PyTorch (on a GPU if you have one) and save a ScoreKit checkpoint.

The same recipe as `scorekit train` (EDM preconditioning and loss, log-normal sigma, Adam with
warm-up and cosine decay, EMA, gradient clipping; the noise-level classifier with
cross-entropy on x0 + sigma_k z, k uniform over the grid), with PyTorch's own random numbers:
the result is a model of the same family, not the same bits. Sample it with ScoreKit:

    python3 scripts/torch/train.py --data moons --steps 20000 --out moons.safetensors
    python3 scripts/torch/train.py --data scurve --half --out scurve.safetensors   # Models/Resources/scurve.csv
    scorekit sample --model moons.safetensors --sampler heun --nfe 39 --out moons.png

Bigger networks: --hidden/--depth (MLP) or --channels (U-Net) change the config the file carries.

--data digits-cond trains the class-conditional U-Net ("label_classes": 10) with label dropout
(each label replaced by none, the table's last row, with probability 0.1), the noise-level
classifier, and the noise-aware label classifier for classifier guidance (the same CNN with 10
classes, cross-entropy on x0 + sigma n with sigma log-uniform on 0.002 ... 80).
"""
import argparse
import copy
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from scorekit_torch import build, save_checkpoint

ROOT = Path(__file__).resolve().parents[2]
LEVELS = {"sigma_min": 0.002, "sigma_max": 80.0, "count": 100}
LABEL_DROPOUT = 0.1


def toy(kind, n, rng):
    u = rng.random((n, 3))
    z = rng.standard_normal((n, 2))
    if kind == "moons":
        t = math.pi * u[:, 1]
        upper = u[:, 0] < 0.5
        x = np.where(upper, np.cos(t), 1 - np.cos(t))
        y = np.where(upper, np.sin(t), 0.5 - np.sin(t))
        pts = np.stack([x + 0.05 * z[:, 0], y + 0.05 * z[:, 1]], 1)
    elif kind == "swissroll":
        t = 1.5 * math.pi * (1 + 2 * u[:, 0])
        pts = np.stack([t * np.cos(t) + 0.25 * z[:, 0], t * np.sin(t) + 0.25 * z[:, 1]], 1)
    elif kind == "checkerboard":
        x = 4 * u[:, 0] - 2
        y = u[:, 1] - np.where(u[:, 2] < 0.5, 0, 2) + (np.floor(x + 2) % 2)
        pts = np.stack([x, y], 1)
    else:
        raise ValueError(kind)
    return pts


class ToyData:
    """Fresh draws, standardised by the moments of 2^17 draws (as ScoreKit does)."""

    def __init__(self, kind, seed):
        self.kind, self.rng = kind, np.random.default_rng(seed)
        ref = toy(kind, 1 << 17, np.random.default_rng(0x5C04E))
        self.mean, self.std = ref.mean(0), ref.std(0)
        self.shape, self.sigma_data = [2], 1.0

    def batch(self, n):
        return torch.tensor((toy(self.kind, n, self.rng) - self.mean) / self.std, dtype=torch.float32), None


class TutorialData:
    """The 10000 training points of Models/Resources/NAME.csv (heldout = 0; scurve, circles), drawn
    uniformly with replacement, unstandardised: sigma_data is their root mean square (two decimals)."""

    def __init__(self, kind, seed):
        rows = [l for l in (ROOT / f"Models/Resources/{kind}.csv").read_text().splitlines() if l and not l.startswith("#")][1:]
        values = np.array([[float(v) for v in r.split(",")] for r in rows])
        self.points = torch.tensor(values[values[:, 2] == 0][:, :2], dtype=torch.float32)
        self.gen = torch.Generator().manual_seed(seed)
        self.shape = [2]
        self.sigma_data = round(float(self.points.double().pow(2).mean().sqrt()) * 100) / 100

    def batch(self, n):
        return self.points[torch.randint(len(self.points), (n,), generator=self.gen)], None


class DigitsData:
    """The 1500 training digits of Models/Resources/digits.csv (heldout = 0), scaled to [-1, 1] by v/8 - 1."""

    def __init__(self, seed):
        rows = [l for l in (ROOT / "Models/Resources/digits.csv").read_text().splitlines() if l and not l.startswith("#")][1:]
        values = np.array([[int(v) for v in r.split(",")] for r in rows])
        values = values[values[:, 65] == 0]
        self.images = torch.tensor(values[:, :64] / 8 - 1, dtype=torch.float32).view(-1, 1, 8, 8)
        self.labels = torch.tensor(values[:, 64])
        self.gen = torch.Generator().manual_seed(seed)
        self.shape = [1, 8, 8]
        self.sigma_data = round(float(self.images.pow(2).mean().sqrt()) * 100) / 100

    def batch(self, n):
        idx = torch.randint(len(self.images), (n,), generator=self.gen)
        return self.images[idx], self.labels[idx]


def recipe(data, args):
    if data.shape == [2]:
        den = {"architecture": "mlp-denoiser", "sample_shape": [2], "hidden": args.hidden or 128, "depth": args.depth or 4,
               "embedding_features": 32, "embedding_max_frequency": 32.0}
        cls = {"architecture": "mlp-classifier", "sample_shape": [2], "hidden": 64, "depth": 2,
               "classes": LEVELS["count"], "scale_input": True}
        settings = dict(steps=20000, batch=512, learning_rate=2e-3, warmup=200, classifier_steps=4000,
                        classifier_batch=512)
    else:
        den = {"architecture": "unet", "sample_shape": data.shape, "channels": args.channels or [32, 64], "groups": 8,
               "embedding_features": 32, "embedding_max_frequency": 32.0, "embedding_width": 64}
        cls = {"architecture": "cnn-classifier", "sample_shape": data.shape, "channels": [16, 32, 64], "hidden": 64,
               "classes": LEVELS["count"], "scale_input": True}
        settings = dict(steps=12000, batch=128, learning_rate=1e-3, warmup=500, classifier_steps=3000,
                        classifier_batch=128)
        if args.data == "digits-cond":
            den["label_classes"] = 10
            settings.update(label_dropout=LABEL_DROPOUT, noisy_label_steps=3000, noisy_label_batch=128,
                            noisy_label_learning_rate=1e-3)
    # 2-D: training sigmas log-normal about sigma_data * e^-1.2 (-1.2 exactly for the standardised sets).
    p_mean = -1.2 + math.log(data.sigma_data) if data.shape == [2] else -1.2
    settings.update(seed=args.seed, final_learning_rate=0.05, ema_decay=0.999, gradient_clip=1.0, p_mean=p_mean,
                    p_std=1.2, classifier_learning_rate=1e-3, label_steps=0, label_batch=128, label_learning_rate=1e-3)
    if args.steps is not None:
        settings["steps"] = args.steps
    if args.classifier_steps is not None:
        settings["classifier_steps"] = args.classifier_steps
        if "noisy_label_steps" in settings:
            settings["noisy_label_steps"] = args.classifier_steps
    config = {"format": "scorekit-model", "version": 1, "dataset": args.data,
              "denoiser": {"network": den, "preconditioning": "edm", "sigma_data": data.sigma_data,
                           "sigma_min": 0.002, "sigma_max": 80.0},
              "classifier": {"network": cls, "levels": LEVELS}}
    if args.data == "digits-cond":
        config["noisy_label_classifier"] = {"network": dict(cls, classes=10), "labels": [str(d) for d in range(10)],
                                            "sigma_min": 0.002, "sigma_max": 80.0}
    return config, settings


def schedule(step, peak, warmup, total, final):
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(total - warmup, 1))
    return peak * (final + (1 - final) * 0.5 * (1 + math.cos(math.pi * progress)))


def optimise(module, loss_fn, steps, peak, warmup, s, log):
    ema = copy.deepcopy(module)
    opt = torch.optim.Adam(module.parameters(), lr=peak)
    for t in range(steps):
        for group in opt.param_groups:
            group["lr"] = schedule(t, peak, warmup, steps, s["final_learning_rate"])
        loss = loss_fn()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(module.parameters(), s["gradient_clip"])
        opt.step()
        beta = min(s["ema_decay"], (1 + t) / (10 + t))
        with torch.no_grad():
            for pe, p in zip(ema.parameters(), module.parameters()):
                pe.mul_(beta).add_(p, alpha=1 - beta)
        if t % max(steps // 20, 1) == 0:
            log(f"{t}/{steps} loss {loss.item():.4f}")
    return ema


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, choices=["moons", "swissroll", "checkerboard", "scurve", "circles", "digits", "digits-cond"])
    p.add_argument("--steps", type=int)
    p.add_argument("--classifier-steps", type=int)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--hidden", type=int)
    p.add_argument("--depth", type=int)
    p.add_argument("--channels", type=int, nargs=2)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--half", action="store_true", help="store the weights as float16 (as `scorekit train --half`)")
    p.add_argument("--out", required=True)
    args = p.parse_args()

    torch.manual_seed(args.seed)
    if args.data.startswith("digits"):
        data = DigitsData(args.seed)
    elif args.data in ("scurve", "circles"):
        data = TutorialData(args.data, args.seed)
    else:
        data = ToyData(args.data, args.seed)
    conditional = args.data == "digits-cond"
    config, s = recipe(data, args)
    nets = build(config)
    dev = args.device
    den, cls = nets["denoiser"].to(dev), nets["classifier"].to(dev)
    nets_noisy = nets.get("noisy_label_classifier")
    start = time.time()

    def denoiser_loss():
        x0, labels = data.batch(s["batch"])
        x0 = x0.to(dev)
        args_ = ()
        if conditional:   # label dropout: -1 (none) with probability LABEL_DROPOUT
            drop = torch.rand(len(labels), generator=data.gen) < LABEL_DROPOUT
            args_ = (torch.where(drop, torch.full_like(labels, -1), labels).to(dev),)
        sigma = (s["p_mean"] + s["p_std"] * torch.randn(len(x0), device=dev, dtype=torch.float64)).exp()
        c_skip, c_out, c_in, c_noise = den.coefficients(sigma)
        shape = (-1,) + (1,) * (x0.dim() - 1)
        x = x0 + sigma.float().view(shape) * torch.randn_like(x0)
        target = (x0 - c_skip.float().view(shape) * x) / c_out.float().view(shape)
        return F.mse_loss(den.net(x * c_in.float().view(shape), c_noise.float(), *args_), target)

    grid = torch.tensor([LEVELS["sigma_min"] * (LEVELS["sigma_max"] / LEVELS["sigma_min"]) ** (1 - k / LEVELS["count"])
                         for k in range(LEVELS["count"])], dtype=torch.float32, device=dev)

    def classifier_loss():
        x0 = data.batch(s["classifier_batch"])[0].to(dev)
        k = torch.randint(LEVELS["count"], (len(x0),), device=dev)
        x = x0 + grid[k].view((-1,) + (1,) * (x0.dim() - 1)) * torch.randn_like(x0)
        return F.cross_entropy(cls(x), k)

    def noisy_label_loss():
        x0, labels = data.batch(s["noisy_label_batch"])
        x0 = x0.to(dev)
        low, high = math.log(0.002), math.log(80.0)
        sigma = (low + (high - low) * torch.rand(len(x0), device=dev)).exp()
        x = x0 + sigma.view((-1,) + (1,) * (x0.dim() - 1)) * torch.randn_like(x0)
        return F.cross_entropy(noisy(x), labels.to(dev))

    log = lambda m: print(f"[{time.time() - start:7.1f}s] {m}", flush=True)
    ema_den = optimise(den.net, denoiser_loss, s["steps"], s["learning_rate"], s["warmup"], s, lambda m: log("denoiser " + m))
    ema_cls = optimise(cls, classifier_loss, s["classifier_steps"], s["classifier_learning_rate"],
                       min(200, s["classifier_steps"] // 10 + 1), s, lambda m: log("classifier " + m))
    den.net = ema_den
    nets = {"denoiser": den.cpu(), "classifier": ema_cls.cpu()}
    config["training"] = {"settings": s, "denoiser_steps": s["steps"], "classifier_steps": s["classifier_steps"],
                          "label_steps": 0, "seconds": time.time() - start, "resumable": False}
    if conditional:
        noisy = nets_noisy.to(dev)
        nets["noisy_label_classifier"] = optimise(noisy, noisy_label_loss, s["noisy_label_steps"], s["noisy_label_learning_rate"],
                                                  min(200, s["noisy_label_steps"] // 10 + 1), s,
                                                  lambda m: log("noisy label classifier " + m)).cpu()
        config["training"].update(noisy_label_steps=s["noisy_label_steps"], seconds=time.time() - start)
    save_checkpoint(args.out, config, nets, dtype=torch.float16 if args.half else torch.float32)
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
