"""nnbook.engine.gradcheck: centred differences on functions with known derivatives, the relative error,
and check_layer catching a deliberately wrong backward pass; bad input."""

import numpy as np
import pytest

from nnbook.engine import layers as L
from nnbook.engine.gradcheck import check_layer, numerical_gradient, relative_error


def test_numerical_gradient_of_known_functions():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4))
    assert relative_error(numerical_gradient(lambda v: np.sum(v**3), x), 3 * x**2) < 1e-9
    A = rng.normal(size=(4, 4))
    quad = numerical_gradient(lambda v: v[0] @ A @ v[0], x[:1].copy())
    assert relative_error(quad, [(A + A.T) @ x[0]]) < 1e-9
    assert relative_error(numerical_gradient(lambda v: np.sin(v).sum(), x), np.cos(x)) < 1e-9


def test_numerical_gradient_perturbs_in_place_and_restores():
    W = np.arange(6.0).reshape(2, 3)
    before = W.copy()
    x = np.array([1.0, -2.0])
    grad = numerical_gradient(lambda _: float(np.sum(x @ W)), W)  # f reads W, not its argument
    np.testing.assert_allclose(grad, np.repeat(x[:, None], 3, axis=1), rtol=1e-8)
    np.testing.assert_array_equal(W, before)


def test_relative_error():
    a = np.array([1.0, -2.0, 3.0])
    assert relative_error(a, a) == 0.0
    assert relative_error(a, -a) == 1.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error([1.0, 2.0], [1.0, 2.5]) == pytest.approx(0.5 / 4.5)
    assert relative_error(1e-300, 0.0) == 1.0
    with pytest.raises(ValueError, match=r"same shape, got \(3,\) and \(2,\)"):
        relative_error(a, a[:2])


class _BuggyDense(L.Dense):
    """Forgets the activation's derivative in backward: a classic backprop bug."""

    def backward(self, da):
        dz = da
        self.grads["kernel"] = self.x.T @ dz
        self.grads["bias"] = dz.sum(axis=0)
        return dz @ self.params["kernel"].T


def test_check_layer_passes_a_correct_layer_and_catches_a_wrong_one():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 3))
    good = check_layer(L.Dense(4, activation="tanh"), x)
    assert set(good) == {"x", "kernel", "bias"} and max(good.values()) < 1e-7, good
    bad = check_layer(_BuggyDense(4, activation="tanh"), x)
    assert min(bad.values()) > 1e-3, bad
    assert check_layer(L.Activation("sigmoid"), x)["x"] < 1e-7


def test_check_layer_leaves_the_layer_consistent():
    rng = np.random.default_rng(1)
    layer = L.Dense(2, activation="sigmoid").build((3,), rng)
    kernel = layer.params["kernel"].copy()
    x = rng.normal(size=(4, 3))
    check_layer(layer, x)
    np.testing.assert_array_equal(layer.params["kernel"], kernel)
    np.testing.assert_array_equal(layer.x, x)


def test_bad_input_raises():
    with pytest.raises(TypeError, match="float64 numpy array"):
        numerical_gradient(np.sum, np.ones(3, np.float32))
    with pytest.raises(TypeError, match="float64 numpy array"):
        numerical_gradient(np.sum, [1.0, 2.0])
    with pytest.raises(TypeError, match="f must be a function"):
        numerical_gradient(3, np.ones(3))
    with pytest.raises(ValueError, match=r"eps must lie in \(0, inf\), got 0.0"):
        numerical_gradient(np.sum, np.ones(3), eps=0)
    with pytest.raises(TypeError, match="eps must be a number, got bool"):
        numerical_gradient(np.sum, np.ones(3), eps=True)
    with pytest.raises(TypeError, match="one number"):
        numerical_gradient(lambda v: v, np.ones(3))
    with pytest.raises(TypeError, match="nnbook Layer"):
        check_layer(lambda x: x, np.ones((2, 3)))
    with pytest.raises(TypeError, match="numeric"):
        check_layer(L.Dense(2), np.array([["a"]]))
    f32 = L.Dense(2).build((3,), np.random.default_rng(0), dtype="float32")
    with pytest.raises(TypeError, match="float64 layer"):
        check_layer(f32, np.ones((2, 3)))
    with pytest.raises(ValueError, match="finite"):
        check_layer(L.Dense(2), np.array([[1.0, np.nan, 0.0]]))


def test_numerical_gradient_refuses_nan_inputs_and_values():
    """NaN used to pass silently: a NaN gradient, then a NaN relative error, for which
    `error > 1e-3` is False, so a check looking for large errors let it through."""
    with pytest.raises(ValueError, match="x must be finite, got 1 NaN/inf entries"):
        numerical_gradient(np.sum, np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="f returned nan at x"):
        numerical_gradient(lambda v: np.nan, np.ones(2))
    x = np.array([1.0, 1e-7, 2.0])
    with pytest.raises(ValueError, match=r"f returned nan with x\[1\] moved by eps.*log of 0"), \
            np.errstate(invalid="ignore"):
        numerical_gradient(lambda v: np.sum(np.log(v)), x)  # log(1e-7 - 1e-6)
    np.testing.assert_array_equal(x, [1.0, 1e-7, 2.0])  # restored although f failed
    W = np.ones((2, 2))
    with pytest.raises(ValueError, match=r"x\[1, 0\] moved"):
        numerical_gradient(lambda v: np.inf if v[1, 0] != 1 else 0.0, W)
    np.testing.assert_array_equal(W, 1.0)


@pytest.mark.parametrize("a, b, error, match", [
    ([1.0, np.nan], [1.0, 2.0], ValueError, "a must be finite, got 1 NaN/inf entries"),
    ([1.0, 2.0], [np.inf, 2.0], ValueError, "b must be finite"),
    (["1"], [1.0], TypeError, "a must be numeric"),
    ([1.0], None, TypeError, "b must be numeric"),
], ids=lambda v: None)
def test_relative_error_refuses_what_is_not_finite_numbers(a, b, error, match):
    with pytest.raises(error, match=match):
        relative_error(a, b)


def test_check_layer_bad_arguments():
    x = np.ones((2, 3))
    with pytest.raises(ValueError, match=r"batch \(n, \*input_shape\).*\(3,\)"):
        check_layer(L.Dense(2), np.ones(3))
    with pytest.raises(TypeError, match="training must be True or False"):
        check_layer(L.Dense(2), x, training="yes")
    with pytest.raises(TypeError, match="seed must be an integer"):
        check_layer(L.Dense(2), x, seed=0.5)
    assert max(check_layer(L.Dense(2), x, eps=np.float32(1e-6), seed=np.int64(1)).values()) < 1e-7
