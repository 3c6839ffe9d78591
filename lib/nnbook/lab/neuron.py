"""A neuron, a dense layer and a multi-layer forward pass in NumPy, with their Keras twin.

Notation: a layer maps `x: (n, d_in)` to `z = x W + b` and `a = f(z)`, with `W: (d_in, d_out)`
(Keras's `kernel` layout: one column per neuron) and `b: (d_out,)`. `params` is a list of `(W, b)`
pairs, one per layer. Arrays stay float32 only if every array passed in is float32; otherwise
the computation runs in float64. Activation names are those of `nnbook.engine.activations` (softmax
over the last axis).
"""


import numpy as np

from .._checks import as_float_array, float_dtype, positive_int
from ..engine import activations as _act
from ..engine import initializers
from ..engine.activations import SOFTMAX


def _activation(name):
    """The NumPy function computing activation `name` (softmax runs over the last axis)."""
    if name is None:
        raise TypeError("activation must be a name (str), got None")
    return _act.get(name).f


def _array(value, name, ndim):
    """`value` as a finite float array with one of the dimensions in `ndim` (a tuple)."""
    if isinstance(value, str):
        raise TypeError(f"{name} must be numeric, got a string")
    arr = as_float_array(value, name)
    if arr.ndim not in ndim:
        want = " or ".join(f"{d}-D" for d in ndim)
        raise ValueError(f"{name} must be {want}, got shape {arr.shape}")
    return arr


def _dtype(*values):
    """float32 if all arrays in `values` are float32 (plain numbers do not count), else float64."""
    arrays = [v for v in values if isinstance(v, (np.ndarray, np.generic))]
    if arrays and all(v.dtype == np.float32 for v in arrays):
        return np.float32
    return np.float64


def _check_neuron(x, w, b, activation):
    """(x, w, b) as arrays of one float dtype, and the activation function; raises on bad input."""
    dtype = _dtype(x, w, b)
    x = _array(x, "x", (1, 2)).astype(dtype, copy=False)
    w = _array(w, "w", (1,)).astype(dtype, copy=False)
    b = _array(b, "b", (0,)).astype(dtype, copy=False)
    if x.shape[-1] != w.shape[0]:
        raise ValueError(f"x has {x.shape[-1]} features (shape {x.shape}) but w has {w.shape[0]} weights")
    if activation == SOFTMAX:
        raise ValueError("softmax normalises a whole layer of outputs; one neuron cannot use it")
    return x, w, b, _activation(activation)


def neuron(x, w, b, activation="sigmoid"):
    """One neuron: `f(x . w + b)`. x: (d,) -> scalar, or (n, d) -> (n,); w: (d,); b: scalar."""
    x, w, b, f = _check_neuron(x, w, b, activation)
    a = f(x @ w + b)
    return a[()] if a.ndim == 0 else a


def _check_layer(W, b, k=None):
    """Validate one layer's `(W, b)`; returns them as float arrays."""
    where = "" if k is None else f"layer {k}: "
    W = _array(W, f"{where}W", (2,))
    b = _array(b, f"{where}b", (1,))
    if b.shape[0] != W.shape[1]:
        raise ValueError(
            f"{where}W has shape {W.shape} (d_in, d_out), so b must have shape ({W.shape[1]},), "
            f"got {b.shape}"
        )
    return W, b


def _check_dense(x, W, b, activation):
    """(x, W, b) as arrays of one float dtype, and the activation function; raises on bad input."""
    dtype = _dtype(x, W, b)
    x = _array(x, "x", (1, 2)).astype(dtype, copy=False)
    W, b = _check_layer(W, b)
    if x.shape[-1] != W.shape[0]:
        raise ValueError(f"x has {x.shape[-1]} features (shape {x.shape}) but W expects "
                         f"d_in={W.shape[0]} (W has shape {W.shape})")
    return x, W.astype(dtype, copy=False), b.astype(dtype, copy=False), _activation(activation)


def dense(x, W, b, activation="linear"):
    """A dense layer: `f(x W + b)`. x: (n, d_in) or (d_in,); W: (d_in, d_out); b: (d_out,)."""
    x, W, b, f = _check_dense(x, W, b, activation)
    return f(x @ W + b)


_NOT_GIVEN = object()  # check_params without activations (None is a wrong value, not "none given")


def check_params(params, activations=_NOT_GIVEN):
    """Validate `params` (a non-empty list of `(W, b)`) and, if given, one activation per layer.

    Checks that the shapes chain: layer k+1's d_in equals layer k's d_out. Returns the layer sizes
    `[d_in, d_1, ..., d_out]`.
    """
    if not isinstance(params, (list, tuple)):
        raise TypeError(f"params must be a list of (W, b) pairs, got {type(params).__name__}")
    if len(params) == 0:
        raise ValueError("params must hold at least one (W, b) pair, got an empty list")
    sizes = []
    for k, layer in enumerate(params, start=1):
        if not isinstance(layer, (list, tuple)) or len(layer) != 2:
            raise TypeError(
                f"layer {k} of params must be a (W, b) pair, got {type(layer).__name__}"
            )
        W, _ = _check_layer(*layer, k=k)
        if sizes and W.shape[0] != sizes[-1]:
            raise ValueError(
                f"layer {k}: W has d_in={W.shape[0]} (shape {W.shape}), but layer {k - 1} "
                f"outputs d_out={sizes[-1]}: the shapes must chain"
            )
        if not sizes:
            sizes.append(W.shape[0])
        sizes.append(W.shape[1])
    if activations is not _NOT_GIVEN:
        if isinstance(activations, str) or not isinstance(activations, (list, tuple)):
            raise TypeError(
                f"activations must be a list of names, one per layer, got {activations!r}"
            )
        if len(activations) != len(params):
            raise ValueError(
                f"need one activation per layer: {len(params)} layers, "
                f"got {len(activations)} activations"
            )
        for name in activations:
            _activation(name)
    return sizes


def _check_network(x, params, activations):
    """x and params as arrays of one float dtype (float32 only if all are); raises on bad input."""
    sizes = check_params(params, activations)
    x = _array(x, "x", (1, 2))
    if x.shape[-1] != sizes[0]:
        raise ValueError(f"x has {x.shape[-1]} features (shape {x.shape}) but layer 1 expects "
                         f"d_in={sizes[0]}")
    dtype = _dtype(x, *(v for layer in params for v in layer))
    return x.astype(dtype, copy=False), [(np.asarray(W, dtype), np.asarray(b, dtype)) for W, b in params]


def forward(x, params, activations):
    """Run `x` through every layer. x: (n, d_in) or (d_in,) -> output (n, d_out) or (d_out,).

    Returns `(a, steps)`: the network's output and, per layer, the pair `(z, a)` it computed
    (pre-activation and activation), so the pass can be inspected step by step.
    """
    a, params = _check_network(x, params, activations)
    steps = []
    for (W, b), name in zip(params, activations):
        z = a @ W + b
        a = _activation(name)(z)
        steps.append((z, a))
    return a, steps


def _check_sizes(sizes, rng, dtype):
    """(sizes as a list of positive ints, dtype) after checking them and rng."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, (list, tuple)):
        raise TypeError(f"sizes must be a list of layer widths, got {type(sizes).__name__}")
    if len(sizes) < 2:
        raise ValueError(f"sizes needs at least an input and an output width, got {list(sizes)}")
    return [positive_int(s, f"sizes[{k}] (a layer width)") for k, s in enumerate(sizes)], float_dtype(dtype)


def init_params(sizes, rng, dtype="float64"):
    """Glorot-uniform weights and zero biases (Keras's `Dense` defaults) for layer `sizes`.

    sizes: e.g. [64, 32, 10] -> [(W1: (64, 32), b1: (32,)), (W2: (32, 10), b2: (10,))].
    W is drawn from U(-r, r) with r = sqrt(6 / (d_in + d_out)) (Glorot & Bengio, 2010).
    """
    sizes, dtype = _check_sizes(sizes, rng, dtype)
    return [(initializers.glorot_uniform((d_in, d_out), rng, dtype),
             initializers.zeros((d_out,), rng, dtype))
            for d_in, d_out in zip(sizes[:-1], sizes[1:])]


def to_keras(params, activations):
    """The Keras twin: a `keras.Sequential` of `Dense` layers holding exactly `params`.

    The model computes in float32 if every W and b is float32, else in float64.
    """
    import keras

    sizes = check_params(params, activations)
    all_float32 = _dtype(*(v for layer in params for v in layer)) == np.float32
    dtype = "float32" if all_float32 else "float64"
    layers = [keras.Input(shape=(sizes[0],), dtype=dtype)]
    for k, ((W, _), name) in enumerate(zip(params, activations), start=1):
        layers.append(keras.layers.Dense(np.shape(W)[1], activation=_act.get(name).keras_argument(),
                                         dtype=dtype, name=f"dense_{k}"))
    model = keras.Sequential(layers)
    for layer, (W, b) in zip(model.layers, params):
        layer.set_weights([np.asarray(W, dtype=dtype), np.asarray(b, dtype=dtype)])
    return model


def from_keras(model):
    """The `(W, b)` of every layer of a built model made of `keras.layers.Dense` layers (copies)."""
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    params = []
    for layer in model.layers:
        if not isinstance(layer, keras.layers.Dense):
            raise ValueError(
                f"from_keras reads Dense layers only, got layer {layer.name!r} of type "
                f"{type(layer).__name__}"
            )
        if not layer.built:
            raise ValueError(f"layer {layer.name!r} has no weights yet: build or fit the model")
        W = np.array(layer.kernel)
        b = np.array(layer.bias) if layer.use_bias else np.zeros(W.shape[1], dtype=W.dtype)
        params.append((W, b))
    if not params:
        raise ValueError("the model has no Dense layers")
    return params
