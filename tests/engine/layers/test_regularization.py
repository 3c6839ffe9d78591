"""nnbook.engine.layers.regularization: Dropout. With the mask Keras drew (read off its output on an
input with no zeros and handed to our layer through its generator), forward and backward equal
Keras's (<= 1e-6, GradientTape); rate 0 and inference are the identity; statistics of the masks
(mean preserved, fraction dropped) within 5 standard errors; seeds; a model's backward with the
mask held fixed against centred differences (< 1e-7); noise_shape; the twin; clear errors."""

import keras
import numpy as np
import pytest

from nnbook.engine import Dense, Dropout, Sequential, twins
from nnbook.engine.gradcheck import numerical_gradient, relative_error


class _Draws:
    """Stands in for a layer's generator: `random(shape)` returns the given uniforms."""

    def __init__(self, u):
        self.u = u

    def random(self, shape):
        assert tuple(shape) == self.u.shape
        return self.u


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("rate", [0.1, 0.3, 0.5, 0.8])
def test_forward_and_backward_equal_keras_with_the_mask_keras_drew(rate, dtype):
    rng = np.random.default_rng(int(rate * 10))
    x = (rng.uniform(0.5, 2.0, size=(16, 7)) * rng.choice([-1, 1], size=(16, 7))).astype(dtype)  # no zeros
    r = rng.normal(size=x.shape).astype(dtype)
    layer = Dropout(rate).build((7,), dtype=dtype)
    y_keras, dx_keras, _ = twins.layer_gradients(layer.to_keras(), x, r, training=True)
    kept = y_keras != 0
    assert 0 < kept.mean() < 1  # a real mask, neither all kept nor all dropped
    layer.rng = _Draws(np.where(kept, 1.0, 0.0))  # u >= rate exactly where Keras kept the unit
    y = layer.forward(x, training=True)
    assert y.dtype == np.dtype(dtype)
    assert relative_error(y, y_keras) <= 1e-6
    assert relative_error(layer.backward(r), dx_keras) <= 1e-6


def test_noise_shape_broadcasts_as_in_keras():
    rng = np.random.default_rng(1)
    x = rng.uniform(1.0, 2.0, size=(5, 4, 6))
    layer = Dropout(0.5, noise_shape=(None, 1, 6)).build((4, 6))
    y_keras, _, _ = twins.layer_gradients(layer.to_keras(), x, np.ones_like(x), training=True)
    kept = y_keras != 0
    assert (kept == kept[:, :1, :]).all()  # Keras: the same units dropped at every step
    layer.rng = _Draws(kept[:, :1, :].astype(float))
    assert relative_error(layer.forward(x, training=True), y_keras) <= 1e-6
    ours = Dropout(0.5, noise_shape=(None, 1, 6)).build((4, 6), seed=3).forward(x, training=True)
    assert ((ours != 0) == (ours[:, :1, :] != 0)).all()
    with pytest.raises(ValueError, match=r"noise_shape \(None, 6\) must have one entry per axis of x"):
        Dropout(0.5, noise_shape=(None, 6)).build((4, 6))


def test_rate_zero_and_inference_are_the_identity():
    x = np.random.default_rng(0).normal(size=(8, 5))
    dy = np.random.default_rng(1).normal(size=(8, 5))
    layer = Dropout(0.0).build((5,))
    np.testing.assert_array_equal(layer.forward(x, training=True), x)
    np.testing.assert_array_equal(layer.backward(dy), dy)
    layer = Dropout(0.6).build((5,))
    np.testing.assert_array_equal(layer(x), x)  # training=False by default
    np.testing.assert_array_equal(layer.backward(dy), dy)
    np.testing.assert_array_equal(np.asarray(layer.to_keras()(x, training=False)), x)
    np.testing.assert_array_equal(np.asarray(Dropout(0.0).build((5,)).to_keras()(x, training=True)), x)


@pytest.mark.parametrize("rate", [0.2, 0.5, 0.9])
def test_the_mean_over_many_masks_is_the_input(rate):
    """Each output is x / (1 - p) with probability 1 - p, else 0: mean x, variance x^2 p / (1 - p).
    The mean of N draws is within 5 standard errors |x| sqrt(p / ((1 - p) N)) of x for every unit
    (the chance that any of 20 units falls outside is about 1e-5)."""
    x = np.random.default_rng(0).uniform(-3, 3, size=(1, 20))
    layer = Dropout(rate).build((20,), seed=1)
    n = 4000
    mean = np.mean([layer.forward(x, training=True) for _ in range(n)], axis=0)
    se = np.abs(x) * np.sqrt(rate / ((1 - rate) * n))
    assert (np.abs(mean - x) <= 5 * se).all(), np.max(np.abs(mean - x) / se)
    biased = np.mean([layer.forward(x, training=True) * (1 - rate) for _ in range(n)], axis=0)
    assert not (np.abs(biased - x) <= 5 * se).all()  # without the 1/(1 - p) the test fails


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.75])
def test_the_fraction_dropped_is_the_rate(rate):
    """The dropped fraction of M units is within 5 sqrt(p (1 - p) / M) of p."""
    m = 200 * 1000
    y = Dropout(rate).build((1000,), seed=2).forward(np.ones((200, 1000)), training=True)
    assert abs(np.mean(y == 0) - rate) <= 5 * np.sqrt(rate * (1 - rate) / m)
    np.testing.assert_allclose(y[y != 0], 1 / (1 - rate), rtol=1e-15)


def test_seeds_fix_the_masks_and_layers_draw_their_own():
    x = np.ones((4, 50))

    def masks(layer, k=3):
        return [layer.forward(x, training=True) != 0 for _ in range(k)]

    same = [masks(Dropout(0.5, seed=7).build((50,), seed=s)) for s in (0, 1)]  # `seed` wins
    assert all(np.array_equal(a, b) for a, b in zip(*same))
    assert not np.array_equal(masks(Dropout(0.5, seed=8).build((50,)))[0], same[0][0])
    first, second = masks(Dropout(0.5).build((50,), seed=0), 2)
    assert not np.array_equal(first, second)  # a fresh mask every call

    def model(seed):
        m = Sequential([Dropout(0.5), Dense(50), Dropout(0.5)]).build((50,), seed=seed)
        m.layers[1].params["kernel"][...] = np.eye(50)
        return m

    a, b, c = model(3), model(3), model(4)
    assert np.array_equal(a.forward(x, training=True), b.forward(x, training=True))
    assert not np.array_equal(a.forward(x, training=True), c.forward(x, training=True))
    assert not np.array_equal(masks(a.layers[0]), masks(a.layers[2]))  # two layers, two streams


def test_model_backward_with_the_mask_held_fixed_matches_centred_differences():
    rng = np.random.default_rng(0)
    x, r = rng.normal(size=(6, 5)), rng.normal(size=(6, 3))
    model = Sequential([Dense(8, activation="tanh"), Dropout(0.4), Dense(3, activation="sigmoid")])
    model.build((5,), seed=1)
    drop = model.layers[1]

    def objective(_):
        drop.rng = np.random.default_rng(11)  # the same mask on every evaluation
        return np.sum(model.forward(x, training=True) * r)

    objective(None)
    assert 0 < np.mean(drop.mask == 0) < 1
    dx = model.backward(r)
    analytic = {"x": dx, **model.grads}
    numeric = {"x": numerical_gradient(objective, x),
               **{k: numerical_gradient(objective, p) for k, p in model.params.items()}}
    errors = {k: relative_error(analytic[k], numeric[k]) for k in numeric}
    assert max(errors.values()) < 1e-7, errors


def test_the_keras_twin_both_ways():
    layer = Dropout(0.25, noise_shape=(None, 1), seed=5).build((3,), dtype="float32")
    twin = layer.to_keras()
    assert isinstance(twin, keras.layers.Dropout) and twin.rate == 0.25 and twin.seed == 5
    assert twin.noise_shape == (None, 1) and twin.dtype_policy.name == "float32"
    assert twins.KERAS_TWINS["Dropout"] is Dropout
    back = twins.from_keras(twin)
    assert (back.rate, back.noise_shape, back.seed) == (0.25, (None, 1), 5)
    model = Sequential([Dense(4), Dropout(0.5), Dense(2)]).build((3,), seed=0)
    again = Sequential.from_keras(model.to_keras())
    assert repr(again) == repr(model) and twins.max_weight_difference(again, model) == 0.0
    message = r"rate, noise_shape = \(0.5, None\), this one \(0.25, \(None, 1\)\)"
    with pytest.raises(ValueError, match=message):
        layer.set_from_keras(Dropout(0.5).build((3,), dtype="float32").to_keras())


def test_large_inputs_stay_finite():
    y = Dropout(0.5).build((10,), seed=0).forward(np.full((3, 10), 1e4), training=True)
    assert np.isfinite(y).all() and set(np.unique(y)) <= {0.0, 2e4}


@pytest.mark.parametrize("kwargs, error, message", [
    ({"rate": 1.0}, ValueError, r"rate must lie in \[0, 1\), got 1.0"),
    ({"rate": -0.1}, ValueError, r"rate must lie in \[0, 1\)"),
    ({"rate": "0.5"}, TypeError, "rate must be a number"),
    ({"rate": True}, TypeError, "rate must be a number"),
    ({"rate": 0.5, "noise_shape": (None, 0)}, ValueError, "noise_shape must be a non-empty tuple"),
    ({"rate": 0.5, "noise_shape": "n"}, ValueError, "noise_shape must be a non-empty tuple"),
    ({"rate": 0.5, "seed": -1}, ValueError, "seed must be an integer >= 0"),
    ({"rate": 0.5, "seed": 1.5}, TypeError, "seed must be an integer >= 0")])
def test_bad_arguments_raise(kwargs, error, message):
    with pytest.raises(error, match=message):
        Dropout(**kwargs)
