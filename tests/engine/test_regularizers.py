"""nnbook.engine.regularizers: L1, L2, L1L2. Value and gradient against keras.regularizers and
tf.GradientTape (<= 1e-12 relative in float64, 1e-6 in float32), L1's gradient at 0, the registry
and Keras's string identifiers, the twins both ways (and refusals), Dense's penalties against its
Keras twin (`layer.losses`, frozen layers included), and clear errors."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from nnbook.engine import Sequential, regularizers
from nnbook.engine.gradcheck import relative_error
from nnbook.engine.layers import Dense
from nnbook.engine.regularizers import L1, L1L2, L2

CASES = {"L1": lambda: L1(0.03), "L2": lambda: L2(0.07), "L1L2": lambda: L1L2(0.02, 0.05),
         "L1L2-only-l2": lambda: L1L2(l2=0.3), "L1-default": L1, "L2-default": L2}


def _weights(seed, dtype="float64"):
    rng = np.random.default_rng(seed)
    W = rng.normal(size=tuple(rng.integers(1, 7, size=2)))
    W[rng.random(W.shape) < 0.2] = 0.0  # some exact zeros: |W| has a kink there
    return W.astype(dtype)


def _keras_value_and_gradient(keras_regularizer, W):
    w = tf.Variable(W)
    with tf.GradientTape() as tape:
        value = keras_regularizer(w)
    return float(value), np.asarray(tape.gradient(value, w))


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("case", list(CASES))
def test_value_and_gradient_match_keras_in_float64(case, seed):
    reg, W = CASES[case](), _weights(seed)
    value, grad = _keras_value_and_gradient(reg.to_keras(), W)
    assert relative_error(reg(W), value) <= 1e-12
    ours = reg.gradient(W)
    assert ours.dtype == np.float64 and ours.shape == W.shape
    assert relative_error(ours, grad) <= 1e-12


@pytest.mark.parametrize("case", list(CASES))
def test_float32_weights_give_float32_gradients_that_match_keras(case):
    reg, W = CASES[case](), _weights(9, "float32")
    value, grad = _keras_value_and_gradient(reg.to_keras(), W)
    assert reg.gradient(W).dtype == np.float32
    assert relative_error(reg(W), value) <= 1e-6
    assert relative_error(reg.gradient(W), grad) <= 1e-6


def test_l1_gradient_at_zero_is_zero_as_tensorflow_takes_it():
    W = np.array([[-2.0, 0.0], [0.0, 3.0]])
    np.testing.assert_array_equal(L1(0.5).gradient(W), [[-0.5, 0.0], [0.0, 0.5]])
    _, tape_grad = _keras_value_and_gradient(keras.regularizers.L1(0.5), W)
    np.testing.assert_array_equal(tape_grad, [[-0.5, 0.0], [0.0, 0.5]])
    np.testing.assert_array_equal(L1L2(0.5, 0.25).gradient(W), [[-1.5, 0.0], [0.0, 2.0]])


def test_the_definitions_by_hand():
    W = np.array([[1.0, -2.0], [0.0, 3.0]])
    f32 = lambda v: float(np.float32(v))  # noqa: E731 -- Keras's cast of the factor
    assert L1(0.1)(W) == pytest.approx(f32(0.1) * 6.0, rel=1e-15)
    assert L2(0.1)(W) == pytest.approx(f32(0.1) * 14.0, rel=1e-15)  # no 1/2 in front
    assert L1L2(0.1, 0.2)(W) == pytest.approx(f32(0.1) * 6.0 + f32(0.2) * 14.0, rel=1e-15)
    np.testing.assert_allclose(L2(0.1).gradient(W), 2 * f32(0.1) * W, rtol=1e-15)
    assert L1L2()(W) == 0.0 and not L1L2().gradient(W).any()


def test_get_takes_none_names_and_objects():
    assert regularizers.get(None) is None
    reg = L2(0.5)
    assert regularizers.get(reg) is reg
    for name in ("l1", "l2", "l1l2"):  # the same factors as Keras's string identifiers
        ours, theirs = regularizers.get(name), keras.regularizers.get(name)
        assert ours == regularizers.from_keras(theirs), name
    assert regularizers.get("l1") == L1(0.01) and regularizers.get("l1l2") == L1L2(0.0, 0.0)
    with pytest.raises(ValueError, match="unknown regularizer 'l1_l2'; choose one of l1, l2, l1l2"):
        regularizers.get("l1_l2")  # in Keras 3's docstrings, but Keras 3 refuses it too
    with pytest.raises(ValueError, match="Could not interpret regularizer identifier"):
        keras.regularizers.get("l1_l2")
    with pytest.raises(TypeError, match="a regularizer must be None, a name or an nnbook Regularizer"):
        regularizers.get(0.01)
    with pytest.raises(TypeError, match="a regularizer must be None"):
        regularizers.get(keras.regularizers.L2(0.01))  # a Keras object: use from_keras


def test_twins_both_ways_and_equality():
    for reg in (L1(0.25), L2(0.125), L1L2(0.5, 0.0625)):
        twin = reg.to_keras()
        assert type(twin).__name__ == type(reg).__name__
        assert regularizers.from_keras(twin) == reg and hash(regularizers.from_keras(twin)) == hash(reg)
    assert regularizers.from_keras(None) is None
    assert L1(0.1) != L1L2(l1=0.1) and L2(0.1) != L2(0.2)
    assert repr(L1L2(0.1, 0.2)) == "L1L2(l1=0.1, l2=0.2)"


def test_from_keras_refuses_what_it_cannot_represent():
    with pytest.raises(ValueError, match="no twin of the regularizer OrthogonalRegularizer"):
        regularizers.from_keras(keras.regularizers.OrthogonalRegularizer(0.1))

    class Doubled(keras.regularizers.L2):  # a custom penalty, even one built on L2
        def __call__(self, x):
            return 2 * super().__call__(x)

    with pytest.raises(ValueError, match="no twin of the regularizer Doubled"):
        regularizers.from_keras(Doubled(0.1))

    class L2(keras.regularizers.L2):  # noqa: N801 -- the same name, defined outside Keras
        pass

    with pytest.raises(ValueError, match="no twin of the regularizer L2"):
        regularizers.from_keras(L2(0.1))


@pytest.mark.parametrize("bad, error, message", [
    (-0.01, ValueError, r"l2 must lie in \[0, inf\), got -0.01"),
    (float("nan"), ValueError, "l2 must lie in"),
    (float("inf"), ValueError, "l2 must lie in"), ("0.01", TypeError, "l2 must be a number"),
    (True, TypeError, "l2 must be a number"), (None, TypeError, "l2 must be a number")])
def test_bad_factors_raise(bad, error, message):
    with pytest.raises(error, match=message):
        L2(bad)
    with pytest.raises(error, match=message):
        L1L2(0.1, bad)
    with pytest.raises(error, match=message.replace("l2", "l1")):
        L1(bad)


# --- on a Dense layer, against its Keras twin -------------------------------------------------------


def _regularized_model(dtype="float64"):
    return Sequential([Dense(5, activation="relu", kernel_regularizer=L1(0.03)),
                       Dense(4, activation="tanh", kernel_regularizer="l2", bias_regularizer=L2(0.2)),
                       Dense(3, kernel_regularizer=L1L2(0.01, 0.04))]).build((6,), seed=2, dtype=dtype)


def test_dense_penalty_and_its_gradients_equal_the_keras_twins_losses():
    model = _regularized_model()
    for layer in model.layers:
        layer.params["bias"][...] = np.random.default_rng(0).normal(size=layer.units)
    twin = model.to_keras()
    assert [type(layer.kernel_regularizer).__name__ for layer in twin.layers] == ["L1", "L2", "L1L2"]
    assert type(twin.layers[1].bias_regularizer).__name__ == "L2" and twin.layers[0].bias_regularizer is None
    with tf.GradientTape() as tape:
        total = tf.add_n(twin.losses)
    theirs = tape.gradient(total, twin.trainable_weights)
    assert relative_error(model.penalty(), float(total)) <= 1e-12
    ours = model.penalty_gradients()
    assert sorted(ours) == ["0/kernel", "1/bias", "1/kernel", "2/kernel"]
    by_key = dict(zip(model.trainable_params(), theirs))  # Keras's order: kernel, bias, ...
    for key, grad in ours.items():
        assert relative_error(grad, by_key[key]) <= 1e-12, key
    assert Dense(3).build((2,)).penalty() == 0.0 and Dense(3).build((2,)).penalty_gradients() == {}


def test_a_frozen_layer_adds_no_penalty_as_in_keras():
    model = _regularized_model()
    model.layers[1].trainable = False
    twin = model.to_keras()
    expected = model.layers[0].penalty() + model.layers[2].penalty()
    assert model.penalty() == pytest.approx(expected, rel=1e-15) and model.layers[1].penalty() == 0.0
    assert "1/kernel" not in model.penalty_gradients()
    assert relative_error(model.penalty(), float(tf.add_n(twin.losses))) <= 1e-12


def test_dense_regularizers_come_back_from_keras():
    model = _regularized_model()
    back = Sequential.from_keras(model.to_keras())
    for ours, theirs in zip(model.layers, back.layers):
        assert ours.kernel_regularizer == theirs.kernel_regularizer
        assert ours.bias_regularizer == theirs.bias_regularizer
        assert ours.regularizers == theirs.regularizers
    assert back.penalty() == pytest.approx(model.penalty(), rel=1e-15)


def test_dense_from_keras_refuses_penalties_it_cannot_represent():
    from nnbook.engine import twins

    with pytest.raises(ValueError, match="no twin of the regularizer OrthogonalRegularizer"):
        twins.from_keras(keras.layers.Dense(3, kernel_regularizer=keras.regularizers.OrthogonalRegularizer()))
    with pytest.raises(ValueError, match="has an activity_regularizer, which nnbook layers do not have"):
        twins.from_keras(keras.layers.Dense(3, activity_regularizer="l2"))


def test_set_from_keras_refuses_a_twin_with_other_penalties():
    ours = Dense(3, kernel_regularizer=L2(0.1)).build((2,))
    other = Dense(3, kernel_regularizer=L2(0.2)).build((2,)).to_keras()
    with pytest.raises(ValueError, match=r"has kernel_regularizer=L2\(l2=0.2\), this one L2\(l2=0.1\)"):
        ours.set_from_keras(other)
    with pytest.raises(ValueError, match=r"bias_regularizer=None, this one L1\(l1=0.01\)"):
        Dense(3, bias_regularizer="l1").build((2,)).set_from_keras(Dense(3).build((2,)).to_keras())


def test_dense_rejects_bad_regularizers():
    with pytest.raises(ValueError, match="unknown regularizer 'L2'"):
        Dense(3, kernel_regularizer="L2")
    with pytest.raises(TypeError, match="a regularizer must be None, a name or an nnbook Regularizer"):
        Dense(3, bias_regularizer=keras.regularizers.L1(0.1))


def test_penalties_stay_finite_for_large_weights():
    W = np.full((3, 3), 1e4)
    for reg in (L1(0.01), L2(0.01), L1L2(0.01, 0.01)):
        assert np.isfinite(reg(W)) and np.isfinite(reg.gradient(-W)).all()


def test_factors_read_back_from_keras_are_the_decimals_given():
    # Keras's L1 keeps its factor as a float32 tensor; the twin reads 0.03 back, not 0.0299999993
    assert regularizers.from_keras(keras.regularizers.L1(0.03)).l1 == 0.03
    assert regularizers.from_keras(keras.regularizers.L1L2(0.1, 0.7)).factors() == {"l1": 0.1, "l2": 0.7}
    assert L2(0.1) == L2(0.1 + 1e-12)  # the same float32 factor: the same penalty
