"""Chapter 3 exercises: the references pass, typical wrong answers fail."""

import warnings

import numpy as np
import pytest

from nnbook.book.exercises import check, get, ids
from nnbook.engine import activations


def _quiet_check(exid, fn):
    """check() with NumPy's overflow/invalid warnings silenced (the naive answers raise them)."""
    with warnings.catch_warnings(), np.errstate(over="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return check(exid, fn, quiet=True)


def test_registered():
    assert {"ch03.silu_grad", "ch03.softmax"} <= set(ids())


# --- ch03.silu_grad ------------------------------------------------------------------------------


def test_silu_grad_reference_passes():
    assert check("ch03.silu_grad", get("ch03.silu_grad").reference, quiet=True).passed


def test_silu_grad_reference_matches_centred_differences_and_keras():
    import keras
    import tensorflow as tf

    ref = get("ch03.silu_grad").reference
    z = np.linspace(-8, 8, 57)
    h = 1e-5
    silu = lambda v: v * activations.sigmoid(v)  # noqa: E731
    numeric = (silu(z + h) - silu(z - h)) / (2 * h)
    np.testing.assert_allclose(ref(z), numeric, rtol=1e-7, atol=1e-10)
    zt = tf.constant(z)
    with tf.GradientTape() as tape:
        tape.watch(zt)
        y = keras.activations.silu(zt)
    np.testing.assert_allclose(ref(z), tape.gradient(y, zt).numpy(), rtol=1e-6, atol=1e-12)
    assert np.all(np.isfinite(ref(np.array([-1e4, 1e4]))))


def test_silu_grad_from_the_lib_pieces_passes():
    def from_lib(z):
        return activations.sigmoid(z) + z * activations.sigmoid_grad(z)

    assert check("ch03.silu_grad", from_lib, quiet=True).passed


def _naive_silu_grad(z):
    s = 1 / (1 + np.exp(-z))
    return s + z * np.exp(-z) / (1 + np.exp(-z)) ** 2  # inf / inf = nan at z = -1e4


@pytest.mark.parametrize(
    "wrong, case",
    [
        (_naive_silu_grad, 3),
        (lambda z: activations.sigmoid(z), 1),  # forgot the second term of the product rule
        (lambda z: z * activations.sigmoid_grad(z), 1),  # forgot the first term
        (lambda z: activations.sigmoid(z) * (1 + z), 1),  # sigma' replaced by sigma
        (lambda z: np.asarray(z) * activations.sigmoid(z), 1),  # SiLU itself, not its derivative
        (lambda z: (activations.sigmoid(z) + z * activations.sigmoid_grad(z)).ravel(), 4),  # flattened
    ],
)
def test_silu_grad_wrong_answers_fail(wrong, case, fails_at):
    result = _quiet_check("ch03.silu_grad", wrong)
    fails_at(result, case)


def test_silu_grad_stub_fails_with_hint(fails_at):
    def stub(z):
        raise NotImplementedError

    result = check("ch03.silu_grad", stub, quiet=True)
    fails_at(result, 1)
    assert "\n  problem:  NotImplementedError\n" in result.message


# --- ch03.softmax --------------------------------------------------------------------------------


def test_softmax_reference_passes_and_matches_the_lib():
    ref = get("ch03.softmax").reference
    assert check("ch03.softmax", ref, quiet=True).passed
    z = np.random.default_rng(0).normal(scale=5, size=(6, 4))
    np.testing.assert_allclose(ref(z), activations.softmax(z), rtol=1e-14, atol=0)
    np.testing.assert_allclose(ref(z, T=0.25), activations.softmax(4 * z), rtol=1e-14, atol=0)
    np.testing.assert_allclose(ref(np.array([1e4, 0.0])), [1.0, 0.0])


def test_softmax_via_the_lib_passes():
    assert check("ch03.softmax", lambda z, T=1.0: activations.softmax(z / T), quiet=True).passed


def _naive(z, T=1.0):
    e = np.exp(np.asarray(z) / T)
    return e / e.sum(axis=-1, keepdims=True)


def _global_max(z, T=1.0):
    u = np.asarray(z) / T
    e = np.exp(u - np.max(u))
    return e / e.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize(
    "wrong, case",
    [
        (_naive, 4),  # exp(1e4) = inf -> nan
        (_global_max, 6),  # one maximum for all rows: a far-below row underflows to 0 / 0
        (lambda z, T=1.0: activations.softmax(z / T, axis=0), 5),  # normalises columns of a batch
        (lambda z, T=1.0: activations.softmax(z * T), 2),  # temperature the wrong way round
        (lambda z, T=1.0: activations.softmax(z) / T, 2),  # divides the probabilities
        (lambda z, T=1.0: np.exp(z / T - np.max(z / T, axis=-1, keepdims=True)), 1),  # not normalised
        (lambda z: activations.softmax(z), 2),  # no temperature argument
    ],
)
def test_softmax_wrong_answers_fail(wrong, case, fails_at):
    result = _quiet_check("ch03.softmax", wrong)
    fails_at(result, case)


def test_softmax_naive_fails_on_the_huge_logits_case(fails_at):
    result = _quiet_check("ch03.softmax", _naive)
    fails_at(result, 4)  # [1e4, 0, -1e4]: the first case a naive softmax gets wrong
    assert "got:      [nan  0.  0.]" in result.message
    assert "differs:  [0] (1 of 3 entries differ): expected 1., got nan" in result.message
