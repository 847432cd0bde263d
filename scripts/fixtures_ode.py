#!/usr/bin/env python3
"""Reference fixtures for ScoreKit's probability-flow ODE samplers.

Writes Tests/Fixtures/ode_parity.json: a 3-component Gaussian mixture in 3-D, 32 standard-normal
draws z, and for each case the ScoreKit spec, the σ's the reference used, any injected noise,
and the reference's final samples from the same z:

- euler  vs diffusers EulerDiscreteScheduler, fed ScoreKit's σ's (karras, ve, vp, discrete)
         with set_timesteps(sigmas=...). With churn, vs EDM's Algorithm 2 without the correction
         (k-diffusion's `sample_euler`) in Float64: diffusers' Euler adds the churn noise inside
         `step()`, after the model has seen the un-churned sample at σ, and then uses that ε̂ at
         σ̂ — not EDM's algorithm, which denoises the churned sample at σ̂.
- heun   vs diffusers HeunDiscreteScheduler (use_karras_sigmas; ScoreKit is given the same
         σ_min/σ_max, the ends of diffusers' DDPM table).
- heun   vs EDM's sampler (Karras et al. 2022, Algorithm 1; with churn, Algorithm 2), written
         here from the paper in Float64 as NVlabs/edm's `edm_sampler` runs. (k-diffusion is on
         PyPI but its package imports torchvision, clip and more, which are not installed here.)
- dpm-solver++ vs diffusers DPMSolverMultistepScheduler (dpmsolver++, order 2, karras σ's,
         final σ = 0 so the last step is first order, lower_order_final=True).

Diffusers works in its own conventions: its model sees the input scaled to VP coordinates
(x/√(1+σ²)) and predicts ε. The closed-form denoiser D(x; σ) is wrapped accordingly:
ε = (x_VE − D(x_VE; σ))/σ with x_VE recovered from the scaled input and the scheduler's own σ.
DPM-Solver's state is VP (x_VP = x_VE/√(1+σ²)); it starts from σ_0·z/√(1+σ_0²) and ends at σ = 0
where both coordinates agree.

Usage: python3 scripts/fixtures_ode.py   (needs numpy, torch, diffusers; run from the repo root)
"""
import json
import math
import os

import numpy as np
import torch
import diffusers
from diffusers import DPMSolverMultistepScheduler, EulerDiscreteScheduler, HeunDiscreteScheduler

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "ode_parity.json")

WEIGHTS = np.array([0.5, 0.3, 0.2])
MEANS = np.array([[2.0, -1.0, 0.5], [-3.0, 2.0, 1.0], [0.5, 3.0, -2.0]])
STDS = np.array([[0.5, 1.0, 0.8], [1.0, 0.4, 0.7], [0.6, 0.9, 1.2]])


def denoise(x, sigma):
    """E[x0 | x0 + σn = x] for the mixture, Float64; x is [N, D], sigma a scalar."""
    x = np.asarray(x, dtype=np.float64)
    var = STDS**2 + sigma**2                                        # [K, D]
    diff = x[:, None, :] - MEANS[None, :, :]                        # [N, K, D]
    logp = np.log(WEIGHTS)[None, :] - 0.5 * np.sum(np.log(2 * np.pi * var)[None] + diff**2 / var[None], axis=2)
    logp -= logp.max(axis=1, keepdims=True)
    resp = np.exp(logp)
    resp /= resp.sum(axis=1, keepdims=True)                         # [N, K]
    post = MEANS[None] + (STDS**2 / var)[None] * diff               # [N, K, D]
    return np.einsum("nk,nkd->nd", resp, post)


# --- σ schedules, from their formulas (ScoreKit must reproduce these) -------------------------

def karras(n, sigma_min, sigma_max, rho=7.0):
    ramp = np.arange(n) / (n - 1)
    a, b = sigma_max ** (1 / rho), sigma_min ** (1 / rho)
    return (a + ramp * (b - a)) ** rho


def ve_geometric(n, sigma_min=0.002, sigma_max=80.0, eps=1e-5):
    t = np.linspace(1.0, eps, n)
    return sigma_min * (sigma_max / sigma_min) ** t


def vp_time(n, beta_min=0.1, beta_max=20.0, eps=1e-3):
    t = np.linspace(1.0, eps, n)
    log_alpha_bar = -0.5 * t**2 * (beta_max - beta_min) - t * beta_min
    return np.sqrt(-np.expm1(log_alpha_bar)) / np.exp(0.5 * log_alpha_bar)


def discrete_linspace(n, T=1000):
    betas = np.linspace(1e-4, 0.02, T)
    alpha_bar = np.cumprod(1 - betas)
    sigma = np.sqrt((1 - alpha_bar) / alpha_bar)
    t = np.round(np.linspace(0, T - 1, n)).astype(int)[::-1]
    return sigma[t]


# --- references ---------------------------------------------------------------------------

def diffusers_table_range():
    """The ends of diffusers' (float32) DDPM linear table, which its karras σ's span."""
    s = HeunDiscreteScheduler(beta_start=1e-4, beta_end=0.02, beta_schedule="linear")
    table = np.array(((1 - s.alphas_cumprod) / s.alphas_cumprod) ** 0.5)
    return float(table[0]), float(table[-1])


def eps_model(x_scaled, sigma):
    """diffusers' view of the closed-form denoiser: ε from the VP-scaled input."""
    sigma = float(sigma)
    x = x_scaled.double().numpy() * math.sqrt(sigma**2 + 1)
    return torch.from_numpy(((x - denoise(x, sigma)) / sigma).astype(np.float32))


def run_euler(z, sigmas):
    sched = EulerDiscreteScheduler(beta_start=1e-4, beta_end=0.02, beta_schedule="linear")
    sched.set_timesteps(sigmas=list(sigmas) + [0.0])
    x = torch.from_numpy((sigmas[0] * z).astype(np.float32))
    for t in sched.timesteps:
        x_in = sched.scale_model_input(x, t)
        x = sched.step(eps_model(x_in, sched.sigmas[sched.step_index]), t, x).prev_sample
    return sched.sigmas[:-1].double().numpy(), x.double().numpy()


def run_heun(z, steps):
    sched = HeunDiscreteScheduler(beta_start=1e-4, beta_end=0.02, beta_schedule="linear", use_karras_sigmas=True)
    sched.set_timesteps(steps)
    x = torch.from_numpy((float(sched.sigmas[0]) * z).astype(np.float32))
    for t in sched.timesteps:
        x_in = sched.scale_model_input(x, t)
        x = sched.step(eps_model(x_in, sched.sigmas[sched.step_index]), t, x).prev_sample
    sigmas = sched.sigmas[::2].double().numpy()                     # σ_0, σ_1, σ_1, …, σ_{N−1}, σ_{N−1}, 0: once each
    return sigmas, x.double().numpy()


def run_dpm(z, steps):
    sched = DPMSolverMultistepScheduler(beta_start=1e-4, beta_end=0.02, beta_schedule="linear", use_karras_sigmas=True,
                                        algorithm_type="dpmsolver++", solver_order=2, final_sigmas_type="zero",
                                        lower_order_final=True)
    sched.set_timesteps(steps)
    sigma0 = float(sched.sigmas[0])
    x = torch.from_numpy((sigma0 * z / math.sqrt(1 + sigma0**2)).astype(np.float32))     # VP state
    for i, t in enumerate(sched.timesteps):
        sigma = float(sched.sigmas[i])
        x_ve = x.double() * math.sqrt(1 + sigma**2)
        eps = torch.from_numpy(((x_ve.numpy() - denoise(x_ve.numpy(), sigma)) / sigma).astype(np.float32))
        x = sched.step(eps, t, x).prev_sample
    return sched.sigmas[:-1].double().numpy(), x.double().numpy()


def edm_sampler(z, sigmas, churn=None, seed=0, corrector=True):
    """Karras et al. 2022, Algorithm 1 (deterministic) / 2 (churn), in Float64, ending at σ = 0;
    without the corrector, Euler steps. Churn noise is drawn only at the steps that churn and
    returned for replay."""
    s_churn, s_tmin, s_tmax, s_noise = churn or (0.0, 0.0, math.inf, 1.0)
    rng = np.random.default_rng(seed)
    t = np.append(sigmas, 0.0)
    n = len(sigmas)
    x = t[0] * z.astype(np.float64)
    noise = []
    for i in range(n):
        gamma = min(s_churn / n, math.sqrt(2) - 1) if s_tmin <= t[i] <= s_tmax else 0.0
        t_hat = t[i] * (1 + gamma)
        if gamma > 0:
            eps = rng.standard_normal(x.shape).astype(np.float32).astype(np.float64)
            noise.append(eps.tolist())
            x = x + math.sqrt(t_hat**2 - t[i] ** 2) * s_noise * eps
        d = (x - denoise(x, t_hat)) / t_hat
        x_next = x + (t[i + 1] - t_hat) * d
        if corrector and t[i + 1] != 0:
            d_prime = (x_next - denoise(x_next, t[i + 1])) / t[i + 1]
            x_next = x + (t[i + 1] - t_hat) * (0.5 * d + 0.5 * d_prime)
        x = x_next
    return x, noise


def case(name, spec, reference, sigmas, expected, noise=(), sigma_precision="float64"):
    return dict(name=name, spec=spec, reference=reference, sigmas=[float(s) for s in sigmas],
                sigma_precision=sigma_precision, noise=list(noise), expected=np.asarray(expected).tolist())


def main():
    torch.set_grad_enabled(False)
    z = np.random.default_rng(2022).standard_normal((32, 3)).astype(np.float32)
    cases = []

    for name, spec, sigmas in [
        ("euler-karras", "euler:steps=10", karras(10, 0.002, 80.0)),
        ("euler-ve", "euler:steps=12,schedule=ve", ve_geometric(12)),
        ("euler-vp", "euler:steps=12,schedule=vp", vp_time(12)),
        ("euler-discrete", "euler:steps=10,schedule=discrete,spacing=linspace", discrete_linspace(10)),
    ]:
        used, x = run_euler(z, sigmas)
        assert np.allclose(used, sigmas, rtol=1e-6, atol=0)
        cases.append(case(name, spec, "diffusers EulerDiscreteScheduler, set_timesteps(sigmas=…)", sigmas, x))

    churn = (80.0, 0.05, 1.0, 1.007)
    sigmas = karras(10, 0.002, 80.0)
    x, noise = edm_sampler(z, sigmas, churn=churn, seed=5, corrector=False)
    cases.append(case("euler-churn", "euler:steps=10,s_churn=80,s_tmin=0.05,s_tmax=1,s_noise=1.007",
                      "EDM Algorithm 2 without correction (k-diffusion sample_euler) in Float64, churn noise replayed",
                      sigmas, x, noise))

    lo, hi = diffusers_table_range()
    for steps in (10, 25):
        used, x = run_heun(z, steps)
        assert np.allclose(used, karras(steps, lo, hi), rtol=1e-6, atol=0)
        cases.append(case(f"heun-karras-{steps}", f"heun:steps={steps},sigma_min={lo!r},sigma_max={hi!r}",
                          "diffusers HeunDiscreteScheduler, use_karras_sigmas", used, x, sigma_precision="float32"))
        used, x = run_dpm(z, steps)
        assert np.allclose(used, karras(steps, lo, hi), rtol=1e-6, atol=0)
        cases.append(case(f"dpmpp-karras-{steps}", f"dpm-solver++:steps={steps},sigma_min={lo!r},sigma_max={hi!r}",
                          "diffusers DPMSolverMultistepScheduler dpmsolver++ order 2, use_karras_sigmas, final σ 0",
                          used, x, sigma_precision="float32"))

    sigmas = karras(18, 0.002, 80.0)
    x, _ = edm_sampler(z, sigmas)
    cases.append(case("heun-edm", "heun:steps=18", "EDM Algorithm 1 in Float64 (as edm_sampler)", sigmas, x))
    x, noise = edm_sampler(z, sigmas, churn=churn, seed=7)
    cases.append(case("heun-churn-edm", "heun-churn:steps=18", "EDM Algorithm 2 in Float64, churn noise replayed",
                      sigmas, x, noise))

    fixture = dict(
        generator="scripts/fixtures_ode.py", diffusers=diffusers.__version__, torch=torch.__version__,
        mixture=dict(weights=WEIGHTS.tolist(), means=MEANS.tolist(), stds=STDS.tolist()),
        z=z.astype(np.float64).tolist(), cases=cases)
    with open(OUT, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    print(f"wrote {os.path.normpath(OUT)}: {len(cases)} cases")


if __name__ == "__main__":
    main()
