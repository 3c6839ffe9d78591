"""Chapter 8 exercises: the dropout forward pass with a given mask, the batch-norm forward pass in
training mode, and the gradient of a loss with Keras's L2 penalty."""

import numpy as np

from . import exercise


def _dropout_cases():
    rng = np.random.default_rng(801)
    x = np.array([[1.0, -2.0, 3.0, 0.5]])
    yield (x, np.array([[True, False, True, True]]), 0.25), {}
    # rate 0.5: the kept units are doubled, not left as they are
    yield (x, np.array([[False, True, True, False]]), 0.5), {}
    yield (rng.normal(size=(3, 5)), rng.random((3, 5)) >= 0.2, 0.2), {}
    # nothing dropped at rate 0: the identity
    yield (rng.normal(size=(2, 3)), np.ones((2, 3), dtype=bool), 0.0), {}


@exercise(
    "ch08.dropout_forward",
    cases=_dropout_cases,
    hint="Inverted dropout keeps the expected output equal to x: what must the kept units be "
    "multiplied by?",
    more=("Inverted dropout: zero the units where keep is False and divide the kept ones by "
          "1 - rate, so that the expected output is x itself: x * keep / (1 - rate).",),
)
def dropout_forward(x, keep, rate):
    """Inverted dropout in training, with the mask given: x, keep (bool): (n, d) -> (n, d)."""
    return x * keep / (1 - rate)


def _batchnorm_cases():
    rng = np.random.default_rng(802)
    x = np.array([[1.0, 10.0], [3.0, 20.0], [5.0, 60.0]])
    yield (x, np.ones(2), np.zeros(2)), {}
    yield (x, np.array([2.0, 0.5]), np.array([-1.0, 3.0])), {}
    # a column that is constant: epsilon keeps the division finite
    yield (np.array([[4.0, 1.0], [4.0, 2.0]]), np.ones(2), np.zeros(2)), {"epsilon": 1e-3}
    yield (rng.normal(3.0, 5.0, size=(8, 4)), rng.uniform(0.5, 2, 4), rng.normal(size=4)), {"epsilon": 1e-5}


@exercise(
    "ch08.batchnorm_forward",
    cases=_batchnorm_cases,
    hint="Normalise each feature (column) over the batch, then scale by gamma and shift by beta.",
    more=("Per column (feature), over the batch axis 0: mean, and the biased variance (divide by n, "
          "np.var's default); x_hat = (x - mean) / sqrt(var + epsilon); return gamma * x_hat + beta.",),
)
def batchnorm_forward(x, gamma, beta, epsilon=1e-3):
    """Batch normalisation in training mode, with the batch's own statistics.
    x: (n, d), gamma, beta: (d,) -> y: (n, d)."""
    mean, var = x.mean(axis=0), x.var(axis=0)
    return gamma * (x - mean) / np.sqrt(var + epsilon) + beta


def _l2_cases():
    rng = np.random.default_rng(803)
    W = np.array([[1.0, -2.0], [0.5, 0.0]])
    yield (W, np.zeros((2, 2)), 0.1), {}
    yield (W, np.array([[0.3, 0.1], [-0.2, 0.4]]), 0.01), {}
    yield (rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), 1e-3), {}
    yield (rng.normal(size=5), rng.normal(size=5), 0.0), {}


@exercise(
    "ch08.l2_gradient",
    cases=_l2_cases,
    hint="Differentiate Keras's penalty l2 * sum(W**2) with respect to W, and add it to the data "
    "loss's gradient.",
    more=("Keras's L2 penalty is l2 * sum(W**2), with no 1/2 in front: its derivative is 2 * l2 * W. "
          "Add it to the gradient of the data loss, dW.",),
)
def l2_gradient(W, dW, l2):
    """The gradient of L + l2 * sum(W^2) given dW = dL/dW: same shape as W."""
    return dW + 2 * l2 * W
