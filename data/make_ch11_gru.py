"""Make data/ch11_mnist1d_gru.npz: the weights of chapter 11's GRU for MNIST-1D
(`nnbook.lab.sequences.mnist1d_gru`: GRU(64) reading one value per step, then Dense(10) logits),
trained by the NumPy engine, float32.

Training (`sequences.train_mnist1d_gru`): the first 3,600 of the 4,000 training signals of
`data.load("mnist1d")` (the last 400 are the validation set, whose accuracy it prints per epoch;
the test set is not touched here), 40 epochs of mini-batches of 32, Adam from 1e-2 on a cosine
schedule, seed 0. BLAS runs on one thread, so the file is the same byte for byte on every run.

Run from the repo root: `python data/make_ch11_gru.py` (about 40 s on one core), then update
`CHECKSUMS` in lib/nnbook/book/data.py and the table in data/README.md with the sha256 it prints.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # one BLAS thread: the same sums in the same order, every run

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from nnbook.book.data import load, sha256  # noqa: E402
from nnbook.lab import sequences  # noqa: E402

N_TRAIN = 3600

out = Path(__file__).with_name("ch11_mnist1d_gru.npz")
m1d = load("mnist1d")
x = m1d.x_train[:, :, None]  # (4000, 40, 1): one value per step
with threadpool_limits(limits=1):
    model = sequences.train_mnist1d_gru(x[:N_TRAIN], m1d.y_train[:N_TRAIN], x[N_TRAIN:],
                                        m1d.y_train[N_TRAIN:], epochs=40, seed=0)
print("validation accuracy per epoch:", np.round(model.history["val_accuracy"], 3).tolist())
weights = model.get_weights()  # Keras's order: GRU kernel, recurrent kernel, bias; Dense kernel, bias
np.savez_compressed(out, **{f"w{i:02d}": w.astype(np.float32) for i, w in enumerate(weights)})
print(out, out.stat().st_size, "bytes, sha256", sha256(out))
