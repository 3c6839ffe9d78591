"""nnbook.lab.deep_stacks: stack_gradients against Keras/GradientTape and centred differences,
vanishing sigmoid gradients, dead ReLU units."""


import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from nnbook.engine import activations as A
from nnbook.engine.gradcheck import relative_error as _rel_err
from nnbook.lab import deep_stacks as D

NAMES = [name for name, act in A.ACTIVATIONS.items() if act.df is not None]
RTOL64, RTOL32 = 1e-6, 1e-5


# --- deep stacks: stack_gradients and its Keras twin ---------------------------------------------


def _stack(rng, sizes, gain=1.0, dtype=np.float64):
    return [(rng.standard_normal((a, b)) * gain / math.sqrt(a)).astype(dtype)
            for a, b in zip(sizes[:-1], sizes[1:])]


def _objective(x, Ws, bs, f):
    a = x
    for W, b in zip(Ws, bs):
        a = f(a @ W + b)
    return a.sum() / x.shape[0]


@pytest.mark.parametrize("name", NAMES)
def test_stack_gradients_match_keras_and_gradient_tape(name):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((32, 6))
    Ws = _stack(rng, [6, 8, 8, 8, 3], gain=1.5)
    bs = [rng.standard_normal(W.shape[1]) * 0.1 for W in Ws]
    for biases in (None, bs):
        got = D.stack_gradients(x, Ws, name, biases)
        want = D.keras_stack_gradients(x, Ws, name, biases)
        assert got.shape == (4,) and got.dtype == np.float64 and want.dtype == np.float64
        np.testing.assert_allclose(got, want, rtol=RTOL64)


def test_stack_gradients_float32_matches_keras():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((16, 5)).astype(np.float32)
    Ws = _stack(rng, [5, 7, 7, 2], dtype=np.float32)
    got = D.stack_gradients(x, Ws, "tanh")
    assert got.dtype == np.float32
    want = D.keras_stack_gradients(x, Ws, "tanh")
    assert want.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=RTOL32)
    # one float64 array anywhere -> float64
    assert D.stack_gradients(x.astype(np.float64), Ws, "tanh").dtype == np.float64


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "gelu", "linear"])
def test_stack_gradients_match_centred_differences(name):
    """Rebuild every dJ/dW_l entry by centred differences and compare the layer norms."""
    rng = np.random.default_rng(6)
    x = rng.standard_normal((10, 3))
    Ws = _stack(rng, [3, 4, 4, 2], gain=1.2)
    bs = [rng.standard_normal(W.shape[1]) * 0.3 for W in Ws]
    f = A.get(name).f
    h = 1e-6
    norms = []
    for k, W in enumerate(Ws):
        grad = np.zeros_like(W)
        for idx in np.ndindex(W.shape):
            plus = [w.copy() for w in Ws]
            minus = [w.copy() for w in Ws]
            plus[k][idx] += h
            minus[k][idx] -= h
            grad[idx] = (_objective(x, plus, bs, f) - _objective(x, minus, bs, f)) / (2 * h)
        norms.append(np.linalg.norm(grad))
    assert _rel_err(D.stack_gradients(x, Ws, name, bs), norms) < 1e-7


def test_sigmoid_gradients_vanish_with_depth_relu_do_not():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((64, 32))
    Ws = _stack(rng, [32] * 21, gain=math.sqrt(2.0))
    sig = D.stack_gradients(x, Ws, "sigmoid")
    relu = D.stack_gradients(x, Ws, "relu")
    assert sig[0] < 1e-6 * sig[-1]  # shrinks by orders of magnitude towards the input
    assert sig[0] < 1e-6 * relu[0]
    assert 0.1 < relu[0] / relu[-1] < 10  # He-scaled ReLU: about the same at every depth


def test_linear_stack_gradient_is_exact():
    # one linear layer: dJ/dW = x^T 1 / n, whose columns are all the mean input
    rng = np.random.default_rng(8)
    x = rng.standard_normal((20, 3))
    W = rng.standard_normal((3, 4))
    expected = np.linalg.norm(np.outer(x.mean(axis=0), np.ones(4)))
    np.testing.assert_allclose(D.stack_gradients(x, [W], "linear"), [expected], rtol=1e-14)


def test_stack_gradients_finite_for_large_inputs():
    rng = np.random.default_rng(9)
    x = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]])
    Ws = _stack(rng, [3, 5, 5, 2])
    for name in NAMES:
        assert np.all(np.isfinite(D.stack_gradients(x, Ws, name)))


def test_stack_gradients_bad_input():
    rng = np.random.default_rng(10)
    x = rng.standard_normal((4, 3))
    Ws = _stack(rng, [3, 5, 2])
    with pytest.raises(ValueError, match=r"weights\[1\] must have shape \(5, d_2\)"):
        D.stack_gradients(x, [Ws[0], Ws[0]], "relu")
    with pytest.raises(ValueError, match="2-D"):
        D.stack_gradients(x[0], Ws, "relu")
    with pytest.raises(ValueError, match="at least one layer"):
        D.stack_gradients(x, [], "relu")
    with pytest.raises(TypeError, match="list of 2-D arrays"):
        D.stack_gradients(x, Ws[0], "relu")
    with pytest.raises(ValueError, match="unknown activation"):
        D.stack_gradients(x, Ws, "relux")
    with pytest.raises(TypeError, match="numeric"):
        D.stack_gradients("x", Ws, "relu")
    with pytest.raises(ValueError, match="finite"):
        D.stack_gradients(np.full((4, 3), np.nan), Ws, "relu")
    with pytest.raises(ValueError, match="one bias per layer"):
        D.stack_gradients(x, Ws, "relu", biases=[np.zeros(5)])
    with pytest.raises(ValueError, match=r"biases\[1\] must have shape \(2,\)"):
        D.stack_gradients(x, Ws, "relu", biases=[np.zeros(5), np.zeros(3)])
    with pytest.raises(ValueError, match=r"weights\[1\]"):
        D.keras_stack_gradients(x, [Ws[0], Ws[0]], "relu")


# --- dead ReLUs ----------------------------------------------------------------------------------


def test_dead_units_and_fraction():
    z = np.array([[-1.0, 2.0, 0.0, -3.0], [-0.5, -1.0, 0.0, 4.0], [-2.0, -1.0, -1.0, -1.0]])
    np.testing.assert_array_equal(D.dead_units(z), [True, False, True, False])
    assert D.dead_fraction(z) == 0.5
    assert D.dead_fraction(np.ones((3, 4))) == 0.0
    assert D.dead_fraction(-np.ones((3, 4), np.float32)) == 1.0
    assert D.dead_fraction(np.array([[1e4, -1e4]])) == 0.5


def test_dead_units_get_exactly_zero_gradient():
    """A unit with z <= 0 on every example gets no gradient through ReLU, by tf.GradientTape too."""
    rng = np.random.default_rng(11)
    x = rng.standard_normal((50, 4))
    W = rng.standard_normal((4, 6))
    b = np.array([0.0, -100.0, 0.0, -100.0, 0.0, 0.0])  # units 1 and 3 pushed far below 0
    dead = D.dead_units(x @ W + b)
    assert dead[1] and dead[3] and dead.sum() == 2
    Wt = tf.Variable(W)
    with tf.GradientTape() as tape:
        J = tf.reduce_sum(keras.activations.relu(tf.constant(x) @ Wt + b) ** 2)
    g = tape.gradient(J, Wt).numpy()
    assert np.all(g[:, dead] == 0) and np.all(np.any(g[:, ~dead] != 0, axis=0))


def test_dead_units_bad_input():
    with pytest.raises(ValueError, match="2-D"):
        D.dead_units(np.zeros(3))
    with pytest.raises(ValueError, match="2-D"):
        D.dead_fraction(np.zeros((0, 3)))
    with pytest.raises(TypeError, match="numeric"):
        D.dead_fraction([["a"]])
    with pytest.raises(ValueError, match="finite"):
        D.dead_fraction(np.array([[np.nan, 1.0]]))
