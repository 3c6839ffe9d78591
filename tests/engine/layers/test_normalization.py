"""nnbook.engine.layers.normalization. BatchNormalization: backward against centred differences
(< 1e-7, float64, random 2-D to 4-D shapes, every axis), forward, backward and the moving
statistics against tf.GradientTape on the Keras twin (<= 1e-6 float64, relative <= 1e-5 float32),
50 training steps of an MLP and of a small image model equal to Keras's (moving statistics
included), weights and state both ways, Keras's frozen semantics, stability, and bad input.
LayerNormalization (at the end): the same checks, less the moving statistics it does not have."""

import inspect

import keras
import numpy as np
import pytest

from nnbook.engine import (
    BatchNormalization,
    Dense,
    Flatten,
    LayerNormalization,
    Sequential,
    losses,
    optimizers,
    twins,
)
from nnbook.engine.gradcheck import check_layer, relative_error

SEEDS = range(4)
STATS = ("moving_mean", "moving_variance")


def _case(seed, ndim, dtype="float64", **kwargs):
    """A built BatchNormalization with random gamma, beta and moving statistics, on a random batch
    x of `ndim` axes (batch included), normalised over a random channel axis."""
    rng = np.random.default_rng(seed)
    shape = tuple(int(s) for s in rng.integers(3, 6, size=ndim))  # 2 entries normalise to +-1, dx = 0
    axis = int(rng.choice([a for a in range(-ndim + 1, ndim) if a != 0]))
    layer = BatchNormalization(axis=axis, **kwargs).build(shape[1:], rng, dtype)
    for p in [*layer.params.values(), layer.state["moving_mean"]]:
        p[...] = rng.normal(size=p.shape)
    layer.state["moving_variance"][...] = rng.uniform(0.2, 3.0, size=layer.state["moving_variance"].shape)
    x = rng.normal(1.0, 3.0, size=shape).astype(dtype)
    return layer, x, rng


# --- backward against centred differences -----------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("ndim", [2, 3, 4])
@pytest.mark.parametrize("training", [True, False])
def test_backward_matches_centred_differences(training, ndim, seed):
    layer, x, _ = _case(seed, ndim)
    errors = check_layer(layer, x, training=training)
    assert set(errors) == {"x", "gamma", "beta"}
    assert max(errors.values()) < 1e-7, errors


@pytest.mark.parametrize("center, scale", [(False, True), (True, False), (False, False)])
def test_backward_without_gamma_or_beta_matches_centred_differences(center, scale):
    layer, x, _ = _case(1, 4, center=center, scale=scale)
    errors = check_layer(layer, x)
    assert set(errors) == {"x"} | ({"beta"} if center else set()) | ({"gamma"} if scale else set())
    assert max(errors.values()) < 1e-7, errors


# --- against the Keras twin -------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("ndim", [2, 4])
@pytest.mark.parametrize("training", [True, False])
def test_matches_gradient_tape_on_the_keras_twin(training, ndim, seed):
    layer, x, rng = _case(seed, ndim)
    klayer = layer.to_keras()  # before the forward pass moves our moving statistics
    assert isinstance(klayer, keras.layers.BatchNormalization) and klayer.axis == layer.axis
    y = layer.forward(x, training=training)
    r = rng.normal(size=y.shape)
    dx = layer.backward(r)
    ky, kdx, kgrads = twins.layer_gradients(klayer, x, r, training)
    errors = {"y": relative_error(y, ky), "x": relative_error(dx, kdx),
              **{k: relative_error(layer.grads[k], kgrads[k]) for k in ("gamma", "beta")},
              **{k: relative_error(layer.state[k], getattr(klayer, k)) for k in STATS}}
    assert max(errors.values()) <= 1e-6, errors


def test_training_moves_the_statistics_and_inference_does_not():
    layer, x, _ = _case(0, 4)
    before = {k: v.copy() for k, v in layer.state.items()}
    layer.forward(x, training=False)
    assert all(np.array_equal(layer.state[k], before[k]) for k in STATS)
    layer.forward(x, training=True)
    x_c = np.moveaxis(x, layer.axis, -1).reshape(-1, x.shape[layer.axis])  # (count, c)
    np.testing.assert_allclose(layer.state["moving_mean"],
                               0.99 * before["moving_mean"] + 0.01 * x_c.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(layer.state["moving_variance"],  # the biased variance, as Keras
                               0.99 * before["moving_variance"] + 0.01 * x_c.var(axis=0), rtol=1e-12)


@pytest.mark.parametrize("training", [True, False])
def test_float32_stays_float32_and_matches_keras(training):
    layer, x, rng = _case(3, 4, dtype="float32")
    assert x.dtype == np.float32
    assert all(v.dtype == np.float32 for v in (*layer.params.values(), *layer.state.values()))
    klayer = layer.to_keras()
    assert klayer.gamma.dtype == "float32"
    y = layer.forward(x, training=training)
    r = rng.normal(size=y.shape).astype(np.float32)
    dx = layer.backward(r)
    assert y.dtype == dx.dtype == np.float32
    assert all(v.dtype == np.float32 for v in (*layer.grads.values(), *layer.state.values()))
    ky, kdx, kgrads = twins.layer_gradients(klayer, x, r, training)
    errors = {"y": relative_error(y, ky), "x": relative_error(dx, kdx),
              **{k: relative_error(layer.grads[k], kgrads[k]) for k in ("gamma", "beta")},
              **{k: relative_error(layer.state[k], getattr(klayer, k)) for k in STATS}}
    assert max(errors.values()) <= 1e-5, errors


def test_a_tiny_example_by_hand():
    layer = BatchNormalization(momentum=0.5, epsilon=0.0625).build((1,))
    layer.params["gamma"][...], layer.params["beta"][...] = 2.0, 1.0
    x = np.array([[1.0], [3.0]])  # mean 2, biased variance 1, sqrt(1 + 1/16) = sqrt(17) / 4
    np.testing.assert_allclose(layer.forward(x, training=True), [[1 - 8 / 17**0.5], [1 + 8 / 17**0.5]])
    np.testing.assert_allclose(layer.state["moving_mean"], [1.0])  # 0.5 * 0 + 0.5 * 2
    np.testing.assert_allclose(layer.state["moving_variance"], [1.0])  # 0.5 * 1 + 0.5 * 1
    dx = layer.backward(np.array([[1.0], [1.0]]))  # a shift of the batch changes nothing
    np.testing.assert_allclose(dx, [[0.0], [0.0]], atol=1e-15)
    np.testing.assert_allclose(layer.grads["beta"], [2.0])
    np.testing.assert_allclose(layer.grads["gamma"], [0.0], atol=1e-15)
    # inference: (x - 1) / sqrt(1 + 1/16) * 2 + 1, and dx = 2 / sqrt(17/16) per entry
    np.testing.assert_allclose(layer.forward(x, training=False), [[1.0], [1 + 16 / 17**0.5]])
    np.testing.assert_allclose(layer.backward(np.ones((2, 1))), [[8 / 17**0.5]] * 2)


def _mlp(frozen=False):
    """Dense -> ReLU -> BN: a bias right before BN has zero gradient (BN removes the mean), and Adam
    would amplify the rounding noise that stands in for it differently in NumPy and TensorFlow."""
    return Sequential([Dense(16, activation="relu"), BatchNormalization(momentum=0.9, trainable=not frozen),
                       Dense(8, activation="relu"), BatchNormalization(), Dense(3, activation="softmax")])


def _images_model():
    return Sequential([BatchNormalization(momentum=0.8), Flatten(), Dense(3, activation="softmax")])


@pytest.mark.parametrize("make, shape", [(_mlp, (5,)), (_images_model, (4, 4, 2))])
def test_fifty_training_steps_equal_keras_moving_statistics_included(make, shape):
    rng = np.random.default_rng(0)
    x = rng.normal(2.0, 3.0, size=(800, *shape))
    y = rng.integers(0, 3, size=800)
    model = make().build(shape, seed=1)
    model.compile(losses.SparseCategoricalCrossentropy(), optimizers.Adam(0.01))
    twin = model.to_keras()
    model.fit(x, y, epochs=1, batch_size=16, seed=3, verbose=0)
    log = twins.fit_same_batches(twin, x, y, epochs=1, batch_size=16, seed=3)
    assert len(model.batch_losses) == 50
    np.testing.assert_allclose(log["batch_losses"], model.batch_losses, rtol=1e-6)
    bns = [i for i, layer in enumerate(model.layers) if isinstance(layer, BatchNormalization)]
    for i in bns:  # the statistics did move, 50 times, in both
        assert not np.allclose(model.layers[i].state["moving_mean"], 0)
        np.testing.assert_allclose(model.layers[i].state["moving_mean"],
                                   np.asarray(twin.layers[i].moving_mean), rtol=1e-6)
    assert twins.max_weight_difference(model, twin) < 1e-6
    x_val = rng.normal(2.0, 3.0, size=(50, *shape))  # inference mode: the moving statistics
    np.testing.assert_allclose(model.predict(x_val), np.asarray(twin(x_val, training=False)), rtol=1e-6)


# --- weights and state both ways ----------------------------------------------------------------


def test_weights_and_state_go_to_keras_and_back_in_keras_order():
    layer, x, rng = _case(2, 4)
    twin = layer.to_keras()
    assert [v.name for v in twin.weights] == ["gamma", "beta", *STATS]
    assert list(layer.params) == ["gamma", "beta"] and list(layer.state) == list(STATS)
    assert twins.max_weight_difference(layer, twin) == 0
    for v in twin.weights:
        v.assign(rng.uniform(0.5, 2.0, size=v.shape))
    copy = twins.from_keras(twin)
    assert isinstance(copy, BatchNormalization)
    assert (copy.axis, copy.momentum, copy.epsilon) == (layer.axis, layer.momentum, layer.epsilon)
    copy.build(layer.input_shape).set_from_keras(twin)
    assert twins.max_weight_difference(copy, twin) == 0
    np.testing.assert_allclose(copy.forward(x), np.asarray(twin(x, training=False)), rtol=1e-12)
    other = BatchNormalization(axis=layer.axis).build(layer.input_shape)
    other.set_weights(copy.get_weights())
    assert twins.max_weight_difference(other, twin) == 0


@pytest.mark.parametrize("center, scale, names", [(False, True, ["gamma"]), (True, False, ["beta"]),
                                                  (False, False, [])])
def test_without_gamma_or_beta_the_twin_has_the_same_weights(center, scale, names):
    layer = BatchNormalization(center=center, scale=scale).build((3,))
    assert list(layer.params) == names and layer.count_params() == 3 * len(names)
    twin = layer.to_keras()
    assert [v.name for v in twin.weights] == [*names, *STATS]
    x = np.random.default_rng(0).normal(size=(5, 3))
    np.testing.assert_allclose(layer.forward(x, training=True), np.asarray(twin(x, training=True)),
                               rtol=1e-12, atol=1e-12)


def test_a_sequential_carries_the_moving_statistics_both_ways():
    model = Sequential([Dense(4), BatchNormalization(), Dense(2)]).build((3,), seed=0)
    model.forward(np.random.default_rng(1).normal(size=(8, 3)), training=True)  # move them
    assert sorted(model.state) == ["1/moving_mean", "1/moving_variance"]
    assert sorted(model.params) == ["0/bias", "0/kernel", "1/beta", "1/gamma", "2/bias", "2/kernel"]
    twin = model.to_keras()
    assert [w.shape for w in model.get_weights()] == [w.shape for w in twin.get_weights()]
    assert twins.max_weight_difference(model, twin) == 0
    back = Sequential.from_keras(twin)
    assert isinstance(back.layers[1], BatchNormalization)
    assert twins.max_weight_difference(back, twin) == 0
    np.testing.assert_array_equal(back.state["1/moving_variance"], model.state["1/moving_variance"])


# --- frozen: Keras's inference semantics --------------------------------------------------------


def test_a_frozen_layer_runs_in_inference_mode_and_keeps_its_statistics():
    layer, x, rng = _case(1, 4, trainable=False)
    before = {k: v.copy() for k, v in layer.state.items()}
    y = layer.forward(x, training=True)
    assert all(np.array_equal(layer.state[k], before[k]) for k in STATS)
    np.testing.assert_array_equal(y, layer.forward(x, training=False))
    errors = check_layer(layer, x, training=True)  # the affine map's gradient
    assert max(errors.values()) < 1e-7, errors
    assert layer.trainable_params() == {} and len(layer.params) == 2
    twin = layer.to_keras()
    assert not twin.trainable and twin.trainable_weights == []
    r = rng.normal(size=y.shape)
    dx = layer.backward(r)
    ky, kdx, _ = twins.layer_gradients(twin, x, r, training=True)
    assert relative_error(y, ky) <= 1e-6 and relative_error(dx, kdx) <= 1e-6
    assert relative_error(layer.state["moving_mean"], twin.moving_mean) == 0
    assert not twins.from_keras(twin).trainable


def test_a_frozen_layer_in_a_trained_model_equals_keras():
    rng = np.random.default_rng(4)
    x, y = rng.normal(1.0, 2.0, size=(320, 5)), rng.integers(0, 3, size=320)
    model = _mlp(frozen=True).build((5,), seed=2)
    model.compile(losses.SparseCategoricalCrossentropy(), optimizers.SGD(0.1))
    assert "1/gamma" not in model.trained_keys and "3/gamma" in model.trained_keys
    twin = model.to_keras()
    assert not twin.layers[1].trainable
    frozen = [w.copy() for w in model.layers[1].get_weights()]
    model.fit(x, y, epochs=1, batch_size=16, seed=0, verbose=0)
    twins.fit_same_batches(twin, x, y, epochs=1, batch_size=16, seed=0)
    assert all(np.array_equal(a, b) for a, b in zip(model.layers[1].get_weights(), frozen))
    assert not np.allclose(model.layers[3].state["moving_mean"], 0)
    assert twins.max_weight_difference(model, twin) < 1e-6


# --- stability ----------------------------------------------------------------------------------


@pytest.mark.parametrize("training", [True, False])
def test_large_inputs_and_constant_features_stay_finite(training):
    layer = BatchNormalization().build((4,))
    x = np.array([[-1e4, 1e4, 5.0, 0.0], [1e4, -1e4, 5.0, 0.0], [1e4, 1e4, 5.0, 0.0]])
    y = layer.forward(x, training=training)
    dx = layer.backward(np.ones_like(x))
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(dx))
    assert all(np.all(np.isfinite(v)) for v in (*layer.grads.values(), *layer.state.values()))
    if training:  # constant features (variance 0) give beta, and no gradient to x
        np.testing.assert_array_equal(y[:, 2:], 0.0)
        np.testing.assert_allclose(dx[:, 2:], 0.0, atol=1e-12)
        np.testing.assert_allclose(np.abs(y[:, :2]).max(axis=0), [2**0.5, 2**0.5], rtol=1e-6)


# --- bad input ----------------------------------------------------------------------------------


def test_bad_arguments_raise_clear_errors():
    for axis in (0, 1.5, True, "-1"):
        with pytest.raises(ValueError, match="axis must be a nonzero integer"):
            BatchNormalization(axis=axis)
    with pytest.raises(ValueError, match=r"momentum must lie in \[0, 1\], got 1.5"):
        BatchNormalization(momentum=1.5)
    with pytest.raises(TypeError, match="momentum must be a number"):
        BatchNormalization(momentum="0.9")
    for eps in (0, -1e-3):
        with pytest.raises(ValueError, match=r"epsilon must lie in \(0, inf\)"):
            BatchNormalization(epsilon=eps)
    with pytest.raises(TypeError, match="center must be True or False"):
        BatchNormalization(center=1)
    with pytest.raises(TypeError, match="scale must be True or False"):
        BatchNormalization(scale=None)
    with pytest.raises(ValueError, match=r"axis 3 is out of range for inputs \(n, \*\(4, 2\)\)"):
        BatchNormalization(axis=3).build((4, 2))
    with pytest.raises(ValueError, match="axis -3 is out of range"):
        BatchNormalization(axis=-3).build((4, 2))
    with pytest.raises(ValueError, match="needs a known size on axis -1, got None"):
        BatchNormalization().build((3, None))
    layer = BatchNormalization().build((3,))
    with pytest.raises(ValueError, match=r"BatchNormalization input x must have shape \(n, 3\)"):
        layer(np.ones((2, 4)))
    with pytest.raises(RuntimeError, match="not built"):
        BatchNormalization()(np.ones((2, 3)))


HAS_RENORM = "renorm" in inspect.signature(keras.layers.BatchNormalization).parameters  # Keras >= 3.14


def test_keras_configurations_it_does_not_compute_are_refused():
    refused = [({"synchronized": True}, "synchronized"), ({"gamma_regularizer": "l2"}, "gamma_regularizer"),
               ({"beta_constraint": "non_neg"}, "beta_constraint")]
    for kwargs, what in refused + ([({"renorm": True}, "renorm")] if HAS_RENORM else []):
        with pytest.raises(ValueError, match=f"does not implement {what}"):
            twins.from_keras(keras.layers.BatchNormalization(**kwargs))
    layer = BatchNormalization().build((2, 3))
    for kwargs, what in [({"epsilon": 1e-5}, "has epsilon=1e-05, this one epsilon=0.001"),
                         ({"momentum": 0.9}, "has momentum=0.9, this one momentum=0.99"),
                         ({"axis": 1}, "has axis=1, this one axis=2"), ({"center": False}, "center=False"),
                         ({"synchronized": True}, "does not implement synchronized")]:
        twin = keras.layers.BatchNormalization(**kwargs)
        twin.build((None, 2, 3))
        with pytest.raises(ValueError, match=what):
            layer.set_from_keras(twin)
    same = keras.layers.BatchNormalization(axis=2)  # axis 2 of (n, 2, 3) is axis -1
    same.build((None, 2, 3))
    layer.set_from_keras(same)
    with pytest.raises(ValueError, match="shape"):
        other = keras.layers.BatchNormalization()
        other.build((None, 2, 4))
        layer.set_from_keras(other)


# --- LayerNormalization -------------------------------------------------------------------------


def _ln_case(seed, ndim, dtype="float64", **kwargs):
    """A built LayerNormalization over a random int axis or tuple of axes, random gamma and beta,
    and a random batch x of `ndim` axes."""
    rng = np.random.default_rng(seed)
    shape = tuple(int(s) for s in rng.integers(3, 6, size=ndim))  # 2 entries normalise to +-1, dx = 0
    axes = [int(a) for a in rng.choice(range(1, ndim), size=int(rng.integers(1, ndim)), replace=False)]
    axis = axes[0] - ndim if len(axes) == 1 else tuple(axes)  # negative ints, unsorted tuples
    layer = LayerNormalization(axis=axis, **kwargs).build(shape[1:], rng, dtype)
    for p in layer.params.values():
        p[...] = rng.normal(size=p.shape)
    return layer, rng.normal(1.0, 3.0, size=shape).astype(dtype), rng


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("ndim", [2, 3, 4])
def test_layer_norm_backward_matches_centred_differences(ndim, seed):
    layer, x, _ = _ln_case(seed, ndim)
    errors = check_layer(layer, x)
    assert set(errors) == {"x", "gamma", "beta"}
    assert max(errors.values()) < 1e-7, errors


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("ndim", [2, 3, 4])
@pytest.mark.parametrize("dtype, tol", [("float64", 1e-6), ("float32", 1e-5)])
def test_layer_norm_matches_gradient_tape_on_the_keras_twin(dtype, tol, ndim, seed):
    layer, x, rng = _ln_case(seed, ndim, dtype)
    klayer = layer.to_keras()
    assert isinstance(klayer, keras.layers.LayerNormalization)
    y = layer.forward(x, training=True)
    np.testing.assert_array_equal(y, layer.forward(x, training=False))  # no training mode
    r = rng.normal(size=y.shape).astype(dtype)
    dx = layer.backward(r)
    assert y.dtype == dx.dtype == layer.grads["gamma"].dtype == np.dtype(dtype)
    ky, kdx, kgrads = twins.layer_gradients(klayer, x, r, True)
    errors = {"y": relative_error(y, ky), "x": relative_error(dx, kdx),
              **{k: relative_error(layer.grads[k], kgrads[k]) for k in ("gamma", "beta")}}
    assert max(errors.values()) <= tol, errors


def test_layer_norm_normalises_each_example_on_its_own():
    layer = LayerNormalization(epsilon=0.0625).build((2,))
    x = np.array([[1.0, 3.0], [10.0, 10.0]])  # example 0: mean 2, variance 1; example 1: constant
    np.testing.assert_allclose(layer.forward(x), [[-4 / 17**0.5, 4 / 17**0.5], [0.0, 0.0]])
    layer = LayerNormalization(axis=(1, 2)).build((3, 2))
    assert layer.params["gamma"].shape == (3, 2)
    y = layer.forward(np.random.default_rng(0).normal(size=(4, 3, 2)))
    np.testing.assert_allclose(y.mean(axis=(1, 2)), 0, atol=1e-12)


@pytest.mark.parametrize("center, scale, names", [(False, True, ["gamma"]), (True, False, ["beta"]),
                                                  (False, False, [])])
def test_layer_norm_without_gamma_or_beta(center, scale, names):
    layer, x, rng = _ln_case(2, 3, center=center, scale=scale)
    assert list(layer.params) == names
    errors = check_layer(layer, x)
    assert max(errors.values()) < 1e-7, errors
    twin = layer.to_keras()
    assert [v.name for v in twin.weights] == names
    r = rng.normal(size=x.shape)
    ky, kdx, _ = twins.layer_gradients(twin, x, r, True)
    assert relative_error(layer.forward(x), ky) <= 1e-6 and relative_error(layer.backward(r), kdx) <= 1e-6


def test_layer_norm_weights_both_ways_and_fifty_steps_equal_keras():
    layer, x, rng = _ln_case(3, 4)
    twin = layer.to_keras()
    for v in twin.weights:
        v.assign(rng.normal(size=v.shape))
    copy = twins.from_keras(twin)
    assert isinstance(copy, LayerNormalization) and copy.epsilon == layer.epsilon
    copy.build(layer.input_shape).set_from_keras(twin)
    assert copy.axes == layer.axes and twins.max_weight_difference(copy, twin) == 0
    np.testing.assert_allclose(copy.forward(x), np.asarray(twin(x)), rtol=1e-12, atol=1e-12)
    x, y = rng.normal(2.0, 3.0, size=(800, 6)), rng.integers(0, 3, size=800)
    model = Sequential([Dense(16, activation="relu"), LayerNormalization(), Dense(3, activation="softmax")])
    model.build((6,), seed=1).compile(losses.SparseCategoricalCrossentropy(), optimizers.Adam(0.01))
    twin = model.to_keras()
    model.fit(x, y, epochs=1, batch_size=16, seed=3, verbose=0)
    log = twins.fit_same_batches(twin, x, y, epochs=1, batch_size=16, seed=3)
    np.testing.assert_allclose(log["batch_losses"], model.batch_losses, rtol=1e-6)
    assert not np.allclose(model.layers[1].params["gamma"], 1)
    assert twins.max_weight_difference(model, twin) < 1e-6
    assert isinstance(Sequential.from_keras(twin).layers[1], LayerNormalization)


def test_layer_norm_stays_finite_and_refuses_bad_arguments():
    layer = LayerNormalization().build((4,))
    x = np.array([[-1e4, 1e4, 1e4, -1e4], [5.0, 5.0, 5.0, 5.0]])
    y, dx = layer.forward(x), layer.backward(np.ones_like(x))
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(dx))
    np.testing.assert_allclose(np.abs(y[0]), 1.0, rtol=1e-6)
    for axis in (0, (1, 0), (), 1.5, True, "-1"):
        with pytest.raises(ValueError, match="axis must be a nonzero integer or a tuple of them"):
            LayerNormalization(axis=axis)
    with pytest.raises(ValueError, match=r"epsilon must lie in \(0, inf\)"):
        LayerNormalization(epsilon=0)
    with pytest.raises(TypeError, match="center must be True or False"):
        LayerNormalization(center="yes")
    with pytest.raises(ValueError, match=r"axis \(1, 3\) is out of range"):
        LayerNormalization(axis=(1, 3)).build((4, 2))
    with pytest.raises(ValueError, match="needs known sizes on axis -1"):
        LayerNormalization().build((3, None))
    for kwargs, what in [({"epsilon": 1e-5}, "has epsilon=1e-05, this one epsilon=0.001"),
                         ({"axis": 1}, r"has axis=\(1,\), this one axis=\(2,\)"),
                         ({"gamma_regularizer": "l2"}, "does not implement gamma_regularizer")]:
        twin = keras.layers.LayerNormalization(**kwargs)
        twin.build((None, 3, 4))
        with pytest.raises(ValueError, match=what):
            LayerNormalization().build((3, 4)).set_from_keras(twin)
