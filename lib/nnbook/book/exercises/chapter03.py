"""Chapter 3 exercises: the derivative of SiLU, a stable softmax with a temperature, and the affine
map a ReLU network computes around one input."""

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
    hint="SiLU is a product of z and sigma(z): use the product rule, with sigma's derivative from "
    "the chapter.",
    more=("SiLU(z) = z sigma(z). By the product rule its derivative is sigma(z) + z sigma'(z); "
          "nnbook.activations.sigmoid and sigmoid_grad are finite for any z. Keep the input's shape.",),
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
    hint="Temperature first; then make the exponentials safe the way the chapter does before "
    "normalising.",
    more=("Divide the logits by T first, then subtract each row's maximum "
          "(.max(axis=-1, keepdims=True)) so exp never sees a positive number, exponentiate, and "
          "divide by the row sums. T defaults to 1.",),
)
def softmax(z, T=1.0):
    """softmax(z / T) over the last axis, stable for any finite logits. (k,) or (n, k) -> same."""
    u = np.asarray(z, dtype=float) / T
    e = np.exp(u - u.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _local_affine_cases():
    rng = np.random.default_rng(305)
    # by hand: hidden unit 2 is off at x = 1 (z = -0.5), and the output is negative (-3), so a
    # ReLU must not be applied after the last layer
    yield (np.array([1.0]), [np.array([[1.0, -1.0]]), np.array([[2.0], [3.0]])],
           [np.array([0.0, 0.5]), np.array([-5.0])]), {}
    # one layer and no hidden ReLU at all: the map is the layer itself
    yield (np.array([0.5, -2.0]), [np.array([[1.0, 2.0, 0.0], [-1.0, 0.5, 3.0]])],
           [np.array([0.1, -0.2, 0.3])]), {}
    # a stack like the chapter's: 2 -> 16 -> 16 -> 16 -> 1
    sizes = [2, 16, 16, 16, 1]
    Ws = [rng.normal(size=(a, b)) / np.sqrt(a) for a, b in zip(sizes[:-1], sizes[1:])]
    bs = [rng.normal(scale=0.5, size=b) for b in sizes[1:]]
    yield (np.array([0.3, -1.2]), Ws, bs), {}
    # three inputs, three outputs, two hidden layers
    sizes = [3, 8, 5, 3]
    Ws = [rng.normal(size=(a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
    bs = [rng.normal(size=b) for b in sizes[1:]]
    yield (rng.normal(size=3), Ws, bs), {}
    # every unit of the first hidden layer is off: the output no longer depends on x at all
    yield (np.array([1.0, 1.0]), [-np.ones((2, 4)), rng.normal(size=(4, 2))],
           [np.zeros(4), np.array([0.7, -0.4])]), {}


@exercise(
    "ch03.local_affine",
    cases=_local_affine_cases,
    hint="Fold the layers into one (W, b) as for a linear stack, but after each hidden layer keep "
    "only the units that are on at this x.",
    more=("Run x forward to know which units are on (z > 0). A unit that is off contributes "
          "nothing: zero its column of the running W and its entry of the running b. The last "
          "layer has no ReLU.",
          "Start from W = identity (d, d), b = zeros(d), a = x. For each layer: W, b = W @ W_l, "
          "b @ W_l + b_l and z = a @ W_l + b_l; for hidden layers on = z > 0, then W, b = W * on, "
          "b * on and a = max(z, 0). Return (W, b)."),
)
def local_affine(x, weights, biases):
    """The affine map (W, b), W: (d, d_out), b: (d_out,), that a stack with ReLU after every layer
    but the last computes around the input x: (d,); x @ W + b is the network's output at x."""
    a = np.asarray(x, dtype=float)
    W, b = np.eye(len(a)), np.zeros(len(a))
    for k, (W_l, b_l) in enumerate(zip(weights, biases)):
        W, b, z = W @ W_l, b @ W_l + b_l, a @ W_l + b_l
        if k < len(weights) - 1:  # a hidden layer: only its units that are on pass anything
            on = z > 0
            W, b, a = W * on, b * on, np.maximum(z, 0.0)
    return W, b


def _linear_pieces_cases():
    yield (np.array([1.0, -1.0]), np.array([0.0, 1.0]), np.array([1.0, 1.0]), -3.0, 3.0), {}
    # a hinge outside the interval, a unit with w = 0 (no hinge) and a unit with v = 0 (no kink)
    yield (np.array([2.0, 0.0, 1.0, 1.0]), np.array([-10.0, 1.0, 0.5, -1.0]),
           np.array([1.0, 3.0, 0.0, -2.0]), -3.0, 3.0), {}
    # two units hinge at x = 1 and their slope changes cancel: no kink there
    yield (np.array([1.0, -2.0, 1.0]), np.array([-1.0, 2.0, 2.0]), np.array([2.0, -1.0, 1.0]),
           -3.0, 3.0), {}
    # two units share a hinge and do not cancel: one kink, not two
    yield (np.array([1.0, 3.0]), np.array([-1.0, -3.0]), np.array([1.0, 1.0]), -3.0, 3.0), {}


@exercise(
    "ch03.linear_pieces",
    cases=_linear_pieces_cases,
    hint="The slope can change only where some unit's hinge -b_i / w_i lies inside the interval.",
    more=("A unit with w_i = 0 has no hinge, and one with v_i = 0 puts no kink in y. Units with "
          "the same hinge make one kink, and none if their slope changes v_i |w_i| add to zero.",
          "Hinges t_i = -b_i / w_i for w_i != 0 with lo < t_i < hi; group equal t_i; count the "
          "groups whose sum of v_i |w_i| is nonzero; return that count plus 1."),
)
def linear_pieces(w, b, v, lo, hi):
    """Number of linear pieces of y(x) = sum_i v_i relu(w_i x + b_i) on [lo, hi]; w, b, v: (H,)."""
    w, b, v = (np.asarray(u, dtype=float) for u in (w, b, v))
    has = w != 0
    t = -b[has] / w[has]
    jump = (v * np.abs(w))[has]  # the slope of unit i's term grows by v_i |w_i| at its hinge
    inside = (t > lo) & (t < hi)
    hinges, group = np.unique(np.round(t[inside], 12), return_inverse=True)
    kinks = np.bincount(group, weights=jump[inside], minlength=len(hinges))
    return int(np.sum(np.abs(kinks) > 1e-12)) + 1
