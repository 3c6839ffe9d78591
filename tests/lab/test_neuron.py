"""Tests for nnbook.lab.neuron: hand-computed cases, NumPy vs Keras, validation, large inputs."""

import math

import numpy as np
import pytest

from nnbook.engine.gradcheck import relative_error
from nnbook.lab import neuron as nn

keras = pytest.importorskip("keras")

ALL_ACTS = ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "gelu"]


def _net(rng, sizes, dtype="float64"):
    return nn.init_params(sizes, rng, dtype=dtype)


# --- hand-computed cases -------------------------------------------------------------------


def test_neuron_by_hand():
    # z = 2*0.5 + 1*(-1) + 0.5*2 + 0.5 = 1.5
    x, w, b = [2.0, 1.0, 0.5], [0.5, -1.0, 2.0], 0.5
    assert nn.neuron(x, w, b, "linear") == pytest.approx(1.5, abs=1e-15)
    assert nn.neuron(x, w, b) == pytest.approx(1 / (1 + math.exp(-1.5)), abs=1e-15)
    assert nn.neuron(x, w, -2.0, "relu") == 0.0
    assert np.ndim(nn.neuron(x, w, b)) == 0


def test_neuron_batch_matches_single():
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=(7, 3)), rng.normal(size=3)
    batch = nn.neuron(x, w, 0.3, "tanh")
    assert batch.shape == (7,)
    for i in range(7):
        assert batch[i] == pytest.approx(nn.neuron(x[i], w, 0.3, "tanh"), abs=1e-15)


def test_dense_by_hand():
    x = np.array([[1.0, 2.0]])
    W = np.array([[1.0, -1.0, 0.5], [2.0, 0.0, -1.0]])
    b = np.array([0.0, 1.0, 0.5])
    # z = [1+4, -1+0+1, 0.5-2+0.5] = [5, 0, -1]
    np.testing.assert_array_equal(nn.dense(x, W, b), [[5.0, 0.0, -1.0]])
    np.testing.assert_array_equal(nn.dense(x, W, b, "relu"), [[5.0, 0.0, 0.0]])
    assert nn.dense(x[0], W, b).shape == (3,)


def test_dense_columns_are_neurons():
    rng = np.random.default_rng(2)
    x, W, b = rng.normal(size=(5, 4)), rng.normal(size=(4, 3)), rng.normal(size=3)
    out = nn.dense(x, W, b, "sigmoid")
    for j in range(3):
        np.testing.assert_allclose(out[:, j], nn.neuron(x, W[:, j], b[j], "sigmoid"), atol=1e-15)


def test_dense_softmax_rows_sum_to_one():
    rng = np.random.default_rng(3)
    p = nn.dense(rng.normal(size=(6, 4)), rng.normal(size=(4, 5)), np.zeros(5), "softmax")
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-12)
    assert np.all(p > 0)


def test_forward_by_hand():
    # 2 inputs -> 2 ReLU units -> 1 linear output, small integers so it can be done on paper.
    W1, b1 = np.array([[1.0, -1.0], [2.0, 1.0]]), np.array([0.0, -1.0])
    W2, b2 = np.array([[1.0], [-2.0]]), np.array([0.5])
    x = np.array([[1.0, 1.0]])
    out, steps = nn.forward(x, [(W1, b1), (W2, b2)], ["relu", "linear"])
    # z1 = [1+2, -1+1-1] = [3, -1]; a1 = [3, 0]; z2 = 3 - 0 + 0.5 = 3.5
    np.testing.assert_array_equal(steps[0][0], [[3.0, -1.0]])
    np.testing.assert_array_equal(steps[0][1], [[3.0, 0.0]])
    np.testing.assert_array_equal(out, [[3.5]])
    assert len(steps) == 2 and steps[1][1] is out


def test_forward_equals_chained_dense():
    rng = np.random.default_rng(4)
    params = _net(rng, [6, 5, 4, 3])
    acts = ["tanh", "relu", "softmax"]
    x = rng.normal(size=(8, 6))
    out, steps = nn.forward(x, params, acts)
    a = x
    for (W, b), name, (z_k, a_k) in zip(params, acts, steps):
        np.testing.assert_allclose(z_k, a @ W + b, atol=1e-14)
        a = nn.dense(a, W, b, name)
        np.testing.assert_allclose(a_k, a, atol=1e-14)
    assert out.shape == (8, 3)


# --- init_params -----------------------------------------------------------------------------


def test_init_params_shapes_and_range():
    params = nn.init_params([64, 32, 10], np.random.default_rng(0))
    assert [(W.shape, b.shape) for W, b in params] == [((64, 32), (32,)), ((32, 10), (10,))]
    for W, b in params:
        r = math.sqrt(6 / sum(W.shape))
        assert W.dtype == np.float64 and np.all(np.abs(W) <= r) and np.abs(W).max() > 0.9 * r
        np.testing.assert_array_equal(b, 0.0)
    # Glorot uniform: variance r^2 / 3 = 2 / (d_in + d_out)
    W = nn.init_params([300, 200], np.random.default_rng(1))[0][0]
    assert W.var() == pytest.approx(2 / 500, rel=0.03)


def test_init_params_reproducible_and_float32():
    a = nn.init_params([3, 4], np.random.default_rng(5))
    b = nn.init_params([3, 4], np.random.default_rng(5))
    np.testing.assert_array_equal(a[0][0], b[0][0])
    p32 = nn.init_params([3, 4], np.random.default_rng(5), dtype="float32")
    assert p32[0][0].dtype == np.float32 and p32[0][1].dtype == np.float32


@pytest.mark.parametrize("sizes, error, match", [
    ([3], ValueError, "at least"), ([], ValueError, "at least"),
    ([3, 0], ValueError, r"sizes\[1\] \(a layer width\) must be an integer >= 1, got 0"),
    ([3, -1], ValueError, "sizes.1. .a layer width. must be an integer >= 1"),
    ([3, 2.5], TypeError, "sizes.1. .a layer width. must be an integer >= 1, got float"),
    ([True, 3], TypeError, "sizes.0. .a layer width. must be an integer >= 1, got bool"),
])
def test_init_params_bad_sizes(sizes, error, match):
    with pytest.raises(error, match=match):
        nn.init_params(sizes, np.random.default_rng(0))


def test_init_params_takes_numpy_integers():
    sizes = list(np.array([4, 3, 2]))  # np.int64 widths, as from an array of layer sizes
    params = nn.init_params(sizes, np.random.default_rng(0), dtype=np.float32)
    assert [W.shape for W, _ in params] == [(4, 3), (3, 2)] and params[0][0].dtype == np.float32


def test_init_params_bad_types():
    with pytest.raises(TypeError, match="Generator"):
        nn.init_params([3, 2], 0)
    with pytest.raises(TypeError, match="list of layer widths"):
        nn.init_params("32", np.random.default_rng(0))
    with pytest.raises(TypeError, match="dtype must be float32 or float64, got 'int32'"):
        nn.init_params([3, 2], np.random.default_rng(0), dtype="int32")


# --- NumPy == Keras --------------------------------------------------------------------------


@pytest.mark.parametrize("hidden", ALL_ACTS)
@pytest.mark.parametrize("out_act", ["linear", "sigmoid", "softmax"])
def test_forward_matches_keras_float64(hidden, out_act):
    rng = np.random.default_rng(6)
    params = _net(rng, [5, 7, 4])
    x = rng.normal(size=(10, 5)) * 2
    out, _ = nn.forward(x, params, [hidden, out_act])
    model = nn.to_keras(params, [hidden, out_act])
    got = np.asarray(model(x))
    assert got.dtype == np.float64 and out.dtype == np.float64
    # the engine's relative error, max |a - b| / max(|a| + |b|): not an entry-by-entry rtol, since
    # Keras's GELU, 0.5 z (1 + erf(z / sqrt 2)), loses digits to cancellation for z << 0
    assert relative_error(out, got) <= 1e-6


@pytest.mark.parametrize("hidden", ALL_ACTS)
def test_forward_matches_keras_float32(hidden):
    rng = np.random.default_rng(7)
    params = _net(rng, [8, 16, 6, 3], dtype="float32")
    x = rng.normal(size=(12, 8)).astype(np.float32)
    acts = [hidden, hidden, "softmax"]
    out, _ = nn.forward(x, params, acts)
    assert out.dtype == np.float32
    got = np.asarray(nn.to_keras(params, acts)(x))
    assert relative_error(out, got) <= 1e-5


def test_to_keras_structure_and_param_count():
    params = _net(np.random.default_rng(8), [64, 32, 10])
    model = nn.to_keras(params, ["relu", "softmax"])
    assert [type(layer).__name__ for layer in model.layers] == ["Dense", "Dense"]
    assert model.count_params() == 64 * 32 + 32 + 32 * 10 + 10
    assert model.input_shape == (None, 64) and model.output_shape == (None, 10)


def test_from_keras_round_trip():
    params = _net(np.random.default_rng(9), [4, 3, 2])
    back = nn.from_keras(nn.to_keras(params, ["tanh", "linear"]))
    assert len(back) == 2
    for (W, b), (W2, b2) in zip(params, back):
        np.testing.assert_array_equal(W, W2)
        np.testing.assert_array_equal(b, b2)


def test_from_keras_reads_a_model_built_by_keras():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    x = np.random.default_rng(10).normal(size=(6, 5)).astype(np.float32)
    params = nn.from_keras(model)
    assert params[0][0].shape == (5, 4) and params[0][0].dtype == np.float32
    out, _ = nn.forward(x, params, ["relu", "softmax"])
    assert relative_error(out, np.asarray(model(x))) <= 1e-5


def test_from_keras_without_bias():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, use_bias=False)])
    (W, b), = nn.from_keras(model)
    assert W.shape == (3, 2)
    np.testing.assert_array_equal(b, 0.0)


def test_from_keras_rejects_other_layers():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2), keras.layers.Dropout(0.5)])
    with pytest.raises(ValueError, match="Dense layers only.*Dropout"):
        nn.from_keras(model)
    with pytest.raises(TypeError, match="keras.Model"):
        nn.from_keras([np.zeros((2, 2))])


# --- bad input -------------------------------------------------------------------------------


def test_neuron_bad_input():
    with pytest.raises(ValueError, match="3 features.*2 weights"):
        nn.neuron([1.0, 2.0, 3.0], [1.0, 2.0], 0.0)
    with pytest.raises(ValueError, match="b must be 0-D"):
        nn.neuron([1.0, 2.0], [1.0, 2.0], [0.0, 1.0])
    with pytest.raises(ValueError, match="w must be 1-D"):
        nn.neuron([1.0, 2.0], [[1.0, 2.0]], 0.0)
    with pytest.raises(ValueError, match="x must be 1-D or 2-D"):
        nn.neuron(np.zeros((2, 2, 2)), [1.0, 2.0], 0.0)
    with pytest.raises(TypeError, match="numeric"):
        nn.neuron(["a", "b"], [1.0, 2.0], 0.0)
    with pytest.raises(TypeError, match="numeric"):
        nn.neuron([1.0, 2.0], [1.0, 2.0], "0")
    with pytest.raises(ValueError, match="finite"):
        nn.neuron([1.0, np.nan], [1.0, 2.0], 0.0)
    with pytest.raises(ValueError, match="unknown activation 'relux'.*sigmoid"):
        nn.neuron([1.0], [1.0], 0.0, "relux")
    with pytest.raises(ValueError, match="one neuron cannot"):
        nn.neuron([1.0], [1.0], 0.0, "softmax")
    with pytest.raises(TypeError, match="name"):
        nn.neuron([1.0], [1.0], 0.0, 3)


def test_dense_bad_input():
    x, W, b = np.zeros((2, 3)), np.zeros((3, 4)), np.zeros(4)
    with pytest.raises(ValueError, match=r"x has 4 features.*d_in=3"):
        nn.dense(np.zeros((2, 4)), W, b)
    with pytest.raises(ValueError, match=r"b must have shape \(4,\), got \(3,\)"):
        nn.dense(x, W, np.zeros(3))
    with pytest.raises(ValueError, match="W must be 2-D"):
        nn.dense(x, np.zeros(3), b)
    with pytest.raises(ValueError, match="finite"):
        nn.dense(x, np.full((3, 4), np.inf), b)
    with pytest.raises(ValueError, match="unknown activation"):
        nn.dense(x, W, b, "softmaxx")


def test_forward_bad_input():
    rng = np.random.default_rng(11)
    p = _net(rng, [3, 4, 2])
    x = np.zeros((5, 3))
    bad_chain = [p[0], (np.zeros((5, 2)), np.zeros(2))]
    with pytest.raises(ValueError, match="layer 2: W has d_in=5.*layer 1 outputs d_out=4"):
        nn.forward(x, bad_chain, ["relu", "linear"])
    with pytest.raises(ValueError, match="one activation per layer: 2 layers, got 1"):
        nn.forward(x, p, ["relu"])
    with pytest.raises(TypeError, match="list of names"):
        nn.forward(x, p, "relu")
    with pytest.raises(TypeError, match="activations must be a list of names, one per layer, got None"):
        nn.forward(x, p, None)  # used to fail inside zip: 'NoneType' object is not iterable
    with pytest.raises(TypeError, match="activations must be a list of names, one per layer, got None"):
        nn.to_keras(p, None)
    assert nn.check_params(p) == [3, 4, 2]  # without activations: only the shapes are checked
    with pytest.raises(ValueError, match="unknown activation 'sigmod'"):
        nn.forward(x, p, ["sigmod", "linear"])
    with pytest.raises(ValueError, match="x has 4 features.*d_in=3"):
        nn.forward(np.zeros((5, 4)), p, ["relu", "linear"])
    with pytest.raises(ValueError, match="empty"):
        nn.forward(x, [], [])
    with pytest.raises(TypeError, match="list of"):
        nn.forward(x, p[0][0], ["relu"])
    with pytest.raises(TypeError, match=r"layer 1 of params must be a \(W, b\) pair"):
        nn.forward(x, [p[0][0]], ["relu"])
    msg = r"layer 1: W has shape \(3, 4\).*b must have shape \(4,\), got \(3,\)"
    with pytest.raises(ValueError, match=msg):
        nn.forward(x, [(p[0][0], np.zeros(3))], ["relu"])


def test_to_keras_bad_input():
    p = _net(np.random.default_rng(12), [3, 4, 2])
    with pytest.raises(ValueError, match="shapes must chain"):
        nn.to_keras([p[0], p[0]], ["relu", "relu"])
    with pytest.raises(ValueError, match="unknown activation"):
        nn.to_keras(p, ["relu", "nope"])


# --- numerical stability ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL_ACTS + ["softmax"])
def test_large_inputs_stay_finite(name):
    rng = np.random.default_rng(13)
    x = np.array([[1e4, -1e4, 1e4], [-1e4, -1e4, -1e4]])
    W, b = rng.normal(size=(3, 4)), rng.normal(size=4)
    out = nn.dense(x, W, b, name)
    assert np.all(np.isfinite(out))
    if name != "softmax":
        assert np.all(np.isfinite(nn.neuron(x, W[:, 0], b[0], name)))
    out, steps = nn.forward(x, [(W, b), (rng.normal(size=(4, 3)), np.zeros(3))], [name, "softmax"])
    assert np.all(np.isfinite(out)) and np.all([np.isfinite(a).all() for _, a in steps])


def test_sigmoid_neuron_saturates_not_overflows():
    with np.errstate(over="raise"):
        assert nn.neuron([1e4], [1.0], 0.0) == 1.0
        assert nn.neuron([-1e4], [1.0], 0.0) == 0.0


# --- dtypes ----------------------------------------------------------------------------------


def test_dtypes():
    x64, w32 = np.ones(3), np.ones(3, dtype=np.float32)
    assert nn.neuron(x64.astype(np.float32), w32, 0.5).dtype == np.float32
    assert nn.neuron(x64, w32, 0.5).dtype == np.float64
    assert nn.neuron([1, 2, 3], [1, 0, 1], 0).dtype == np.float64
    W32, b32 = np.ones((3, 2), np.float32), np.ones(2, np.float32)
    assert nn.dense(x64.astype(np.float32), W32, b32).dtype == np.float32
    assert nn.dense(x64, W32, b32).dtype == np.float64
