"""Chapter 5 exercises: a stable log-sum-exp, softmax cross-entropy from logits, the Huber gradient,
the multiclass hinge per example."""

import numpy as np

from . import exercise


def _logsumexp_cases():
    rng = np.random.default_rng(501)
    yield (np.array([0.0, 0.0]),), {}  # log 2
    yield (np.array([1.0, 2.0, 3.0]),), {}
    # exp(1000) overflows to inf: a naive log(sum(exp(z))) returns inf
    yield (np.array([1000.0, 999.0, -1000.0]),), {}
    # exp(-1000) underflows to 0: a naive answer returns log(0) = -inf
    yield (np.array([-1000.0, -1000.0, -1001.0]),), {}
    # a batch: one value per row, the rows on very different scales (one global max is not enough)
    yield (np.array([[1e3, 0.0, -1e3], [-1e3, -1e3 + 1.0, -1e3 + 2.0], [0.5, -0.5, 0.0]]),), {}
    # a single class: log(e^z) = z
    yield (np.array([[7.0], [-3.0]]),), {}
    yield (rng.normal(scale=5.0, size=(6, 4)),), {}


@exercise(
    "ch05.logsumexp",
    cases=_logsumexp_cases,
    hint="Subtract the largest logit before exponentiating and add it back after the log.",
    more=("Take m = z.max(axis=-1, keepdims=True); then log sum_k e^{z_k} = m + log sum_k e^{z_k - m}. "
          "Every z_k - m is <= 0, so nothing overflows, and the largest term is e^0 = 1, so the sum is >= 1 "
          "and its log is finite. Reduce over the last axis only: (k,) -> a number, (n, k) -> (n,).",),
)
def logsumexp(z):
    """log(sum_k exp(z_k)) over the last axis, finite for any finite z. (k,) -> (), (n, k) -> (n,)."""
    z = np.asarray(z, dtype=float)
    m = z.max(axis=-1, keepdims=True)
    return (m + np.log(np.exp(z - m).sum(axis=-1, keepdims=True)))[..., 0]


def _softmax_ce_cases():
    rng = np.random.default_rng(502)
    yield (np.array([[2.0, 1.0, 0.1]]), np.array([0])), {}
    yield (np.array([[2.0, 1.0, 0.1], [0.0, 0.0, 0.0]]), np.array([2, 1])), {}  # 2nd row: ln 3
    # huge logits, true class on top: the loss is e^-1000-ish, i.e. 0; naive softmax gives nan
    yield (np.array([[1e3, 0.0, -1e3]]), np.array([0])), {}
    # huge logits, true class at the bottom: the loss is exactly 2000. A stable softmax followed
    # by log gives log(0) = -inf, so "stable softmax, then log" is not enough
    yield (np.array([[1e3, 0.0, -1e3]]), np.array([2])), {}
    # all logits far below zero: exp underflows to 0 / 0
    yield (np.array([[-1e3, -1e3 - 2.0], [-1e3, -1e3]]), np.array([1, 0])), {}
    # a batch with labels in every position
    z = rng.normal(scale=3.0, size=(8, 5))
    yield (z, np.array([0, 1, 2, 3, 4, 4, 2, 0])), {}
    # two classes, very confident and wrong
    yield (np.array([[-500.0, 500.0], [40.0, -40.0]]), np.array([0, 1])), {}


@exercise(
    "ch05.softmax_cross_entropy",
    cases=_softmax_ce_cases,
    hint="Never take the log of a softmax: write log softmax with log-sum-exp.",
    more=("Never take the log of a softmax. Use log softmax(z)_y = z_y - logsumexp(z), with the "
          "stable log-sum-exp of the first exercise (per row). Return one loss per example, shape (n,): "
          "z[np.arange(n), y] picks each row's true-class logit.",),
)
def softmax_cross_entropy(z, y):
    """Per-example cross-entropy -log softmax(z)_y from logits. z: (n, k), y: (n,) ints -> (n,)."""
    z = np.asarray(z, dtype=float)
    y = np.asarray(y)
    m = z.max(axis=-1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(z - m).sum(axis=-1))
    return lse - z[np.arange(len(z)), y]


def _huber_grad_cases():
    rng = np.random.default_rng(503)
    # residuals inside, on and outside the quadratic zone, both signs
    yield (np.array([0.0, 0.0, 0.0, 0.0, 0.0]), np.array([0.5, -0.5, 1.0, 3.0, -4.0])), {}
    yield (np.array([1.0, 2.0, 3.0]), np.array([1.2, 0.0, 10.0])), {"delta": 1.0}
    # a different delta: the clip moves
    yield (np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.2, 0.0, 10.0, 4.1])), {"delta": 0.25}
    yield (np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.2, 0.0, 10.0, 4.1])), {"delta": 5.0}
    # many examples (the mean's 1/n matters), a few far outliers
    y_true = rng.normal(size=40)
    y_pred = y_true + rng.normal(scale=0.8, size=40)
    y_pred[[3, 17, 29]] += [25.0, -40.0, 1e4]
    yield (y_true, y_pred), {"delta": 1.5}


@exercise(
    "ch05.huber_grad",
    cases=_huber_grad_cases,
    hint="The Huber loss is quadratic near zero and linear beyond delta: its slope is the "
    "residual, capped.",
    more=("With r = y_pred - y_true, the Huber loss of one example has derivative r where |r| <= delta "
          "and delta * sign(r) outside: that is np.clip(r, -delta, delta). The loss is the MEAN over the "
          "n examples, so divide by n. Mind the sign: the derivative is taken with respect to y_pred.",),
)
def huber_grad(y_true, y_pred, delta=1.0):
    """d/d y_pred of mean_i huber(y_pred_i - y_true_i). y_true, y_pred: (n,) -> (n,)."""
    r = np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)
    return np.clip(r, -delta, delta) / r.size


def _categorical_hinge_cases():
    rng = np.random.default_rng(505)
    eye = np.eye(3)
    # margin exactly 1: the loss is 0
    yield (np.array([[2.0, 1.0, 0.1]]), eye[[0]]), {}
    # a wrong class on top: 1 + 1.5 - 0.5 = 2, and only the largest wrong score counts
    yield (np.array([[0.5, 1.5, 1.2], [0.0, 0.0, 0.0]]), eye[[0, 2]]), {}
    # margins beyond 1: the loss is 0, never negative
    yield (np.array([[3.0, 0.5, -1.0], [-4.0, 6.0, 1.0]]), eye[[0, 1]]), {}
    # every wrong score negative: the true class's own entry (1 - 1) z_y = 0 is the largest
    yield (np.array([[0.25, -2.0, -1.0], [-1.0, -3.0, -0.5]]), eye[[0, 2]]), {}
    labels = rng.integers(0, 5, size=8)
    yield (rng.normal(scale=2.0, size=(8, 5)), np.eye(5)[labels]), {}


@exercise(
    "ch05.categorical_hinge",
    cases=_categorical_hinge_cases,
    hint="Compare the true class's score with the largest score (1 - t) z, then clip at 0.",
    more=("pos = sum(t * z, axis=-1) is the true class's score; neg = max((1 - t) * z, axis=-1) is "
          "the largest other score, where the true class's entry is 0, not -inf; the loss is "
          "max(0, 1 + neg - pos), one number per row.",),
)
def categorical_hinge(z, t):
    """Per-example multiclass hinge, Keras's convention. z: (n, k) scores, t: (n, k) one-hot -> (n,)."""
    z, t = np.asarray(z, dtype=float), np.asarray(t, dtype=float)
    pos = np.sum(t * z, axis=-1)
    neg = np.max((1 - t) * z, axis=-1)
    return np.maximum(0.0, 1 + neg - pos)
