"""Make data/ch14_transfer.npz: chapter 14's learning curves (`nnbook.lab.transfer.compare`).

**The chosen pair.** Source: chapter 10's CNN as shipped (`data.weights("cnn_mnist5k")`, trained on
3,500 MNIST-5k images of all ten digits). Target: scikit-learn's 8 x 8 digits in MNIST's frame
(`transfer.digits_as_mnist`); the 899 training images of `data.load("digits")` are cut
(`transfer.carve(899, 200, seed=0)`) into a pool of 699 and 200 validation images; the 898 test
images are scored once per run. For every size k in `SIZES` (None: the whole pool) and every seed
in `SEEDS`, `transfer.per_class(y_pool, k, seed)` draws the labelled images and `compare` trains the
four methods with that seed. Arrays `test`, `val`: (method, size, seed) accuracies; `l2_raw`,
`l2_features`: (size, seed) the penalties chosen on validation.

**The probe pair.** Source: a fresh `convnets.mnist_cnn(0)` trained (`convnets.train_cnn`, 8 epochs)
on the MNIST-5k training images of digits 0-4 (the first 1,800; the rest its validation). Target:
the MNIST-5k training images of digits 5-9, relabelled 0-4, cut by `carve(n, 200, seed=0)`; only
validation accuracies are kept (`probe_val`: (method, size, seed) for `PROBE_SIZES`); its test
images are never used.

Every run pins BLAS to one thread, so the file is the same byte for byte on every machine that
gives NumPy the same sums. `python data/make_ch14_transfer.py` (about 6 CPU-minutes; it uses two
worker processes), then update `CHECKSUMS` in lib/nnbook/book/data.py and data/README.md with
the sha256 it prints. `python data/make_ch14_transfer.py K SEED` prints one point of the curve
(the reproduction test runs that).
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # one BLAS thread: the same sums in the same order, every run

import sys  # noqa: E402
from multiprocessing import Pool  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from nnbook.book.data import load, sha256, weights  # noqa: E402
from nnbook.lab import convnets, transfer  # noqa: E402

SIZES = (1, 2, 5, 10, 20, 50, None)
SEEDS = (0, 1, 2)
PROBE_SIZES = (1, 5, 20)
N_VAL = 200


def digits_target():
    """(x_pool, y_pool, x_val, y_val, x_test, y_test) of the chosen target."""
    d = load("digits")
    x, x_test = transfer.digits_as_mnist(d.x_train), transfer.digits_as_mnist(d.x_test)
    pool, val = transfer.carve(len(x), N_VAL, seed=0)
    return x[pool], d.y_train[pool], x[val], d.y_train[val], x_test, d.y_test


def point(k, seed):
    """`compare` for k labelled images per class of the chosen pair, drawn with `seed`."""
    x, y, x_val, y_val, x_test, y_test = digits_target()
    pick = transfer.per_class(y, k, seed)
    return transfer.compare(convnets.mnist_cnn, weights("cnn_mnist5k"), x[pick], y[pick],
                            x_val, y_val, x_test, y_test, seed=seed)


def probe_source():
    """The weights of the CNN trained on MNIST-5k digits 0-4."""
    m = load("mnist5k")
    source = m.y_train < 5
    x, y = m.x_train[source].reshape(-1, 28, 28, 1), m.y_train[source]
    with threadpool_limits(limits=1):
        net = convnets.train_cnn(x[:1800], y[:1800], x[1800:], y[1800:], epochs=8, seed=0)
    return net.get_weights(), net.history["val_accuracy"][-1]


def probe_point(args):
    k, seed, source_weights = args
    m = load("mnist5k")
    target = m.y_train >= 5
    x, y = m.x_train[target].reshape(-1, 28, 28, 1), m.y_train[target] - 5
    pool, val = transfer.carve(len(x), N_VAL, seed=0)
    pick = pool[transfer.per_class(y[pool], k, seed)]
    out = transfer.compare(convnets.mnist_cnn, source_weights, x[pick], y[pick], x[val], y[val],
                           x[val], y[val], seed=seed)
    return out["val"]


def curve_point(args):
    return point(*args)


def main():
    source_weights, source_val = probe_source()
    print("0-4 source CNN: validation accuracy", round(source_val, 4), flush=True)
    jobs = [(k, s) for k in SIZES for s in SEEDS]
    probe_jobs = [(k, s, source_weights) for k in PROBE_SIZES for s in SEEDS]
    with Pool(2) as pool:
        probes = pool.map(probe_point, probe_jobs, chunksize=1)
        curves = pool.map(curve_point, jobs, chunksize=1)
    methods = transfer.METHODS
    shape = (len(methods), len(SIZES), len(SEEDS))
    test = np.array([[r["test"][m] for r in curves] for m in methods]).reshape(shape)
    val = np.array([[r["val"][m] for r in curves] for m in methods]).reshape(shape)
    l2 = {key: np.array([r["l2"][key] for r in curves]).reshape(shape[1:]) for key in ("raw", "features")}
    probe_val = np.array([[r[m] for r in probes] for m in methods]).reshape(
        len(methods), len(PROBE_SIZES), len(SEEDS))
    n_pool = len(digits_target()[1])
    out = Path(__file__).with_name("ch14_transfer.npz")
    sizes = np.array([k or n_pool / 10 for k in SIZES], dtype=float)  # the whole pool: its mean per class
    np.savez_compressed(out, methods=np.array(methods), sizes=sizes,
                        all_pool=np.array(SIZES[-1] is None), seeds=np.array(SEEDS), test=test, val=val,
                        l2_raw=l2["raw"], l2_features=l2["features"],
                        probe_sizes=np.array(PROBE_SIZES), probe_val=probe_val,
                        probe_source_val=np.array(source_val))
    for m, row in zip(methods, test):
        print(f"{m:>20}", " ".join(f"{a:.3f}±{b:.3f}" for a, b in zip(row.mean(1), row.std(1))))
    print(out, out.stat().st_size, "bytes, sha256", sha256(out))


if __name__ == "__main__":
    if len(sys.argv) == 3:
        k = None if sys.argv[1] == "all" else int(sys.argv[1])
        print(point(k, int(sys.argv[2])))
    else:
        main()
