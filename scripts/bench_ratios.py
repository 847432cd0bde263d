"""The ScoreKit/PyTorch table of docs/performance.md from `scorekit bench --json` and
`scripts/bench_torch.py --json` outputs taken in one sitting.

Each figure is the best (highest throughput) over the runs given: on a shared machine other
processes only ever slow a run down, so the best run is the least disturbed one.

Usage: python3 scripts/bench_ratios.py --scorekit sk1.json sk2.json --torch torch1.json torch2.json
"""
import argparse
import json

NETWORKS = {"moons": "moons denoiser (mlp-denoiser)", "digits": "digits denoiser (unet)"}


def best(values):
    values = [v for v in values if v is not None]
    return max(values) if values else None


def scorekit_forward(runs, model, batch, threads):
    """ScoreKit names its forward entries by network; the all-core entry adds ", N threads"."""
    name = NETWORKS[model] + ("" if threads == 1 else f", {threads} threads")
    return best([f["samples_per_second"] for run in runs for f in run.get("forward", [])
                 if f.get("network") == name and f["batch"] == batch])


def torch_forward(runs, model, batch, threads):
    return best([f["samples_per_second"] for run in runs for f in run.get("forward", [])
                 if f.get("model") == model and f["batch"] == batch and f["threads"] == threads])


def sampling(runs, model, key, threads):
    return best([f[key] for run in runs for f in run.get("sampling", [])
                 if f["model"] == model and f.get("threads", 1) == threads])


def cell(value):
    return "–" if value is None else f"{value:,.0f}"


def ratio(a, b):
    return "–" if a is None or b is None else f"{a / b:.2f}"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--scorekit", nargs="+", required=True)
    p.add_argument("--torch", nargs="+", required=True)
    args = p.parse_args()
    sk = [json.load(open(path)) for path in args.scorekit]
    pt = [json.load(open(path)) for path in args.torch]
    n = max(t for run in pt for t in [f["threads"] for f in run.get("forward", []) + run.get("sampling", [])])
    print(f"| figure | ScoreKit 1 thread | PyTorch 1 thread | ratio | ScoreKit {n} threads "
          f"| PyTorch {n} threads | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    rows = []
    for model in ("moons", "digits"):
        for batch in (1, 64, 1024):
            rows.append((f"{model} denoiser forward, batch {batch} (samples/s)",
                         *[f(runs, model, batch, t) for t in (1, n) for f, runs in
                           ((scorekit_forward, sk), (torch_forward, pt))]))
    for model in ("moons", "digits"):
        count = best([f["count"] for run in sk for f in run.get("sampling", []) if f["model"] == model])
        for key, label in (("samples_per_second", "samples/s"), ("evaluations_per_second", "evaluations/s")):
            rows.append((f"{model} heun 39 NFE × {cell(count)} ({label})",
                         *[sampling(runs, model, key, t) for t in (1, n) for runs in (sk, pt)]))
    for name, a1, b1, an, bn in rows:
        print(f"| {name} | {cell(a1)} | {cell(b1)} | {ratio(a1, b1)} | {cell(an)} | {cell(bn)} | {ratio(an, bn)} |")
    print()
    for model in ("moons", "digits"):
        def share(runs, t):
            return [f["outside_network_share"] for run in runs for f in run.get("sampling", [])
                    if f["model"] == model and f.get("threads", 1) == t]
        fmt = lambda v: "/".join(f"{100 * x:.1f}%" for x in v) or "–"
        print(f"- {model}: time outside the network: ScoreKit 1 thread {fmt(share(sk, 1))}, {n} threads "
              f"{fmt(share(sk, n))}; PyTorch 1 thread {fmt(share(pt, 1))}, {n} threads {fmt(share(pt, n))}")
    loads = [run.get("load_average") for run in sk + pt]
    print(f"- load average at the start of each run: {', '.join(f'{x:.1f}' for x in loads if x is not None)}")


if __name__ == "__main__":
    main()
