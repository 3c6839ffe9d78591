"""Chapter 11 exercises: one LSTM step and one GRU step in Keras's layout, the BPTT gradient of a
two-step linear RNN, and gradient clipping by norm."""

import numpy as np

from . import exercise


def _sigmoid(z):
    return 0.5 * (1 + np.tanh(z / 2))  # = 1 / (1 + exp(-z)), without overflow


def _lstm_cases():
    rng = np.random.default_rng(1101)
    # one unit, hand-sized numbers: every gate at sigma(0) = 1/2
    yield (np.array([[0.0]]), np.array([[0.0]]), np.array([[2.0]]), np.zeros((1, 4)),
           np.zeros((1, 4)), np.zeros(4)), {}
    # the gates in Keras's order i, f, g, o: a big forget bias keeps c, the candidate reads x
    yield (np.array([[1.0]]), np.array([[0.5]]), np.array([[1.0]]), np.array([[0.0, 0.0, 2.0, 0.0]]),
           np.zeros((1, 4)), np.array([0.0, 5.0, 0.0, -1.0])), {}
    for n, d, u in ((2, 3, 2), (4, 2, 3)):
        yield (rng.normal(size=(n, d)), rng.normal(size=(n, u)), rng.normal(size=(n, u)),
               rng.normal(size=(d, 4 * u)), rng.normal(size=(u, 4 * u)), rng.normal(size=4 * u)), {}


@exercise(
    "ch11.lstm_step",
    cases=_lstm_cases,
    hint="One product gives the four gate blocks, in Keras's order i, f, g, o; the cell forgets "
    "part of itself and writes part of g.",
    more=("a = x W + h U + b has four blocks of u columns in Keras's order i, f, g, o; i, f, o go "
          "through the sigmoid and g through tanh. Then c_new = f * c + i * g and h_new = o * tanh(c_new). "
          "Return (h_new, c_new).",),
)
def lstm_step(x, h, c, W, U, b):
    """One LSTM step. x: (n, d), h, c: (n, u), W: (d, 4u), U: (u, 4u), b: (4u,) ->
    (h_new, c_new), each (n, u)."""
    u = h.shape[1]
    a = x @ W + h @ U + b
    i, f, o = _sigmoid(a[:, :u]), _sigmoid(a[:, u:2 * u]), _sigmoid(a[:, 3 * u:])
    g = np.tanh(a[:, 2 * u:3 * u])
    c_new = f * c + i * g
    return o * np.tanh(c_new), c_new


def _gru_cases():
    rng = np.random.default_rng(1102)
    # all zero weights: z = r = 1/2, candidate tanh(0) = 0, so h_new = h / 2
    yield (np.array([[1.0]]), np.array([[0.8]]), np.zeros((1, 3)), np.zeros((1, 3)), np.zeros((2, 3))), {}
    # the reset gate multiplies the recurrent candidate term *with* its bias (reset_after)
    yield (np.array([[0.0]]), np.array([[1.0]]), np.zeros((1, 3)), np.array([[0.0, 0.0, 1.0]]),
           np.array([[0.0, -1.0, 0.0], [0.0, 0.0, 0.5]])), {}
    for n, d, u in ((2, 3, 2), (3, 2, 4)):
        yield (rng.normal(size=(n, d)), rng.normal(size=(n, u)), rng.normal(size=(d, 3 * u)),
               rng.normal(size=(u, 3 * u)), rng.normal(size=(2, 3 * u))), {}


@exercise(
    "ch11.gru_step",
    cases=_gru_cases,
    hint="Keras's GRU (reset_after=True) keeps the input and recurrent products apart, so the "
    "reset gate scales the recurrent side only.",
    more=("Blocks z, r, h of u columns. Input side a = x W + b[0], recurrent side q = h U + b[1]. "
          "z = sigmoid(a_z + q_z), r = sigmoid(a_r + q_r), g = tanh(a_h + r * q_h) (the reset gate "
          "scales the whole recurrent part, bias included), and h_new = z * h + (1 - z) * g.",),
)
def gru_step(x, h, W, U, b):
    """One GRU step as Keras computes it (reset_after=True). x: (n, d), h: (n, u), W: (d, 3u),
    U: (u, 3u), b: (2, 3u) -> h_new: (n, u)."""
    u = h.shape[1]
    a, q = x @ W + b[0], h @ U + b[1]
    z = _sigmoid(a[:, :u] + q[:, :u])
    r = _sigmoid(a[:, u:2 * u] + q[:, u:2 * u])
    g = np.tanh(a[:, 2 * u:] + r * q[:, 2 * u:])
    return z * h + (1 - z) * g


def _bptt_cases():
    rng = np.random.default_rng(1103)
    # scalars: h1 = 2, h2 = 1 * 1 + 2 * 0.5 = 2, error 2 - 1 = 1
    yield (np.array([2.0]), np.array([1.0]), np.array([[1.0]]), np.array([[0.5]]), np.array([1.0])), {}
    # a zero U cuts the path back to x_1: only x_2 gets gradient into W
    yield (np.array([1.0, -1.0]), np.array([0.5, 2.0]), np.array([[1.0, 0.0], [0.0, 1.0]]),
           np.zeros((2, 2)), np.array([0.0, 1.0])), {}
    for d, u in ((3, 2), (2, 4)):
        yield (rng.normal(size=d), rng.normal(size=d), rng.normal(size=(d, u)),
               rng.normal(size=(u, u)), rng.normal(size=u)), {}


@exercise(
    "ch11.bptt_two_step",
    cases=_bptt_cases,
    hint="Write the two forward steps, then go backwards; W is used at both steps, so its gradient "
    "has two terms.",
    more=("Forward: h1 = x1 W, h2 = x2 W + h1 U, L = |h2 - y|^2 / 2. Backward: d2 = h2 - y; "
          "dU = outer(h1, d2); the error reaching h1 is d1 = U d2 (that is d2 @ U.T); W is used at both "
          "steps, so dW = outer(x2, d2) + outer(x1, d1). Return (dW, dU).",),
)
def bptt_two_step(x1, x2, W, U, y):
    """dL/dW and dL/dU for the linear RNN h1 = x1 W, h2 = x2 W + h1 U (h0 = 0) and the loss
    L = ||h2 - y||^2 / 2. x1, x2: (d,), W: (d, u), U: (u, u), y: (u,) -> (dW, dU)."""
    h1 = x1 @ W
    h2 = x2 @ W + h1 @ U
    d2 = h2 - y
    d1 = d2 @ U.T
    return np.outer(x2, d2) + np.outer(x1, d1), np.outer(h1, d2)


def _clip_cases():
    rng = np.random.default_rng(1104)
    yield (np.array([3.0, 4.0]), 1.0), {}  # norm 5: scaled down to norm 1
    yield (np.array([0.3, 0.4]), 1.0), {}  # norm 0.5: left alone
    yield (np.array([[6.0, 0.0], [0.0, 8.0]]), 5.0), {}  # a matrix: its Frobenius norm, 10
    yield (rng.normal(size=(3, 4)) * 100, 2.5), {}
    yield (np.zeros(3), 1.0), {}


@exercise(
    "ch11.clip_by_norm",
    cases=_clip_cases,
    hint="Scale g down only when its norm exceeds c; scaling keeps its direction.",
    more=("Take the norm of the whole array, sqrt(sum(g**2)) (the Frobenius norm of a matrix). If it "
          "exceeds c, scale g by c / norm, which keeps its direction; otherwise return g unchanged: "
          "g * c / max(norm, c).",),
)
def clip_by_norm(g, c):
    """Keras's clipnorm on one gradient array: g scaled to norm c if its norm is larger.
    g: any shape, c > 0 -> same shape."""
    return g * c / max(np.sqrt(np.sum(g**2)), c)
