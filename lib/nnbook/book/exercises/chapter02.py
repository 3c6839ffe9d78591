"""Chapter 2 exercises: one step of the perceptron rule (bias folded into w), prediction, and
one epoch of the rule."""

import numpy as np

from . import exercise


def _update_cases():
    rng = np.random.default_rng(202)
    # w = (weights, bias). A wrong prediction of 1 (z = 1.5 > 0, label 0): w moves against (x, 1)
    yield (np.array([1.0, -1.0, 0.5]), np.array([2.0, 1.0]), 0, 0.5), {}
    # a correct prediction: nothing may change
    yield (np.array([1.0, -1.0, 0.5]), np.array([2.0, 1.0]), 1, 0.5), {}
    # z exactly 0 counts as a prediction of 1 (step(0) = 1): label 0 is a mistake
    yield (np.array([1.0, 1.0, 0.0]), np.array([1.0, -1.0]), 0, 1.0), {}
    # z exactly 0 with label 1: correct, no change
    yield (np.array([1.0, 1.0, 0.0]), np.array([1.0, -1.0]), 1, 1.0), {}
    # the bias alone flips the decision: w . x = 2 but z = 2 - 3 = -1, label 1 is a mistake
    yield (np.array([1.0, 1.0, -3.0]), np.array([1.0, 1.0]), 1, 1.0), {}
    # a wrong prediction of 0 (label 1), eta != 1, more features
    yield (np.array([-0.5, 0.25, 1.0, -2.0, -0.3]), np.array([1.0, 2.0, -1.0, 0.5]), 1, 0.1), {}
    # random cases, both labels, weights starting at zero included
    for d, zero in ((3, False), (5, False), (2, True)):
        for _ in range(3):
            w = np.zeros(d + 1) if zero else rng.normal(size=d + 1)
            yield (w, rng.normal(size=d), int(rng.integers(0, 2)),
                   float(rng.uniform(0.05, 2.0))), {}


@exercise(
    "ch02.update",
    cases=_update_cases,
    hint="Fold the bias in as a weight on a constant input 1; the perceptron only changes its "
    "weights on a mistake.",
    more=("Append the constant input 1 to x_i (np.append(x_i, 1.0)) so that w @ x1 = w . x + b; "
          "predict y_hat = 1 if w @ x1 >= 0 else 0 (>=: z = 0 gives 1); return "
          "w + eta * (y_i - y_hat) * x1, an array of shape (d + 1,).",),
)
def update(w, x_i, y_i, eta):
    """One perceptron step, bias folded in: w (d + 1,) = (weights, bias), x_i (d,) -> new w."""
    x1 = np.append(x_i, 1.0)  # (x, 1), so that w @ x1 = weights . x + bias
    y_hat = 1.0 if w @ x1 >= 0 else 0.0
    return w + eta * (y_i - y_hat) * x1


def _predict_cases():
    rng = np.random.default_rng(203)
    # two points, one on each side
    yield (np.array([[2.0, 1.0], [-1.0, -3.0]]), np.array([1.0, 1.0]), -0.5), {}
    # points exactly on the line w . x + b = 0 must get label 1
    yield (np.array([[1.0, -1.0], [0.0, 0.0], [2.0, -2.0]]), np.array([1.0, 1.0]), 0.0), {}
    # the bias alone decides when w = 0
    yield (np.array([[5.0, -7.0], [0.0, 1.0]]), np.zeros(2), -1.0), {}
    # many random points in 3-D and 6-D
    for d in (3, 6):
        yield (rng.normal(size=(20, d)), rng.normal(size=d), float(rng.normal())), {}
    # a single example
    yield (np.array([[0.5, 0.5, 0.5]]), np.array([-1.0, 2.0, 0.0]), 0.1), {}


@exercise(
    "ch02.predict",
    cases=_predict_cases,
    hint="Compute z for every row at once; the label is 1 on the non-negative side of the line.",
    more=("z = x @ w + b has one entry per row of x; the label is 1 where z >= 0 and 0 elsewhere "
          "(np.where(z >= 0, 1, 0)), an array of shape (n,).",),
)
def predict(x, w, b):
    """Perceptron labels: x (n, d), w (d,), b scalar -> (n,) array of 0/1."""
    return np.where(x @ w + b >= 0, 1, 0)


def _epoch_cases():
    rng = np.random.default_rng(204)
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    # the AND epoch of the exercise: z = 0 at (0, 0) is a prediction of 1 (a mistake), and the
    # last corner is judged with the weights the first step left behind
    yield (np.zeros(2), 0.0, corners, np.array([0, 0, 0, 1]), 1.0), {}
    # weights that already separate the data: no mistake, nothing changes
    yield (np.array([1.0, 1.0]), -1.5, corners, np.array([0, 0, 0, 1]), 1.0), {}
    # OR from zero, and a learning rate other than 1
    yield (np.zeros(2), 0.0, corners, np.array([0, 1, 1, 1]), 0.5), {}
    # the order matters: the same points, visited the other way round
    yield (np.zeros(2), 0.0, corners[::-1], np.array([1, 0, 0, 0]), 1.0), {}
    # random data in 3-D and 5-D from non-zero weights
    for d, n in ((3, 8), (5, 12)):
        yield (rng.normal(size=d), float(rng.normal()), rng.normal(size=(n, d)),
               rng.integers(0, 2, size=n), float(rng.uniform(0.1, 2.0))), {}


@exercise(
    "ch02.epoch",
    cases=_epoch_cases,
    hint="Visit the rows of x in order and apply the perceptron rule to each, with the weights as "
    "the previous row left them: one step changes the next prediction.",
    more=("For each i: z = x[i] @ w + b and y_hat = 1 if z >= 0 else 0. If y_hat differs from y[i], "
          "count a mistake and set w = w + eta * (y[i] - y_hat) * x[i], b = b + eta * (y[i] - y_hat). "
          "Return (w, b, mistakes); build new arrays (w = w + ...) rather than changing w in place.",),
)
def epoch(w, b, x, y, eta):
    """One pass of the perceptron rule over the rows of x in order: w (d,), b scalar, x (n, d),
    y (n,) of 0/1 -> (new w, new b, number of mistakes)."""
    w, mistakes = np.asarray(w, dtype=float), 0
    for x_i, y_i in zip(x, y):
        error = y_i - (1 if x_i @ w + b >= 0 else 0)  # -1, 0 or +1
        if error:
            mistakes += 1
            w, b = w + eta * error * x_i, b + eta * error
    return w, float(b), mistakes
