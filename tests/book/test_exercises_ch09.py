"""Chapter 9 exercises: the references pass and agree with lab.tuning; wrong answers fail."""

import numpy as np
import pytest
from scipy.special import ndtr

from nnbook.book.exercises import check, get, ids
from nnbook.lab import tuning


def test_registered():
    assert {"ch09.expected_improvement", "ch09.gp_mean", "ch09.log_uniform"} <= set(ids())


@pytest.mark.parametrize("exid", ["ch09.expected_improvement", "ch09.gp_mean", "ch09.log_uniform"])
def test_references_pass(exid):
    assert check(exid, get(exid).reference, quiet=True).passed


def test_references_agree_with_the_lab():
    rng = np.random.default_rng(0)
    mean, std = rng.normal(size=8), np.append(rng.uniform(0.1, 2, 7), 0.0)
    np.testing.assert_allclose(get("ch09.expected_improvement").reference(mean, std, 0.1),
                               tuning.expected_improvement(mean, std, 0.1), rtol=1e-12)
    X, y, Xs = rng.random((7, 2)), rng.normal(size=7), rng.random((5, 2))
    gp = tuning.GaussianProcess("rbf", 0.3, 1.0, 1e-3, fit_hyper=False, normalize_y=False).fit(X, y)
    np.testing.assert_allclose(get("ch09.gp_mean").reference(X, y, Xs, 0.3, 1e-3), gp.predict(Xs)[0],
                               rtol=1e-9)
    u = rng.random(6)
    space = tuning.Space(lr=(1e-4, 1e-1, "log"))
    np.testing.assert_allclose(get("ch09.log_uniform").reference(u, 1e-4, 1e-1),
                               space.from_unit(u[:, None])[:, 0], rtol=1e-12)


def _ei_only_gain(mean, std, best):
    return np.maximum(best - mean, 0.0)


def _ei_divides_by_zero(mean, std, best):
    with np.errstate(all="ignore"):
        z = (best - mean) / std
        return (best - mean) * ndtr(z) + std * np.exp(-z**2 / 2) / np.sqrt(2 * np.pi)


def _ei_maximises(mean, std, best):  # improvement for maximisation: mean - best
    gain = mean - best
    z = np.divide(gain, std, out=np.zeros_like(gain), where=std > 0)
    return np.where(std > 0, gain * ndtr(z) + std * np.exp(-z**2 / 2) / np.sqrt(2 * np.pi),
                    np.maximum(gain, 0))


@pytest.mark.parametrize("wrong, case", [(_ei_only_gain, 1), (_ei_divides_by_zero, 4),
                                         (_ei_maximises, 1)])
def test_ei_wrong_answers_fail(wrong, case, fails_at):
    fails_at(check("ch09.expected_improvement", wrong, quiet=True), case)


def _k(A, B, ls):
    return np.exp(-0.5 * np.sum((A[:, None] - B[None]) ** 2, axis=2) / ls**2)


def _gp_no_noise(X, y, X_new, length_scale, noise):
    return _k(X_new, X, length_scale) @ np.linalg.solve(_k(X, X, length_scale) + 1e-10 * np.eye(len(X)), y)


def _gp_noise_everywhere(X, y, X_new, length_scale, noise):
    return _k(X_new, X, length_scale) @ np.linalg.solve(_k(X, X, length_scale) + noise, y)


def _gp_no_half(X, y, X_new, length_scale, noise):
    k = lambda A, B: np.exp(-np.sum((A[:, None] - B[None]) ** 2, axis=2) / length_scale**2)  # noqa: E731
    return k(X_new, X) @ np.linalg.solve(k(X, X) + noise * np.eye(len(X)), y)


@pytest.mark.parametrize("wrong, case", [(_gp_no_noise, 1), (_gp_noise_everywhere, 1), (_gp_no_half, 1)])
def test_gp_wrong_answers_fail(wrong, case, fails_at):
    fails_at(check("ch09.gp_mean", wrong, quiet=True), case)


@pytest.mark.parametrize("wrong, case", [
    (lambda u, low, high: low + u * (high - low), 1),                  # uniform in the value
    (lambda u, low, high: 10 ** (np.log(low) + u * (np.log(high) - np.log(low))), 1),  # mixed bases
])
def test_log_uniform_wrong_answers_fail(wrong, case, fails_at):
    fails_at(check("ch09.log_uniform", wrong, quiet=True), case)


def test_stub_fails_with_hint(fails_at):
    def stub(mean, std, best):
        raise NotImplementedError

    result = check("ch09.expected_improvement", stub, quiet=True)
    fails_at(result, 1)
