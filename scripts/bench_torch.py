"""PyTorch eager peer of `scorekit bench` for the MLP denoiser: same architecture, same weights.

Loads a ScoreKit checkpoint (default: the shipped moons model) with scripts/torch/scorekit_torch.py
and times the EDM-preconditioned denoiser D(x; sigma) at batch 1, 64 and 1024 (median of
repeated timings, wall clock, torch.no_grad, float32), with one intra-op thread (as ScoreKit
runs) and with torch's default thread count. Prints a table, or JSON with --json.

Usage: python3 scripts/bench_torch.py [--model Models/Resources/moons.safetensors] [--repeats 200] [--json]
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


def median_seconds(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default=str(ROOT / "Models" / "Resources" / "moons.safetensors"))
    p.add_argument("--repeats", type=int, default=200)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    _, nets = load_checkpoint(args.model)
    den = nets["denoiser"].eval()
    results = []
    for threads in (1, torch.get_num_threads()):
        torch.set_num_threads(threads)
        for batch in (1, 64, 1024):
            x = torch.full((batch, 2), 0.3)
            sigma = torch.full((batch,), 0.7, dtype=torch.float64)
            with torch.no_grad():
                seconds = median_seconds(lambda: den(x, sigma), args.repeats)
            results.append({"threads": threads, "batch": batch, "samples_per_second": batch / seconds})
    load = os.getloadavg()[0]
    if args.json:
        print(json.dumps({"torch": torch.__version__, "load_average": load, "forward": results}, indent=2))
        return
    print(f"torch {torch.__version__} eager, MLP denoiser of {args.model}; load average {load:.2f}")
    for r in results:
        print(f"  threads {r['threads']}  batch {r['batch']:5d}  {r['samples_per_second']:12.0f} samples/s")


if __name__ == "__main__":
    main()
