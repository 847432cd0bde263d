#!/usr/bin/env python3
"""Reference fixtures for ScoreKit's multistep exponential solvers (dpm-solver++ orders 1–3 and
its SDE variants, unipc, deis).

Writes Tests/Fixtures/multistep_parity.json: the 3-component Gaussian mixture in 3-D of
scripts/fixtures_ode.py, 8 standard-normal draws z, and for each case the ScoreKit spec, the σ's
the reference used (before its final σ = 0), any injected noise, and the reference's final
samples from the same z:

- dpm-solver++ (ODE) vs diffusers DPMSolverMultistepScheduler (dpmsolver++, solver_order 1–3,
  lower_order_final, final_sigmas_type="zero"), with Karras σ's (use_karras_sigmas; ScoreKit is
  given the same σ_min/σ_max, the ends of diffusers' DDPM table) and with its default σ's
  (timestep_spacing="linspace": ScoreKit's schedule=discrete,spacing=linspace-no-zero).
- unipc vs diffusers UniPCMultistepScheduler (bh1/bh2, solver_order 1–3, corrector on or off via
  disable_corrector, final_sigmas_type="zero"). With a final σ of 0 the last step is first order
  and returns the model's x0 estimate at the uncorrected point; diffusers' bh1 computes it as
  x0 − (−∞)·0 = NaN, so the script takes that estimate (the scheduler's last model output) as
  the result, and checks for bh2 that it is what diffusers returns.
- deis vs diffusers DEISMultistepScheduler (logrho, solver_order 1–3). diffusers ends at σ_min:
  with Karras σ's by a zero-length last step, with its default σ's by a step from σ(t=100) to
  σ(t=0) — the script follows diffusers' output with D(x; σ_last), ScoreKit's final step to 0.
  The default-σ cases give ScoreKit diffusers' N + 1 σ's as a custom list, at N ≥ 15 where
  neither applies lower_order_final (below 15 their last-step rules count different steps).
- dpm-solver++:sde=true vs k-diffusion's sample_dpmpp_2m_sde (midpoint, heun) and
  sample_dpmpp_3m_sde in Float64 on Karras σ's (σ_min 0.002, σ_max 80) ending at 0, with a
  noise_sampler that returns stored Float32 normals, replayed in ScoreKit.

diffusers sees the closed-form denoiser through its own conventions: VP input
x_VP = x_VE/√(1+σ²) and ε-prediction, ε = (x_VE − D(x_VE; σ))/σ at the scheduler's own σ.
Its state starts from σ_0·z/√(1+σ_0²) and ends at σ = 0, where both coordinates agree.

Usage: python3 scripts/fixtures_multistep.py   (needs numpy, torch, diffusers, k-diffusion;
run from the repo root). k-diffusion's package imports torchvision and clip, which do not load
here; the script loads only its `utils` and `sampling` modules, with torchvision stubbed out.
"""
import json
import math
import os

import numpy as np
import torch
import diffusers
from diffusers import DEISMultistepScheduler, DPMSolverMultistepScheduler, UniPCMultistepScheduler

import kdiffusion_sampling
from fixtures_ode import MEANS, STDS, WEIGHTS, denoise

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "multistep_parity.json")

TABLE = dict(beta_start=1e-4, beta_end=0.02, beta_schedule="linear")


def karras(n, sigma_min, sigma_max, rho=7.0):
    ramp = np.arange(n) / (n - 1)
    a, b = sigma_max ** (1 / rho), sigma_min ** (1 / rho)
    return (a + ramp * (b - a)) ** rho


def table_range():
    """The ends of diffusers' (float32) DDPM linear table, which its karras σ's span."""
    s = DPMSolverMultistepScheduler(**TABLE)
    table = np.array(((1 - s.alphas_cumprod) / s.alphas_cumprod) ** 0.5)
    return float(table[0]), float(table[-1])


def run_diffusers(sched, z, steps, corrector_off=False):
    """Steps a diffusers multistep scheduler from σ_0·z with the closed-form ε-model; returns the
    σ's (float32, as the scheduler stores them), the final VP state and the last x0 estimate."""
    sched.set_timesteps(steps)
    if corrector_off:
        sched.disable_corrector = list(range(len(sched.timesteps)))
    sigma0 = float(sched.sigmas[0])
    x = torch.from_numpy((sigma0 * z / math.sqrt(1 + sigma0**2)).astype(np.float32))
    for i, t in enumerate(sched.timesteps):
        sigma = float(sched.sigmas[i])
        x_ve = x.double().numpy() * math.sqrt(1 + sigma**2)
        eps = torch.from_numpy(((x_ve - denoise(x_ve, sigma)) / sigma).astype(np.float32))
        x = sched.step(eps, t, x).prev_sample
    return sched.sigmas.double().numpy(), x.double().numpy(), sched.model_outputs[-1].double().numpy()


def f32(a):
    """Float32 values as their shortest decimals (exact once read back as Float32)."""
    return [[float(repr(np.float32(v))) for v in row] for row in np.asarray(a)]


def case(name, spec, reference, sigmas, expected, noise=(), sigma_precision="float32"):
    expected = [[float(f"{v:.10g}") for v in row] for row in np.asarray(expected)]
    return dict(name=name, spec=spec, reference=reference, sigmas=[float(s) for s in sigmas],
                sigma_precision=sigma_precision, noise=[f32(d) for d in noise], expected=expected)


def precision(kind):
    """How the reference's σ's were computed: Karras σ's in Float64 then stored as Float32;
    the default σ's from diffusers' DDPM table, a Float32 cumulative product of 1000 factors
    (within 3e-6 of the Float64 table ScoreKit computes)."""
    return "float32" if kind == "karras" else "float32-table"


def dpm_cases(z, lo, hi):
    out = []
    for kind, steps_list in (("karras", (8, 16)), ("default", (10, 20))):
        for order, solver_type in ((1, "midpoint"), (2, "midpoint"), (2, "heun"), (3, "midpoint")):
            if kind == "default" and solver_type == "heun":
                continue
            for steps in steps_list:
                sched = DPMSolverMultistepScheduler(**TABLE, algorithm_type="dpmsolver++", solver_order=order,
                                                    solver_type=solver_type, lower_order_final=True,
                                                    final_sigmas_type="zero", use_karras_sigmas=kind == "karras")
                sigmas, x, _ = run_diffusers(sched, z, steps)
                keys = f"steps={steps},order={order}" + (",solver_type=heun" if solver_type == "heun" else "")
                keys += f",sigma_min={lo!r},sigma_max={hi!r}" if kind == "karras" else ",schedule=discrete,spacing=linspace-no-zero"
                out.append(case(f"dpmpp-{order}{solver_type[0]}-{kind}-{steps}", "dpm-solver++:" + keys,
                                f"diffusers DPMSolverMultistepScheduler dpmsolver++ order {order} {solver_type}, {kind} σ's, final σ 0",
                                sigmas[:-1], x, sigma_precision=precision(kind)))
    return out


def unipc_cases(z, lo, hi):
    out = []
    for kind, steps_list in (("karras", (8, 16)), ("default", (10,))):
        for variant in ("bh1", "bh2"):
            for order in (1, 2, 3):
                for corrector in (True, False):
                    if kind == "default" and (order == 1 or not corrector):
                        continue
                    for steps in steps_list:
                        sched = UniPCMultistepScheduler(**TABLE, solver_order=order, solver_type=variant,
                                                        final_sigmas_type="zero", use_karras_sigmas=kind == "karras")
                        sigmas, x, x0 = run_diffusers(sched, z, steps, corrector_off=not corrector)
                        if variant == "bh2":
                            assert np.allclose(x, x0, rtol=1e-6, atol=1e-6)
                        keys = f"steps={steps},order={order},variant={variant},corrector={str(corrector).lower()}"
                        keys += f",sigma_min={lo!r},sigma_max={hi!r}" if kind == "karras" else ",schedule=discrete,spacing=linspace-no-zero"
                        out.append(case(f"unipc-{variant}-{order}{'c' if corrector else ''}-{kind}-{steps}", "unipc:" + keys,
                                        f"diffusers UniPCMultistepScheduler {variant} order {order}, corrector {corrector}, {kind} σ's, final σ 0",
                                        sigmas[:-1], x0, sigma_precision=precision(kind)))
    return out


def deis_cases(z, lo, hi):
    out = []
    for order in (1, 2, 3):
        for steps in (8, 16):
            sched = DEISMultistepScheduler(**TABLE, solver_order=order, use_karras_sigmas=True)
            sigmas, x, _ = run_diffusers(sched, z, steps)
            assert sigmas[-1] == sigmas[-2]                     # the zero-length last step
            x = denoise(x, sigmas[-1])
            out.append(case(f"deis-{order}-karras-{steps}", f"deis:steps={steps},order={order},sigma_min={lo!r},sigma_max={hi!r}",
                            f"diffusers DEISMultistepScheduler logrho order {order}, karras σ's, then D(x; σ_min)",
                            sigmas[:-1], x))
        for steps in (15, 20):
            sched = DEISMultistepScheduler(**TABLE, solver_order=order)
            sigmas, x, _ = run_diffusers(sched, z, steps)
            x = denoise(x, sigmas[-1])
            listed = "/".join(repr(float(s)) for s in sigmas)
            out.append(case(f"deis-{order}-default-{steps}", f"deis:order={order},schedule=custom,sigmas={listed}",
                            f"diffusers DEISMultistepScheduler logrho order {order}, default σ's (to σ(t=0)), then D(x; σ(t=0))",
                            sigmas, x))
    return out


def sde_cases(z, sampling):
    out = []
    rng = np.random.default_rng(12)
    model = lambda x, s: torch.from_numpy(denoise(x.numpy(), float(s[0])))
    configs = [("2m", "midpoint", 1.0, 1.0, 8), ("2m", "heun", 1.0, 1.0, 8), ("2m", "midpoint", 0.5, 1.2, 16),
               ("3m", None, 1.0, 1.0, 8), ("3m", None, 0.5, 1.2, 16)]
    for method, solver_type, eta, s_noise, steps in configs:
        if True:
            sigmas = np.append(karras(steps, 0.002, 80.0), 0.0)
            draws = [rng.standard_normal(z.shape).astype(np.float32).astype(np.float64) for _ in range(steps - 1)]
            queue = list(draws)
            noise_sampler = lambda sigma, sigma_next: torch.from_numpy(queue.pop(0))
            x = torch.from_numpy(80.0 * z.astype(np.float64))
            kwargs = dict(eta=eta, s_noise=s_noise, noise_sampler=noise_sampler, disable=True)
            if method == "2m":
                x = sampling.sample_dpmpp_2m_sde(model, x, torch.from_numpy(sigmas), solver_type=solver_type, **kwargs)
            else:
                x = sampling.sample_dpmpp_3m_sde(model, x, torch.from_numpy(sigmas), **kwargs)
            assert not queue
            order = 2 if method == "2m" else 3
            keys = f"steps={steps},order={order},sde=true" + (f",solver_type={solver_type}" if order == 2 else "")
            keys += f",eta={eta:g},s_noise={s_noise:g}"
            name = f"dpmpp-{method}-sde-{solver_type or ''}-{eta:g}-{steps}"
            out.append(case(name, "dpm-solver++:" + keys,
                            f"k-diffusion sample_dpmpp_{method}_sde{' ' + solver_type if solver_type else ''} in Float64, "
                            f"eta {eta:g}, s_noise {s_noise:g}, karras σ's, noise replayed",
                            sigmas[:-1], x.numpy(), draws, sigma_precision="float64"))
    return out


def main():
    torch.set_grad_enabled(False)
    sampling, _ = kdiffusion_sampling.load()
    z = np.random.default_rng(2023).standard_normal((8, 3)).astype(np.float32)
    lo, hi = table_range()
    cases = dpm_cases(z, lo, hi) + unipc_cases(z, lo, hi) + deis_cases(z, lo, hi) + sde_cases(z, sampling)
    # the default σ's by a DDPM table ScoreKit computes in Float64: the timesteps diffusers uses
    timesteps = {n: DPMSolverMultistepScheduler(**TABLE) for n in (10, 20)}
    for n, s in timesteps.items():
        s.set_timesteps(n)
    fixture = dict(
        generator="scripts/fixtures_multistep.py", diffusers=diffusers.__version__, torch=torch.__version__,
        mixture=dict(weights=WEIGHTS.tolist(), means=MEANS.tolist(), stds=STDS.tolist()),
        linspace_timesteps={str(n): s.timesteps.tolist() for n, s in timesteps.items()},
        z=f32(z), cases=cases)
    with open(OUT, "w") as f:
        json.dump(fixture, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {os.path.normpath(OUT)}: {len(cases)} cases, {os.path.getsize(OUT)} bytes")


if __name__ == "__main__":
    main()
