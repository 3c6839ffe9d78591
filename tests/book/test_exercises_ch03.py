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
    assert {"ch03.silu_grad", "ch03.softmax", "ch03.local_affine", "ch03.linear_pieces"} <= set(ids())


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


# --- ch03.local_affine ---------------------------------------------------------------------------


def _relu_stack(x, weights, biases):
    a = np.asarray(x, dtype=float)
    for k, (W, b) in enumerate(zip(weights, biases)):
        a = a @ W + b
        if k < len(weights) - 1:
            a = np.maximum(a, 0.0)
    return a


def test_local_affine_reference_passes():
    assert check("ch03.local_affine", get("ch03.local_affine").reference, quiet=True).passed


def test_local_affine_reference_reproduces_the_network_near_x():
    ref = get("ch03.local_affine").reference
    rng = np.random.default_rng(0)
    sizes = [2, 16, 16, 16, 1]
    Ws = [rng.normal(size=(a, b)) / np.sqrt(a) for a, b in zip(sizes[:-1], sizes[1:])]
    bs = [rng.normal(scale=0.5, size=b) for b in sizes[1:]]
    for x in rng.normal(size=(20, 2)):
        W, b = ref(x, Ws, bs)
        assert W.shape == (2, 1) and b.shape == (1,)
        for nearby in x + 1e-7 * rng.normal(size=(5, 2)):  # the same units are on nearby
            np.testing.assert_allclose(nearby @ W + b, _relu_stack(nearby, Ws, bs), rtol=1e-9,
                                       atol=1e-12)


def _fold_ignoring_relu(x, weights, biases):
    W, b = np.eye(len(x)), np.zeros(len(x))
    for W_l, b_l in zip(weights, biases):
        W, b = W @ W_l, b @ W_l + b_l
    return W, b


def _mask_weights_only(x, weights, biases):
    a = np.asarray(x, dtype=float)
    W, b = np.eye(len(a)), np.zeros(len(a))
    for k, (W_l, b_l) in enumerate(zip(weights, biases)):
        W, b, z = W @ W_l, b @ W_l + b_l, a @ W_l + b_l
        if k < len(weights) - 1:
            W, a = W * (z > 0), np.maximum(z, 0.0)
    return W, b


def _relu_after_the_last_layer_too(x, weights, biases):
    a = np.asarray(x, dtype=float)
    W, b = np.eye(len(a)), np.zeros(len(a))
    for W_l, b_l in zip(weights, biases):
        W, b, z = W @ W_l, b @ W_l + b_l, a @ W_l + b_l
        W, b, a = W * (z > 0), b * (z > 0), np.maximum(z, 0.0)
    return W, b


def _transposed(x, weights, biases):
    W, b = get("ch03.local_affine").reference(x, weights, biases)
    return W.T, b


@pytest.mark.parametrize(
    "wrong, case",
    [
        (_fold_ignoring_relu, 1),  # the linear collapse: ReLU ignored
        (_mask_weights_only, 1),  # an off unit's bias still leaks through
        (_relu_after_the_last_layer_too, 1),  # the output layer has no ReLU
        (_transposed, 2),  # (d_out, d) instead of (d, d_out): case 1 is 1 x 1
    ],
)
def test_local_affine_wrong_answers_fail(wrong, case, fails_at):
    fails_at(check("ch03.local_affine", wrong, quiet=True), case)


# --- ch03.linear_pieces --------------------------------------------------------------------------


def test_linear_pieces_reference_passes():
    assert check("ch03.linear_pieces", get("ch03.linear_pieces").reference, quiet=True).passed


def test_linear_pieces_reference_counts_pieces_on_a_fine_grid():
    rng = np.random.default_rng(7)
    w, b, v = rng.normal(size=6), rng.normal(size=6), rng.normal(size=6)
    x = np.linspace(-3, 3, 600_001)
    y = np.maximum(0.0, np.outer(x, w) + b) @ v
    kinks = np.abs(np.diff(y, 2)) > 1e-9 * np.abs(v * w).max()
    # one run of kinked grid points per hinge
    runs = np.count_nonzero(np.diff(kinks.astype(int)) == 1) + kinks[0]
    assert get("ch03.linear_pieces").reference(w, b, v, -3.0, 3.0) == runs + 1


def test_linear_pieces_counting_units_fails(fails_at):
    fails_at(check("ch03.linear_pieces", lambda w, b, v, lo, hi: len(w) + 1, quiet=True), 2)


def test_linear_pieces_ignoring_cancellation_fails(fails_at):
    def wrong(w, b, v, lo, hi):
        t = np.array([-bi / wi for wi, bi, vi in zip(w, b, v) if wi != 0 and vi != 0])
        return len(np.unique(t[(t > lo) & (t < hi)])) + 1

    fails_at(check("ch03.linear_pieces", wrong, quiet=True), 3)


def test_linear_pieces_hinges_outside_the_interval_fail(fails_at):
    def wrong(w, b, v, lo, hi):
        t = np.array([-bi / wi for wi, bi, vi in zip(w, b, v) if wi != 0 and vi != 0])
        return len(np.unique(t)) + 1

    fails_at(check("ch03.linear_pieces", wrong, quiet=True), 2)
