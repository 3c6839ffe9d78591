"""Preliminaries exercises: a centred difference, the gradient of a mean squared error, the chain
rule through a tanh neuron, the maximum-likelihood estimate of a coin, and a KL divergence."""

import numpy as np
from scipy.special import xlogy

from . import exercise


def _difference_cases():
    # h large enough that a forward difference (error about h f''/2) is visibly wrong
    yield (np.sin, 0.3), {"h": 1e-2}
    yield (np.exp, -1.0), {"h": 1e-2}
    # the default h must be used when the caller gives none
    yield (np.arctan, 2.0), {}
    # a point where f'' is large and f' small: dividing by h instead of 2h shows at once
    yield (np.cbrt, 0.5), {"h": 1e-2}
    yield (np.tanh, -1.5), {"h": 0.1}


@exercise(
    "ch00.centred_difference",
    cases=_difference_cases,
    hint="Step once to each side of x, by the same h, and divide the change in f by the distance "
    "between the two points you evaluated.",
)
def centred_difference(f, x, h=1e-5):
    """f'(x) by the centred difference (f(x + h) - f(x - h)) / (2 h); f: float -> float."""
    return (f(x + h) - f(x - h)) / (2 * h)


def _mse_cases():
    rng = np.random.default_rng(1)
    X = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.0]])
    yield (X, np.array([1.0, 0.0, 2.0]), np.array([0.5, -0.25])), {}
    # more examples than features, and a w that fits y exactly: the gradient is zero there
    w_true = np.array([1.0, -2.0, 0.5])
    X4 = rng.normal(size=(6, 3))
    yield (X4, X4 @ w_true, w_true), {}
    yield (rng.normal(size=(10, 4)), rng.normal(size=10), rng.normal(size=4)), {}
    # one feature, one example: the factor 2 and the mean both show
    yield (np.array([[2.0]]), np.array([1.0]), np.array([3.0])), {}


@exercise(
    "ch00.mse_gradient",
    cases=_mse_cases,
    hint="Write L as the mean of r_i^2 with r = X w - y, apply the chain rule to one r_i^2, and "
    "then collect the n terms into one matrix product; check that its shape is that of w.",
)
def mse_gradient(X, y, w):
    """The gradient of L(w) = mean((X w - y)^2). X: (n, d), y: (n,), w: (d,) -> (d,)."""
    return 2.0 / len(y) * X.T @ (X @ w - y)


def _tanh_cases():
    rng = np.random.default_rng(2)
    yield (np.array([2.0]), np.array([0.0]), 0.5, 0.1), {}
    yield (np.array([1.0, -2.0, 0.5]), np.array([0.5, -0.5, 1.0]), -0.3, 0.2), {}
    # a saturated unit: tanh' is small there, so a missing tanh' factor shows clearly
    yield (np.array([3.0, 4.0]), np.array([-1.0, 1.0]), 1.5, 0.5), {}
    yield (rng.normal(size=20), rng.uniform(-1, 1, size=20), 0.8, -0.4), {}


@exercise(
    "ch00.tanh_neuron_grad",
    cases=_tanh_cases,
    hint="Three factors for each example, from the loss inwards: how the loss changes with a, how "
    "a changes with z, and how z changes with w (or with b). Then average over the examples.",
)
def tanh_neuron_grad(x, y, w, b):
    """(dL/dw, dL/db) for L = mean((tanh(w x + b) - y)^2 / 2). x, y: (n,); w, b: floats."""
    a = np.tanh(w * x + b)
    dz = (a - y) * (1.0 - a * a) / len(x)  # dL/dz_i, the 1/n of the mean included
    return float(np.sum(dz * x)), float(np.sum(dz))


def _bernoulli_cases():
    rng = np.random.default_rng(3)
    yield (np.array([1, 0, 1, 1]),), {}
    yield (rng.integers(0, 2, size=50),), {}
    # every toss the same: the estimate sits at the edge, where 0 * log 0 counts as 0
    yield (np.zeros(6, dtype=int),), {}
    yield (np.ones(3, dtype=int),), {}
    yield ((rng.random(200) < 0.1).astype(int),), {}


@exercise(
    "ch00.bernoulli_mle",
    cases=_bernoulli_cases,
    hint="Count the ones, and set the derivative of the log-likelihood to zero. Two hidden cases "
    "have every toss the same: what is the limit of k log p as p and k go to 0?",
)
def bernoulli_mle(y):
    """(p_hat, log-likelihood at p_hat, summed over the tosses) of 0/1 outcomes y: (n,)."""
    n, k = len(y), int(np.sum(y))
    p = k / n
    return p, float(xlogy(k, p) + xlogy(n - k, 1 - p))


def _kl_cases():
    rng = np.random.default_rng(4)
    yield (np.array([0.5, 0.5]), np.array([0.9, 0.1])), {}
    # the same pair the other way round: KL is not symmetric
    yield (np.array([0.9, 0.1]), np.array([0.5, 0.5])), {}
    # p has zeros (0 log 0 = 0); q stays positive wherever p is
    yield (np.array([0.0, 0.25, 0.75]), np.array([0.2, 0.3, 0.5])), {}
    yield (rng.dirichlet(np.ones(10)), rng.dirichlet(np.ones(10))), {}
    p = rng.dirichlet(np.ones(5))
    yield (p, p.copy()), {}


@exercise(
    "ch00.kl_divergence",
    cases=_kl_cases,
    hint="Use the natural logarithm and sum over the outcomes, weighting by p (not q). An entry "
    "with p_i = 0 contributes nothing: make sure it does not turn into nan.",
)
def kl_divergence(p, q):
    """KL(p || q) = sum_i p_i log(p_i / q_i), in nats; p, q: (k,) probabilities, q > 0 where p > 0."""
    return float(np.sum(xlogy(p, p) - xlogy(p, q)))
