"""PyTorch eager peer of `scorekit bench`: the same networks, weights and sampling runs.

Loads the shipped ScoreKit checkpoints (moons: EDM-preconditioned MLP; digits: U-Net) with
scripts/torch/scorekit_torch.py and measures, with one intra-op thread (as ScoreKit runs) and
with torch's default thread count, in float32 under torch.no_grad:

  forward   the denoiser D(x; sigma) of each model at batch 1, 64 and 1024 (median of
            repeated timings, wall clock): samples/s.
  sampling  whole runs of EDM's Heun sampler at 39 NFE, as `scorekit bench` runs them:
            moons 100,000 samples, digits 2,000, in batches of 10,000 (SamplingJob's default),
            on ScoreKit's heun schedule (Karras sigmas, sigma_min 0.002, sigma_max 80, rho 7,
            20 levels; Heun steps between them, then an Euler step to sigma = 0, i.e. D(x; sigma_min)).
            Reports samples/s, denoiser evaluations (rows) per second, and the share of the run
            spent outside the network.

Prints a table, or JSON with --json.

Usage: python3 scripts/bench_torch.py [--only forward,sampling] [--repeats 50]
                                      [--sampling-repeats 1] [--json]
"""
import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent / "torch"))
from scorekit_torch import load_checkpoint  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESOURCES = ROOT / "Models" / "Resources"
MODELS = {"moons": RESOURCES / "moons.safetensors", "digits": RESOURCES / "digits.safetensors"}
SAMPLING_RUNS = [("moons", 100_000), ("digits", 2_000)]
NFE, BATCH = 39, 10_000
SIGMA_MIN, SIGMA_MAX, RHO = 0.002, 80.0, 7.0   # ScoreKit's heun defaults (Samplers/NoiseLevels.swift)


def median_seconds(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def karras_sigmas(steps):
    """(sigma_max^(1/rho) + i/(steps-1) (sigma_min^(1/rho) - sigma_max^(1/rho)))^rho, i < steps (float64)."""
    i = torch.arange(steps, dtype=torch.float64)
    lo, hi = SIGMA_MIN ** (1 / RHO), SIGMA_MAX ** (1 / RHO)
    return (hi + i / (steps - 1) * (lo - hi)) ** RHO


class Timed:
    """Calls the denoiser and adds up the wall time spent inside it and the rows it saw."""

    def __init__(self, den):
        self.den, self.seconds, self.rows = den, 0.0, 0

    def __call__(self, x, sigma):
        start = time.perf_counter()
        out = self.den(x, torch.full((x.shape[0],), sigma, dtype=torch.float64))
        self.seconds += time.perf_counter() - start
        self.rows += x.shape[0]
        return out


def heun(den, z, nfe=NFE):
    """EDM Algorithm 1 (deterministic Heun), ScoreKit's heun fitted to `nfe`: x = sigma_0 z,
    Heun steps between the Karras levels, and the last step to sigma = 0 is Euler: D(x; sigma_last)."""
    steps = (nfe + 1) // 2
    sigmas = karras_sigmas(steps).tolist()
    x = sigmas[0] * z
    for s, s_next in zip(sigmas[:-1], sigmas[1:]):
        d = (x - den(x, s)) / s
        x_next = x + (s_next - s) * d
        d_next = (x_next - den(x_next, s_next)) / s_next
        x = x + (s_next - s) * 0.5 * (d + d_next)
    return den(x, sigmas[-1])


def forward_figures(nets, batches, repeats, threads):
    out = []
    for name, den in nets.items():
        shape = den.section["network"]["sample_shape"]
        for batch in batches:
            x = torch.full((batch, *shape), 0.3)
            sigma = torch.full((batch,), 0.7, dtype=torch.float64)
            with torch.no_grad():
                seconds = median_seconds(lambda: den(x, sigma), repeats)
            out.append({"model": name, "threads": threads, "batch": batch, "samples_per_second": batch / seconds})
    return out


def sampling_figure(name, den, count, repeats, threads):
    shape = den.section["network"]["sample_shape"]
    gen = torch.Generator().manual_seed(0)
    z = torch.randn((count, *shape), generator=gen)
    with torch.no_grad():
        heun(Timed(den), z[: min(count, 64)])                      # warm-up
        runs = []
        for _ in range(repeats):
            timed = Timed(den)
            start = time.perf_counter()
            for lo in range(0, count, BATCH):
                heun(timed, z[lo: lo + BATCH])
            seconds = time.perf_counter() - start
            runs.append((seconds, timed))
    seconds, timed = sorted(runs, key=lambda r: r[0])[len(runs) // 2]
    return {"model": name, "threads": threads, "count": count, "nfe_per_sample": timed.rows / count,
            "seconds": seconds, "samples_per_second": count / seconds,
            "evaluations_per_second": timed.rows / seconds,
            "outside_network_share": max(0.0, 1 - timed.seconds / seconds)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--only", default="forward,sampling", help="parts: forward, sampling")
    p.add_argument("--batches", default="1,64,1024")
    p.add_argument("--repeats", type=int, default=50, help="timings per forward figure (median)")
    p.add_argument("--sampling-repeats", type=int, default=1, help="timed runs per sampling figure (median)")
    p.add_argument("--threads", default=None, help="thread counts to run, e.g. 1,2 (default: 1 and torch's default)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    parts = set(args.only.split(","))
    if not parts <= {"forward", "sampling"}:
        p.error(f"--only: unknown parts {sorted(parts - {'forward', 'sampling'})}; valid: forward, sampling")
    batches = [int(b) for b in args.batches.split(",")]
    default_threads = torch.get_num_threads()
    thread_counts = [int(t) for t in args.threads.split(",")] if args.threads else sorted({1, default_threads})
    nets = {name: load_checkpoint(str(path))[1]["denoiser"].eval() for name, path in MODELS.items()}
    forward, sampling = [], []
    for threads in thread_counts:
        torch.set_num_threads(threads)
        if "forward" in parts:
            forward += forward_figures(nets, batches, args.repeats, threads)
        if "sampling" in parts:
            sampling += [sampling_figure(name, nets[name], count, args.sampling_repeats, threads) for name, count in SAMPLING_RUNS]
    load = os.getloadavg()[0]
    if args.json:
        print(json.dumps({"torch": torch.__version__, "load_average": load, "default_threads": default_threads,
                          "forward": forward, "sampling": sampling}, indent=2))
        return
    print(f"torch {torch.__version__} eager, float32, no_grad; load average {load:.2f}")
    if forward:
        print("\nforward throughput (samples/s)")
        for r in forward:
            print(f"  {r['model']:7s} threads {r['threads']}  batch {r['batch']:5d}  {r['samples_per_second']:12.0f}")
    if sampling:
        print(f"\nsampling runs (heun, {NFE} NFE)")
        for r in sampling:
            print(f"  {r['model']:7s} threads {r['threads']}  {r['count']:6d} samples  {r['seconds']:8.2f} s"
                  f"  {r['samples_per_second']:10.0f} samples/s  {r['evaluations_per_second']:10.0f} evaluations/s"
                  f"  {100 * r['outside_network_share']:5.1f}% outside the network")


if __name__ == "__main__":
    main()
