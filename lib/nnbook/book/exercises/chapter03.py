"""Chapter 3 exercises: the derivative of SiLU, and a stable softmax with a temperature."""

import numpy as np

from . import exercise


def _silu_grad_cases():
    rng = np.random.default_rng(303)
    yield (np.array([-2.0, 0.0, 2.0]),), {}
    yield (np.linspace(-8.0, 8.0, 33),), {}
    # far out in both tails: e^-z / (1 + e^-z)^2 is inf / inf = nan at z = -1e4
    yield (np.array([-1e4, -745.0, -50.0, 0.0, 50.0, 745.0, 1e4]),), {}
    # a batch of pre-activations: the shape must be kept
    yield (rng.normal(scale=4.0, size=(5, 3)),), {}


@exercise(
    "ch03.silu_grad",
    cases=_silu_grad_cases,
    hint="SiLU(z) = z sigma(z). By the product rule its derivative is sigma(z) + z sigma'(z); "
    "nnbook.activations.sigmoid and sigmoid_grad are finite for any z. Keep the input's shape.",
)
def silu_grad(z):
    """d/dz [z sigma(z)] = sigma(z) + z sigma'(z), elementwise, finite for any finite z."""
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))  # never exponentiate a large positive number
    s = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return s + z * e / (1.0 + e) ** 2


def _softmax_cases():
    rng = np.random.default_rng(304)
    yield (np.array([1.0, 2.0, 3.0]),), {}
    yield (np.array([1.0, 2.0, 3.0]),), {"T": 0.5}
    yield (np.array([1.0, 2.0, 3.0]), 10.0), {}
    # huge logits: exp(1e4) overflows, so a naive softmax returns nan
    yield (np.array([1e4, 0.0, -1e4]),), {}
    # a batch: one distribution per row (softmax over the last axis, not over everything)
    yield (rng.normal(scale=3.0, size=(4, 5)),), {"T": 2.0}
    # a cold temperature makes z / T huge, and the rows sit on different scales: subtracting one
    # global maximum underflows the first row to 0 / 0
    yield (np.array([[3.0, 1.0, 0.2], [100.0, 101.0, 99.0]]),), {"T": 0.01}
    # a single class: probability 1 whatever the logit
    yield (np.array([[7.0], [-3.0]]),), {"T": 3.0}


@exercise(
    "ch03.softmax",
    cases=_softmax_cases,
    hint="Divide the logits by T first, then subtract each row's maximum "
    "(.max(axis=-1, keepdims=True)) so exp never sees a positive number, exponentiate, and "
    "divide by the row sums. T defaults to 1.",
)
def softmax(z, T=1.0):
    """softmax(z / T) over the last axis, stable for any finite logits. (k,) or (n, k) -> same."""
    u = np.asarray(z, dtype=float) / T
    e = np.exp(u - u.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
