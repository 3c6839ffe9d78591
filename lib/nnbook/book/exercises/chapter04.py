"""Chapter 4 exercises: the backward pass of a dense layer and of softmax, and a small graph swept
by hand."""

import numpy as np

from . import exercise

GRAD_KEYS = ("x", "kernel", "bias")


def _same_grads(expected, got, rtol=1e-6, atol=1e-8):
    """True if `got` is a dict with the keys of `expected` and matching arrays (never raises)."""
    try:
        if not isinstance(got, dict) or not set(expected) <= set(got):
            return False
        for key, e in expected.items():
            g = np.asarray(got[key])
            if g.dtype.kind not in "iuf" or g.shape != e.shape or not np.allclose(g, e, rtol=rtol, atol=atol):
                return False
        return True
    except Exception:  # noqa: BLE001  (anything unconvertible is simply wrong)
        return False


def _dense_cases():
    rng = np.random.default_rng(404)
    # small integers: easy to follow by hand
    yield (np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 1.0], [-2.0, 0.5]]),
           np.array([[1.0, -1.0, 0.5], [2.0, 0.0, -0.5]]),
           np.array([[0.1, -0.2, 0.3], [0.0, 0.5, -0.5], [1.0, 0.0, 0.0], [-0.3, 0.2, 0.1]])), {}
    # one example: the batch sums have a single term
    yield (rng.normal(size=(1, 3)), rng.normal(size=(3, 2)), rng.normal(size=(1, 2))), {}
    # one output unit, as in a binary classifier
    yield (rng.normal(size=(5, 3)), rng.normal(size=(3, 1)), rng.normal(size=(5, 1))), {}
    # everything square: a transposed product has the right shape but the wrong numbers
    yield (rng.normal(size=(3, 3)), rng.normal(size=(3, 3)), rng.normal(size=(3, 3))), {}
    yield (rng.normal(size=(8, 5)), rng.normal(size=(5, 4)), rng.normal(size=(8, 4))), {}


@exercise(
    "ch04.dense_backward",
    cases=_dense_cases,
    hint="Every gradient has the shape of the thing it is the gradient of; that fixes which "
    "products and transposes you need.",
    more=("z = x W + b with x: (n, d_in), W: (d_in, d_out), dz: (n, d_out). Every gradient has "
          "the shape of what it is the gradient of: dL/dx = dz W^T (n, d_in), dL/dW = x^T dz "
          "(d_in, d_out), dL/db = dz summed over the batch (d_out,). Return a dict with the keys "
          "'x', 'kernel' and 'bias'.",),
    compare=_same_grads,
)
def dense_backward(x, W, dz):
    """Gradients of L through z = x W + b, given dz = dL/dz: (n, d_out).

    Returns {"x": dL/dx (n, d_in), "kernel": dL/dW (d_in, d_out), "bias": dL/db (d_out,)}.
    """
    x, W, dz = (np.asarray(v, dtype=np.float64) for v in (x, W, dz))
    return {"x": dz @ W.T, "kernel": x.T @ dz, "bias": dz.sum(axis=0)}


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_cases():
    rng = np.random.default_rng(405)
    yield (_softmax(np.array([1.0, 2.0, 3.0])), np.array([1.0, 0.0, -1.0])), {}
    # a batch: one Jacobian-vector product per row
    yield (_softmax(rng.normal(size=(4, 5))), rng.normal(size=(4, 5))), {}
    # the same upstream gradient for every class: softmax ignores shifts, so dz = 0
    yield (_softmax(rng.normal(size=(3, 4))), np.full((3, 4), 2.5)), {}
    # a confident row next to a uniform one
    yield (_softmax(np.array([[1e4, 0.0, -1e4], [0.0, 0.0, 0.0]])),
           np.array([[0.5, -1.0, 2.0], [1.0, 2.0, 3.0]])), {}
    # two classes, many examples
    yield (_softmax(rng.normal(scale=3.0, size=(6, 2))), rng.normal(size=(6, 2))), {}


@exercise(
    "ch04.softmax_backward",
    cases=_softmax_cases,
    hint="Each output of softmax depends on every input: apply its Jacobian to da, without "
    "building the matrix.",
    more=("With a = softmax(z) (the cached output) the Jacobian is J_ij = a_i (delta_ij - a_j), "
          "so dz_i = sum_j da_j J_ji = a_i (da_i - sum_j da_j a_j). Compute the sum for each row "
          "(axis=-1, keepdims=True); no (k, k) matrix is needed. Keep the input's shape.",),
)
def softmax_backward(a, da):
    """dL/dz from a = softmax(z) over the last axis and da = dL/da (same shape)."""
    a, da = np.asarray(a, dtype=np.float64), np.asarray(da, dtype=np.float64)
    return a * (da - np.sum(da * a, axis=-1, keepdims=True))


def _graph_cases():
    rng = np.random.default_rng(406)
    # the point of the exercise: f = 2, df/dx = 3 (1 via s plus 2 via e), df/dy = 1
    yield (0.0, 2.0), {}
    # x + y = 0: the path through e carries nothing, the path through s all of it
    yield (1.0, -1.0), {}
    # many points at once, elementwise, negative x included
    yield (np.linspace(-2.0, 2.0, 9), rng.normal(size=9)), {}
    # a batch of shape (2, 3)
    yield (rng.normal(size=(2, 3)), rng.normal(size=(2, 3))), {}


@exercise(
    "ch04.graph_grads",
    cases=_graph_cases,
    hint="Name the nodes s = x + y, e = exp(x) and f = s e, then sweep backwards from f: first "
    "df/ds and df/de, then the inputs. x feeds two nodes.",
    more=("df/ds = e and df/de = s. y reaches f only through s, so df/dy = df/ds * 1. x reaches f "
          "through s (local derivative 1) and through e (local derivative exp(x)): its gradient is "
          "the sum of both paths, df/dx = df/ds * 1 + df/de * exp(x). Use np.exp so that arrays "
          "work elementwise, and return (f, df/dx, df/dy).",),
)
def graph_grads(x, y):
    """f = (x + y) exp(x) and its two partial derivatives, by a backward sweep (elementwise):
    x, y: numbers or arrays of one shape -> (f, df/dx, df/dy)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    s, e = x + y, np.exp(x)  # forward: the two inner nodes
    df_ds, df_de = e, s  # backward through f = s e
    return s * e, df_ds * 1.0 + df_de * e, df_ds * 1.0  # x has two paths, y one
