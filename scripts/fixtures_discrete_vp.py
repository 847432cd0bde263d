#!/usr/bin/env python3
"""Parity fixtures for ScoreKit's DDPM and DDIM samplers, from diffusers.

Runs diffusers' DDPMScheduler and DDIMScheduler with a closed-form epsilon-model (the exact
denoiser of a small 2-D Gaussian mixture, in float64) on a few initial points, records the
initial noise z, every noise draw the scheduler injects, and the final samples, and writes
Tests/Fixtures/discrete_vp_parity.json. ScoreKit replays the same draws (ReplayNoise) and
must land on the same samples.

Two diffusers behaviours matter:
  * DDPMScheduler draws its noise internally; we patch the module's `randn_tensor` to hand out
    pre-drawn tensors (and record them).
  * DDIMScheduler steps from t to t - T // S, not to the next entry of its own grid; for the
    `linspace` grid those differ (999 -> 899 while the grid's next entry is 888). ScoreKit steps
    to the grid's next entry, as the DDIM paper does. To get diffusers to do the same we set
    `num_inference_steps` before each step so that T // n equals the gap to the next entry
    (asserted). For `leading` and `trailing` nothing changes.

Usage: python3 scripts/fixtures_discrete_vp.py   (torch 2.13 CPU, diffusers 0.42.1)
"""
import json
import pathlib

import numpy as np
import torch
import diffusers
from diffusers import DDIMScheduler, DDPMScheduler
import diffusers.schedulers.scheduling_ddpm as ddpm_module

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "Fixtures" / "discrete_vp_parity.json"

# A small mixture in data space [-1, 1]^2, per-dimension standard deviations.
WEIGHTS = np.array([0.6, 0.4])
MEANS = np.array([[0.5, -0.3], [-0.6, 0.4]])
STDS = np.array([[0.2, 0.3], [0.25, 0.15]])


def denoise(x_ve, sigma):
    """Exact E[x0 | x0 + sigma n = x] for the mixture (float64, x_ve: [N, 2])."""
    var = STDS ** 2 + sigma ** 2                      # [K, D]
    diff = x_ve[:, None, :] - MEANS[None]             # [N, K, D]
    log_r = np.log(WEIGHTS)[None] - 0.5 * np.sum(diff ** 2 / var + np.log(2 * np.pi * var), axis=-1)
    log_r -= log_r.max(axis=1, keepdims=True)
    r = np.exp(log_r)
    r /= r.sum(axis=1, keepdims=True)
    post = MEANS[None] + (STDS ** 2 / var)[None] * diff
    return np.sum(r[..., None] * post, axis=1)


def epsilon_model(alphas_cumprod):
    def eps(x_t, t):
        ab = float(alphas_cumprod[int(t)])
        sigma = np.sqrt((1 - ab) / ab)
        x_ve = x_t.numpy() / np.sqrt(ab)
        return torch.from_numpy((x_ve - denoise(x_ve, sigma)) / sigma)
    return eps


def draw(rng, shape):
    """Standard-normal draws rounded to 7 decimals: exactly what the fixture stores and replays."""
    return np.round(rng.standard_normal(shape), 7)


def run_ddim(z, spacing, steps, eta, rng):
    scheduler = DDIMScheduler(num_train_timesteps=1000, beta_schedule="linear", clip_sample=False,
                              set_alpha_to_one=True, timestep_spacing=spacing)
    scheduler.set_timesteps(steps)
    grid = [int(t) for t in scheduler.timesteps]
    eps = epsilon_model(scheduler.alphas_cumprod)
    x = torch.from_numpy(z.copy())
    draws = []
    for i, t in enumerate(grid):
        gap = grid[i] - grid[i + 1] if i + 1 < len(grid) else grid[i] + 1
        n = 1000 // gap
        assert 1000 // n == gap, f"cannot make diffusers step {t} -> {t - gap}"
        scheduler.num_inference_steps = n
        noise = None
        if eta > 0:
            noise = torch.from_numpy(draw(rng, z.shape))
            draws.append(noise.numpy().tolist())
        x = scheduler.step(eps(x, t), t, x, eta=eta, variance_noise=noise).prev_sample
    return grid, x.numpy(), draws


def run_ddpm(z, steps, variance, rng, T=1000, betas="linear", beta_start=1e-4, beta_end=0.02, float64_table=False):
    scheduler = DDPMScheduler(num_train_timesteps=T, beta_schedule=betas, clip_sample=False,
                              variance_type=variance, beta_start=beta_start, beta_end=beta_end)
    if float64_table:
        # diffusers builds its tables in float32, where 1 - alpha_bar near t = 0 (beta ~ 1e-5)
        # keeps only ~3 digits; recompute its sigmoid table in float64 so the steps are float64.
        assert betas == "sigmoid"
        b = torch.sigmoid(torch.linspace(-6, 6, T, dtype=torch.float64)) * (beta_end - beta_start) + beta_start
        scheduler.betas, scheduler.alphas = b, 1.0 - b
        scheduler.alphas_cumprod = torch.cumprod(scheduler.alphas, dim=0)
    scheduler.set_timesteps(steps)
    grid = [int(t) for t in scheduler.timesteps]
    eps = epsilon_model(scheduler.alphas_cumprod)
    draws = []

    def recorded_randn(shape, generator=None, device=None, dtype=None, **_):
        noise = torch.from_numpy(draw(rng, tuple(shape))).to(dtype)
        draws.append(noise.numpy().tolist())
        return noise

    original = ddpm_module.randn_tensor
    ddpm_module.randn_tensor = recorded_randn
    try:
        x = torch.from_numpy(z.copy())
        for t in grid:
            x = scheduler.step(eps(x, t), t, x).prev_sample
    finally:
        ddpm_module.randn_tensor = original
    return grid, x.numpy(), draws


def main():
    rng = np.random.default_rng(20261121)
    cases = []
    z = draw(rng, (8, 2))
    for spacing in ["leading", "trailing", "linspace"]:
        for eta in [0.0, 1.0]:
            grid, out, draws = run_ddim(z, spacing, 10, eta, rng)
            cases.append(dict(sampler="ddim", spacing=spacing, steps=10, eta=eta, timesteps=grid,
                              z=z.tolist(), noise=draws, expected=out.tolist()))
    for variance, name in [("fixed_small", "small"), ("fixed_large", "large")]:
        for steps in [50, 1000]:
            zz = z[:4] if steps == 1000 else z
            grid, out, draws = run_ddpm(zz, steps, variance, rng)
            cases.append(dict(sampler="ddpm", spacing="leading", steps=steps, variance=name, timesteps=grid,
                              z=zz.tolist(), noise=draws, expected=out.tolist()))
    # The 2-D DDPM tutorials' schedule: T = 100, sigmoid betas 1e-5 ... 5e-3, every timestep.
    grid, out, draws = run_ddpm(z, 100, "fixed_small", rng, T=100, betas="sigmoid", beta_start=1e-5, beta_end=5e-3,
                                float64_table=True)
    cases.append(dict(sampler="ddpm", spacing="leading", steps=100, variance="small", timesteps=grid,
                      z=z.tolist(), noise=draws, expected=out.tolist(),
                      table=dict(betas="sigmoid", T=100, beta_start=1e-5, beta_end=5e-3)))
    schedules = {}
    for betas, name in [("linear", "linear"), ("squaredcos_cap_v2", "cosine"), ("sigmoid", "sigmoid")]:
        ab = DDPMScheduler(num_train_timesteps=1000, beta_schedule=betas).alphas_cumprod.double().numpy()
        schedules[name] = ab.tolist()
    grids = []
    for spacing in ["leading", "trailing", "linspace"]:
        for steps in [1, 7, 10, 16, 30, 50, 333, 1000]:
            scheduler = DDIMScheduler(num_train_timesteps=1000, timestep_spacing=spacing)
            scheduler.set_timesteps(steps)
            grids.append(dict(spacing=spacing, steps=steps, timesteps=[int(t) for t in scheduler.timesteps]))
    fixture = dict(
        generator=f"scripts/fixtures_discrete_vp.py with diffusers {diffusers.__version__}, torch {torch.__version__}",
        mixture=dict(weights=WEIGHTS.tolist(), means=MEANS.tolist(), stds=STDS.tolist()),
        cases=cases,
        alphas_cumprod=schedules,   # diffusers computes these in float32
        spacings=grids)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(fixture, separators=(",", ":")))
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KiB, {len(cases)} cases)")


if __name__ == "__main__":
    main()
