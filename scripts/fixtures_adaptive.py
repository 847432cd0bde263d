#!/usr/bin/env python3
"""Reference fixtures for ScoreKit's `dpm-adaptive` and `restart` samplers.

Writes Tests/Fixtures/adaptive_parity.json: the 3-component Gaussian mixture in 3-D of
ode_parity.json, a few standard-normal draws z, and for each case the ScoreKit spec, the
reference's final samples from the same z, the NFE each row used and any injected noise.

- dpm-adaptive vs k-diffusion's `sample_dpm_adaptive` (the PyPI package's own sampling.py,
  loaded without the package's __init__, which imports torchvision, clip and more that are not
  installed here), in Float64 (torch's default dtype set to float64, so rtol/atol are not
  rounded to Float32). k-diffusion's error norm spans the whole batch; ScoreKit's is per sample
  (a sample must not depend on its batch-mates), so every row is its own k-diffusion run on a
  batch of one. k-diffusion stops at σ_min (within 1e-5 in λ) without denoising; ScoreKit ends
  at σ = 0, so the expected sample is D(x; σ) at the σ where k-diffusion stopped, and the NFE is
  k-diffusion's count + 1.
- restart: no reference implementation is installed (k-diffusion 0.1.1 has none; ComfyUI's
  `sample_restart` is not on PyPI), so the reference is a Float64 transcription of Restart
  sampling (Xu et al. 2023, Algorithm 1) written here from the paper with ScoreKit's documented
  rules: Heun steps (EDM Algorithm 1) on the Karras main schedule, the last step Euler to σ = 0;
  each interval t_min:n:K:t_max acts at the first main σ_p ≤ t_min (else the last σ > 0): K times
  x += √(t̂² − σ_p²)·z with t̂ = min(t_max, σ_0), then n Heun steps down Karras levels (ρ = 7)
  from t̂ to σ_p. The restart noise is stored (one draw of every row per pass) and replayed.

The closed-form denoiser is evaluated at exactly the σ each reference asks for.

Usage: python3 scripts/fixtures_adaptive.py   (needs numpy, torch, k-diffusion; from the repo root)
"""
import json
import math
import os

import numpy as np
import torch

import kdiffusion_sampling
from fixtures_ode import MEANS, STDS, WEIGHTS, denoise

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "adaptive_parity.json")

SIGMA_MIN, SIGMA_MAX = 0.002, 80.0


def kd_model(x, sigma):
    return torch.from_numpy(denoise(x.numpy(), float(sigma[0])))


def run_dpm_adaptive(kd, z, **options):
    """Each row alone through k-diffusion; returns final samples (denoised at the σ it stopped
    at) and each row's NFE."""
    rows, nfe = [], []
    for row in z:
        x = torch.from_numpy(SIGMA_MAX * row[None, :])
        last = {}
        x, info = kd.sample_dpm_adaptive(kd_model, x, SIGMA_MIN, SIGMA_MAX, disable=True, return_info=True,
                                         callback=lambda i: last.update(sigma=float(i["sigma"])), **options)
        sigma = last.get("sigma", SIGMA_MAX)
        rows.append(denoise(x.numpy(), sigma)[0])
        nfe.append(info["nfe"] + 1)
    return np.array(rows), nfe


def karras(n, sigma_min, sigma_max, rho=7.0):
    ramp = np.arange(n) / (n - 1)
    a, b = sigma_max ** (1 / rho), sigma_min ** (1 / rho)
    return (a + ramp * (b - a)) ** rho


def heun_step(x, s, s_next):
    d = (x - denoise(x, s)) / s
    x_euler = x + (s_next - s) * d
    if s_next == 0:
        return x_euler, 1
    d_next = (x_euler - denoise(x_euler, s_next)) / s_next
    return x + (s_next - s) * 0.5 * (d + d_next), 2


def restart_sampler(z, steps, restarts, seed):
    """Restart sampling in Float64 (see the module's doc string); returns x, NFE, noise draws."""
    rng = np.random.default_rng(seed)
    main = list(karras(steps, SIGMA_MIN, SIGMA_MAX)) + [0.0]
    last_positive = len(main) - 2
    points = [next((i for i, s in enumerate(main) if 0 < s <= t_min), last_positive) for t_min, _, _, _ in restarts]
    x, nfe, noise = SIGMA_MAX * z, 0, []
    for i, s in enumerate(main):
        for (t_min, n, k, t_max), p in zip(restarts, points):
            if p != i:
                continue
            top = min(t_max, main[0])
            levels = karras(n + 1, s, top)
            levels[0], levels[-1] = top, s
            for _ in range(k):
                eps = rng.standard_normal(x.shape)
                noise.append(eps.tolist())
                x = x + math.sqrt(top**2 - s**2) * eps
                for j in range(n):
                    x, calls = heun_step(x, levels[j], levels[j + 1])
                    nfe += calls
        if i + 1 < len(main):
            x, calls = heun_step(x, s, main[i + 1])
            nfe += calls
    return x, nfe, noise


def case(name, spec, reference, expected, nfe, noise=()):
    return dict(name=name, spec=spec, reference=reference, expected=np.asarray(expected).tolist(),
                nfe=list(nfe), noise=list(noise))


def main():
    torch.set_default_dtype(torch.float64)
    kd, version = kdiffusion_sampling.load()
    z = np.random.default_rng(11).standard_normal((6, 3))
    rng_range = f"sigma_min={SIGMA_MIN:g},sigma_max={SIGMA_MAX:g}"
    cases = []
    dpm = [
        ("dpm-adaptive-defaults", "", {}),
        ("dpm-adaptive-order2", "order=2", {"order": 2}),
        ("dpm-adaptive-tight", "rtol=0.005,atol=0.0005", {"rtol": 0.005, "atol": 0.0005}),
        ("dpm-adaptive-pid", "order=2,pcoeff=0.3,icoeff=0.5,dcoeff=0.1,h_init=0.2,accept_safety=0.9",
         {"order": 2, "pcoeff": 0.3, "icoeff": 0.5, "dcoeff": 0.1, "h_init": 0.2, "accept_safety": 0.9}),
    ]
    for name, keys, options in dpm:
        x, nfe = run_dpm_adaptive(kd, z, **options)
        spec = "dpm-adaptive:" + ",".join(k for k in [keys, rng_range] if k)
        cases.append(case(name, spec, f"k-diffusion {version} sample_dpm_adaptive, one row per run, Float64, then D(x; σ)", x, nfe))
    restart = [
        ("restart-one", 8, [(0.5, 3, 2, 2.0)], 3),
        ("restart-two", 6, [(0.1, 2, 1, 0.8), (1.0, 3, 2, 5.0)], 4),
        ("restart-default", 10, [(0.06, 2, 2, 0.3)], 5),
    ]
    for name, steps, intervals, seed in restart:
        x, nfe, noise = restart_sampler(z, steps, intervals, seed)
        text = "/".join(f"{a:g}:{n}:{k}:{b:g}" for a, n, k, b in intervals)
        cases.append(case(name, f"restart:steps={steps},{rng_range},restarts={text}",
                          "Restart sampling (Xu et al. 2023, Alg. 1) transcribed in Float64 in this script, noise replayed",
                          x, [nfe] * len(z), noise))
    fixture = dict(k_diffusion=version, mixture=dict(weights=WEIGHTS.tolist(), means=MEANS.tolist(), stds=STDS.tolist()),
                   z=z.tolist(), cases=cases)
    with open(OUT, "w") as f:
        json.dump(fixture, f, indent=1)
    for c in cases:
        print(c["name"], c["spec"], "NFE", c["nfe"])


if __name__ == "__main__":
    main()
