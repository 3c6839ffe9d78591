"""Deep stacks of dense layers (chapter 3): how gradients shrink or grow layer by layer, and
dead ReLUs.

`stack_gradients` (NumPy) and `keras_stack_gradients` (Keras and `tf.GradientTape`) measure the
gradient norm of every layer of a stack; `dead_units` / `dead_fraction` find ReLU units that no
example of a batch switches on.
"""

import numpy as np

from .._checks import as_float_array
from ..engine.activations import get


def _check_stack(x, weights, biases):
    """Validate a stack of dense layers; returns `(x, Ws, bs)` as arrays of one float dtype.

    float32 only if `x` and every weight (and bias) is float32, else float64. Without biases,
    `bs` holds zeros.
    """
    x_arr = as_float_array(x, "x")
    if x_arr.ndim != 2 or x_arr.shape[0] == 0:
        raise ValueError(f"x must be a non-empty 2-D array (n, d_0), got shape {x_arr.shape}")
    if isinstance(weights, np.ndarray) or not isinstance(weights, (list, tuple)):
        raise TypeError(f"weights must be a list of 2-D arrays, got {type(weights).__name__}")
    if len(weights) == 0:
        raise ValueError("weights must hold at least one layer, got an empty list")
    if biases is not None:
        if isinstance(biases, np.ndarray) or not isinstance(biases, (list, tuple)):
            raise TypeError(
                f"biases must be None or a list of 1-D arrays, got {type(biases).__name__}")
        if len(biases) != len(weights):
            raise ValueError(
                f"need one bias per layer: {len(weights)} weights, got {len(biases)} biases")
    Ws = [as_float_array(W, f"weights[{k}]") for k, W in enumerate(weights)]
    bs = [None] * len(Ws) if biases is None else [
        as_float_array(b, f"biases[{k}]") for k, b in enumerate(biases)]
    d = x_arr.shape[1]
    for k, (W, b) in enumerate(zip(Ws, bs)):
        if W.ndim != 2 or W.shape[0] != d:
            raise ValueError(
                f"weights[{k}] must have shape ({d}, d_{k + 1}) to follow the previous layer, "
                f"got {W.shape}"
            )
        if b is not None and b.shape != (W.shape[1],):
            raise ValueError(f"biases[{k}] must have shape ({W.shape[1]},), got {b.shape}")
        d = W.shape[1]
    arrays = [x_arr, *Ws, *(b for b in bs if b is not None)]
    dtype = np.float32 if all(a.dtype == np.float32 for a in arrays) else np.float64
    Ws = [W.astype(dtype, copy=False) for W in Ws]
    bs = [np.zeros(W.shape[1], dtype) if b is None else b.astype(dtype, copy=False)
          for W, b in zip(Ws, bs)]
    return x_arr.astype(dtype, copy=False), Ws, bs


def stack_gradients(x, weights, activation, biases=None):
    """Gradient norm of every layer of a deep stack of dense layers: the vanishing-gradient probe.

    x: (n, d_0); weights: L arrays W_l: (d_{l-1}, d_l); biases: None or L arrays b_l: (d_l,).
    Forward: a_0 = x, z_l = a_{l-1} W_l + b_l, a_l = f(z_l) for every layer (same activation f).
    Objective J = sum(a_L) / n: each output unit of each example sends back a gradient of 1.
    Backward: delta_L = f'(z_L) / n, dJ/dW_l = a_{l-1}^T delta_l,
    delta_{l-1} = (delta_l W_l^T) * f'(z_{l-1}).
    Returns (L,): the Frobenius norms ||dJ/dW_l||, first layer first.
    """
    act = get(activation)
    x, Ws, bs = _check_stack(x, weights, biases)
    a, inputs, zs = x, [], []
    for W, b in zip(Ws, bs):
        inputs.append(a)
        zs.append(a @ W + b)
        a = act.f(zs[-1])
    delta = act.df(zs[-1]) / x.shape[0]
    norms = np.empty(len(Ws), dtype=x.dtype)
    for k in range(len(Ws) - 1, -1, -1):
        norms[k] = np.linalg.norm(inputs[k].T @ delta)
        if k > 0:
            delta = (delta @ Ws[k].T) * act.df(zs[k - 1])
    return norms


def keras_stack_gradients(x, weights, activation, biases=None):
    """The Keras twin of `stack_gradients`: `Dense` layers holding the same weights, and
    `tf.GradientTape` for the gradient of J = sum(output) / n. Same arguments, same (L,) result.
    """
    import keras
    import tensorflow as tf

    act = get(activation)
    x, Ws, bs = _check_stack(x, weights, biases)
    dtype = x.dtype.name
    use_bias = biases is not None
    layers = [keras.layers.Dense(W.shape[1], activation=act.keras(), use_bias=use_bias,
                                 dtype=dtype) for W in Ws]
    model = keras.Sequential([keras.Input(shape=(x.shape[1],), dtype=dtype), *layers])
    for layer, W, b in zip(layers, Ws, bs):
        layer.set_weights([W, b] if use_bias else [W])
    with tf.GradientTape() as tape:
        J = keras.ops.sum(model(tf.constant(x))) / x.shape[0]
    grads = tape.gradient(J, [layer.kernel for layer in layers])
    return np.array([np.linalg.norm(np.asarray(g)) for g in grads], dtype=x.dtype)


def dead_units(z):
    """Which ReLU units are dead on a batch. z: (n, units) pre-activations -> (units,) bool.

    A unit is dead on the batch when z <= 0 for every example: its ReLU outputs 0 and passes
    back a gradient of exactly 0, so gradient descent cannot move its incoming weights.
    """
    z = as_float_array(z)
    if z.ndim != 2 or z.shape[0] == 0:
        raise ValueError(
            f"z must be a non-empty 2-D array (n examples, units), got shape {z.shape}")
    return np.all(z <= 0, axis=0)


def dead_fraction(z):
    """The fraction of ReLU units dead on a batch (see `dead_units`). z: (n, units) -> float."""
    return float(np.mean(dead_units(z)))
