"""nnbook.engine.layers.convolution and .pooling: Conv2D, Conv1D, the max/average/global pools.

Over a grid of kernel sizes (odd and even), strides, paddings, dilations and odd/even input sizes:
backward against centred differences (< 1e-7, float64), for the readable loops and the im2col
path; the two equal to each other (forward and every gradient); forward and backward against
tf.GradientTape on the Keras twin (<= 1e-6 float64, relative <= 1e-5 float32); Keras's output
shapes and "same" padding split; max-pool ties as TensorFlow's gradient routes them; weights both
ways and a whole CNN (Conv2D, MaxPooling2D, Flatten, Dense) transferred and trained in lockstep
with Keras; frozen twins; +-1e4 inputs; clear errors for bad arguments and inputs."""

import keras
import numpy as np
import pytest

from nnbook.engine import losses, optimizers, twins
from nnbook.engine.gradcheck import check_layer, relative_error
from nnbook.engine.layers import (
    AveragePooling1D,
    AveragePooling2D,
    Conv1D,
    Conv2D,
    Dense,
    Flatten,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    MaxPooling1D,
    MaxPooling2D,
)
from nnbook.engine.layers.convolution import output_length, padding_amounts
from nnbook.engine.model import Sequential

CONV2D = [  # odd and even kernels, strides, both paddings, dilations, no bias
    dict(kernel_size=3),
    dict(kernel_size=2, padding="same"),
    dict(kernel_size=(2, 3), strides=2, padding="same"),
    dict(kernel_size=(3, 2), strides=(2, 3)),
    dict(kernel_size=4, strides=3, padding="same"),
    dict(kernel_size=2, dilation_rate=2, padding="same"),
    dict(kernel_size=3, dilation_rate=(1, 2)),
    dict(kernel_size=1, strides=2),
    dict(kernel_size=3, padding="same", use_bias=False),
]
CONV1D = [
    dict(kernel_size=3),
    dict(kernel_size=2, padding="same"),
    dict(kernel_size=4, strides=2, padding="same"),
    dict(kernel_size=3, dilation_rate=2, padding="causal"),
    dict(kernel_size=2, strides=3, padding="causal"),
]
POOL2D = [
    dict(pool_size=2),
    dict(pool_size=2, padding="same"),
    dict(pool_size=3, strides=2, padding="same"),
    dict(pool_size=3, strides=1),
    dict(pool_size=(2, 3), strides=(1, 2), padding="same"),
]
POOL1D = [dict(pool_size=2), dict(pool_size=3, strides=2, padding="same"), dict(pool_size=2, strides=1)]


def _conv(cls, case, seed, dtype="float64", **kw):
    """A built conv layer for `case` on random sizes (5-9 per spatial axis, odd and even), with
    non-zero biases, and an input batch for it."""
    rng = np.random.default_rng(seed)
    sizes = tuple(int(s) for s in rng.integers(5, 10, size=cls.rank))
    c_in, filters, n = (int(v) for v in rng.integers(1, 4, size=3))
    layer = cls(filters, **case, **kw).build((*sizes, c_in), rng, dtype)
    if layer.use_bias:
        layer.params["bias"][...] = rng.normal(size=filters)
    return layer, rng.normal(size=(n, *sizes, c_in)).astype(dtype), rng


def _pool(cls, case, seed, dtype="float64"):
    rng = np.random.default_rng(seed)
    sizes = tuple(int(s) for s in rng.integers(3, 8, size=cls.rank))
    c, n = (int(v) for v in rng.integers(1, 4, size=2))
    layer = cls(**case).build((*sizes, c), rng, dtype)
    return layer, rng.normal(size=(n, *sizes, c)).astype(dtype), rng


def _against_keras(layer, x, rng, tol):
    """The largest relative error of y, dL/dx and every gradient against the Keras twin."""
    y = layer.forward(x)
    r = rng.normal(size=y.shape).astype(x.dtype)
    dx = layer.backward(r)
    ky, kdx, kgrads = twins.layer_gradients(layer.to_keras(), x, r)
    assert y.shape == ky.shape and set(kgrads) == set(layer.grads)
    errors = {"y": relative_error(y, ky), "x": relative_error(dx, kdx),
              **{k: relative_error(layer.grads[k], kgrads[k]) for k in layer.grads}}
    assert max(errors.values()) <= tol, errors


CONV_CASES = [(Conv2D, c) for c in CONV2D] + [(Conv1D, c) for c in CONV1D]
POOL_CASES = ([(MaxPooling2D, c) for c in POOL2D] + [(AveragePooling2D, c) for c in POOL2D]
              + [(MaxPooling1D, c) for c in POOL1D] + [(AveragePooling1D, c) for c in POOL1D])


def _id(case):
    return "-".join(f"{k}={v}" for k, v in case.items())


# --- backward against centred differences ---------------------------------------------------------


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("cls,case", CONV_CASES, ids=[f"{c.__name__}-{_id(k)}" for c, k in CONV_CASES])
def test_conv_backward_matches_centred_differences(cls, case, fast):
    layer, x, _ = _conv(cls, case, seed=len(_id(case)), activation="tanh", fast=fast)
    errors = check_layer(layer, x)
    assert set(errors) == {"x", "kernel", *(["bias"] if layer.use_bias else [])}
    assert max(errors.values()) < 1e-7, errors


@pytest.mark.parametrize("cls,case", POOL_CASES, ids=[f"{c.__name__}-{_id(k)}" for c, k in POOL_CASES])
def test_pool_backward_matches_centred_differences(cls, case):
    layer, x, _ = _pool(cls, case, seed=3)  # random normal entries: no ties
    errors = check_layer(layer, x)
    assert set(errors) == {"x"} and errors["x"] < 1e-7, errors


@pytest.mark.parametrize("cls", [GlobalAveragePooling2D, GlobalAveragePooling1D])
def test_global_pool_backward_matches_centred_differences(cls):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, *[5, 4][:cls.rank], 2))
    layer = cls().build(x.shape[1:])
    assert check_layer(layer, x)["x"] < 1e-7


# --- the readable loops and the im2col path compute the same thing --------------------------------


@pytest.mark.parametrize("cls,case", CONV_CASES, ids=[f"{c.__name__}-{_id(k)}" for c, k in CONV_CASES])
def test_readable_loops_equal_the_fast_path(cls, case):
    fast, x, rng = _conv(cls, case, seed=11, activation="relu")
    loops = cls(fast.filters, **case, activation="relu", fast=False).build(fast.input_shape)
    loops.set_weights(fast.get_weights())
    y = fast.forward(x)
    np.testing.assert_allclose(loops.forward(x), y, rtol=1e-12, atol=1e-12)
    dy = rng.normal(size=y.shape)
    np.testing.assert_allclose(loops.backward(dy), fast.backward(dy), rtol=1e-12, atol=1e-12)
    for k in fast.grads:
        np.testing.assert_allclose(loops.grads[k], fast.grads[k], rtol=1e-12, atol=1e-12)


# --- against the Keras twin -----------------------------------------------------------------------


@pytest.mark.parametrize("act", ["linear", "relu"])
@pytest.mark.parametrize("cls,case", CONV_CASES, ids=[f"{c.__name__}-{_id(k)}" for c, k in CONV_CASES])
def test_conv_matches_gradient_tape_on_the_keras_twin(cls, case, act):
    layer, x, rng = _conv(cls, case, seed=5, activation=act)
    assert layer.output_shape(layer.input_shape) == layer.to_keras().compute_output_shape(
        (None, *layer.input_shape))[1:]
    _against_keras(layer, x, rng, 1e-6)


@pytest.mark.parametrize("cls,case", POOL_CASES, ids=[f"{c.__name__}-{_id(k)}" for c, k in POOL_CASES])
def test_pool_matches_gradient_tape_on_the_keras_twin(cls, case):
    layer, x, rng = _pool(cls, case, seed=8)
    _against_keras(layer, x, rng, 1e-6)


@pytest.mark.parametrize("cls", [GlobalAveragePooling2D, GlobalAveragePooling1D])
def test_global_pool_matches_the_keras_twin(cls):
    rng = np.random.default_rng(1)
    layer = cls().build((*[6, 5][:cls.rank], 3))
    _against_keras(layer, rng.normal(size=(4, *layer.input_shape)), rng, 1e-6)
    assert layer.output_shape(layer.input_shape) == (3,)


@pytest.mark.parametrize("cls,case", [(Conv2D, CONV2D[2]), (Conv2D, CONV2D[5]), (Conv1D, CONV1D[3]),
                                      (MaxPooling2D, POOL2D[2]), (AveragePooling2D, POOL2D[4])])
def test_float32_stays_float32_and_matches_keras(cls, case):
    if cls in (Conv2D, Conv1D):
        layer, x, rng = _conv(cls, case, seed=2, dtype="float32", activation="relu")
    else:
        layer, x, rng = _pool(cls, case, seed=2, dtype="float32")
    y = layer.forward(x)
    dx = layer.backward(np.ones_like(y))
    assert y.dtype == dx.dtype == np.float32 and all(g.dtype == np.float32 for g in layer.grads.values())
    _against_keras(layer, x, rng, 1e-5)


@pytest.mark.parametrize("n,k,stride,dilation", [(5, 2, 1, 1), (6, 3, 2, 1), (7, 4, 2, 1), (6, 4, 3, 1),
                                                 (5, 2, 1, 3), (8, 3, 1, 2), (4, 1, 3, 1), (9, 6, 4, 1)])
def test_same_padding_splits_as_keras_does(n, k, stride, dilation):
    """Keras/TF: the odd zero goes after (bottom/right); shown on a kernel of ones over 1, 2, ..."""
    before, after = padding_amounts(n, k, stride, "same", dilation)
    assert after - before in (0, 1) and output_length(n, k, stride, "same", dilation) == -(-n // stride)
    layer = Conv1D(1, k, strides=stride, padding="same", dilation_rate=dilation, use_bias=False,
                   kernel_initializer=lambda shape, rng: np.ones(shape)).build((n, 1))
    x = np.arange(1.0, n + 1).reshape(1, n, 1)
    np.testing.assert_array_equal(layer.forward(x), np.asarray(layer.to_keras()(x)))
    x_pad = np.concatenate([np.zeros(before), x.ravel(), np.zeros(after)])
    np.testing.assert_array_equal(layer.forward(x).ravel()[0],
                                  x_pad[:dilation * (k - 1) + 1:dilation].sum())


# --- max-pool ties -------------------------------------------------------------------------------


@pytest.mark.parametrize("case", [dict(pool_size=2), dict(pool_size=3, strides=1, padding="same"),
                                  dict(pool_size=(2, 3), strides=(1, 2), padding="same")])
def test_max_pool_ties_route_the_gradient_as_tensorflow_does(case):
    """TensorFlow sends a window's gradient to its first largest entry (row-major) when several
    tie; so do we. On images of 0s, 1s and 2s nearly every window has ties."""
    rng = np.random.default_rng(4)
    x = rng.integers(0, 3, size=(2, 6, 7, 2)).astype(np.float64)
    layer = MaxPooling2D(**case).build(x.shape[1:])
    y = layer.forward(x)
    dy = rng.normal(size=y.shape)
    _, kdx, _ = twins.layer_gradients(layer.to_keras(), x, dy)
    np.testing.assert_allclose(layer.backward(dy), kdx, rtol=1e-12, atol=1e-12)


def test_max_pool_tie_by_hand():
    layer = MaxPooling2D(2).build((2, 4, 1))
    x = np.array([[1.0, 1.0, 0.0, 2.0], [1.0, 1.0, 2.0, 2.0]]).reshape(1, 2, 4, 1)
    np.testing.assert_array_equal(layer.forward(x).ravel(), [1.0, 2.0])
    dx = layer.backward(np.array([10.0, 20.0]).reshape(1, 1, 2, 1))
    np.testing.assert_array_equal(dx.reshape(2, 4), [[10, 0, 0, 20], [0, 0, 0, 0]])


# --- shapes, by hand ---------------------------------------------------------------------------------


def test_conv_by_hand_and_parameter_shapes():
    layer = Conv2D(1, 2, use_bias=False, kernel_initializer=lambda shape, rng: np.ones(shape))
    layer.build((3, 3, 1))
    assert layer.params["kernel"].shape == (2, 2, 1, 1) and "bias" not in layer.params
    x = np.arange(9.0).reshape(1, 3, 3, 1)
    np.testing.assert_array_equal(layer.forward(x)[0, :, :, 0], [[8, 12], [20, 24]])  # sums of 2x2 blocks
    conv1d = Conv1D(4, 5, padding="same").build((40, 1))
    assert conv1d.params["kernel"].shape == (5, 1, 4) and conv1d.output_shape((40, 1)) == (40, 4)
    assert Conv2D(8, 3, strides=2, padding="same").output_shape((28, 28, 3)) == (14, 14, 8)
    assert Conv2D(8, 3).output_shape((None, 28, 3)) == (None, 26, 8)
    assert MaxPooling2D().output_shape((7, 7, 3)) == (3, 3, 3)
    assert MaxPooling2D(padding="same").output_shape((7, 7, 3)) == (4, 4, 3)
    assert AveragePooling1D(3, 2).output_shape((10, 2)) == (4, 2)


def test_average_pool_same_divides_by_the_real_entries():
    layer = AveragePooling2D(2, padding="same").build((3, 3, 1))
    y = layer.forward(np.ones((1, 3, 3, 1)))
    np.testing.assert_array_equal(y, np.ones((1, 2, 2, 1)))  # the padded zeros are not averaged in


# --- weights both ways, a whole CNN, frozen twins --------------------------------------------------


@pytest.mark.parametrize("cls,case", [(Conv2D, CONV2D[2]), (Conv2D, CONV2D[8]), (Conv1D, CONV1D[3])])
def test_weights_go_to_keras_and_back(cls, case):
    layer, x, rng = _conv(cls, case, seed=6, activation="relu", kernel_regularizer="l2")
    twin = layer.to_keras()
    assert type(twin).__name__ == cls.__name__ and twins.max_weight_difference(layer, twin) == 0
    for v in twin.weights:
        v.assign(rng.normal(size=v.shape))
    copy = twins.from_keras(twin)
    assert isinstance(copy, cls) and copy.kernel_regularizer == layer.kernel_regularizer
    assert (copy.kernel_size, copy.strides, copy.padding, copy.dilation_rate, copy.use_bias) == (
        layer.kernel_size, layer.strides, layer.padding, layer.dilation_rate, layer.use_bias)
    copy.build(layer.input_shape).set_from_keras(twin)
    assert twins.max_weight_difference(copy, twin) == 0
    np.testing.assert_allclose(copy.forward(x), np.asarray(twin(x)), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(copy.penalty(), float(sum(twin.losses)), rtol=1e-6)


def test_set_from_keras_refuses_a_different_layer():
    layer = Conv2D(4, 3, activation="relu").build((8, 8, 2))
    for other, message in [(Conv2D(4, 3, strides=2, activation="relu"), "strides"),
                           (Conv2D(4, 3, padding="same", activation="relu"), "padding"),
                           (Conv2D(4, 3, activation="tanh"), "computes 'tanh'"),
                           (Conv2D(4, 3, activation="relu", use_bias=False), "use_bias"),
                           (Conv2D(4, 3, activation="relu", kernel_regularizer="l2"), "kernel_regularizer")]:
        with pytest.raises(ValueError, match=message):
            layer.set_from_keras(other.build((8, 8, 2)).to_keras())
    with pytest.raises(TypeError, match="keras.layers.Conv2D, got Conv1D"):
        layer.set_from_keras(Conv1D(4, 3).build((8, 2)).to_keras())
    channels_first = keras.layers.Conv2D(4, 3, data_format="channels_first")
    with pytest.raises(ValueError, match="channels_last"):
        twins.from_keras(channels_first)
    pool = MaxPooling2D(2).build((8, 8, 2))
    with pytest.raises(ValueError, match="strides"):
        pool.set_from_keras(MaxPooling2D(2, strides=1).build((8, 8, 2)).to_keras())
    with pytest.raises(ValueError, match="keepdims"):
        twins.from_keras(keras.layers.GlobalAveragePooling2D(keepdims=True))


def _cnn(conv_kwargs=None):
    return Sequential([Conv2D(4, 3, activation="relu", **(conv_kwargs or {})), MaxPooling2D(2),
                       Conv2D(6, 3, padding="same", activation="relu"), AveragePooling2D(2, padding="same"),
                       Flatten(), Dense(3, activation="softmax")])


def test_a_cnn_transfers_both_ways_in_channels_last_order():
    rng = np.random.default_rng(0)
    model = _cnn().build((10, 9, 2), seed=1)
    twin = model.to_keras()
    x = rng.normal(size=(5, 10, 9, 2))
    np.testing.assert_allclose(model.predict(x), np.asarray(twin(x)), rtol=1e-10, atol=1e-12)
    for v in twin.weights:
        v.assign(0.3 * rng.normal(size=v.shape))
    back = Sequential.from_keras(twin)
    assert [type(layer).__name__ for layer in back.layers] == [type(layer).__name__ for layer in model.layers]
    assert twins.max_weight_difference(back, twin) == 0
    np.testing.assert_allclose(back.predict(x), np.asarray(twin(x)), rtol=1e-10, atol=1e-12)
    dense = back.layers[-1].params["kernel"]  # Flatten's order is Keras's: a kernel row per (h, w, c)
    assert dense.shape == (2 * 2 * 6, 3)


@pytest.fixture
def keras_floatx_float64():
    """Keras 3.15 adds a float64 model's penalties to a float32 loss (and fails) unless floatx is
    float64."""
    before = keras.config.floatx()
    keras.config.set_floatx("float64")
    yield
    keras.config.set_floatx(before)


def test_a_cnn_trains_in_lockstep_with_keras(keras_floatx_float64):
    """Two epochs of Adam on the same batches, with an L2 penalty on the first kernel (the hook
    Dense uses): every batch's loss and the final weights agree."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(96, 10, 9, 2))
    y = (x[:, :5, :, 0].mean(axis=(1, 2)) > 0).astype(int) + (x[:, :, :4, 1].mean(axis=(1, 2)) > 0)
    model = _cnn({"kernel_regularizer": "l2"}).build((10, 9, 2), seed=3)
    model.compile(losses.SparseCategoricalCrossentropy(), optimizers.Adam(0.01))
    twin = model.to_keras()
    model.fit(x, y, epochs=2, batch_size=16, seed=4, verbose=0)
    log = twins.fit_same_batches(twin, x, y, epochs=2, batch_size=16, seed=4)
    assert len(model.batch_losses) == 12
    np.testing.assert_allclose(log["batch_losses"], model.batch_losses, rtol=1e-6)
    assert model.batch_losses[-1] < model.batch_losses[0]  # it did learn something
    assert model.penalty() > 0.01 * model.batch_losses[-1]  # and the penalty is part of what agrees
    assert twins.max_weight_difference(model, twin) < 1e-6


def test_a_frozen_conv_layer_passes_gradients_and_its_twin_is_frozen():
    rng = np.random.default_rng(5)
    model = _cnn().build((10, 9, 2), seed=0)
    model.layers[0].trainable = False
    model.compile(losses.SparseCategoricalCrossentropy(), optimizers.Adam(0.01))
    assert not any(k.startswith("0/") for k in model.trained_keys) and "2/kernel" in model.trained_keys
    twin = model.to_keras()
    assert not twin.layers[0].trainable and twin.layers[2].trainable
    frozen = [w.copy() for w in model.layers[0].get_weights()]
    before = model.layers[2].params["kernel"].copy()
    x, y = rng.normal(size=(32, 10, 9, 2)), rng.integers(0, 3, size=32)
    model.fit(x, y, epochs=1, batch_size=16, seed=0, verbose=0)
    twins.fit_same_batches(twin, x, y, epochs=1, batch_size=16, seed=0)
    assert all(np.array_equal(a, b) for a, b in zip(model.layers[0].get_weights(), frozen))
    assert not np.allclose(model.layers[2].params["kernel"], before)
    assert np.abs(model.layers[0].grads["kernel"]).sum() > 0  # computed, just not applied
    assert twins.max_weight_difference(model, twin) < 1e-6


# --- stability ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("layer", [Conv2D(3, 3, padding="same", activation="softmax"),
                                   Conv2D(2, 2, activation="tanh"), MaxPooling2D(2, padding="same"),
                                   AveragePooling2D(3, 1, "same"), GlobalAveragePooling2D()], ids=repr)
def test_large_inputs_stay_finite(layer):
    x = np.where(np.random.default_rng(0).random((2, 5, 5, 2)) < 0.5, -1e4, 1e4)
    layer.build(x.shape[1:])
    y = layer.forward(x)
    dx = layer.backward(np.ones_like(y))
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(dx))
    assert all(np.all(np.isfinite(g)) for g in layer.grads.values())


# --- bad input -----------------------------------------------------------------------------------------


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="filters must be an integer >= 1, got 0"):
        Conv2D(0, 3)
    with pytest.raises(TypeError, match="filters must be an integer >= 1, got float"):
        Conv2D(2.0, 3)
    with pytest.raises(TypeError, match="kernel_size must be an integer or a tuple of 2 .*got a tuple of 3"):
        Conv2D(2, (3, 3, 3))
    with pytest.raises(TypeError, match="kernel_size must be an integer or a tuple of 1 integers"):
        Conv1D(2, (3, 3))
    with pytest.raises(ValueError, match="strides must be an integer >= 1, got 0"):
        Conv2D(2, 3, strides=(1, 0))
    with pytest.raises(TypeError, match="dilation_rate must be an integer or a tuple of 2 .*, got bool"):
        Conv2D(2, 3, dilation_rate=True)
    with pytest.raises(ValueError, match="strides > 1 and dilation_rate > 1 cannot be combined"):
        Conv2D(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="padding must be one of 'valid', 'same', got 'causal'"):
        Conv2D(2, 3, padding="causal")
    with pytest.raises(ValueError, match="padding must be one of 'valid', 'same', 'causal', got 'full'"):
        Conv1D(2, 3, padding="full")
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        Conv2D(2, 3, activation="swish")
    with pytest.raises(TypeError, match="use_bias must be True or False"):
        Conv2D(2, 3, use_bias=1)
    with pytest.raises(TypeError, match="fast must be True or False"):
        Conv2D(2, 3, fast="yes")
    with pytest.raises(ValueError, match="unknown regularizer|l3"):
        Conv2D(2, 3, kernel_regularizer="l3")
    with pytest.raises(TypeError, match="pool_size must be an integer or a tuple of 2 integers"):
        MaxPooling2D(pool_size=[2])
    with pytest.raises(ValueError, match="pool_size must be an integer >= 1, got 0"):
        AveragePooling1D(0)
    with pytest.raises(ValueError, match="padding must be one of 'valid', 'same', got 'causal'"):
        MaxPooling1D(2, padding="causal")


def test_bad_input_shapes_raise_clear_errors():
    with pytest.raises(ValueError, match=r"Conv2D needs inputs \(height, width, channels\) .* \(28, 28\)"):
        Conv2D(2, 3).build((28, 28))
    with pytest.raises(ValueError, match=r"Conv1D needs inputs \(length, channels\) .* \(28, 28, 1\)"):
        Conv1D(2, 3).build((28, 28, 1))
    with pytest.raises(ValueError, match="needs a known number of channels"):
        Conv2D(2, 3).build((8, 8, None))
    with pytest.raises(ValueError, match=r"the kernel \(5, 5\) .* is larger than the input \(4, 6\)"):
        Conv2D(2, 5).build((4, 6, 1))
    with pytest.raises(ValueError, match=r"the pool \(3, 3\) is larger than the input \(2, 5\)"):
        MaxPooling2D(3).build((2, 5, 1))
    with pytest.raises(ValueError, match=r"GlobalAveragePooling1D needs inputs \(length, channels\)"):
        GlobalAveragePooling1D().build((4, 4, 1))
    layer = Conv2D(2, 3).build((8, 8, 3))
    with pytest.raises(ValueError, match=r"Conv2D input x must have shape \(n, 8, 8, 3\).* \(2, 8, 8, 1\)"):
        layer(np.ones((2, 8, 8, 1)))
    with pytest.raises(ValueError, match=r"got \(8, 8, 3\)"):
        layer(np.ones((8, 8, 3)))
    with pytest.raises(ValueError, match="finite"):
        layer(np.full((1, 8, 8, 3), np.nan))
    x = np.random.default_rng(0).normal(size=(2, 8, 8, 3))
    np.testing.assert_array_equal(layer(x), layer.forward(x))  # the check adds nothing to the math
