"""Attention: scaled dot-product attention (Vaswani et al., 2017) and its backward pass as bare
functions, the masks it takes, `MultiHeadAttention` with Keras 3's parameterisation, positional
encodings (`sinusoidal_encoding`, a learned `PositionEmbedding`) and a `TransformerBlock`.

Scaled dot-product attention, over the last two axes (T queries, S keys):

    weights = softmax(q k^T / sqrt(d_k))   (each row sums to 1 over the S keys)
    output  = weights v

A mask of booleans broadcastable to (..., T, S) says which key each query may attend (True:
may attend, Keras's convention); a masked pair gets weight exactly 0. A query that may attend
nothing gets all-zero weights and a zero output: what Keras's masked `Softmax` gives, and so
`keras.layers.MultiHeadAttention` with `return_attention_scores=True` (without it, Keras's
fused path gives such a row uniform weights instead; every row that attends something agrees).

`MultiHeadAttention` stores its weights as Keras does (d = the query's features, h heads):

    query/kernel (d_q, h, key_dim), query/bias (h, key_dim), and key/... and value/... alike
    (value: value_dim), attention_output/kernel (h, value_dim, d_out), attention_output/bias (d_out,)

Inputs are (n, T, d) sequences (Keras's `attention_axes` beyond the time axis are not covered),
and there is no dropout on the attention weights (`dropout` must be 0).

Where Keras 3.15 (TensorFlow backend) differs, by design or by accident: it rounds the scale
1/sqrt(key_dim) to float32 even in float64 (a Python float passed through `ops.cast`), so float64
results agree to ~1e-8 relative rather than to rounding; and with a head size of 1 and as many
heads as time steps, its `ops.add` adds the (heads, 1) bias along the time axis (here: per head).

`TransformerBlock` writes its two residual sums out in `forward`/`backward` rather than wrapping
`Residual`s, because the attention half takes a mask that `Sequential` and `Residual` do not pass.
"""

import math

import numpy as np

from ... import _checks
from .. import initializers
from .base import Container, Layer
from .core import Dense
from .normalization import LayerNormalization

# --- the bare math -----------------------------------------------------------------------------------


def scaled_dot_product_attention(q, k, v, mask=None):
    """(output, weights) = (softmax(q k^T / sqrt(d_k)) v, the softmax), over the last two axes.
    q: (..., T, d_k), k: (..., S, d_k), v: (..., S, d_v); mask: booleans broadcastable to
    (..., T, S), True where query t may attend key s. output: (..., T, d_v), weights: (..., T, S);
    masked weights are 0, and a row masked everywhere is all zeros."""
    scores = q @ np.swapaxes(k, -1, -2) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    top = np.max(scores, axis=-1, keepdims=True)  # subtracted: exp never overflows
    top = np.where(np.isfinite(top), top, 0.0)  # a row masked everywhere has no maximum
    e = np.exp(scores - top)  # exp(-inf) = 0 for masked pairs
    total = e.sum(axis=-1, keepdims=True)
    weights = e / np.where(total > 0, total, 1.0)
    return weights @ v, weights


def scaled_dot_product_attention_backward(dout, q, k, v, weights):
    """(dq, dk, dv) from dout = dL/doutput: (..., T, d_v), given the forward's q, k, v and weights.
    dweights = dout v^T; through the softmax, dscores = weights * (dweights - the row's sum of
    weights * dweights); then scores = q k^T / sqrt(d_k) hands dscores to q and k."""
    scale = 1 / math.sqrt(q.shape[-1])
    dv = np.swapaxes(weights, -1, -2) @ dout
    dweights = dout @ np.swapaxes(v, -1, -2)
    dscores = weights * (dweights - np.sum(dweights * weights, axis=-1, keepdims=True))
    dq = dscores @ k * scale
    dk = np.swapaxes(dscores, -1, -2) @ q * scale
    return dq, dk, dv


def causal_mask(T, S=None):
    """(T, S) booleans, True where s <= t: query t sees keys 0..t, never the future (S = T by
    default; Keras's `use_causal_mask`)."""
    T = _checks.positive_int(T, "T")
    S = T if S is None else _checks.positive_int(S, "S")
    return np.arange(S)[None, :] <= np.arange(T)[:, None]


def padding_mask(lengths, T):
    """(n, 1, T) booleans, True where s < lengths[i]: every query of sequence i may attend only
    its first lengths[i] keys (the rest is padding). Broadcasts against (n, T, T); combine with
    a causal mask by `&`. Padded queries still attend the real keys (ignore their outputs)."""
    T = _checks.positive_int(T, "T")
    lengths = np.asarray(lengths)
    if lengths.ndim != 1 or lengths.size == 0 or lengths.dtype.kind not in "iu":
        raise ValueError(f"lengths must be a 1-D array of integers, got {_checks.describe(lengths)}")
    if lengths.min() < 1 or lengths.max() > T:
        raise ValueError(f"lengths must lie in [1, {T}], got values from {lengths.min()} to {lengths.max()}")
    return (np.arange(T)[None, :] < lengths[:, None])[:, None, :]


def sinusoidal_encoding(T, d):
    """(T, d) positional encodings of Vaswani et al. (2017): for position t and i = 0, 1, ...,
    PE[t, 2i] = sin(t / 10000^(2i/d)) and PE[t, 2i+1] = cos(t / 10000^(2i/d))."""
    T, d = _checks.positive_int(T, "T"), _checks.positive_int(d, "d")
    two_i = np.arange(0, d, 2)  # the even dimensions 2i
    angle = np.arange(T)[:, None] / 10000.0 ** (two_i / d)  # (T, ceil(d/2))
    pe = np.zeros((T, d))
    pe[:, 0::2] = np.sin(angle)
    pe[:, 1::2] = np.cos(angle[:, :d // 2])
    return pe


# --- checks (in __call__, never in forward) -----------------------------------------------------------


def check_mask(mask, n, T, S, heads=1, name="attention_mask"):
    """`mask` as booleans that broadcast to (n, T, S) by Keras's rule: each axis, counted from
    the right, of size 1 or equal to the one it meets; 2 or 3 axes, or 4 for (n, heads, T, S)."""
    if mask is None:
        return None
    arr = np.asarray(mask)
    if arr.dtype != np.bool_:
        if arr.dtype.kind not in "iu" or not np.isin(arr, (0, 1)).all():
            raise TypeError(f"{name} must hold booleans (True = may attend) or 0/1 integers, "
                            f"got {_checks.describe(arr)}")
        arr = arr.astype(bool)
    want = (n, T, S) if arr.ndim <= 3 else (n, heads, T, S)
    if not 2 <= arr.ndim <= 4 or any(a not in (1, b) for a, b in zip(arr.shape[::-1], want[::-1])):
        raise ValueError(f"{name} must broadcast to (n, T, S) = {(n, T, S)} (or (n, heads, T, S) = "
                         f"{(n, heads, T, S)}): 2 to 4 axes, each of size 1 or equal, got shape {arr.shape}")
    return arr


def _sequences(shape, name):
    """`shape` (without the batch axis) as (T, d) with a known d."""
    shape = _checks.shape(shape, name)
    if len(shape) != 2 or shape[1] is None:
        raise ValueError(f"{name} must be (T, d), the shape of one sequence with a known d, got {shape}")
    return shape


# --- multi-head attention ------------------------------------------------------------------------------


def _project(x, kernel, bias):
    """x: (n, T, d) through kernel (d, h, k) (+ bias (h, k)) -> (n, h, T, k): every head's
    projection in one matrix product."""
    n, T, d = x.shape
    _, h, k = kernel.shape
    y = x @ kernel.reshape(d, h * k)
    if bias is not None:
        y = y + bias.reshape(h * k)
    return y.reshape(n, T, h, k).transpose(0, 2, 1, 3)


def _project_backward(dy, x, kernel):
    """(dL/dx, dL/dkernel, dL/dbias) of `_project` from dy: (n, h, T, k)."""
    n, T, d = x.shape
    _, h, k = kernel.shape
    dy2 = dy.transpose(0, 2, 1, 3).reshape(n * T, h * k)
    dkernel = (x.reshape(n * T, d).T @ dy2).reshape(d, h, k)
    dx = (dy2 @ kernel.reshape(d, h * k).T).reshape(n, T, d)
    return dx, dkernel, dy2.sum(axis=0).reshape(h, k)


class MultiHeadAttention(Layer):
    """Keras's MultiHeadAttention: h heads, each attending with its own projections.
    query (n, T, d_q), value (n, S, d_v), key (n, S, d_k) (default: the value) ->
    (n, T, d_out), d_out = `output_shape` or d_q. Per head j:
    Q_j = query W_q[:, j] + b_q[j] (key, value alike), O_j = attention(Q_j, K_j, V_j, mask), and
    output = sum_j O_j W_o[j] + b_o. Kernels glorot_uniform, biases zeros (Keras's defaults).

    `layer(query, value=None, key=None, attention_mask=None, use_causal_mask=False,
    return_attention_scores=False)`; value None means self-attention on `query` (what
    `Sequential` calls). `backward(dy)` returns dL/dquery -- for self-attention the whole
    gradient of the one input -- and keeps dL/dvalue, dL/dkey in `dvalue`, `dkey` otherwise
    (`dkey` None when the key was the value). `attention_weights`: the last (n, h, T, S)."""

    keras_class = "MultiHeadAttention"
    PROJECTIONS = ("query", "key", "value")

    def __init__(self, num_heads, key_dim, value_dim=None, use_bias=True, output_shape=None,
                 dropout=0.0, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 trainable=True):
        super().__init__(trainable)
        self.num_heads = _checks.positive_int(num_heads, "num_heads")
        self.key_dim = _checks.positive_int(key_dim, "key_dim")
        self.value_dim = self.key_dim if value_dim is None else _checks.positive_int(value_dim, "value_dim")
        self.use_bias = _checks.flag(use_bias, "use_bias")
        if isinstance(output_shape, (tuple, list)) and len(output_shape) == 1:
            output_shape = output_shape[0]
        self.output_dim = None if output_shape is None else _checks.positive_int(
            output_shape, "output_shape (one output dimension)")
        if _checks.number_in(dropout, "dropout", 0, 1, high_open=True) != 0:
            raise ValueError(f"nnbook's MultiHeadAttention has no dropout on the attention weights: "
                             f"dropout must be 0.0, got {dropout!r}")
        self.dropout = 0.0
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.value_shape = self.key_shape = None
        self.attention_weights = self.dvalue = self.dkey = None

    def __repr__(self):
        return f"MultiHeadAttention(num_heads={self.num_heads}, key_dim={self.key_dim})"

    def build(self, input_shape, seed=0, dtype="float64", value_shape=None, key_shape=None):
        """Build for queries (n, *input_shape) = (n, T, d_q), values (n, *value_shape) and keys
        (n, *key_shape) (defaults: the query's shape, the value's shape)."""
        query_shape = _sequences(input_shape, "input_shape")
        self.value_shape = query_shape if value_shape is None else _sequences(value_shape, "value_shape")
        self.key_shape = self.value_shape if key_shape is None else _sequences(key_shape, "key_shape")
        if self.key_shape[0] != self.value_shape[0]:
            raise ValueError(f"keys and values must have the same length, got key_shape {self.key_shape} "
                             f"and value_shape {self.value_shape}")
        return super().build(query_shape, seed, dtype)

    def init_params(self, input_shape, rng):
        h, dims = self.num_heads, {"query": self.key_dim, "key": self.key_dim, "value": self.value_dim}
        d_in = {"query": input_shape[1], "key": self.key_shape[1], "value": self.value_shape[1]}
        params = {}
        for name in self.PROJECTIONS:  # Keras's order: query, key, value, attention_output
            params[f"{name}/kernel"] = self.kernel_initializer((d_in[name], h, dims[name]), rng)
            if self.use_bias:
                params[f"{name}/bias"] = self.bias_initializer((h, dims[name]), rng)
        d_out = self.output_dim or input_shape[1]
        params["attention_output/kernel"] = self.kernel_initializer((h, self.value_dim, d_out), rng)
        if self.use_bias:
            params["attention_output/bias"] = self.bias_initializer((d_out,), rng)
        return params

    def output_shape(self, input_shape):
        T, d = _sequences(input_shape, "input_shape")
        return (T, self.output_dim or d)

    def forward(self, query, training=False, value=None, key=None, attention_mask=None,
                use_causal_mask=False):
        """query (n, T, d_q) [, value (n, S, d_v), key (n, S, d_k)] -> (n, T, d_out).
        The mask (broadcastable to (n, T, S)) and the causal mask are combined by `and`."""
        self.inputs = (query, value, key)
        value = query if value is None else value
        key = value if key is None else key
        mask = attention_mask
        if use_causal_mask:
            causal = causal_mask(query.shape[1], value.shape[1])
            mask = causal if mask is None else mask & causal
        while mask is not None and mask.ndim < 4:
            mask = np.expand_dims(mask, -3)  # the heads' axis: (n, 1, T, S)
        p = self.params
        # every head's projections: q (n, h, T, key_dim), k (n, h, S, key_dim), v (n, h, S, value_dim)
        self.q, self.k, self.v = (_project(x, p[f"{name}/kernel"], p.get(f"{name}/bias"))
                                  for name, x in [("query", query), ("key", key), ("value", value)])
        o, self.attention_weights = scaled_dot_product_attention(self.q, self.k, self.v, mask)
        n, h, T, dv = o.shape
        self.o = o.transpose(0, 2, 1, 3).reshape(n, T, h * dv)  # the heads side by side
        y = self.o @ p["attention_output/kernel"].reshape(h * dv, -1)
        return y + p.get("attention_output/bias", 0)

    def backward(self, dy):
        """dy = dL/doutput: (n, T, d_out) -> dL/dquery (self-attention: dL/d the one input);
        fills `grads`, and `dvalue`, `dkey` for cross-attention."""
        p = self.params
        query, value, key = self.inputs
        value_in = query if value is None else value
        key_in = value_in if key is None else key
        n, T, h, dv = dy.shape[0], dy.shape[1], self.num_heads, self.value_dim
        Wo = p["attention_output/kernel"]
        dy2 = dy.reshape(n * T, -1)
        self.grads["attention_output/kernel"] = (self.o.reshape(n * T, h * dv).T @ dy2).reshape(Wo.shape)
        if self.use_bias:
            self.grads["attention_output/bias"] = dy2.sum(axis=0)
        do = (dy @ Wo.reshape(h * dv, -1).T).reshape(n, T, h, dv).transpose(0, 2, 1, 3)
        dq, dk, dv_ = scaled_dot_product_attention_backward(do, self.q, self.k, self.v,
                                                            self.attention_weights)
        grads = {}
        for name, d, x in [("query", dq, query), ("key", dk, key_in), ("value", dv_, value_in)]:
            grads[name], self.grads[f"{name}/kernel"], bias = _project_backward(d, x, p[f"{name}/kernel"])
            if self.use_bias:
                self.grads[f"{name}/bias"] = bias
        if value is None:  # self-attention: query, key and value are one input
            self.dvalue = self.dkey = None
            return grads["query"] + grads["key"] + grads["value"]
        self.dvalue = grads["value"] if key is not None else grads["value"] + grads["key"]
        self.dkey = grads["key"] if key is not None else None
        return grads["query"]

    def __call__(self, query, value=None, key=None, attention_mask=None, use_causal_mask=False,
                 return_attention_scores=False, training=False):
        """output (n, T, d_out), or (output, weights (n, h, T, S)) with `return_attention_scores`;
        the inputs checked against the built shapes, the mask against (n, T, S)."""
        self.check_built("calling it")
        query = self.check_input(query, "MultiHeadAttention query")
        if value is not None:
            value = _checks.batch(value, self.value_shape, self.dtype, "MultiHeadAttention value")
        if key is not None:
            if value is None:
                raise ValueError("MultiHeadAttention got a key but no value: pass value too")
            key = _checks.batch(key, self.key_shape, self.dtype, "MultiHeadAttention key")
        for name, x in [("value", value), ("key", key)]:
            if x is not None and len(x) != len(query):
                raise ValueError(f"the {name} must have one sequence per query sequence: "
                                 f"{len(query)}, got {len(x)}")
        if key is not None and key.shape[1] != value.shape[1]:
            raise ValueError(f"keys and values must have the same length, got {key.shape[1]} and "
                             f"{value.shape[1]}")
        S = query.shape[1] if value is None else value.shape[1]
        mask = check_mask(attention_mask, len(query), query.shape[1], S, self.num_heads)
        y = self.forward(query, training, value, key, mask, _checks.flag(use_causal_mask, "use_causal_mask"))
        return (y, self.attention_weights) if _checks.flag(return_attention_scores,
                                                           "return_attention_scores") else y

    # --- the Keras twin -----------------------------------------------------------------------------

    def keras_layer(self):
        import keras

        return keras.layers.MultiHeadAttention(self.num_heads, self.key_dim, self.value_dim,
                                               use_bias=self.use_bias, output_shape=self.output_dim,
                                               dtype=self.dtype.name)

    def to_keras(self):
        """The built keras.layers.MultiHeadAttention with copies of the weights (frozen if this
        layer is); `get_weights()` of both list the same arrays in the same order."""
        self.check_built("to_keras")
        layer = self.keras_layer()
        key_shape = None if self.key_shape == self.value_shape else (None, *self.key_shape)
        layer.build((None, *self.input_shape), (None, *self.value_shape), key_shape)
        layer.set_weights(self.get_weights())
        layer.trainable = self.trainable
        return layer

    def check_keras_config(self, keras_layer):
        _check_supported(keras_layer)
        d_out = self.output_dim or self.input_shape[1]
        theirs = {"num_heads": keras_layer.num_heads, "key_dim": keras_layer.key_dim,
                  "value_dim": keras_layer.value_dim, "use_bias": keras_layer.use_bias,
                  "output_shape": (keras_layer._output_shape or (self.input_shape[1],))[0]}
        ours = {"num_heads": self.num_heads, "key_dim": self.key_dim, "value_dim": self.value_dim,
                "use_bias": self.use_bias, "output_shape": d_out}
        differ = [k for k in theirs if theirs[k] != ours[k]]
        if differ:
            raise ValueError(f"the Keras MultiHeadAttention has "
                             f"{', '.join(f'{k}={theirs[k]}' for k in differ)}, "
                             f"this one {', '.join(f'{k}={ours[k]}' for k in differ)}")

    def set_from_keras(self, keras_layer):
        """Copy the weights of a built keras.layers.MultiHeadAttention of the same shapes (by
        position: its sublayers' variables share the names "kernel" and "bias")."""
        self.check_twin(keras_layer)
        theirs = keras_layer.get_weights()
        for (name, ours), w in zip(self.params.items(), theirs):
            if w.shape != ours.shape:
                raise ValueError(f"Keras weight {name!r} has shape {w.shape}, this layer expects "
                                 f"{ours.shape}")
        self.set_weights(theirs)
        return self

    @classmethod
    def from_keras(cls, keras_layer):
        _check_supported(keras_layer)
        out = keras_layer._output_shape
        return cls(keras_layer.num_heads, keras_layer.key_dim, keras_layer.value_dim,
                   use_bias=keras_layer.use_bias, output_shape=None if not out else tuple(out),
                   trainable=keras_layer.trainable)


def _check_supported(keras_layer):
    """ValueError if the Keras MultiHeadAttention uses what this one does not compute."""
    unsupported = [f"dropout={keras_layer.dropout}"] if keras_layer.dropout else []
    if getattr(keras_layer, "_use_gate", False):
        unsupported.append("use_gate=True")
    if getattr(keras_layer, "_sliding_window", None) is not None:
        unsupported.append(f"sliding_window={keras_layer._sliding_window}")
    axes = keras_layer.attention_axes
    if axes is not None and tuple(axes) != (1,):
        unsupported.append(f"attention_axes={axes}")
    if keras_layer._output_shape and len(keras_layer._output_shape) != 1:
        unsupported.append(f"output_shape={keras_layer._output_shape}")
    for name in ("_kernel_regularizer", "_bias_regularizer", "_activity_regularizer",
                 "_kernel_constraint", "_bias_constraint"):
        if getattr(keras_layer, name, None) is not None:
            unsupported.append(name.lstrip("_"))
    if unsupported:
        raise ValueError(f"nnbook's MultiHeadAttention does not compute {', '.join(unsupported)} "
                         f"(the Keras layer sets them)")


# --- positions ---------------------------------------------------------------------------------------------


class PositionEmbedding(Layer):
    """A learned position table added to its input: x (n, T, d) -> x + E[:T], T <= max_length,
    E = params["embeddings"]: (max_length, d), glorot_uniform (keras_hub's default).
    dL/dE[t] = the sum over the batch of dy[:, t] (rows past T get 0); dL/dx = dy.
    Twin: a small custom Keras layer (`keras_position_embedding`), since Keras itself has none."""

    keras_class = "PositionEmbedding"

    def __init__(self, max_length, initializer="glorot_uniform", trainable=True):
        super().__init__(trainable)
        self.max_length = _checks.positive_int(max_length, "max_length")
        self.initializer = initializers.get(initializer)

    def __repr__(self):
        return f"PositionEmbedding({self.max_length})"

    def init_params(self, input_shape, rng):
        T, d = _sequences(input_shape, "input_shape")
        if T is not None and T > self.max_length:
            raise ValueError(f"sequences of length {T} need max_length >= {T}, got {self.max_length}")
        return {"embeddings": self.initializer((self.max_length, d), rng)}

    def check_input(self, x, name="x"):
        x = super().check_input(x, name)
        if x.shape[1] > self.max_length:
            raise ValueError(f"{name} has {x.shape[1]} positions, more than max_length {self.max_length}")
        return x

    def forward(self, x, training=False):
        """x: (n, T, d) -> x + E[:T]."""
        return x + self.params["embeddings"][:x.shape[1]]

    def backward(self, dy):
        """dy -> dL/dx = dy; grads dL/dE: the batch sum of dy in the first T rows."""
        dE = np.zeros_like(self.params["embeddings"])
        dE[:dy.shape[1]] = dy.sum(axis=0)
        self.grads["embeddings"] = dE
        return dy

    def keras_layer(self):
        return keras_position_embedding(self.max_length, self.dtype.name)

    def check_keras_config(self, keras_layer):
        if keras_layer.max_length != self.max_length:
            raise ValueError(f"the Keras PositionEmbedding has max_length {keras_layer.max_length}, "
                             f"this one {self.max_length}")

    @classmethod
    def from_keras(cls, keras_layer):
        return cls(keras_layer.max_length, trainable=keras_layer.trainable)


def keras_position_embedding(max_length, dtype="float64"):
    """The Keras twin of `PositionEmbedding`: a custom keras.layers.Layer adding a trainable
    (max_length, d) table "embeddings" (glorot_uniform) to its input's positions."""
    import keras

    class PositionEmbedding(keras.layers.Layer):
        def __init__(self, max_length, **kwargs):
            super().__init__(**kwargs)
            self.max_length = max_length

        def build(self, input_shape):
            self.embeddings = self.add_weight(name="embeddings", shape=(self.max_length, input_shape[-1]),
                                              initializer="glorot_uniform")

        def call(self, x):
            return x + self.embeddings[:keras.ops.shape(x)[1]]

    return PositionEmbedding(max_length, dtype=dtype)


# --- the transformer block ------------------------------------------------------------------------------


class TransformerBlock(Container):
    """Self-attention and a position-wise feed-forward network, each with a residual connection
    and a layer normalisation. x: (n, T, d) -> (n, T, d); FFN(z) = relu(z W_1 + b_1) W_2 + b_2
    with ff_dim hidden units.

    norm="pre" (the default; GPT-2 and most models since): h = x + MHA(LN_1(x)), y = h + FFN(LN_2(h)).
    norm="post" (Vaswani et al., 2017):                h = LN_1(x + MHA(x)),  y = LN_2(h + FFN(h)).

    `causal=True` masks the future (a decoder); `block(x, attention_mask=...)` adds a mask of
    its own (e.g. `padding_mask`). Layers, in Keras's weight order: [LN_1, MHA, LN_2, Dense(ff_dim),
    Dense(d)], params keyed "<index>/<name>" as in any Container."""

    def __init__(self, num_heads, key_dim, ff_dim, causal=False, norm="pre", activation="relu",
                 epsilon=1e-5, trainable=True):
        self.ff_dim = _checks.positive_int(ff_dim, "ff_dim")
        self.causal = _checks.flag(causal, "causal")
        self.norm = _checks.one_of(norm, "norm", ("pre", "post"))
        self.epsilon = _checks.number_in(epsilon, "epsilon", 0, low_open=True)
        self.attention_norm = LayerNormalization(epsilon=self.epsilon)
        self.attention = MultiHeadAttention(num_heads, key_dim)
        self.ffn_norm = LayerNormalization(epsilon=self.epsilon)
        self.hidden = Dense(self.ff_dim, activation=activation)
        self.out = Dense(1)  # its units become d at build
        super().__init__([self.attention_norm, self.attention, self.ffn_norm, self.hidden, self.out],
                         trainable)

    def __repr__(self):
        return (f"TransformerBlock(num_heads={self.attention.num_heads}, key_dim={self.attention.key_dim}, "
                f"ff_dim={self.ff_dim}, causal={self.causal}, norm={self.norm!r})")

    def _build(self, rng):
        shape = _sequences(self.input_shape, "input_shape")
        self.out.units = shape[1]
        for layer, s in [(self.attention_norm, shape), (self.attention, shape), (self.ffn_norm, shape),
                         (self.hidden, shape), (self.out, (shape[0], self.ff_dim))]:
            layer.build(s, rng, self.dtype)

    def output_shape(self, input_shape):
        return _sequences(input_shape, "input_shape")

    def forward(self, x, training=False, attention_mask=None):
        """x: (n, T, d) -> (n, T, d), pre- or post-norm (see the class)."""
        def attend(z):
            return self.attention.forward(z, training, attention_mask=attention_mask,
                                          use_causal_mask=self.causal)

        def ffn(z):
            return self.out.forward(self.hidden.forward(z, training), training)

        if self.norm == "pre":
            h = x + attend(self.attention_norm.forward(x, training))
            return h + ffn(self.ffn_norm.forward(h, training))
        h = self.attention_norm.forward(x + attend(x), training)
        return self.ffn_norm.forward(h + ffn(h), training)

    def backward(self, dy):
        """dy = dL/dy -> dL/dx; each residual adds the gradient of its skip to that of its branch."""
        def ffn_backward(d):
            return self.hidden.backward(self.out.backward(d))

        if self.norm == "pre":
            dh = dy + self.ffn_norm.backward(ffn_backward(dy))
            return dh + self.attention_norm.backward(self.attention.backward(dh))
        dz = self.ffn_norm.backward(dy)
        dh = self.attention_norm.backward(dz + ffn_backward(dz))
        return dh + self.attention.backward(dh)

    def __call__(self, x, training=False, attention_mask=None):
        """y = block(x) for x: (n, T, d), checked; attention_mask broadcastable to (n, T, T)."""
        self.check_built("calling it")
        x = self.check_input(x, "TransformerBlock input x")
        mask = check_mask(attention_mask, len(x), x.shape[1], x.shape[1], self.attention.num_heads)
        return self.forward(x, training, mask)

    def to_keras(self):
        """The Keras twin: a custom keras.layers.Layer (`keras_transformer_block`) built with
        copies of the weights; call it as twin(x, attention_mask=...)."""
        self.check_built("to_keras")
        twin = keras_transformer_block(self)
        twin.build((None, *self.input_shape))
        twin.set_weights(self.get_weights())
        twin.trainable = self.trainable
        return twin

    def set_from_keras(self, keras_layer):
        """Copy the weights of a built twin made by `keras_transformer_block`."""
        self.check_built("set_from_keras")
        theirs = keras_layer.get_weights()
        ours = self.get_weights()
        if len(theirs) != len(ours) or any(a.shape != b.shape for a, b in zip(theirs, ours)):
            raise ValueError(f"the Keras block holds weights of shapes {[w.shape for w in theirs]}, this "
                             f"one {[w.shape for w in ours]}")
        self.set_weights(theirs)
        return self


def keras_transformer_block(block):
    """An unbuilt custom keras.layers.Layer computing what the nnbook `block` computes, from
    keras.layers.LayerNormalization, MultiHeadAttention and Dense (weights in the same order)."""
    import keras

    att = block.attention

    class KerasTransformerBlock(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            dt = kwargs.get("dtype")
            self.attention_norm = keras.layers.LayerNormalization(epsilon=block.epsilon, dtype=dt)
            self.attention = keras.layers.MultiHeadAttention(att.num_heads, att.key_dim, dtype=dt)
            self.ffn_norm = keras.layers.LayerNormalization(epsilon=block.epsilon, dtype=dt)
            activation = block.hidden.activation.keras_argument()
            self.hidden = keras.layers.Dense(block.ff_dim, activation=activation, dtype=dt)
            self.out = keras.layers.Dense(block.input_shape[1], dtype=dt)

        def build(self, input_shape):
            self.attention_norm.build(input_shape)
            self.attention.build(input_shape, input_shape)
            self.ffn_norm.build(input_shape)
            self.hidden.build(input_shape)
            self.out.build((*input_shape[:-1], block.ff_dim))

        def call(self, x, attention_mask=None):
            def attend(z):
                return self.attention(z, z, attention_mask=attention_mask, use_causal_mask=block.causal)

            if block.norm == "pre":
                h = x + attend(self.attention_norm(x))
                return h + self.out(self.hidden(self.ffn_norm(h)))
            h = self.attention_norm(x + attend(x))
            return self.ffn_norm(h + self.out(self.hidden(h)))

    return KerasTransformerBlock(dtype=block.dtype.name)
