"""Tests for nnbook.lab.transfer: the target's frame, the draws of labelled examples, the trunk,
the heads, the Keras twin of feature extraction, and one shipped point of the curves re-run."""

import numpy as np
import pytest

from nnbook.book import data
from nnbook.lab import convnets, transfer


def test_digits_as_mnist_centres_the_enlarged_digit_in_28_by_28():
    d = data.load("digits")
    x = transfer.digits_as_mnist(d.x_train[:50])
    assert x.shape == (50, 28, 28, 1) and x.dtype == np.float32
    assert x.min() >= 0 and x.max() <= 1
    assert np.all(x[:, :4] == 0) and np.all(x[:, -4:] == 0) and np.all(x[:, :, :4] == 0)
    # bilinear enlargement from corner to corner: the 20 x 20 box's corners are the 8 x 8 corners
    small = d.x_train[:50].reshape(50, 8, 8)
    for (r, c), (i, j) in {(4, 4): (0, 0), (4, 23): (0, 7), (23, 4): (7, 0), (23, 23): (7, 7)}.items():
        np.testing.assert_allclose(x[:, r, c, 0], small[:, i, j], atol=1e-6)
    with pytest.raises(ValueError, match=r"shape \(n, 64\)"):
        transfer.digits_as_mnist(np.zeros((3, 49)))


def test_per_class_draws_k_of_each_class_reproducibly():
    y = np.repeat(np.arange(4), 10)
    pick = transfer.per_class(y, 3, seed=1)
    assert np.array_equal(np.bincount(y[pick]), [3, 3, 3, 3])
    assert np.array_equal(pick, transfer.per_class(y, 3, seed=1))
    assert not np.array_equal(pick, transfer.per_class(y, 3, seed=2))
    assert np.array_equal(transfer.per_class(y, None, 0), np.arange(40))
    with pytest.raises(ValueError, match="fewer than k = 11"):
        transfer.per_class(y, 11, 0)


def test_carve_splits_into_disjoint_pool_and_validation():
    pool, val = transfer.carve(30, 7, seed=3)
    assert len(pool) == 23 and len(val) == 7
    assert np.array_equal(np.sort(np.concatenate([pool, val])), np.arange(30))
    with pytest.raises(ValueError, match="n_val must be below"):
        transfer.carve(5, 5)


def test_trunk_with_the_last_layer_gives_the_pretrained_model():
    weights = data.weights("cnn_mnist5k")
    body = transfer.trunk(convnets.mnist_cnn, weights)
    full = convnets.mnist_cnn(0)
    full.set_weights(weights)
    x = data.load("mnist5k").x_test[:8].reshape(-1, 28, 28, 1)
    f = body.predict(x)
    assert f.shape == (8, 64)
    last = full.layers[-1]
    np.testing.assert_allclose(last.forward(f, training=False), full.predict(x), rtol=1e-5, atol=1e-6)


def test_best_head_learns_separable_classes_and_the_penalty_shrinks_weights():
    rng = np.random.default_rng(0)
    f = rng.normal(size=(60, 5)) + np.repeat(np.eye(3, 5) * 4, 20, axis=0)
    y = np.repeat(np.arange(3), 20)
    head, l2 = transfer.best_head(f, y, f, y, 3)
    assert l2 in transfer.L2_GRID
    assert np.mean(head.predict(f).argmax(1) == y) >= 0.95
    loose, tight = (transfer.softmax_head(f, y, 3, l2) for l2 in (0.0, 1e-1))
    assert np.abs(tight.get_weights()[0]).sum() < 0.5 * np.abs(loose.get_weights()[0]).sum()


def test_keras_feature_extractor_matches_the_engine_and_trains_only_the_head():
    weights = data.weights("cnn_mnist5k")
    model = transfer.keras_feature_extractor(convnets.mnist_cnn, weights, n_classes=10)
    assert [w.shape for w in model.trainable_weights] == [(64, 10), (10,)]
    x = data.load("mnist5k").x_test[:8].reshape(-1, 28, 28, 1)
    body = transfer.trunk(convnets.mnist_cnn, weights)
    keras_features = model.layers[0](x).numpy()
    np.testing.assert_allclose(keras_features, body.predict(x), rtol=1e-5, atol=1e-5)


def test_compare_bad_input_raises():
    with pytest.raises(ValueError):
        transfer.compare(convnets.mnist_cnn, [], np.full((2, 28, 28, 1), np.nan), [0, 1],
                         np.zeros((2, 28, 28, 1)), [0, 1], np.zeros((2, 28, 28, 1)), [0, 1])


def _script():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "data" / "make_ch14_transfer.py"
    spec = importlib.util.spec_from_file_location("make_ch14_transfer", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_one_shipped_point_of_the_curves_is_reproduced_exactly():
    """data/make_ch14_transfer.py's point (1 image per class, seed 1) re-run here gives the
    shipped accuracies of all four methods exactly (one BLAS thread; about 10 CPU-s)."""
    script = _script()
    with np.load(data.read_verified("ch14_transfer.npz")) as f:
        shipped = {k: f[k] for k in f.files}
    i, s = list(script.SIZES).index(1), list(script.SEEDS).index(1)
    r = script.point(1, 1)
    for m, method in enumerate(shipped["methods"]):
        assert r["test"][str(method)] == shipped["test"][m, i, s], method
        assert r["val"][str(method)] == shipped["val"][m, i, s], method
    assert r["l2"]["raw"] == shipped["l2_raw"][i, s]
