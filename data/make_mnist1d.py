"""Make data/mnist1d.npz: MNIST-1D (Greydanus & Kobak, 2024) generated offline, reference arguments.

Run from the repo root: `python data/make_mnist1d.py`, then update `CHECKSUMS` in
lib/nnbook/book/data.py and the table in data/README.md with the sha256 it prints.
"""

from pathlib import Path

import numpy as np

from nnbook.book.data import make_mnist1d, sha256

out = Path(__file__).with_name("mnist1d.npz")
arrays = make_mnist1d()
np.savez_compressed(out, **{k: v.astype(np.float32) if k.startswith("x") else v.astype(np.int64)
                            for k, v in arrays.items()})
print(out, out.stat().st_size, "bytes, sha256", sha256(out))
