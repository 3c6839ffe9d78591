"""nnbook.engine.layers.core: Dense and Activation. backward against centred differences (< 1e-7 in float64,
random shapes), forward and backward against tf.GradientTape on the Keras twin (<= 1e-6), float32
kept, weights to and from Keras, stability at +-1e4, and clear errors for bad input."""

import keras
import numpy as np
import pytest

from nnbook.engine import layers as L
from nnbook.engine import twins
from nnbook.engine.activations import names as activation_names
from nnbook.engine.gradcheck import check_layer, relative_error

ACTS = activation_names()  # linear, sigmoid, tanh, relu, leaky_relu, gelu, softmax
SEEDS = range(3)


def _random_shape(rng, extra_axes):
    """(n, [T,] d_in) with random sizes."""
    return tuple(int(s) for s in rng.integers(1, 6, size=2 + extra_axes))


def _built_dense(act, seed, extra_axes=0, dtype="float64"):
    rng = np.random.default_rng(seed)
    n, *in_shape = _random_shape(rng, extra_axes)
    layer = L.Dense(int(rng.integers(1, 6)), activation=act).build(tuple(in_shape), rng, dtype)
    layer.params["bias"][...] = rng.normal(size=layer.units)  # non-zero biases
    x = rng.normal(size=(n, *in_shape)).astype(dtype)
    return layer, x, rng


# --- backward against centred differences ---------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("extra_axes", [0, 1])
@pytest.mark.parametrize("act", ACTS)
def test_dense_backward_matches_centred_differences(act, extra_axes, seed):
    layer, x, _ = _built_dense(act, seed, extra_axes)
    errors = check_layer(layer, x)
    assert set(errors) == {"x", "kernel", "bias"}
    assert max(errors.values()) < 1e-7, errors


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("act", ACTS)
def test_activation_backward_matches_centred_differences(act, seed):
    rng = np.random.default_rng(seed)
    shape = _random_shape(rng, 1)
    layer = L.Activation(act).build(shape[1:])
    errors = check_layer(layer, 2 * rng.normal(size=shape))
    assert set(errors) == {"x"} and errors["x"] < 1e-7, errors


# --- against the Keras twin ---------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:You are using a softmax over axis -1")  # 1-unit softmax: fine
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("extra_axes", [0, 1])
@pytest.mark.parametrize("act", ACTS)
def test_dense_matches_gradient_tape_on_the_keras_twin(act, extra_axes, seed):
    layer, x, rng = _built_dense(act, seed, extra_axes)
    y = layer.forward(x)
    r = rng.normal(size=y.shape)
    dx = layer.backward(r)
    klayer = layer.to_keras()
    assert isinstance(klayer, keras.layers.Dense) and klayer.built
    ky, kdx, kgrads = twins.layer_gradients(klayer, x, r)
    errors = {"y": relative_error(y, ky), "x": relative_error(dx, kdx),
              **{k: relative_error(layer.grads[k], kgrads[k]) for k in ("kernel", "bias")}}
    assert max(errors.values()) <= 1e-6, errors


@pytest.mark.parametrize("act", ACTS)
def test_activation_matches_gradient_tape_on_the_keras_twin(act):
    rng = np.random.default_rng(5)
    x = 3 * rng.normal(size=(4, 3, 5))
    layer = L.Activation(act).build((3, 5))
    y = layer.forward(x)
    r = rng.normal(size=y.shape)
    ky, kdx, _ = twins.layer_gradients(layer.to_keras(), x, r)
    assert relative_error(y, ky) <= 1e-6
    assert relative_error(layer.backward(r), kdx) <= 1e-6


@pytest.mark.parametrize("act", ["relu", "gelu", "softmax"])
def test_float32_stays_float32_and_matches_keras(act):
    layer, x, rng = _built_dense(act, 7, dtype="float32")
    assert x.dtype == np.float32 and all(p.dtype == np.float32 for p in layer.params.values())
    y = layer.forward(x)
    r = rng.normal(size=y.shape).astype(np.float32)
    dx = layer.backward(r)
    assert y.dtype == dx.dtype == np.float32
    assert all(g.dtype == np.float32 for g in layer.grads.values())
    klayer = layer.to_keras()
    assert klayer.kernel.dtype == "float32"
    ky, kdx, kgrads = twins.layer_gradients(klayer, x, r)
    # float32: relative error (largest difference over the largest magnitude) at most 1e-5
    assert relative_error(y, ky) <= 1e-5
    assert relative_error(dx, kdx) <= 1e-5
    assert relative_error(layer.grads["kernel"], kgrads["kernel"]) <= 1e-5


def test_float64_layer_casts_float32_input_up():
    layer = L.Dense(3).build((4,), np.random.default_rng(0))
    assert layer(np.ones((2, 4), np.float32)).dtype == np.float64
    assert layer(np.ones((2, 4), np.int64)).dtype == np.float64


@pytest.mark.parametrize("act", ["linear", "sigmoid", "leaky_relu", "gelu", "softmax"])
def test_set_from_keras_and_from_keras(act):
    rng = np.random.default_rng(2)
    twin = L.Dense(4, activation=act).build((3,), rng).to_keras()  # Keras-side activation object
    for v in twin.weights:
        v.assign(rng.normal(size=v.shape))
    layer = twins.from_keras(twin)
    assert isinstance(layer, L.Dense) and layer.units == 4 and layer.activation.name == act
    layer.build((3,), rng).set_from_keras(twin)
    np.testing.assert_array_equal(layer.params["kernel"], np.asarray(twin.kernel))
    np.testing.assert_array_equal(layer.params["bias"], np.asarray(twin.bias))
    x = rng.normal(size=(6, 3))
    np.testing.assert_allclose(layer.forward(x), np.asarray(twin(x)), rtol=1e-6, atol=1e-12)


def test_from_keras_reads_keras_names_and_refuses_what_it_cannot_compute():
    for keras_name, ours in [(None, "linear"), ("relu", "relu"), ("tanh", "tanh"),
                             ("softmax", "softmax"), ("leaky_relu", "leaky_relu")]:
        assert twins.from_keras(keras.layers.Dense(2, activation=keras_name)).activation.name == ours
    assert twins.from_keras(keras.layers.Activation("sigmoid")).activation.name == "sigmoid"
    exact_gelu = keras.layers.Dense(2, activation="gelu")  # Keras's default: the exact erf form
    assert twins.from_keras(exact_gelu).activation.name == "gelu"
    approx = keras.layers.Dense(2, activation=lambda x: keras.activations.gelu(x, approximate=True))
    for refused in (approx, keras.layers.Dense(2, activation="elu"), keras.layers.Activation("swish")):
        with pytest.raises(ValueError, match="computes none of"):
            twins.from_keras(refused)
    with pytest.raises(ValueError, match="no nnbook layer for keras.layers.Lambda"):
        twins.from_keras(keras.layers.Lambda(lambda t: t))


def test_set_from_keras_refuses_a_different_layer():
    rng = np.random.default_rng(0)
    layer = L.Dense(4, activation="relu").build((3,), rng)
    other = L.Dense(5, activation="relu").build((3,), rng).to_keras()
    with pytest.raises(ValueError, match="5 units"):
        layer.set_from_keras(other)
    with pytest.raises(ValueError, match="computes 'tanh'"):
        layer.set_from_keras(L.Dense(4, activation="tanh").build((3,), rng).to_keras())
    with pytest.raises(ValueError, match="shape"):
        layer.set_from_keras(L.Dense(4, activation="relu").build((2,), rng).to_keras())
    with pytest.raises(ValueError, match="weights"):
        no_bias = keras.layers.Dense(4, activation="relu", use_bias=False)
        no_bias.build((None, 3))
        layer.set_from_keras(no_bias)
    with pytest.raises(ValueError, match="not built"):
        layer.set_from_keras(keras.layers.Dense(4, activation="relu"))
    with pytest.raises(TypeError, match="keras.layers.Dense, got Activation"):
        layer.set_from_keras(keras.layers.Activation("relu"))


def test_set_from_keras_copies_into_the_same_arrays():
    rng = np.random.default_rng(0)
    layer = L.Dense(2).build((3,), rng)
    kernel = layer.params["kernel"]
    layer.set_from_keras(L.Dense(2).build((3,), rng).to_keras())
    assert layer.params["kernel"] is kernel  # optimisers and models keep references to params


# --- shapes, initialisers, stability ---------------------------------------------------------------


def test_shapes_and_initializers():
    rng = np.random.default_rng(0)
    layer = L.Dense(7, activation="relu", kernel_initializer="he_normal")
    assert not layer.built and layer.output_shape((4,)) == (7,) and layer.output_shape((3, 4)) == (3, 7)
    layer.build((4,), rng)
    assert layer.params["kernel"].shape == (4, 7) and layer.params["bias"].shape == (7,)
    assert {k: g.shape for k, g in layer.grads.items()} == {"kernel": (4, 7), "bias": (7,)}
    assert not layer.params["bias"].any()
    assert not L.Dense(3, kernel_initializer="zeros").build((2,), rng).params["kernel"].any()
    ones = L.Dense(2, kernel_initializer=lambda shape, rng: np.ones(shape)).build((3,), rng)
    np.testing.assert_array_equal(ones.forward(np.ones((1, 3))), [[3.0, 3.0]])
    assert L.Activation("tanh").output_shape((3, 5)) == (3, 5)
    assert L.Dense(2).build((None, 3), rng).forward(np.ones((1, 9, 3))).shape == (1, 9, 2)


def test_dense_backward_of_a_tiny_example_by_hand():
    layer = L.Dense(1).build((2,), np.random.default_rng(0))
    layer.params["kernel"][...] = [[2.0], [-1.0]]
    layer.params["bias"][...] = [0.5]
    x = np.array([[1.0, 3.0], [0.0, 1.0]])
    np.testing.assert_array_equal(layer.forward(x), [[-0.5], [-0.5]])  # z = 2 x1 - x2 + 0.5
    dx = layer.backward(np.array([[1.0], [2.0]]))
    np.testing.assert_array_equal(layer.grads["kernel"], [[1.0], [5.0]])  # x^T dz
    np.testing.assert_array_equal(layer.grads["bias"], [3.0])
    np.testing.assert_array_equal(dx, [[2.0, -1.0], [4.0, -2.0]])  # dz W^T


@pytest.mark.parametrize("act", ACTS)
def test_large_inputs_stay_finite(act):
    layer = L.Activation(act).build((4,))
    z = np.array([[-1e4, -1.0, 1.0, 1e4], [1e4, 1e4, -1e4, 0.0]])
    a = layer.forward(z)
    da = layer.backward(np.ones_like(z))
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(da))


# --- bad input -------------------------------------------------------------------------------------


def test_bad_construction_raises():
    for units in (0, -3):
        with pytest.raises(ValueError, match="units must be an integer >= 1, got"):
            L.Dense(units)
    for units in (2.5, True, "4"):
        with pytest.raises(TypeError, match="units must be an integer >= 1, got"):
            L.Dense(units)
    assert L.Dense(np.int64(3)).units == 3
    with pytest.raises(ValueError, match="unknown activation 'swish'; choose one of .*softmax"):
        L.Dense(3, activation="swish")
    with pytest.raises(ValueError, match="unknown activation"):
        L.Activation("softplus")
    with pytest.raises(TypeError, match="name"):
        L.Activation(None)
    with pytest.raises(ValueError, match="unknown initializer 'ones'"):
        L.Dense(3, kernel_initializer="ones")
    with pytest.raises(TypeError, match="trainable must be True or False"):
        L.Dense(3, trainable=1)


def test_bad_build_raises():
    for shape in [(), (0,), (3, -1), "4", (2.5,)]:
        with pytest.raises(ValueError, match="input_shape must be a non-empty tuple"):
            L.Dense(2).build(shape, np.random.default_rng(0))
    with pytest.raises(TypeError, match="seed must be an integer >= 0"):
        L.Dense(2).build((3,), seed="zero")
    with pytest.raises(ValueError, match="seed must be an integer >= 0"):
        L.Dense(2).build((3,), seed=-1)
    with pytest.raises(TypeError, match="dtype"):
        L.Dense(2).build((3,), np.random.default_rng(0), dtype="int8")
    with pytest.raises(ValueError, match="last input dimension"):
        L.Dense(2).build((None,), np.random.default_rng(0))


def test_a_seed_or_a_generator_builds_the_same_layer():
    by_seed = L.Dense(3).build((4,), seed=7)
    by_rng = L.Dense(3).build((4,), np.random.default_rng(7))
    np.testing.assert_array_equal(by_seed.params["kernel"], by_rng.params["kernel"])


def test_calling_a_layer_checks_its_input_once():
    layer = L.Dense(3, activation="relu")
    with pytest.raises(RuntimeError, match="not built"):
        layer(np.ones((2, 4)))
    with pytest.raises(RuntimeError, match="not built"):
        layer.to_keras()
    layer.build((4,), np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"Dense input x must have shape \(n, 4\) with n >= 1, got \(2, 5\)"):
        layer(np.ones((2, 5)))
    with pytest.raises(ValueError, match=r"got \(4,\)"):
        layer(np.ones(4))
    with pytest.raises(ValueError, match=r"got \(0, 4\)"):
        layer(np.ones((0, 4)))
    with pytest.raises(ValueError, match="finite"):
        layer(np.array([[1.0, np.nan, 0.0, 0.0]]))
    with pytest.raises(TypeError, match="numeric"):
        layer(np.array([["a", "b", "c", "d"]]))
    x = np.random.default_rng(1).normal(size=(2, 4))
    np.testing.assert_array_equal(layer(x), layer.forward(x))  # the check adds nothing to the math
    assert layer(x.astype(np.float32)).dtype == np.float64     # cast to the layer's dtype
