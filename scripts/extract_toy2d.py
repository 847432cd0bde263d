"""Draw the 2-D sets of the common diffusion tutorials with scikit-learn into Models/Resources.

`scurve`: sklearn.datasets.make_s_curve(n, noise=0.1), columns 0 and 2 (the S seen side on),
divided by 10 -- exactly what the DDPM tutorials that train on it do, so their beta schedules
(T = 100, sigmoid betas 1e-5 ... 5e-3, whose last step is sigma ~ 0.53 in VE terms) mean the
same here: the points span about [-0.1, 0.1] x [-0.2, 0.2].
`circles`: sklearn.datasets.make_circles(n, noise=0.1, factor=0.5): radii 1 and 0.5.

Neither set is standardised: the models live in the tutorials' own coordinates, and their
sigma_data is the data's root mean square (as for digits), not 1.

Each file holds 20000 points drawn with random_state=0: the first 10000 are the training set
(heldout = 0), the other 10000 the held-out reference set (heldout = 1) that quality is measured
against. The data are synthetic (no third-party data); scikit-learn (Pedregosa et al., JMLR 12,
2011; BSD 3-Clause licence) is credited as their generator.

Output: '#' comment lines (provenance), a header `x,y,heldout`, one point per line (scurve to
5 decimals, circles to 4: quantisation far below the data's noise and the sliced-Wasserstein
floor at 10000 points).

Usage: python3 scripts/extract_toy2d.py   (from anywhere; needs scikit-learn)
"""
from pathlib import Path

import numpy as np
import sklearn
from sklearn.datasets import make_circles, make_s_curve

TRAIN, HELDOUT = 10000, 10000


def scurve(n):
    x, _ = make_s_curve(n, noise=0.1, random_state=0)
    return x[:, [0, 2]] / 10.0, 5, "make_s_curve(n_samples=20000, noise=0.1, random_state=0)[0][:, [0, 2]] / 10"


def circles(n):
    x, _ = make_circles(n, noise=0.1, factor=0.5, random_state=0)
    return x, 4, "make_circles(n_samples=20000, noise=0.1, factor=0.5, random_state=0)[0]"


def write(name, make):
    points, decimals, call = make(TRAIN + HELDOUT)
    out = Path(__file__).resolve().parent.parent / "Models" / "Resources" / f"{name}.csv"
    header = (f"# {name}: 2-D points drawn by scikit-learn {sklearn.__version__} (numpy {np.__version__}):\n"
              f"#   sklearn.datasets.{call}\n"
              f"# scikit-learn: Pedregosa et al., JMLR 12, pp. 2825-2830, 2011; BSD 3-Clause licence.\n"
              f"# Synthetic data, extracted by scripts/extract_toy2d.py. Columns: x, y, heldout.\n"
              f"# heldout = 0: the {TRAIN} training points (the first drawn); 1: the {HELDOUT} held-out reference points.\n")
    lines = ["x,y,heldout"] + [f"{x:.{decimals}f},{y:.{decimals}f},{int(i >= TRAIN)}" for i, (x, y) in enumerate(points)]
    out.write_text(header + "\n".join(lines) + "\n")
    rms = float(np.sqrt((np.round(points[:TRAIN], decimals) ** 2).mean()))
    print(f"wrote {out}: {len(points)} points, training RMS {rms:.4f}")


def main():
    write("scurve", scurve)
    write("circles", circles)


if __name__ == "__main__":
    main()
