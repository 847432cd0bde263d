#!/usr/bin/env python3
"""Closed-form fixture for the sigmoid beta schedule (`betas=sigmoid`), in float64 numpy.

    beta_t = sigmoid(linspace(-6, 6, T))_t * (beta_end - beta_start) + beta_start,
    alpha_bar_t = prod_{s <= t} (1 - beta_s),  sigma_t = sqrt((1 - alpha_bar_t) / alpha_bar_t)

for the DDPM tutorials' T = 100, 1e-5 ... 5e-3, DDPM's range 1e-4 ... 0.02 at T = 10, and the
smallest table, T = 2. Also checks that diffusers' DDPMScheduler(beta_schedule="sigmoid"), which
computes the same formula in float32, agrees to float32 precision (so `betas=sigmoid` is the
schedule diffusers calls sigmoid). Writes Tests/Fixtures/sigmoid_betas.json, read by
Tests/ScoreKitSamplersTests/SigmoidBetaScheduleTests.swift (agreement to 1e-12).

Usage: python3 scripts/fixtures_sigmoid_betas.py   (numpy; diffusers for the cross-check)
"""
import json
import pathlib

import numpy as np

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "Fixtures" / "sigmoid_betas.json"
CASES = [(100, 1e-5, 5e-3), (10, 1e-4, 0.02), (2, 1e-4, 0.02)]


def table(T, start, end):
    x = np.linspace(-6.0, 6.0, T, dtype=np.float64)
    betas = 1.0 / (1.0 + np.exp(-x)) * (end - start) + start
    alpha_bar = np.cumprod(1.0 - betas)
    return betas, alpha_bar, np.sqrt((1.0 - alpha_bar) / alpha_bar)


def main():
    cases = []
    for T, start, end in CASES:
        betas, alpha_bar, sigmas = table(T, start, end)
        try:
            from diffusers import DDPMScheduler
            theirs = DDPMScheduler(num_train_timesteps=T, beta_start=start, beta_end=end, beta_schedule="sigmoid").betas
            assert np.allclose(theirs.double().numpy(), betas, rtol=1e-6, atol=1e-9), (T, start, end)
        except ImportError:
            print("diffusers not installed: skipped the cross-check")
        cases.append({"T": T, "beta_start": start, "beta_end": end, "betas": betas.tolist(),
                      "alphas_cumprod": alpha_bar.tolist(), "sigmas": sigmas.tolist()})
    OUT.write_text(json.dumps({"made_by": "scripts/fixtures_sigmoid_betas.py", "numpy": np.__version__,
                               "cases": cases}, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
