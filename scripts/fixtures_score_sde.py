#!/usr/bin/env python3
"""Reference runs of diffusers' ScoreSdeVeScheduler for ScoreKit's reverse-SDE parity tests.

Writes Tests/Fixtures/score_sde_ve.json: for each case, the standard-normal initial noise z,
every normal draw the scheduler made (in order, stacked over the samples), and the outputs.
ScoreKit's test replays the draws with `ReplayNoise` and must reproduce the outputs.

The loop is diffusers' ScoreSdeVePipeline: x = sigma_max * z; at each of the N timesteps
t = linspace(1, eps, N), `correct_steps` corrector steps (`step_correct`), then a predictor step
(`step_pred`); the result is the last `prev_sample_mean`, not clamped to [0, 1] (the pipeline's
image post-processing). The model is the exact score of ScoreKit's gmm2d,
0.8 N((5,5), I) + 0.2 N((-5,-5), I): score = (D(x; sigma) - x) / sigma^2 with the closed-form
denoiser D, computed in float64.

Which sigma the model sees. The pipeline passes sigma(t_i) = sigma_min (sigma_max/sigma_min)^t_i,
but `step_pred` takes its step from an eps-free grid, sigma_min (sigma_max/sigma_min)^(j/(N-1))
with j = floor(t_i (N-1)) (score_sde's VESDE.discretize does the same). ScoreKit uses sigma(t_i)
for both. The two grids differ by at most eps ln(sigma_max/sigma_min), 8.5e-5 in log sigma, but
the per-sample corrector step 2 (snr |z| / |score|)^2 amplifies that to ~1e-3 in the output. So:
  * model_sigma="pipeline" cases are the pipeline as shipped (reverse diffusion only);
  * model_sigma="step" cases hand the model the sigma of the step (discrete_sigmas[j]), so one
    grid is used throughout; ScoreKit reproduces them with eps=0, where sigma(t_i) is that grid.

Noise injection: the scheduler draws its noise with `randn_tensor`, which
diffusers.schedulers.scheduling_sde_ve imports into its own namespace. We replace that name
with a function that takes the next draw from a seeded NumPy generator (float32), records it and
returns it as a tensor. Nothing else in diffusers is touched.

Per-sample norms: `step_correct` averages the score and noise norms over the batch. ScoreKit uses
each sample's own norms. We therefore run the reference one sample at a time (batch of 1), where
the batch mean of a norm is that sample's norm, and stack the per-sample draws afterwards.

Run: python3 scripts/fixtures_score_sde.py   (needs torch and diffusers; diffusers 0.42.1 used)
"""
import json
import pathlib

import numpy as np
import torch
import diffusers
from diffusers import ScoreSdeVeScheduler
import diffusers.schedulers.scheduling_sde_ve as sde_ve

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "Fixtures" / "score_sde_ve.json"

WEIGHTS = np.array([0.8, 0.2])
MEANS = np.array([[5.0, 5.0], [-5.0, -5.0]])
STD = 1.0
SIGMA_MIN, SIGMA_MAX, EPS, SNR = 0.01, 50.0, 1e-5, 0.16


def denoise(x, sigma):
    """The exact denoiser E[x0 | x0 + sigma n = x] of the mixture, float64, row by row."""
    var = STD ** 2 + sigma ** 2
    logits = np.log(WEIGHTS)[None, :] - ((x[:, None, :] - MEANS[None, :, :]) ** 2).sum(-1) / (2 * var)
    resp = np.exp(logits - logits.max(1, keepdims=True))
    resp /= resp.sum(1, keepdims=True)
    shrink = STD ** 2 / var
    return np.einsum("nk,nkd->nd", resp, MEANS[None] + shrink * (x[:, None, :] - MEANS[None]))


def score_model(sample, sigma):
    """The score ScoreKit's sampler sees: its Denoiser returns D in float32, and the score is
    (D - x) / sigma^2 from that. Rounding D first matters: in 2-D the per-sample corrector step
    2 (snr |z| / |score|)^2 amplifies a last-digit difference in D to ~1e-4 in the output."""
    x = sample.double().numpy()
    s = float(sigma)
    d = denoise(x, s).astype(np.float32).astype(np.float64)
    return torch.from_numpy(((d - x) / s ** 2).astype(np.float32))


class RecordedNoise:
    """Stands in for diffusers' randn_tensor: seeded NumPy draws, recorded in order."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.draws = []

    def __call__(self, shape, generator=None, device=None, dtype=None, layout=None, **_):
        draw = self.rng.standard_normal(tuple(shape)).astype(np.float32)
        self.draws.append(draw)
        return torch.from_numpy(draw.copy())


def run_one(z_row, steps, correct_steps, seed, model_sigma):
    """The pipeline loop for one sample; returns (output, draws)."""
    scheduler = ScoreSdeVeScheduler(num_train_timesteps=steps, snr=SNR, sigma_min=SIGMA_MIN,
                                    sigma_max=SIGMA_MAX, sampling_eps=EPS, correct_steps=correct_steps)
    noise = RecordedNoise(seed)
    sde_ve.randn_tensor = noise
    sample = torch.from_numpy(z_row[None, :].copy()) * scheduler.init_noise_sigma
    scheduler.set_timesteps(steps)
    scheduler.set_sigmas(steps)
    sample_mean = sample
    for i, t in enumerate(scheduler.timesteps):
        if model_sigma == "pipeline":
            sigma_t = scheduler.sigmas[i]
        else:  # the sigma step_pred uses, found the way step_pred finds it
            sigma_t = scheduler.discrete_sigmas[(t * torch.ones(1) * (steps - 1)).long()][0]
        for _ in range(scheduler.config.correct_steps):
            sample = scheduler.step_correct(score_model(sample, sigma_t), sample).prev_sample
        output = scheduler.step_pred(score_model(sample, sigma_t), t, sample)
        sample, sample_mean = output.prev_sample, output.prev_sample_mean
    return sample_mean[0].numpy(), noise.draws


def case(name, spec, z, steps, correct_steps, seed, model_sigma):
    outputs, draws = [], []
    for r in range(len(z)):
        out, d = run_one(z[r], steps, correct_steps, seed * 1000 + r, model_sigma)
        outputs.append(out)
        draws.append(d)
    count = len(draws[0])
    assert all(len(d) == count for d in draws)
    stacked = [np.concatenate([draws[r][k] for r in range(len(z))], 0).tolist() for k in range(count)]
    return {"name": name, "sampler": spec, "model_sigma": model_sigma, "z": z.tolist(), "noise": stacked,
            "output": np.stack(outputs).tolist()}


def main():
    z = np.random.default_rng(2019).standard_normal((6, 2)).astype(np.float32)
    common = f"sde=ve,sigma_min={SIGMA_MIN:g},sigma_max={SIGMA_MAX:g}"
    pipeline, step = f"{common},eps={EPS:g}", f"{common},eps=0"
    cases = [
        case("reverse-diffusion N=30, pipeline σ", f"reverse-diffusion:steps=30,{pipeline}", z, 30, 0, 1, "pipeline"),
        case("reverse-diffusion N=30, step σ", f"reverse-diffusion:steps=30,{step}", z, 30, 0, 1, "step"),
        case("pc N=30, 1 corrector, step σ", f"pc:steps=30,correctors=1,corrector=langevin,snr={SNR:g},{step}", z, 30, 1, 2, "step"),
        case("pc N=20, 2 correctors, step σ", f"pc:steps=20,correctors=2,corrector=langevin,snr={SNR:g},{step}", z, 20, 2, 3, "step"),
    ]
    fixture = {
        "source": "scripts/fixtures_score_sde.py",
        "reference": f"diffusers {diffusers.__version__} ScoreSdeVeScheduler (pipeline loop, one sample at a time)",
        "model": "gmm2d: 0.8 N((5,5), I) + 0.2 N((-5,-5), I), exact score",
        "cases": cases,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(fixture, separators=(",", ":")) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
