#!/usr/bin/env python3
"""Reference fixtures for ScoreKit's ancestral samplers and the exponential σ schedules.

Writes Tests/Fixtures/ancestral_parity.json:

- schedules: k-diffusion's `get_sigmas_karras`, `get_sigmas_exponential` and
  `get_sigmas_polyexponential` in Float64 (torch's default dtype set to float64), each with the
  ScoreKit spec that should visit the same σ's (the final 0 left off).
- cases: k-diffusion's `sample_euler_ancestral` and `sample_dpmpp_2s_ancestral` run in Float64 on
  the closed-form Gaussian-mixture denoiser of scripts/fixtures_ode.py (3 components in 3-D,
  evaluated at the sampler's own σ), from x = σ_0·z, with a `noise_sampler` that hands out
  stored standard-normal draws (Float32 values) and records them. Both samplers draw once per
  step, after the step's denoiser calls, and not on the last step (to σ = 0); ScoreKit draws at
  the same points, so the recorded list replays in order. With eta = 0 k-diffusion still draws
  (and multiplies by σ_up = 0); ScoreKit draws nothing, so such a case stores no noise.

k-diffusion's package `__init__` imports torchvision, clip and more, which are not installed
here; the script loads `k_diffusion/sampling.py` alone, with a stand-in for the one helper it
takes from `k_diffusion.utils` (appending singleton dimensions).

Usage: python3 scripts/fixtures_ancestral.py   (needs numpy, torch, k-diffusion, diffusers; from the repo root)
"""
import json
import os
import re

import numpy as np
import torch

import kdiffusion_sampling
from fixtures_ode import MEANS, STDS, WEIGHTS, denoise

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "ancestral_parity.json")
SIGMA_MIN, SIGMA_MAX = 0.002, 80.0


K, K_VERSION = kdiffusion_sampling.load()


def model(x, sigma):
    """The closed-form denoiser at the sampler's σ (one σ for the whole batch)."""
    return torch.from_numpy(denoise(x.numpy(), float(sigma[0])))


class RecordedNoise:
    """A k-diffusion `noise_sampler`: fresh Float32 standard normals, each call recorded."""

    def __init__(self, shape, seed):
        self.rng, self.shape, self.draws = np.random.default_rng(seed), shape, []

    def __call__(self, sigma, sigma_next):
        draw = self.rng.standard_normal(self.shape).astype(np.float32)
        self.draws.append(float32_rows(draw))
        return torch.from_numpy(draw.astype(np.float64))


def float32_rows(a):
    """Float32 values in their shortest decimal form (Float(text) gives back the same bits)."""
    return [[float(str(v)) for v in row] for row in np.asarray(a, dtype=np.float32)]


def rounded_rows(a, digits=10):
    """Float64 results to `digits` significant digits (the tests compare to 1e-4)."""
    return [[float(f"{v:.{digits}g}") for v in row] for row in np.asarray(a, dtype=np.float64)]


def sigmas_for(schedule, steps, sigma_min=SIGMA_MIN, sigma_max=SIGMA_MAX, rho=None):
    """k-diffusion's σ's for a ScoreKit schedule key (with the final 0)."""
    if schedule == "karras":
        return K.get_sigmas_karras(steps, sigma_min, sigma_max, rho=7.0 if rho is None else rho)
    if schedule == "exponential":
        return K.get_sigmas_exponential(steps, sigma_min, sigma_max)
    return K.get_sigmas_polyexponential(steps, sigma_min, sigma_max, rho=1.0 if rho is None else rho)


def schedule_spec(schedule, steps, sigma_min=SIGMA_MIN, sigma_max=SIGMA_MAX, rho=None):
    keys = f"steps={steps},schedule={schedule},sigma_min={sigma_min!r},sigma_max={sigma_max!r}"
    return keys + ("" if rho is None else f",rho={rho!r}")


def main():
    torch.set_default_dtype(torch.float64)
    torch.set_grad_enabled(False)
    z32 = np.random.default_rng(2023).standard_normal((16, 3)).astype(np.float32)
    z = z32.astype(np.float64)

    schedules = []
    for args in [("karras", 10), ("exponential", 15), ("exponential", 7, 0.01, 50.0), ("exponential", 1),
                 ("polyexponential", 9), ("polyexponential", 12, 0.05, 20.0, 2.5), ("polyexponential", 6, SIGMA_MIN, SIGMA_MAX, 0.5)]:
        sigmas = sigmas_for(*args)
        assert float(sigmas[-1]) == 0.0
        schedules.append(dict(spec="euler-ancestral:" + schedule_spec(*args), sigmas=sigmas[:-1].tolist()))

    cases = []
    references = {"euler-ancestral": K.sample_euler_ancestral, "dpm-2s-ancestral": K.sample_dpmpp_2s_ancestral}
    for seed, (name, schedule, steps, eta, s_noise, rho) in enumerate([
        ("euler-ancestral", "karras", 10, 1.0, 1.0, None),
        ("euler-ancestral", "exponential", 15, 0.5, 1.0, None),
        ("euler-ancestral", "karras", 20, 0.5, 1.0, None),
        ("euler-ancestral", "polyexponential", 8, 1.0, 0.9, 2.0),
        ("dpm-2s-ancestral", "karras", 10, 1.0, 1.0, None),
        ("dpm-2s-ancestral", "exponential", 12, 0.5, 1.0, None),
        ("dpm-2s-ancestral", "karras", 6, 0.0, 1.0, None),
        ("dpm-2s-ancestral", "polyexponential", 8, 1.0, 1.1, 2.0),
    ]):
        sigmas = sigmas_for(schedule, steps, rho=rho)
        noise = RecordedNoise(z.shape, seed)
        x = references[name](model, float(sigmas[0]) * torch.from_numpy(z), sigmas, disable=True,
                             eta=eta, s_noise=s_noise, noise_sampler=noise)
        assert len(noise.draws) == steps - 1             # every step but the last, even where σ_up = 0
        spec = f"{name}:{schedule_spec(schedule, steps, rho=rho)},eta={eta!r},s_noise={s_noise!r}"
        cases.append(dict(name=f"{name}-{schedule}-{steps}-eta{eta}", spec=spec,
                          reference=f"k-diffusion {references[name].__name__}, Float64, noise_sampler replayed",
                          sigmas=sigmas[:-1].tolist(), noise=noise.draws if eta > 0 else [],
                          expected=rounded_rows(x.numpy())))

    fixture = dict(
        generator="scripts/fixtures_ancestral.py", k_diffusion=K_VERSION,
        torch=torch.__version__, mixture=dict(weights=WEIGHTS.tolist(), means=MEANS.tolist(), stds=STDS.tolist()),
        z=float32_rows(z32), schedules=schedules, cases=cases)
    text = json.dumps(fixture, indent=1)
    text = re.sub(r"\[\s*([^\[\]]*?)\s*\]", lambda m: "[" + re.sub(r"\s+", "", m.group(1)) + "]", text)   # a row per line
    with open(OUT, "w") as f:
        f.write(text + "\n")
    print(f"wrote {os.path.normpath(OUT)}: {len(schedules)} schedules, {len(cases)} cases")


if __name__ == "__main__":
    main()
