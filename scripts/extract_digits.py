"""Extract the UCI optical digits as shipped by scikit-learn into Models/Resources/digits.csv.

The data: "Optical Recognition of Handwritten Digits" by E. Alpaydin and C. Kaynak (1998),
UCI Machine Learning Repository, https://doi.org/10.24432/C50P49, licensed under Creative
Commons Attribution 4.0 (CC BY 4.0). scikit-learn's `load_digits` ships its 1797 test images
(8x8, values 0-16, from 43 writers disjoint from the training writers).

Output: comment lines starting with '#' (attribution), a header line, then one image per line:
64 pixel values (row-major, 0-16) and the label. ScoreKit keeps the first 1500 rows for
training and holds out the last 297.

Usage: python3 scripts/extract_digits.py   (from the repository root; needs scikit-learn)
"""
from pathlib import Path

from sklearn.datasets import load_digits

HEADER = """# UCI Optical Recognition of Handwritten Digits (E. Alpaydin, C. Kaynak, 1998),
# as shipped by scikit-learn (sklearn.datasets.load_digits): 1797 images, 8x8, values 0-16.
# Source: UCI Machine Learning Repository, https://doi.org/10.24432/C50P49
# License: Creative Commons Attribution 4.0 International (CC BY 4.0),
#          https://creativecommons.org/licenses/by/4.0/
# Extracted by scripts/extract_digits.py. Columns: p0..p63 (row-major pixels), label.
# ScoreKit uses rows 1-1500 for training and rows 1501-1797 (297 images) as the held-out set.
"""


def main():
    digits = load_digits()
    out = Path(__file__).resolve().parent.parent / "Models" / "Resources" / "digits.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    lines = [",".join([f"p{i}" for i in range(64)] + ["label"])]
    for image, label in zip(digits.data.astype(int), digits.target):
        lines.append(",".join(str(v) for v in image) + f",{label}")
    out.write_text(HEADER + "\n".join(lines) + "\n")
    print(f"wrote {out} ({len(digits.data)} images)")


if __name__ == "__main__":
    main()
