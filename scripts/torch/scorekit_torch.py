"""ScoreKit's networks as PyTorch modules that load and save ScoreKit checkpoints.

A ScoreKit checkpoint is a safetensors file whose __metadata__["config"] is a JSON config
(see docs/models.md) and whose tensors are grouped by prefix: "denoiser.", "classifier."
(noise-level classifier) and "label_classifier." (digit classifier). Parameter names and
shapes are PyTorch's (nn.Linear [out, in], nn.Conv2d [out, in, k, k]), so a state_dict maps
one to one. The forward passes here are the reference the Swift implementation is tested
against (Tests/Fixtures/torch, made by make_fixtures.py).

    from scorekit_torch import load_checkpoint, save_checkpoint
    config, nets = load_checkpoint("moons.safetensors")
    denoiser = nets["denoiser"]            # an EDMDenoiser: denoiser(x, sigma) -> D(x; sigma)
"""
import json
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import save_file

FORMAT = "scorekit-model"


class FourierEmbedding(nn.Module):
    """[cos(w_i c), sin(w_i c)] with w_i = max_frequency ** (i / (half - 1)), i < half."""

    def __init__(self, features, max_frequency):
        super().__init__()
        half = features // 2
        exponents = torch.arange(half, dtype=torch.float64) / max(half - 1, 1)
        self.register_buffer("frequencies", (max_frequency ** exponents) if half > 1 else torch.ones(1, dtype=torch.float64),
                             persistent=False)

    def forward(self, c):
        angles = c.to(torch.float64)[:, None] * self.frequencies[None, :]
        return torch.cat([torch.cos(angles), torch.sin(angles)], dim=1).to(torch.float32)


class MLPDenoiser(nn.Module):
    """F(x_in, c_noise): SiLU MLP on [x, fourier(c_noise)]; layers.0 ... layers.{depth-1}, out."""

    def __init__(self, cfg):
        super().__init__()
        dim = math.prod(cfg["sample_shape"])
        hidden, depth, feats = cfg["hidden"], cfg["depth"], cfg["embedding_features"]
        self.embedding = FourierEmbedding(feats, cfg["embedding_max_frequency"])
        self.layers = nn.ModuleList(nn.Linear(dim + feats if i == 0 else hidden, hidden) for i in range(depth))
        self.out = nn.Linear(hidden, dim)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x, c_noise):
        h = torch.cat([x.flatten(1), self.embedding(c_noise)], dim=1)
        for layer in self.layers:
            h = F.silu(layer(h))
        return self.out(h).view_as(x)


class ResidualBlock(nn.Module):
    """y = skip(x) + conv2(silu(norm2(conv1(silu(norm1(x))) + emb(e))))."""

    def __init__(self, cin, cout, width, groups):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin, eps=1e-5)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.emb = nn.Linear(width, cout)
        self.norm2 = nn.GroupNorm(groups, cout, eps=1e-5)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        nn.init.zeros_(self.conv2.weight)
        nn.init.zeros_(self.conv2.bias)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, e):
        h = self.conv1(F.silu(self.norm1(x))) + self.emb(e)[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return (self.skip(x) if self.skip is not None else x) + h


class UNet(nn.Module):
    """One down and one up level with a concatenation skip (see Models/Networks/UNetNetwork.swift).

    With "label_classes": K in the config it is class-conditional: label_embed, a table of K + 1
    rows (row K = no condition), adds the label's row to the activated noise embedding."""

    def __init__(self, cfg):
        super().__init__()
        cin = cfg["sample_shape"][0]
        c0, c1 = cfg["channels"]
        g, width = cfg["groups"], cfg["embedding_width"]
        self.fourier = FourierEmbedding(cfg["embedding_features"], cfg["embedding_max_frequency"])
        self.embed = nn.ModuleList([nn.Linear(cfg["embedding_features"], width), nn.Linear(width, width)])
        self.conv_in = nn.Conv2d(cin, c0, 3, padding=1)
        self.enc0 = ResidualBlock(c0, c0, width, g)
        self.enc1 = ResidualBlock(c0, c1, width, g)
        self.mid = ResidualBlock(c1, c1, width, g)
        self.dec0 = ResidualBlock(c1 + c0, c0, width, g)
        self.norm_out = nn.GroupNorm(g, c0, eps=1e-5)
        self.conv_out = nn.Conv2d(c0, cin, 3, padding=1)
        nn.init.zeros_(self.conv_out.weight)
        nn.init.zeros_(self.conv_out.bias)
        self.label_classes = cfg.get("label_classes")
        if self.label_classes is not None:
            self.label_embed = nn.Embedding(self.label_classes + 1, width)
            nn.init.zeros_(self.label_embed.weight)

    def forward(self, x, c_noise, labels=None):
        """labels: class per row (an integer tensor, -1 for none) or None (none for every row)."""
        e = F.silu(self.embed[1](F.silu(self.embed[0](self.fourier(c_noise)))))
        if self.label_classes is not None:
            if labels is None:
                labels = torch.full((x.shape[0],), -1, dtype=torch.long)
            rows = torch.where(labels < 0, torch.full_like(labels, self.label_classes), labels)
            e = e + self.label_embed(rows)
        s = self.enc0(self.conv_in(x), e)
        h = self.mid(self.enc1(F.avg_pool2d(s, 2), e), e)
        h = self.dec0(torch.cat([F.interpolate(h, scale_factor=2, mode="nearest"), s], dim=1), e)
        return self.conv_out(F.silu(self.norm_out(h)))


def scale_input(x):
    """Each row divided by its RMS r = sqrt(mean(x^2) + 1e-12); returns (x / r, log r)."""
    r = (x.flatten(1).double().pow(2).mean(dim=1) + 1e-12).sqrt()
    return (x.double() / r.view(-1, *[1] * (x.dim() - 1))).float(), r.log().float()


class MLPClassifier(nn.Module):
    """Logits from an SiLU MLP on x (or [x/r, log r] with scale_input)."""

    def __init__(self, cfg):
        super().__init__()
        self.scale = bool(cfg.get("scale_input"))
        dim = math.prod(cfg["sample_shape"]) + (1 if self.scale else 0)
        hidden = cfg["hidden"]
        self.layers = nn.ModuleList(nn.Linear(dim if i == 0 else hidden, hidden) for i in range(cfg["depth"]))
        self.out = nn.Linear(hidden, cfg["classes"])

    def features(self, x):
        h = x.flatten(1)
        if self.scale:
            h, log_r = scale_input(h)
            h = torch.cat([h, log_r[:, None]], dim=1)
        for layer in self.layers:
            h = F.silu(layer(h))
        return h

    def forward(self, x):
        return self.out(self.features(x))


class CNNClassifier(nn.Module):
    """Denoising MCMC's classifier: (3x3 conv, ReLU, 2x2 average pool) per level, a ReLU head on the
    channels-last flattened map (and log r with scale_input), then a linear layer to the logits."""

    def __init__(self, cfg):
        super().__init__()
        self.scale = bool(cfg.get("scale_input"))
        c, h, w = cfg["sample_shape"]
        convs = []
        for out in cfg["channels"]:
            convs.append(nn.Conv2d(c, out, 3, padding=1))
            c, h, w = out, h // 2, w // 2
        self.convs = nn.ModuleList(convs)
        self.head = nn.Linear(c * h * w + (1 if self.scale else 0), cfg["hidden"])
        self.out = nn.Linear(cfg["hidden"], cfg["classes"])

    def features(self, x):
        log_r = None
        if self.scale:
            x, log_r = scale_input(x)
        for conv in self.convs:
            x = F.avg_pool2d(F.relu(conv(x)), 2)
        flat = x.permute(0, 2, 3, 1).flatten(1)
        if log_r is not None:
            flat = torch.cat([flat, log_r[:, None]], dim=1)
        return F.relu(self.head(flat))

    def forward(self, x):
        return self.out(self.features(x))


DENOISERS = {"mlp-denoiser": MLPDenoiser, "unet": UNet}
CLASSIFIERS = {"mlp-classifier": MLPClassifier, "cnn-classifier": CNNClassifier}


class EDMDenoiser(nn.Module):
    """D(x; sigma) = c_skip x + c_out F(c_in x, ln(sigma)/4) (Karras et al. 2022), in VE coordinates."""

    def __init__(self, section):
        super().__init__()
        self.section = section
        self.net = DENOISERS[section["network"]["architecture"]](section["network"])
        self.sigma_data = section["sigma_data"]

    def coefficients(self, sigma):
        sd2 = self.sigma_data ** 2
        sigma = sigma.to(torch.float64)
        c_skip = sd2 / (sigma ** 2 + sd2)
        c_out = sigma * self.sigma_data / (sigma ** 2 + sd2).sqrt()
        c_in = 1 / (sigma ** 2 + sd2).sqrt()
        return c_skip, c_out, c_in, sigma.log() / 4

    def forward(self, x, sigma, labels=None):
        """D(x; sigma | labels) for a class-conditional U-Net (labels: -1 = none), else D(x; sigma)."""
        c_skip, c_out, c_in, c_noise = self.coefficients(sigma)
        shape = (-1,) + (1,) * (x.dim() - 1)
        args = (labels,) if labels is not None else ()
        f = self.net((x * c_in.float().view(shape)), c_noise.float(), *args)
        return c_skip.float().view(shape) * x + c_out.float().view(shape) * f


def build(config):
    """The modules a config describes: {"denoiser": EDMDenoiser, "classifier": ..., "label_classifier": ...,
    "noisy_label_classifier": ...}."""
    nets = {}
    if config.get("denoiser"):
        nets["denoiser"] = EDMDenoiser(config["denoiser"])
    for key in ("classifier", "label_classifier", "noisy_label_classifier"):
        if config.get(key):
            net = config[key]["network"]
            nets[key] = CLASSIFIERS[net["architecture"]](net)
    return nets


def _module_for_weights(name, module):
    return module.net if name == "denoiser" else module


def load_checkpoint(path):
    """(config, {section: module}) with the weights of a ScoreKit checkpoint loaded (as float32)."""
    with safe_open(path, framework="pt") as f:
        config = json.loads(f.metadata()["config"])
        tensors = {k: f.get_tensor(k).float() for k in f.keys()}
    if config.get("format") != FORMAT:
        raise ValueError(f"{path}: config format is {config.get('format')!r}, expected {FORMAT!r}")
    nets = build(config)
    for name, module in nets.items():
        prefix = name + "."
        state = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
        _module_for_weights(name, module).load_state_dict(state, strict=True)
    return config, nets


def save_checkpoint(path, config, nets, dtype=torch.float32):
    """Writes the modules' weights and the config as a ScoreKit checkpoint (weights only)."""
    tensors = {}
    for name, module in nets.items():
        for k, v in _module_for_weights(name, module).state_dict().items():
            tensors[f"{name}.{k}"] = v.detach().to(dtype).contiguous()
    config = dict(config)
    if config.get("training"):
        config["training"] = dict(config["training"], resumable=False)
    save_file(tensors, path, metadata={"config": json.dumps(config, sort_keys=True)})
