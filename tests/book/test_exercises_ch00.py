"""Preliminaries exercises: the references pass and agree with independent computations (centred
differences of the lib, scipy.stats, tf.GradientTape); wrong answers fail at the case made for them."""

import warnings

import numpy as np
import pytest
from scipy import stats

from nnbook.book.exercises import check, get, ids
from nnbook.engine.gradcheck import numerical_gradient

EXERCISES = ["ch00.centred_difference", "ch00.mse_gradient", "ch00.tanh_neuron_grad",
             "ch00.bernoulli_mle", "ch00.kl_divergence"]


def _quiet_check(exid, fn):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return check(exid, fn, quiet=True)


def test_registered():
    assert set(EXERCISES) <= set(ids())


@pytest.mark.parametrize("exid", EXERCISES)
def test_reference_passes(exid):
    assert check(exid, get(exid).reference, quiet=True).passed


@pytest.mark.parametrize("exid", EXERCISES)
def test_stub_fails_at_the_first_case_with_the_hint(exid, fails_at):
    def stub(*args, **kwargs):
        raise NotImplementedError("your code here")

    result = check(exid, stub, quiet=True)
    fails_at(result, 1)
    assert "\n  problem:  NotImplementedError\n" in result.message


def _all_cases(exid):
    return [(args, kwargs) for args, kwargs in get(exid).cases()]


# --- ch00.centred_difference ---------------------------------------------------------------------


def test_centred_difference_is_close_to_the_true_derivative():
    ref = get("ch00.centred_difference").reference
    true = {np.sin: np.cos, np.exp: np.exp, np.arctan: lambda x: 1 / (1 + x * x),
            np.cbrt: lambda x: x ** (-2 / 3) / 3, np.tanh: lambda x: 1 - np.tanh(x) ** 2}
    for (f, x), kwargs in _all_cases("ch00.centred_difference"):
        h = kwargs.get("h", 1e-5)
        # the error of a centred difference is about h^2 |f'''| / 6; every case has |f'''| < 5
        assert abs(ref(f, x, **kwargs) - true[f](x)) < h * h + 1e-9


def test_centred_difference_wrong_answers_fail(fails_at):
    def forward(f, x, h=1e-5):
        return (f(x + h) - f(x)) / h

    def divides_by_h(f, x, h=1e-5):
        return (f(x + h) - f(x - h)) / h

    def ignores_h(f, x, h=1e-5):
        return (f(x + 1e-5) - f(x - 1e-5)) / 2e-5

    def wrong_default(f, x, h=1e-2):
        return (f(x + h) - f(x - h)) / (2 * h)

    for wrong, case in [(forward, 1), (divides_by_h, 1), (ignores_h, 1), (wrong_default, 3)]:
        fails_at(_quiet_check("ch00.centred_difference", wrong), case)


# --- ch00.mse_gradient ---------------------------------------------------------------------------


def test_mse_gradient_matches_centred_differences():
    ref = get("ch00.mse_gradient").reference
    for (X, y, w), _ in _all_cases("ch00.mse_gradient"):
        numeric = numerical_gradient(lambda v, X=X, y=y: np.mean((X @ v - y) ** 2), w.astype(float).copy())
        # relative where the gradient is not zero; at the exact fit (case 2) it is zero
        np.testing.assert_allclose(ref(X, y, w), numeric, rtol=1e-7, atol=1e-8)


def test_mse_gradient_wrong_answers_fail(fails_at):
    def no_two(X, y, w):
        return X.T @ (X @ w - y) / len(y)

    def summed(X, y, w):
        return 2 * X.T @ (X @ w - y)

    def flipped(X, y, w):
        return 2 / len(y) * X.T @ (y - X @ w)

    def column_residual(X, y, w):  # (n, 1) - (n,) broadcasts to (n, n)
        r = X @ w.reshape(-1, 1) - y
        return 2 / len(y) * (X.T @ r).sum(axis=1)

    for wrong in (no_two, summed, flipped, column_residual):
        fails_at(_quiet_check("ch00.mse_gradient", wrong), 1)


# --- ch00.tanh_neuron_grad -----------------------------------------------------------------------


def test_tanh_neuron_grad_matches_gradient_tape():
    tf = pytest.importorskip("tensorflow")
    ref = get("ch00.tanh_neuron_grad").reference
    for (x, y, w, b), _ in _all_cases("ch00.tanh_neuron_grad"):
        wv, bv = tf.Variable(w, dtype=tf.float64), tf.Variable(b, dtype=tf.float64)
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((tf.tanh(wv * x + bv) - y) ** 2 / 2)
        dw, db = tape.gradient(loss, [wv, bv])
        np.testing.assert_allclose(ref(x, y, w, b), (dw.numpy(), db.numpy()), rtol=1e-12, atol=1e-15)


def test_tanh_neuron_grad_wrong_answers_fail(fails_at):
    def no_inner_x(x, y, w, b):
        a = np.tanh(w * x + b)
        dz = (a - y) * (1 - a * a) / len(x)
        return float(np.sum(dz)), float(np.sum(dz))

    def no_tanh_prime(x, y, w, b):
        a = np.tanh(w * x + b)
        dz = (a - y) / len(x)
        return float(np.sum(dz * x)), float(np.sum(dz))

    def summed(x, y, w, b):
        a = np.tanh(w * x + b)
        dz = (a - y) * (1 - a * a)
        return float(np.sum(dz * x)), float(np.sum(dz))

    def sigmoid_prime(x, y, w, b):
        a = np.tanh(w * x + b)
        dz = (a - y) * a * (1 - a) / len(x)
        return float(np.sum(dz * x)), float(np.sum(dz))

    fails_at(_quiet_check("ch00.tanh_neuron_grad", no_inner_x), 1)
    fails_at(_quiet_check("ch00.tanh_neuron_grad", no_tanh_prime), 1)
    fails_at(_quiet_check("ch00.tanh_neuron_grad", summed), 2)  # one example: mean = sum
    fails_at(_quiet_check("ch00.tanh_neuron_grad", sigmoid_prime), 1)


# --- ch00.bernoulli_mle --------------------------------------------------------------------------


def test_bernoulli_mle_matches_scipy_and_a_grid():
    ref = get("ch00.bernoulli_mle").reference
    grid = np.linspace(0.0, 1.0, 100_001)
    for (y,), _ in _all_cases("ch00.bernoulli_mle"):
        p_hat, loglik = ref(y)
        assert np.isclose(loglik, stats.bernoulli.logpmf(y, p_hat).sum(), rtol=1e-12, atol=1e-12)
        with np.errstate(divide="ignore", invalid="ignore"):
            on_grid = stats.bernoulli.logpmf(y[:, None], grid).sum(axis=0)
        assert abs(grid[np.nanargmax(on_grid)] - p_hat) <= 1e-5
        assert loglik >= np.nanmax(on_grid) - 1e-9


def test_bernoulli_mle_wrong_answers_fail(fails_at):
    def naive_log(y):
        p = np.mean(y)
        return p, float(np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)))

    def mean_loglik(y):
        p = np.mean(y)
        return p, float(np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))

    def flipped(y):
        p = 1 - np.mean(y)
        return p, float(np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)))

    def only_p(y):
        return np.mean(y)

    for wrong, case in [(naive_log, 3), (mean_loglik, 1), (flipped, 1), (only_p, 1)]:
        fails_at(_quiet_check("ch00.bernoulli_mle", wrong), case)


# --- ch00.kl_divergence --------------------------------------------------------------------------


def test_kl_matches_scipy_and_is_a_divergence():
    ref = get("ch00.kl_divergence").reference
    for (p, q), _ in _all_cases("ch00.kl_divergence"):
        assert np.isclose(ref(p, q), stats.entropy(p, q), rtol=1e-12, atol=1e-15)
        assert ref(p, q) >= 0
    p = np.array([0.2, 0.8])
    assert ref(p, p) == 0 and ref(p, p[::-1]) > 0


def test_kl_wrong_answers_fail(fails_at):
    def swapped(p, q):
        return float(np.sum(q * np.log(q / p)))

    def base_two(p, q):
        return float(np.sum(p * np.log2(p / q)))

    def naive(p, q):
        return float(np.sum(p * np.log(p / q)))

    def weighted_by_q(p, q):
        return float(np.sum(q * np.log(p / q)))

    for wrong, case in [(swapped, 1), (base_two, 1), (naive, 3), (weighted_by_q, 1)]:
        fails_at(_quiet_check("ch00.kl_divergence", wrong), case)
