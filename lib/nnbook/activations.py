"""Activation functions and their derivatives, in NumPy, with their Keras twins.

Every function takes an array `z` of any shape (float32 stays float32, anything else becomes
float64) and returns an array of the same shape; `*_grad` returns the elementwise derivative
d f(z) / dz. `softmax` works along `axis` and has a Jacobian instead of an elementwise derivative.
All are finite for inputs as large as +-1e4 (sigmoid and softmax never exponentiate a positive).

For deep stacks of dense layers: `stack_gradients` (NumPy) and `keras_stack_gradients` (Keras and
`tf.GradientTape`) measure the gradient norm of every layer; `dead_units` / `dead_fraction` find
ReLU units that no example of a batch switches on.
"""

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.special import erfc

LEAKY_SLOPE = 0.2  # keras.activations.leaky_relu's default negative_slope
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def as_float_array(z, name="z"):
    """`z` as a float array (float32 kept, else float64); rejects non-numeric, non-finite input."""
    arr = np.asarray(z)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric, got an array of dtype {arr.dtype}")
    arr = arr.astype(np.float32 if arr.dtype == np.float32 else np.float64, copy=False)
    if not np.all(np.isfinite(arr)):
        bad = int(np.sum(~np.isfinite(arr)))
        raise ValueError(f"{name} must be finite, got {bad} NaN/inf entries")
    return arr


def identity(z):
    """f(z) = z."""
    return as_float_array(z).copy()


def identity_grad(z):
    """f'(z) = 1."""
    return np.ones_like(as_float_array(z))


def step(z):
    """Heaviside step: 1 where z >= 0, else 0 (the perceptron's activation)."""
    z = as_float_array(z)
    return (z >= 0).astype(z.dtype)


def step_grad(z):
    """0 everywhere (undefined at 0; taken as 0): why a step cannot be trained by gradients."""
    return np.zeros_like(as_float_array(z))


def sigmoid(z):
    """sigma(z) = 1 / (1 + e^-z), computed without overflow for either sign of z."""
    z = as_float_array(z)
    e = np.exp(-np.abs(z))  # always in (0, 1]
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(z.dtype)


def sigmoid_grad(z):
    """sigma'(z) = sigma(z) (1 - sigma(z)) = e^-|z| / (1 + e^-|z|)^2; at most 1/4, at z = 0.

    The second form keeps full relative precision in the tails, where 1 - sigma(z) rounds to 0.
    """
    z = as_float_array(z)
    e = np.exp(-np.abs(z))  # always in (0, 1]
    return e / (1.0 + e) ** 2


def tanh(z):
    """tanh(z) = (e^z - e^-z) / (e^z + e^-z) = 2 sigma(2z) - 1."""
    return np.tanh(as_float_array(z))


def tanh_grad(z):
    """tanh'(z) = 1 - tanh(z)^2 = 4 e^-2|z| / (1 + e^-2|z|)^2; at most 1, at z = 0.

    The second form keeps full relative precision in the tails, where tanh(z)^2 rounds to 1.
    """
    z = as_float_array(z)
    e = np.exp(-2.0 * np.abs(z))  # always in (0, 1]
    return 4.0 * e / (1.0 + e) ** 2


def relu(z):
    """ReLU(z) = max(0, z)."""
    z = as_float_array(z)
    return np.maximum(z, 0).astype(z.dtype)


def relu_grad(z):
    """1 where z > 0, else 0 (the derivative at 0 is taken as 0, as TensorFlow does)."""
    z = as_float_array(z)
    return (z > 0).astype(z.dtype)


def leaky_relu(z, slope=LEAKY_SLOPE):
    """z where z >= 0, else slope * z."""
    z = as_float_array(z)
    return np.where(z >= 0, z, slope * z).astype(z.dtype)


def leaky_relu_grad(z, slope=LEAKY_SLOPE):
    """1 where z > 0, else slope."""
    z = as_float_array(z)
    return np.where(z > 0, 1.0, slope).astype(z.dtype)


def _sigmoid_and_grad(v):
    """sigma(v) and sigma'(v) for an already validated array `v` (no checks; v may be +-inf)."""
    e = np.exp(-np.abs(v))
    return np.where(v >= 0, 1.0 / (1.0 + e), e / (1.0 + e)), e / (1.0 + e) ** 2


def gelu(z, approximate=False):
    """GELU(z) = z * Phi(z), Phi the standard normal CDF (Hendrycks & Gimpel, 2016).

    Phi(z) = erfc(-z / sqrt 2) / 2, which keeps full relative precision for z << 0 (where
    1 + erf(z / sqrt 2) would cancel). `approximate=True` uses Keras's default tanh form
    0.5 z (1 + tanh(u)), u = sqrt(2/pi) (z + 0.044715 z^3), computed as z sigma(2u) (the same
    number, without the cancellation of 1 + tanh(u) for u << 0).
    """
    z = as_float_array(z)
    if approximate:
        u = _SQRT_2_OVER_PI * (z + 0.044715 * z**3)
        return (z * _sigmoid_and_grad(2.0 * u)[0]).astype(z.dtype)
    return (0.5 * z * erfc(-z / math.sqrt(2.0))).astype(z.dtype)


def gelu_grad(z, approximate=False):
    """d GELU / dz: Phi(z) + z phi(z) (exact), or the derivative of the tanh form."""
    z = as_float_array(z)
    if approximate:  # d/dz [z sigma(2u)] = sigma(2u) + 2 z sigma'(2u) du/dz
        u = _SQRT_2_OVER_PI * (z + 0.044715 * z**3)
        du = _SQRT_2_OVER_PI * (1.0 + 3 * 0.044715 * z**2)
        s, ds = _sigmoid_and_grad(2.0 * u)
        return (s + 2.0 * z * ds * du).astype(z.dtype)
    cdf = 0.5 * erfc(-z / math.sqrt(2.0))
    pdf = np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    return (cdf + z * pdf).astype(z.dtype)


def softmax(z, axis=-1):
    """softmax(z)_i = e^{z_i - m} / sum_j e^{z_j - m}, with m = max_j z_j, along `axis`."""
    z = as_float_array(z)
    if z.ndim == 0:
        raise ValueError("softmax needs at least a 1-D array of scores, got a scalar")
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_jacobian(z):
    """Jacobian of softmax over the last axis: shape (..., k, k), J_ij = s_i (delta_ij - s_j)."""
    s = softmax(z, axis=-1)
    return s[..., :, None] * (np.eye(s.shape[-1], dtype=s.dtype) - s[..., None, :])


@dataclass(frozen=True)
class Activation:
    """An activation `f`, its derivative `df`, and the name/arguments of its Keras twin."""

    name: str
    f: callable
    df: callable
    keras_name: str
    keras_kwargs: dict = field(default_factory=dict)

    def keras(self):
        """The Keras function computing the same thing (`keras.activations.<keras_name>`)."""
        import keras

        fn = getattr(keras.activations, self.keras_name)
        kwargs = dict(self.keras_kwargs)
        return lambda x: fn(x, **kwargs)


ACTIVATIONS = {
    "linear": Activation("linear", identity, identity_grad, "linear"),
    "sigmoid": Activation("sigmoid", sigmoid, sigmoid_grad, "sigmoid"),
    "tanh": Activation("tanh", tanh, tanh_grad, "tanh"),
    "relu": Activation("relu", relu, relu_grad, "relu"),
    "leaky_relu": Activation("leaky_relu", leaky_relu, leaky_relu_grad, "leaky_relu",
                             {"negative_slope": LEAKY_SLOPE}),
    "gelu": Activation("gelu", gelu, gelu_grad, "gelu", {"approximate": False}),
}


#: The name a layer uses for softmax over its last axis (not elementwise, so not in ACTIVATIONS).
SOFTMAX = "softmax"


def names():
    """Every activation name a layer accepts: the elementwise ones and "softmax"."""
    return [*ACTIVATIONS, SOFTMAX]


def keras_activation(name):
    """What `keras.layers.Dense(activation=...)` needs to compute activation `name`."""
    if name == SOFTMAX:
        return SOFTMAX
    act = get(name)
    return act.keras() if act.keras_kwargs else act.keras_name


def get(name):
    """The `Activation` called `name` (one of `ACTIVATIONS`)."""
    if isinstance(name, Activation):
        return name
    if not isinstance(name, str):
        raise TypeError(f"activation must be a name (str), got {type(name).__name__}")
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name]


# --- Deep stacks: how gradients shrink or grow layer by layer, and dead ReLUs ---------------------


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
