"""nnbook.engine.activations: every activation against Keras, against centred differences and against
tf.GradientTape; softmax and its Jacobian; stability at +-1e4; bad input; dtypes; the deep-stack
gradient probe and its Keras twin; dead ReLU units."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from nnbook.engine import activations as A

NAMES = [name for name, act in A.ACTIVATIONS.items() if act.df is not None]  # elementwise
KINKED = {"relu", "leaky_relu"}  # not differentiable at 0
RTOL64, RTOL32 = 1e-6, 1e-5
BIG = np.array([-1e4, -1e3, -50.0, -1.0, 0.0, 1.0, 50.0, 1e3, 1e4])


def _grid(name, lo=-5.0, hi=5.0, n=201):
    z = np.linspace(lo, hi, n)
    if name in KINKED:
        z = z[np.abs(z) > 1e-3]  # centred differences straddle the kink there
    return z


def _rel_err(a, b):
    """max |a - b| / max(|a|, |b|), with 0 / 0 taken as 0."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    scale = np.maximum(np.abs(a), np.abs(b))
    diff = np.abs(a - b)
    return float(np.max(np.where(scale > 0, diff / np.where(scale > 0, scale, 1), 0.0)))


def _tape_grad(keras_fn, z):
    zt = tf.constant(z)
    with tf.GradientTape() as tape:
        tape.watch(zt)
        y = keras_fn(zt)
    return tape.gradient(y, zt).numpy()


# --- every elementwise activation ----------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_numpy_matches_keras_float64(name):
    act = A.get(name)
    z = np.concatenate([np.linspace(-6, 6, 121), [-3e-7, 0.0, 3e-7]])
    np.testing.assert_allclose(act.f(z), np.asarray(act.keras()(z)), rtol=RTOL64, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_numpy_matches_keras_float32(name):
    act = A.get(name)
    z = np.linspace(-6, 6, 121, dtype=np.float32)
    got = act.f(z)
    assert got.dtype == np.float32
    want = np.asarray(act.keras()(z))
    assert want.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=RTOL32, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_derivative_matches_centred_differences(name):
    act = A.get(name)
    z = _grid(name)
    h = 1e-5
    numeric = (act.f(z + h) - act.f(z - h)) / (2 * h)
    assert _rel_err(act.df(z), numeric) < 1e-7


@pytest.mark.parametrize("name", NAMES)
def test_derivative_matches_gradient_tape_on_the_keras_twin(name):
    act = A.get(name)
    z = np.concatenate([_grid(name, -8, 8, 161), [-0.7517916, -1e4, 1e4]])
    # TensorFlow computes float64 GELU with 1/sqrt(2) rounded to float32 (0.70710677), so its
    # derivative is off by ~1e-6 relative, ~5e-9 absolute near GELU's minimum at z = -0.7518
    # (where the derivative crosses 0). Ours passes centred differences to 1e-7 relative.
    atol = 1e-8 if name == "gelu" else 1e-12
    np.testing.assert_allclose(act.df(z), _tape_grad(act.keras(), z), rtol=RTOL64, atol=atol)


@pytest.mark.parametrize("name", NAMES)
def test_large_inputs_stay_finite(name):
    act = A.get(name)
    for dtype in (np.float64, np.float32):
        z = BIG.astype(dtype)
        assert np.all(np.isfinite(act.f(z))) and np.all(np.isfinite(act.df(z)))


@pytest.mark.parametrize("name", NAMES)
def test_float32_in_float32_out_else_float64(name):
    act = A.get(name)
    for fn in (act.f, act.df):
        assert fn(np.ones(3, np.float32)).dtype == np.float32
        assert fn(np.ones(3, np.float64)).dtype == np.float64
        assert fn(np.ones(3, np.int64)).dtype == np.float64
        assert fn([1, 2, 3]).dtype == np.float64
        assert fn(np.ones((2, 3, 4))).shape == (2, 3, 4)


@pytest.mark.parametrize("name", NAMES)
def test_bad_input_raises(name):
    act = A.get(name)
    for fn in (act.f, act.df):
        with pytest.raises(TypeError, match="numeric"):
            fn("1.0")
        with pytest.raises(TypeError, match="numeric"):
            fn(np.array(["a", "b"]))
        with pytest.raises(ValueError, match="finite"):
            fn(np.array([0.0, np.nan]))
        with pytest.raises(ValueError, match="finite"):
            fn(np.array([np.inf]))


def test_get_names_and_errors():
    assert A.get("relu") is A.ACTIVATIONS["relu"]
    assert A.get(A.ACTIVATIONS["tanh"]) is A.ACTIVATIONS["tanh"]
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        A.get("swish")
    with pytest.raises(TypeError, match="name"):
        A.get(3)


def test_known_values_and_bounds():
    assert A.sigmoid(0.0) == 0.5 and A.sigmoid_grad(0.0) == 0.25
    assert A.tanh_grad(0.0) == 1.0
    z = np.linspace(-20, 20, 4001)
    assert np.max(A.sigmoid_grad(z)) == 0.25 and np.max(A.tanh_grad(z)) == 1.0
    np.testing.assert_allclose(A.tanh(z), 2 * A.sigmoid(2 * z) - 1, atol=1e-15)
    np.testing.assert_allclose(A.leaky_relu(np.array([-2.0, 3.0])), [-2 * A.LEAKY_SLOPE, 3.0])
    np.testing.assert_allclose(A.gelu(np.array([1.0])), [0.5 * (1 + math.erf(1 / math.sqrt(2)))])
    np.testing.assert_array_equal(A.relu_grad(np.array([-1.0, 0.0, 1.0])), [0.0, 0.0, 1.0])


def test_sigmoid_and_tanh_derivatives_keep_relative_precision_in_the_tails():
    # sigma'(z) = sigma(z) sigma(-z), and sigma(-z) = e^-z / (1 + e^-z) is accurate for z > 0;
    # the form sigma (1 - sigma) would round 1 - sigma to 0 for z > ~37.
    z = np.array([20.0, 37.0, 40.0, 100.0, 700.0])
    np.testing.assert_allclose(A.sigmoid_grad(z), A.sigmoid(z) * A.sigmoid(-z), rtol=1e-13)
    np.testing.assert_allclose(A.sigmoid_grad(-z), A.sigmoid_grad(z), rtol=0)
    np.testing.assert_allclose(A.sigmoid_grad(40.0), math.exp(-40.0), rtol=1e-14)
    # tanh'(z) = 4 sigma'(2z), and ~ 4 e^-2z far out
    np.testing.assert_allclose(A.tanh_grad(z / 2), 4 * A.sigmoid_grad(z), rtol=1e-13)
    np.testing.assert_allclose(A.tanh_grad(20.0), 4 * math.exp(-40.0), rtol=1e-14)
    assert A.tanh_grad(np.float32(20.0)) > 0


def test_tensorflow_gelu_uses_a_float32_constant_in_float64():
    """Why the GELU tape comparison needs atol=1e-8: TF's own float64 GELU is the one off."""
    z = np.array([-6.0, -0.76, 2.0])
    c32 = float(np.float32(1 / math.sqrt(2)))
    from scipy.special import erfc

    tf_gelu = tf.nn.gelu(tf.constant(z), approximate=False).numpy()
    np.testing.assert_allclose(tf_gelu, 0.5 * z * erfc(-z * c32), rtol=1e-14)
    assert np.max(np.abs(A.gelu(z) / tf_gelu - 1)) > 1e-8  # exact constant: measurably different


def test_gelu_approximate_matches_keras_default():
    z = np.linspace(-6, 6, 121)
    np.testing.assert_allclose(A.gelu(z, approximate=True),
                               np.asarray(keras.activations.gelu(z, approximate=True)),
                               rtol=RTOL64, atol=1e-12)
    h = 1e-5
    numeric = (A.gelu(z + h, True) - A.gelu(z - h, True)) / (2 * h)
    assert _rel_err(A.gelu_grad(z, approximate=True), numeric) < 1e-7


# --- softmax -------------------------------------------------------------------------------------


def test_softmax_matches_keras_float64_and_float32():
    z = np.random.default_rng(0).normal(scale=4, size=(6, 5))
    np.testing.assert_allclose(A.softmax(z), np.asarray(keras.activations.softmax(z)),
                               rtol=RTOL64, atol=1e-12)
    z32 = z.astype(np.float32)
    got = A.softmax(z32)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, np.asarray(keras.activations.softmax(z32)),
                               rtol=RTOL32, atol=1e-6)
    np.testing.assert_allclose(A.softmax(z, axis=0),
                               np.asarray(keras.activations.softmax(z, axis=0)), rtol=RTOL64)


def test_softmax_is_a_distribution_even_at_1e4():
    z = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, -1e4]])
    for dtype in (np.float64, np.float32):
        s = A.softmax(z.astype(dtype))
        assert np.all(np.isfinite(s)) and np.all(s >= 0)
        np.testing.assert_allclose(s.sum(axis=-1), 1.0, rtol=1e-6)
        np.testing.assert_allclose(s, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3], [0.5, 0.5, 0]], atol=1e-7)
        J = A.softmax_jacobian(z.astype(dtype))
        assert np.all(np.isfinite(J))


def test_softmax_shift_invariance():
    z = np.random.default_rng(1).normal(size=7)
    np.testing.assert_allclose(A.softmax(z + 123.0), A.softmax(z), rtol=1e-12)


def test_softmax_jacobian_matches_centred_differences():
    z = np.random.default_rng(2).normal(scale=2, size=5)
    h = 1e-5
    numeric = np.stack([(A.softmax(z + h * e) - A.softmax(z - h * e)) / (2 * h)
                        for e in np.eye(5)], axis=1)  # column j: d s / d z_j
    assert _rel_err(A.softmax_jacobian(z), numeric) < 1e-7
    np.testing.assert_allclose(A.softmax_jacobian(z).sum(axis=0), 0.0, atol=1e-15)


def test_softmax_jacobian_matches_gradient_tape():
    z = np.random.default_rng(3).normal(scale=2, size=(4, 6))
    zt = tf.constant(z)
    with tf.GradientTape() as tape:
        tape.watch(zt)
        s = keras.activations.softmax(zt)
    J_tape = tape.batch_jacobian(s, zt).numpy()
    np.testing.assert_allclose(A.softmax_jacobian(z), J_tape, rtol=RTOL64, atol=1e-12)
    assert A.softmax_jacobian(z[0]).shape == (6, 6)
    np.testing.assert_allclose(A.softmax_jacobian(z[0]), J_tape[0], rtol=RTOL64, atol=1e-12)


def test_softmax_bad_input():
    with pytest.raises(ValueError, match="scalar"):
        A.softmax(3.0)
    with pytest.raises(ValueError, match="scalar"):
        A.softmax_jacobian(np.float64(3.0))
    with pytest.raises(TypeError, match="numeric"):
        A.softmax("abc")
    with pytest.raises(ValueError, match="finite"):
        A.softmax(np.array([1.0, np.nan]))
