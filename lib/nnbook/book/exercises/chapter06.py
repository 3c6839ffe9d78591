"""Chapter 6 exercises: Glorot's uniform limit, the activation statistics of a deep stack, and the
sawtooth of the depth section."""

import math
import numbers

import numpy as np

from . import exercise


def _glorot_cases():
    # (784, 256): the MNIST network's first kernel; unequal fans catch sqrt(6 / fan_in) and
    # sqrt(3 / fan_in); (1, 1) and (3, 1000) catch products in place of sums
    for fans in ((784, 256), (1, 1), (64, 32), (3, 1000), (10, 10), (4096, 4096), (40, 100)):
        yield fans, {}


def _is_close_number(expected, got):
    """True for one real number (Python or NumPy; not a bool, not a string) close to `expected`."""
    if isinstance(got, (bool, np.bool_)) or not isinstance(got, (numbers.Real, np.floating, np.integer)):
        return False
    return math.isfinite(float(got)) and math.isclose(float(got), expected, rel_tol=1e-9, abs_tol=0.0)


@exercise(
    "ch06.glorot_limit",
    cases=_glorot_cases,
    hint="Match the variance of the uniform distribution U(-r, r) to Glorot's target variance.",
    more=("U(-r, r) has variance r^2 / 3. Set r^2 / 3 = 2 / (fan_in + fan_out) and solve for r; "
          "return one number.",),
    compare=_is_close_number,
)
def glorot_limit(fan_in, fan_out):
    """r = sqrt(6 / (fan_in + fan_out)): Glorot's uniform initialisation draws from U(-r, r)."""
    return math.sqrt(6.0 / (fan_in + fan_out))


def _stds_cases():
    rng = np.random.default_rng(606)
    # a small case first (its inputs are what a failing check prints): two examples, two layers;
    # the second row goes negative in layer 1, so the ReLU matters
    yield (np.array([[1.0, -1.0], [2.0, 0.5]]),
           [np.array([[1.0, 0.5], [-0.5, 1.0]]), np.array([[0.5], [-1.0]])], "relu"), {}
    # two square ReLU layers with He-scaled weights
    yield (rng.standard_normal((50, 8)),
           [rng.normal(scale=0.5, size=(8, 8)) for _ in range(2)], "relu"), {}
    # tanh through non-square layers with large weights: saturation shows
    yield (rng.standard_normal((30, 5)),
           [rng.normal(scale=2.0, size=s) for s in ((5, 7), (7, 4), (4, 6))], "tanh"), {}
    # one layer only: the result must still be an array of length 1
    yield (rng.standard_normal((20, 3)), [rng.standard_normal((3, 2))], "relu"), {}
    # inputs that are mostly negative: many ReLU outputs are exactly 0 and std(z) != std(a)
    yield (rng.standard_normal((40, 6)) - 1.5,
           [np.abs(rng.normal(size=(6, 6))), rng.normal(size=(6, 3))], "relu"), {}
    # a deep tanh stack with small weights: the spread shrinks layer by layer
    yield (rng.standard_normal((25, 10)),
           [rng.normal(scale=0.2, size=(10, 10)) for _ in range(5)], "tanh"), {}


@exercise(
    "ch06.layer_stds",
    cases=_stds_cases,
    hint="Push the batch through the layers one by one and record the spread of each layer's "
    "activations.",
    more=("Start with a = x; for each W in weights set a = f(a @ W) (np.maximum(a @ W, 0) for "
          "relu, np.tanh for tanh) and append a.std(), the spread over all examples and units. "
          "Return np.array of the L values, first layer first.",),
)
def layer_stds(x, weights, activation):
    """std of a^(l) = f(a^(l-1) W^(l)) for l = 1..L (no biases). x: (n, d_0) -> (L,)."""
    f = {"relu": lambda z: np.maximum(z, 0.0), "tanh": np.tanh}[activation]
    a, stds = np.asarray(x, dtype=float), []
    for W in weights:
        a = f(a @ W)
        stds.append(a.std())
    return np.array(stds)


def _sawtooth_cases():
    rng = np.random.default_rng(607)
    # one fold: the tent itself, on a grid that contains its peak at 1/2
    yield (np.linspace(0.0, 1.0, 9), 1), {}
    # two folds: the "W", with its teeth at 1/4 and 3/4
    yield (np.linspace(0.0, 1.0, 17), 2), {}
    # five folds, 32 pieces, on a grid four times finer than the teeth
    yield (np.linspace(0.0, 1.0, 129), 5), {}
    # random points, and a batch shaped (3, 4): the shape must be kept
    yield (rng.uniform(size=11), 3), {}
    yield (rng.uniform(size=(3, 4)), 4), {}
    # no fold at all: the identity
    yield (np.linspace(0.0, 1.0, 5), 0), {}


@exercise(
    "ch06.sawtooth",
    cases=_sawtooth_cases,
    hint="Each hidden layer of the deep network applies the tent map t once, to what the layer "
    "below computed: the sawtooth is t applied L times.",
    more=("t(x) = 2 relu(x) - 4 relu(x - 1/2), that is 2x up to x = 1/2 and 2 - 2x after. Start "
          "with a = x and repeat a = t(a) L times (np.maximum(a, 0) is relu); for L = 0 the answer "
          "is x itself.",),
)
def sawtooth(x, L):
    """The tent map t(x) = 2 relu(x) - 4 relu(x - 1/2) applied L times, elementwise on [0, 1]:
    a sawtooth with 2^L straight pieces. x: any shape -> same shape."""
    a = np.asarray(x, dtype=float)
    for _ in range(L):
        a = 2.0 * np.maximum(a, 0.0) - 4.0 * np.maximum(a - 0.5, 0.0)
    return a
