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


def forward(runs, model, batch, threads=None):
    out = []
    for run in runs:
        for f in run.get("forward", []):
            if threads is None and f.get("network") == NETWORKS[model] and f["batch"] == batch:
                out.append(f["samples_per_second"])
            if threads is not None and f.get("model") == model and f["batch"] == batch and f["threads"] == threads:
                out.append(f["samples_per_second"])
    return best(out)


def sampling(runs, model, key, threads=None):
    return best([f[key] for run in runs for f in run.get("sampling", [])
                 if f["model"] == model and (threads is None or f["threads"] == threads)])


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
    threads = max(t for run in pt for t in [f["threads"] for f in run.get("forward", []) + run.get("sampling", [])])
    print(f"| figure | ScoreKit, 1 thread | PyTorch, 1 thread | PyTorch, {threads} threads "
          f"| ScoreKit/PyTorch 1 thread | ScoreKit/PyTorch {threads} threads |")
    print("|---|---:|---:|---:|---:|---:|")
    rows = []
    for model in ("moons", "digits"):
        for batch in (1, 64, 1024):
            rows.append((f"{model} denoiser forward, batch {batch} (samples/s)", forward(sk, model, batch),
                         forward(pt, model, batch, 1), forward(pt, model, batch, threads)))
    for model in ("moons", "digits"):
        count = best([f["count"] for run in sk for f in run.get("sampling", []) if f["model"] == model])
        for key, label in (("samples_per_second", "samples/s"), ("evaluations_per_second", "evaluations/s")):
            rows.append((f"{model} heun 39 NFE × {cell(count)} ({label})", sampling(sk, model, key),
                         sampling(pt, model, key, 1), sampling(pt, model, key, threads)))
    for name, a, b, c in rows:
        print(f"| {name} | {cell(a)} | {cell(b)} | {cell(c)} | {ratio(a, b)} | {ratio(a, c)} |")
    print()
    for model in ("moons", "digits"):
        share = lambda runs, t=None: [f["outside_network_share"] for run in runs for f in run.get("sampling", [])
                                      if f["model"] == model and (t is None or f["threads"] == t)]
        fmt = lambda v: "/".join(f"{100 * x:.1f}%" for x in v) or "–"
        print(f"- {model}: time outside the network: ScoreKit {fmt(share(sk))}, "
              f"PyTorch 1 thread {fmt(share(pt, 1))}, {threads} threads {fmt(share(pt, threads))}")
    loads = [run.get("load_average") for run in sk + pt]
    print(f"- load average at the start of each run: {', '.join(f'{x:.1f}' for x in loads if x is not None)}")


if __name__ == "__main__":
    main()
