"""Chapter 1 exercises: a dense ReLU layer, counting the parameters of an MLP, and the point of a
neuron's boundary nearest to the origin."""

import numpy as np

from . import exercise


def _dense_relu_cases():
    rng = np.random.default_rng(101)
    # one example, two neurons; a negative pre-activation so a missing ReLU shows
    yield (np.array([[1.0, 2.0, -1.0]]),
           np.array([[0.5, -1.0], [0.25, 0.5], [1.0, 2.0]]),
           np.array([0.1, -0.2])), {}
    # non-square W (catches W @ x and W.T), non-zero b (catches a forgotten bias)
    yield (rng.normal(size=(4, 3)), rng.normal(size=(3, 5)), rng.normal(size=5)), {}
    # a single output neuron; a batch where half the rows are all negative
    yield (np.vstack([-np.ones((3, 6)), np.ones((3, 6))]), rng.normal(size=(6, 1)),
           np.array([0.3])), {}
    # wider input than output, b large enough that some units switch on only through the bias
    yield (rng.normal(size=(7, 8)), rng.normal(size=(8, 2)), np.array([2.0, -2.0])), {}


@exercise(
    "ch01.dense_relu",
    cases=_dense_relu_cases,
    hint="One matrix product for the whole batch, add the bias, then ReLU keeps the positive part.",
    more=("x is (n, d_in) and W is (d_in, d_out): z = x @ W + b has shape (n, d_out); "
          "then ReLU keeps max(0, z) elementwise (np.maximum).",),
)
def dense_relu(x, W, b):
    """A dense layer with ReLU: x (n, d_in), W (d_in, d_out), b (d_out,) -> (n, d_out)."""
    return np.maximum(0.0, x @ W + b)


def _count_cases():
    for sizes in ([2, 1], [3, 4, 2], [64, 32, 10], [784, 256, 128, 10], [5, 5, 5, 5, 5], [1, 1]):
        yield (list(sizes),), {}


def _same_int(expected, got):
    return isinstance(got, (int, np.integer)) and not isinstance(got, bool) and got == expected


@exercise(
    "ch01.count_params",
    cases=_count_cases,
    hint="Every layer has one weight per (input, output) pair and one bias per output.",
    more=("Each layer from d_in to d_out has a d_in x d_out weight matrix and d_out biases; "
          "add them up over consecutive pairs of sizes, and return an int.",),
    compare=_same_int,
)
def count_params(sizes):
    """Number of weights and biases of a dense network with layer widths `sizes`."""
    return int(sum(d_in * d_out + d_out for d_in, d_out in zip(sizes[:-1], sizes[1:])))


def _closest_point_cases():
    rng = np.random.default_rng(102)
    # the neuron of the exercise: the line x1 + 2 x2 = 2, whose closest point is (0.4, 0.8)
    yield (np.array([1.0, 2.0]), -2.0), {}
    # b > 0: the line sits on the side w points away from (a sign slip shows here)
    yield (np.array([3.0, -4.0]), 5.0), {}
    # b = 0: the line passes through the origin, which is then its own closest point
    yield (np.array([0.5, 0.5]), 0.0), {}
    # a long w: dividing by |w| once instead of twice gives a point off the line
    yield (np.array([0.0, 10.0]), -20.0), {}
    # three and five inputs: a plane and a hyperplane
    for d in (3, 5):
        yield (rng.normal(size=d), float(rng.normal(scale=2.0))), {}


@exercise(
    "ch01.closest_point",
    cases=_closest_point_cases,
    hint="The point you want lies on the line through the origin along w (w is perpendicular to "
    "the boundary), so it is t * w for one number t: find t from w . x + b = 0.",
    more=("Put x = t w into w . x + b = 0: t (w . w) + b = 0, so t = -b / (w . w). Its length is then "
          "|b| / |w|, the distance the chapter gives. Return the point x, an array like w.",),
)
def closest_point(w, b):
    """The point of the boundary w . x + b = 0 nearest to the origin: -b w / (w . w), shape of w."""
    w = np.asarray(w, dtype=float)
    return -b * w / (w @ w)
