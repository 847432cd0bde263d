#!/usr/bin/env python3
"""Small array files written by numpy and the safetensors library, for ScoreKit's reader tests.

Writes Tests/Fixtures/formats/{f4.npy, f8.npy, vector.npy, samples.safetensors, f16.safetensors}.
The values are arange-based so the tests can check them exactly.
Usage: python3 scripts/fixtures_formats.py   (numpy, torch 2.13 CPU, safetensors)
"""
import pathlib

import numpy as np
import torch
from safetensors.numpy import save_file
from safetensors.torch import save_file as save_torch

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "Fixtures" / "formats"
OUT.mkdir(parents=True, exist_ok=True)
values = (np.arange(12, dtype=np.float64) - 5.5) / 4          # exactly representable
np.save(OUT / "f4.npy", values.reshape(4, 3).astype(np.float32))
np.save(OUT / "f8.npy", values.reshape(2, 2, 3))
np.save(OUT / "vector.npy", values.astype(np.float32))
save_file({"samples": values.reshape(6, 2).astype(np.float32)}, OUT / "samples.safetensors",
          metadata={"written_by": "safetensors.numpy"})
save_torch({"z": torch.tensor(values.reshape(3, 4), dtype=torch.float16),
            "w": torch.tensor(values.reshape(12), dtype=torch.bfloat16)}, OUT / "f16.safetensors")
print("wrote", sorted(p.name for p in OUT.iterdir()))
