"""Gradient checking: a layer's backward pass against centred differences, in float64.

For one entry x_i the centred difference (f(x + eps e_i) - f(x - eps e_i)) / (2 eps) has an error
of order eps^2 (truncation) plus machine epsilon * |f| / eps (rounding): with eps = 1e-6 a correct
backward pass agrees to about 1e-9 relative, a wrong one rarely better than 1e-3.
"""

import math

import numpy as np

from .._checks import as_float_array, flag, number_in, positive_int
from .layers.base import Layer


def _check_numerical(f, x, eps):
    """`eps` as a float, after checking f (callable, finite at x) and x (a finite float64 array)."""
    if not callable(f):
        raise TypeError(f"f must be a function of x returning a float, got {type(f).__name__}")
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        got = x.dtype if isinstance(x, np.ndarray) else type(x).__name__
        raise TypeError(f"x must be a float64 numpy array (it is perturbed in place), got {got}")
    if not np.isfinite(x).all():
        raise ValueError(f"x must be finite, got {int(np.sum(~np.isfinite(x)))} NaN/inf entries")
    eps = number_in(eps, "eps", 0, low_open=True)
    _scalar(f(x))  # finite at x itself
    return eps


def numerical_gradient(f, x, eps=1e-6):
    """df/dx by centred differences. f: array -> float; x: float64 array -> array shaped like x.

    x is perturbed IN PLACE, one entry at a time, and restored (also if f fails): it may be a
    parameter array that `f` reads (e.g. `layer.params["kernel"]`) rather than its argument.
    """
    eps = _check_numerical(f, x, eps)
    grad = np.empty_like(x)
    for i in np.ndindex(x.shape):
        x_i = x[i]
        try:
            x[i] = x_i + eps
            f_plus = _scalar(f(x), i)
            x[i] = x_i - eps
            f_minus = _scalar(f(x), i)
        finally:
            x[i] = x_i
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def _scalar(value, i=None):
    """f's value as a float; it must be one finite number (`i`: the entry of x moved by eps)."""
    value = np.asarray(value)
    if value.size != 1 or value.dtype.kind not in "biuf":
        raise TypeError(f"f must return one number, got an array of shape {value.shape}")
    value = float(value.reshape(()))
    if not math.isfinite(value):
        where = "at x" if i is None else f"with x[{', '.join(map(str, i))}] moved by eps"
        raise ValueError(f"f returned {value} {where}: centred differences need finite values "
                         f"(is x at the edge of f's domain, e.g. log of 0?)")
    return value


def relative_error(a, b):
    """max |a - b| / max(|a| + |b|): 0 for equal arrays, 1 for opposite ones (0 / 0 counts as 0)."""
    a = as_float_array(a, "a").astype(np.float64, copy=False)
    b = as_float_array(b, "b").astype(np.float64, copy=False)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    scale = max(float(np.max(np.abs(a) + np.abs(b))), np.finfo(np.float64).tiny)
    return float(np.max(np.abs(a - b))) / scale


def check_layer(layer, x, eps=1e-6, training=True, seed=0):
    """Relative errors of `layer.backward` against centred differences, for the input and every
    parameter: {"x": ..., "kernel": ..., ...}. x: (n, *input_shape).

    The objective is L = sum(y * r) with r a fixed random array shaped like y, so dL/dy = r.
    An unbuilt layer is built in float64 from `x.shape[1:]` with `np.random.default_rng(seed)`.
    """
    if not isinstance(layer, Layer):
        raise TypeError(f"layer must be an nnbook Layer, got {type(layer).__name__}")
    x = as_float_array(x, "x").astype(np.float64)  # a copy: numerical_gradient perturbs it
    if x.ndim < 2 or len(x) == 0:
        raise ValueError(f"x must be a batch (n, *input_shape) with n >= 1, got shape {x.shape}")
    training, seed = flag(training, "training"), positive_int(seed, "seed", minimum=0)
    if not layer.built:
        layer.build(x.shape[1:], np.random.default_rng(seed))
    if layer.dtype != np.float64:
        raise TypeError(f"gradient checks need a float64 layer, got one built in {layer.dtype}")
    y = layer.forward(x, training=training)
    r = np.random.default_rng(seed).standard_normal(y.shape)

    def objective(_):
        return np.sum(layer.forward(x, training=training) * r)

    numeric = {"x": numerical_gradient(objective, x, eps)}
    for name, p in layer.params.items():
        numeric[name] = numerical_gradient(objective, p, eps)
    layer.forward(x, training=training)
    analytic = {"x": layer.backward(r), **layer.grads}
    return {name: relative_error(analytic[name], numeric[name]) for name in numeric}
