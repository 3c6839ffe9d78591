"""Chapter 8's experiment: the settings build the right models, their Keras twins train in
lockstep with the NumPy engine where training is deterministic, and the runner's bookkeeping."""

import keras
import numpy as np
import pytest

from nnbook.engine import BatchNormalization, Dense, Dropout, optimizers
from nnbook.engine.regularizers import L1, L2
from nnbook.lab import regularization as reg


@pytest.fixture(scope="module")
def task():
    rng = np.random.default_rng(0)
    x = rng.random((140, 196)).astype(np.float32)
    y = rng.integers(0, 10, 140)
    return x[:100], y[:100], x[100:], y[100:]


def test_shrink_averages_blocks():
    x = np.arange(784, dtype=np.float64).reshape(1, 784)
    img = x.reshape(28, 28)
    expected = (img[0::2, 0::2] + img[0::2, 1::2] + img[1::2, 0::2] + img[1::2, 1::2]) / 4
    np.testing.assert_allclose(reg.shrink(x), expected.reshape(1, 196))
    with pytest.raises(ValueError, match=r"\(n, 784\)"):
        reg.shrink(np.zeros((2, 196)))


def test_settings_build_their_layers():
    kinds = lambda net: [type(layer) for layer in net.layers]  # noqa: E731
    assert kinds(reg.mlp({})) == [Dense, Dense, Dense]
    assert kinds(reg.mlp({"dropout": 0.3})) == [Dense, Dropout, Dense, Dropout, Dense]
    assert BatchNormalization in kinds(reg.mlp({"batchnorm": True}))
    assert all(layer.kernel_regularizer == L2(1e-3) for layer in reg.mlp({"l2": 1e-3}).layers)
    assert all(layer.kernel_regularizer == L1(1e-4) for layer in reg.mlp({"l1": 1e-4}).layers)
    assert reg.augmenter({}) is None and reg.augmenter({"shift": 1}) is not None


@pytest.mark.parametrize("bad, error", [({"l3": 1}, ValueError), ({"dropout": 1.0}, ValueError),
                                        ({"l2": "big"}, TypeError), ([("l2", 1)], TypeError),
                                        ({"patience": -1}, ValueError)])
def test_bad_settings_raise(bad, error):
    with pytest.raises(error):
        reg.check_setting(bad)


def test_same_seed_same_run_and_early_stopping_stops(task):
    a = reg.train({"patience": 2}, *task, seed=3, epochs=40, batch_size=20)
    b = reg.train({"patience": 2}, *task, seed=3, epochs=40, batch_size=20)
    assert a.history["val_loss"] == b.history["val_loss"]
    assert len(a.history["val_loss"]) < 40  # random labels: validation loss soon stops improving


@pytest.mark.parametrize("setting, sgd", [({"l2": 1e-3}, False), ({"l1": 1e-4}, False),
                                          ({"l2": 1e-3, "batchnorm": True}, True)])
def test_keras_train_follows_the_numpy_engine(task, setting, sgd):
    """Deterministic settings: keras_train (Keras's own train_step, one traced function per epoch)
    reproduces Sequential.fit on the same batches, penalties and batch-norm state included, to
    float32 rounding. Batch norm with plain SGD: the bias before it has a zero gradient up to
    rounding, which Adam would blow up into full steps of random sign."""
    x, y, x_val, y_val = task
    net = reg.train(setting, x, y, x_val, y_val, seed=1, epochs=3, batch_size=20,
                    optimizer=optimizers.SGD(0.1) if sgd else None)
    start = reg.mlp(setting, seed=1)
    model = reg.keras_twin(setting, start)
    if sgd:
        model.compile(loss="sparse_categorical_crossentropy", optimizer=keras.optimizers.SGD(0.1),
                      metrics=["accuracy"])
    reg.keras_reset(model, start)
    log = reg.keras_train(model, setting, x, y, x_val, y_val, seed=1, epochs=3, batch_size=20)
    for ours, theirs in zip(net.get_weights(), model.get_weights(), strict=True):
        # atol: weights near 0 (L1's kink, biases before a batch norm)
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(log["val_loss"], net.history["val_loss"], rtol=1e-5)
    np.testing.assert_allclose(log["loss"], net.history["loss"], rtol=1e-5)
    np.testing.assert_allclose(log["val_accuracy"], net.history["val_accuracy"])


def test_keras_reset_restarts_from_the_same_state(task):
    x, y, x_val, y_val = task
    start = reg.mlp({"l2": 1e-3}, seed=2)
    model = reg.keras_twin({"l2": 1e-3}, start)
    reg.keras_reset(model, start)
    first = reg.keras_train(model, {"l2": 1e-3}, x, y, x_val, y_val, seed=0, epochs=2, batch_size=20)
    reg.keras_reset(model, start)
    again = reg.keras_train(model, {"l2": 1e-3}, x, y, x_val, y_val, seed=0, epochs=2, batch_size=20)
    assert first == again
    assert int(model.optimizer.iterations.numpy()) == 2 * 5


def test_keras_early_stopping_and_augmentation_run(task):
    x, y, x_val, y_val = task
    setting = {"patience": 1, "shift": 1, "dropout": 0.2}
    start = reg.mlp(setting, seed=0)
    model = reg.keras_twin(setting, start)
    assert isinstance(model.layers[1], keras.layers.RandomTranslation)
    reg.keras_reset(model, start)
    log = reg.keras_train(model, setting, x, y, x_val, y_val, seed=0, epochs=40, batch_size=20)
    assert len(log["val_loss"]) < 40 and set(log) == {"loss", "accuracy", "val_loss", "val_accuracy"}


def test_run_seeds_and_accuracies(task):
    x, y, x_val, y_val = task
    runs = reg.run_seeds({"dropout": 0.2}, x, y, x_val, y_val, seeds=(0, 1), epochs=2, batch_size=20)
    assert len(runs["numpy"]) == len(runs["keras"]) == 2
    acc = reg.accuracies(runs, x_val, y_val)
    assert acc["numpy"].shape == acc["keras"].shape == (2,)
    assert acc["numpy"][0] == runs["numpy"][0].evaluate(x_val, y_val)["accuracy"]
    assert np.isclose(acc["keras"][1], runs["keras"][1][0]["val_accuracy"][-1])
    with pytest.raises(ValueError, match="whole batches"):
        reg.run_seeds({}, x[:99], y[:99], x_val, y_val, seeds=(0,), epochs=1, batch_size=20)
