"""Chapter 9 exercises: expected improvement for a given mean/std/best, one GP posterior mean
(RBF kernel, fixed hyperparameters), and one random-search draw on a log scale."""

import numpy as np
from scipy.special import ndtr

from . import exercise


def _ei_cases():
    rng = np.random.default_rng(901)
    yield (np.array([0.0, 1.0, -0.5]), np.array([1.0, 0.5, 0.2]), 0.3), {}
    # a mean far above the best: small but positive, thanks to the spread
    yield (np.array([2.0]), np.array([1.0]), 0.0), {}
    yield (rng.normal(size=6), rng.uniform(0.05, 2.0, size=6), -0.2), {}
    # std = 0: no uncertainty left, EI is just max(best - mean, 0) (and no division by zero)
    yield (np.array([-1.0, 1.0, 0.5, 0.0]), np.array([0.0, 0.0, 1.0, 0.0]), 0.0), {}


@exercise(
    "ch09.expected_improvement",
    cases=_ei_cases,
    hint="EI is the mean of max(best - f, 0) when f is normal with the given mean and std; it "
    "splits into a term with the normal CDF and one with its density.",
    more=("With gain = best - mean and z = gain / std: EI = gain * Phi(z) + std * phi(z) "
          "(Phi, phi: the standard normal CDF and density; scipy.special.ndtr is Phi). "
          "Where std == 0 return max(gain, 0) instead, without dividing by zero.",),
)
def expected_improvement(mean, std, best):
    """E[max(best - f, 0)] for f ~ N(mean, std^2), entry by entry: (m,), (m,), float -> (m,)."""
    gain = best - mean
    z = np.divide(gain, std, out=np.zeros_like(gain), where=std > 0)
    ei = gain * ndtr(z) + std * np.exp(-0.5 * z**2) / np.sqrt(2 * np.pi)
    return np.where(std > 0, ei, np.maximum(gain, 0.0))


def _gp_cases():
    rng = np.random.default_rng(902)
    X, y = np.array([[0.0], [1.0]]), np.array([1.0, -1.0])
    yield (X, y, np.array([[0.5], [2.0]]), 1.0, 1e-6), {}
    # far from the data the mean falls back to the prior mean, 0
    yield (X, y, np.array([[10.0]]), 0.5, 1e-6), {}
    # noise: the mean no longer passes through the data
    yield (X, y, X, 1.0, 0.5), {}
    Xd = rng.random((6, 3))
    yield (Xd, rng.normal(size=6), rng.random((4, 3)), 0.4, 1e-4), {}


@exercise(
    "ch09.gp_mean",
    cases=_gp_cases,
    hint="The posterior mean weighs the training targets; the weights come from one linear solve "
    "with the kernel matrix of the training points.",
    more=("K = k(X, X) + noise * I and k_* = k(X_new, X), with k(a, b) = exp(-|a - b|^2 / "
          "(2 length_scale^2)); the mean is k_* @ solve(K, y). Remember the noise on K's diagonal only.",),
)
def gp_mean(X, y, X_new, length_scale, noise):
    """Posterior mean of a zero-mean GP with an RBF kernel of variance 1:
    X: (n, d), y: (n,), X_new: (m, d) -> (m,)."""
    def k(A, B):
        return np.exp(-0.5 * np.sum((A[:, None, :] - B[None, :, :]) ** 2, axis=2) / length_scale**2)

    K = k(X, X) + noise * np.eye(len(X))
    return k(X_new, X) @ np.linalg.solve(K, y)


def _log_cases():
    yield (np.array([0.0, 0.5, 1.0]), 1e-4, 1e-1), {}
    yield (np.array([0.25]), 1.0, 16.0), {}
    yield (np.random.default_rng(903).random(5), 1e-6, 1e-2), {}


@exercise(
    "ch09.log_uniform",
    cases=_log_cases,
    hint="A log-uniform draw is uniform in log(x), not in x.",
    more=("Draw uniformly in the exponent, not in the value: log(x) = log(low) + u (log(high) - "
          "log(low)), so x = low * (high / low) ** u. u = 0.5 must give the geometric mean sqrt(low high).",),
)
def log_uniform(u, low, high):
    """One random-search draw on a log scale: u ~ U[0, 1] (n,) -> x in [low, high] (n,)."""
    return low * (high / low) ** u
