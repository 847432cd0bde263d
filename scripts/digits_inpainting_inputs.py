"""Inputs for the inpainting pictures in docs/guidance.md, from the committed digits table.

Writes, in the folder given (default out/inpaint):
  heldout.npy      the 297 held-out digits, [297, 1, 8, 8], values v/8 - 1 as ScoreKit reads them
  heldout16.npy    the first 16 of them
  masked16.npy     the same 16 with the lower half set to -1 (black), for the "before" picture
  upper-half.npy   the mask [1, 1, 8, 8]: 1 (known) on rows 0-3, 0 (generate) on rows 4-7
  all-known.npy    a mask of ones (inpainting with it returns the data: a way to draw it as a .png)

Usage (from the repository root): python3 scripts/digits_inpainting_inputs.py [FOLDER]
"""
import pathlib
import sys

import numpy as np

out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "out/inpaint")
out.mkdir(parents=True, exist_ok=True)
rows = [line for line in open("Models/Resources/digits.csv") if not line.startswith("#")][1:]
table = np.array([[float(v) for v in line.strip().split(",")] for line in rows])
held = table[table[:, 65] == 1]
images = (held[:, :64] / 8 - 1).astype(np.float32).reshape(-1, 1, 8, 8)
np.save(out / "heldout.npy", images)
np.save(out / "heldout16.npy", images[:16])
masked = images[:16].copy()
masked[:, :, 4:, :] = -1
np.save(out / "masked16.npy", masked)
mask = np.zeros((1, 1, 8, 8), np.float32)
mask[0, 0, :4, :] = 1
np.save(out / "upper-half.npy", mask)
np.save(out / "all-known.npy", np.ones((1, 1, 8, 8), np.float32))
print(f"wrote {out}/: heldout.npy ({len(images)} digits), heldout16.npy, masked16.npy, upper-half.npy, all-known.npy")
