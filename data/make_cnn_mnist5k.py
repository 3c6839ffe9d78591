"""Make data/cnn_mnist5k.npz: the weights of chapter 10's CNN (`nnbook.lab.convnets.mnist_cnn`)
trained by the NumPy engine on MNIST-5k, float32.

Training: the first 3,500 of the 4,000 training images of `data.load("mnist5k")` (the last 500
are the validation set, whose accuracy it prints per epoch; the test set is not touched here),
EPOCHS epochs of mini-batches of 32 shifted by up to 2 pixels, Adam from 5e-3 on a cosine
schedule, seed 0. BLAS runs on one thread, so the file is the same byte for byte on every run.

Run from the repo root: `python data/make_cnn_mnist5k.py` (a few minutes on one core), then update
`CHECKSUMS` in lib/nnbook/book/data.py and the table in data/README.md with the sha256 it prints.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # one BLAS thread: the same sums in the same order, every run

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from nnbook.book.data import load, sha256  # noqa: E402
from nnbook.lab import convnets  # noqa: E402

EPOCHS, N_TRAIN = 30, 3500

out = Path(__file__).with_name("cnn_mnist5k.npz")
mnist = load("mnist5k")
x = mnist.x_train.reshape(-1, *convnets.IMAGE)
with threadpool_limits(limits=1):
    model = convnets.train_cnn(x[:N_TRAIN], mnist.y_train[:N_TRAIN], x[N_TRAIN:], mnist.y_train[N_TRAIN:],
                               epochs=EPOCHS, seed=0)
print("validation accuracy per epoch:", np.round(model.history["val_accuracy"], 3).tolist())
weights = model.get_weights()  # Keras's order: kernel, bias of every layer in turn
np.savez_compressed(out, **{f"w{i:02d}": w.astype(np.float32) for i, w in enumerate(weights)})
print(out, out.stat().st_size, "bytes, sha256", sha256(out))
