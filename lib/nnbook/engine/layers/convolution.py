"""Convolution layers: `Conv2D` (images, channels last) and `Conv1D` (sequences), with their Keras twins.

A 2-D convolution slides a kernel W: (kh, kw, c_in, filters) over x: (n, h, w, c_in) and at
every output position (i, j) takes one dot product of W with the patch of x under it:

    z[:, i, j, f] = sum over (p, q, c) of x_pad[:, i*s_h + p*d_h, j*s_w + q*d_w, c] * W[p, q, c, f] + b[f]

s: the strides, d: the dilation, x_pad: x with zeros around it. `padding="valid"` adds none,
so the output has floor((h - d_h (kh - 1) - 1) / s_h) + 1 rows; `padding="same"` adds just
enough for ceil(h / s_h) rows, split as Keras and TensorFlow split it: half before, and the
odd one after (bottom, right). Conv1D's `padding="causal"` puts all of it before, so that
z[:, t] sees no x later than t. (Deep learning calls this a convolution; mathematically, with
the kernel not flipped, it is a cross-correlation.)

Two implementations compute the same thing. `conv2d_forward` and `conv2d_backward` below are
the readable loops, one dot product per output position, the code the book shows; `_im2col`
copies every patch into one row of a matrix and does all the dot products in one matrix
product, which is what training runs (`fast=True`, the default).
"""

from numbers import Integral

import numpy as np

from ... import _checks
from .. import activations as _act
from . import _im2col
from .base import Layer
from .core import (
    _keras_regularizer,
    _kernel_and_bias,
    _regularizers_from_keras,
    _same_activation,
    _same_regularizers,
)

PADDINGS = ("valid", "same")


def output_length(n, k, stride=1, padding="valid", dilation=1):
    """The output length along one axis of input length n, for a kernel (or pool) of size k."""
    span = dilation * (k - 1) + 1  # how far the (dilated) kernel reaches
    if padding == "valid":
        return (n - span) // stride + 1
    return -(-n // stride)  # "same" and "causal": ceil(n / stride)


def padding_amounts(n, k, stride=1, padding="valid", dilation=1):
    """(zeros before, zeros after) along one axis, as Keras/TensorFlow pad: "same" just enough
    for ceil(n / stride) outputs, the odd one after; "causal" the kernel's reach, all before."""
    if padding == "valid":
        return 0, 0
    if padding == "causal":
        return dilation * (k - 1), 0
    span = dilation * (k - 1) + 1
    total = max((output_length(n, k, stride, padding, dilation) - 1) * stride + span - n, 0)
    return total // 2, total - total // 2


# --- the readable version: one dot product per output position -----------------------------------


def conv2d_forward(x_pad, W, b, strides=(1, 1), dilation=(1, 1)):
    """z = x_pad (*) W + b. x_pad: (n, h, w, c_in) already padded, W: (kh, kw, c_in, f),
    b: (f,) -> z: (n, h_out, w_out, f)."""
    n, h, w, _ = x_pad.shape
    kh, kw, _, f = W.shape
    (sh, sw), (dh, dw) = strides, dilation
    h_out = (h - dh * (kh - 1) - 1) // sh + 1
    w_out = (w - dw * (kw - 1) - 1) // sw + 1
    z = np.empty((n, h_out, w_out, f), dtype=x_pad.dtype)
    for i in range(h_out):
        for j in range(w_out):
            patch = x_pad[:, i * sh:i * sh + dh * (kh - 1) + 1:dh,
                          j * sw:j * sw + dw * (kw - 1) + 1:dw, :]  # (n, kh, kw, c_in)
            z[:, i, j, :] = np.tensordot(patch, W, axes=3) + b
    return z


def conv2d_backward(dz, x_pad, W, strides=(1, 1), dilation=(1, 1)):
    """(dL/dx_pad, dL/dW, dL/db) from dz = dL/dz: (n, h_out, w_out, f). Each output position
    sends dz back along the weights it used: to its patch of x through W, and to W through
    its patch of x."""
    kh, kw, _, _ = W.shape
    (sh, sw), (dh, dw) = strides, dilation
    dx_pad, dW = np.zeros_like(x_pad), np.zeros_like(W)
    for i in range(dz.shape[1]):
        for j in range(dz.shape[2]):
            rows = slice(i * sh, i * sh + dh * (kh - 1) + 1, dh)
            cols = slice(j * sw, j * sw + dw * (kw - 1) + 1, dw)
            dz_ij = dz[:, i, j, :]  # (n, f)
            dW += np.tensordot(x_pad[:, rows, cols, :], dz_ij, axes=([0], [0]))
            dx_pad[:, rows, cols, :] += np.tensordot(dz_ij, W, axes=([1], [3]))
    return dx_pad, dW, dz.sum(axis=(0, 1, 2))


# --- the layers ----------------------------------------------------------------------------------


def _int_tuple(value, name, rank):
    """An int or a tuple of `rank` positive ints as a tuple of `rank` ints."""
    if isinstance(value, Integral) and not _checks.is_bool(value):
        value = (value,) * rank
    if not isinstance(value, (tuple, list)) or len(value) != rank:
        raise TypeError(f"{name} must be an integer or a tuple of {rank} integers, "
                        f"got {_checks.describe(value)}")
    return tuple(_checks.positive_int(v, name) for v in value)


def _spatial(layer, input_shape):
    """(spatial sizes, channels) of input_shape: `layer.rank` sizes, then the channels."""
    shape = _checks.shape(input_shape)
    if len(shape) != layer.rank + 1:
        axes = "(length, channels)" if layer.rank == 1 else "(height, width, channels)"
        raise ValueError(f"{type(layer).__name__} needs inputs {axes} without the batch axis, "
                         f"got input_shape {shape}")
    return shape[:-1], shape[-1]


class Conv2D(Layer):
    """a = f(z), z = x (*) W + b, channels last. x: (n, h, w, c_in) -> a: (n, h_out, w_out, filters);
    W = params["kernel"]: (kh, kw, c_in, filters), b = params["bias"]: (filters,) (none if not
    `use_bias`). `strides`, `dilation_rate`: an int or a pair (Keras refuses both > 1);
    `padding`: "valid" or "same". `fast`: run the im2col version (the default) or the loops."""

    keras_class = "Conv2D"
    rank = 2
    paddings = PADDINGS

    def __init__(self, filters, kernel_size, strides=1, padding="valid", dilation_rate=1,
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 trainable=True, fast=True):
        super().__init__(trainable)
        self.filters = _checks.positive_int(filters, "filters")
        self.kernel_size = _int_tuple(kernel_size, "kernel_size", self.rank)
        self.strides = _int_tuple(strides, "strides", self.rank)
        self.dilation_rate = _int_tuple(dilation_rate, "dilation_rate", self.rank)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"strides > 1 and dilation_rate > 1 cannot be combined (as in Keras), "
                             f"got strides={self.strides}, dilation_rate={self.dilation_rate}")
        self.padding = _checks.one_of(padding, "padding", self.paddings)
        self.activation = _act.get(activation)
        self.use_bias = _checks.flag(use_bias, "use_bias")
        _kernel_and_bias(self, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer)
        self.fast = _checks.flag(fast, "fast")
        self.x_pad = self.cols = self.z = self.a = None
        self.pads = None

    def __repr__(self):
        return (f"{type(self).__name__}({self.filters}, {self.kernel_size}, strides={self.strides}, "
                f"padding={self.padding!r}, activation={self.activation.name!r})")

    def init_params(self, input_shape, rng):
        _, c_in = _spatial(self, input_shape)
        if c_in is None:
            raise ValueError(f"{type(self).__name__} needs a known number of channels, got None")
        params = {"kernel": self.kernel_initializer((*self.kernel_size, c_in, self.filters), rng)}
        if self.use_bias:
            params["bias"] = self.bias_initializer((self.filters,), rng)
        return params

    def output_shape(self, input_shape):
        sizes, _ = _spatial(self, input_shape)
        out = []
        for n, k, s, d in zip(sizes, self.kernel_size, self.strides, self.dilation_rate):
            m = None if n is None else output_length(n, k, s, self.padding, d)
            if m is not None and m < 1:
                raise ValueError(f"{type(self).__name__}: the kernel {self.kernel_size} (dilation "
                                 f"{self.dilation_rate}) is larger than the input {sizes} with "
                                 f"padding 'valid'")
            out.append(m)
        return (*out, self.filters)

    def _build(self, rng):
        self.output_shape(self.input_shape)  # refuses a kernel larger than the input
        super()._build(rng)

    # The passes work on 4-D arrays: Conv1D views its (n, length, c) arrays as (n, 1, length, c).

    def _2d(self, values):
        return values if self.rank == 2 else (1, *values)

    def forward(self, x, training=False):
        """x: (n, h, w, c_in) -> a: (n, h_out, w_out, filters). Keeps the padded x (or its
        im2col matrix), z and a."""
        x4 = x[:, None] if self.rank == 1 else x
        strides, dilation = self._2d(self.strides), self._2d(self.dilation_rate)
        self.pads = [padding_amounts(n, k, s, self.padding, d) for n, k, s, d in
                     zip(x4.shape[1:3], self._2d(self.kernel_size), strides, dilation)]
        padded = any(map(any, self.pads))
        self.x_pad = np.pad(x4, [(0, 0), *self.pads, (0, 0)]) if padded else x4
        W = self.params["kernel"] if self.rank == 2 else self.params["kernel"][None]
        b = self.params["bias"] if self.use_bias else np.zeros(self.filters, dtype=x.dtype)
        if self.fast:
            z, self.cols = _im2col.conv2d_forward(self.x_pad, W, b, strides, dilation)
        else:
            z = conv2d_forward(self.x_pad, W, b, strides, dilation)
        self.z = z if self.rank == 2 else z[:, 0]
        self.a = self.activation.f(self.z)
        return self.a

    def backward(self, da):
        """da = dL/da -> dL/dx: (n, h, w, c_in); grads: dL/dW, dL/db."""
        dz = self.activation.backward(self.z, self.a, da)
        dz4 = dz if self.rank == 2 else dz[:, None]
        strides, dilation = self._2d(self.strides), self._2d(self.dilation_rate)
        W = self.params["kernel"] if self.rank == 2 else self.params["kernel"][None]
        if self.fast:
            dx_pad, dW, db = _im2col.conv2d_backward(dz4, self.cols, self.x_pad.shape, W, strides, dilation)
        else:
            dx_pad, dW, db = conv2d_backward(dz4, self.x_pad, W, strides, dilation)
        self.grads["kernel"] = dW if self.rank == 2 else dW[0]
        if self.use_bias:
            self.grads["bias"] = db
        (top, bottom), (left, right) = self.pads
        dx = dx_pad[:, top:dx_pad.shape[1] - bottom, left:dx_pad.shape[2] - right]
        return dx if self.rank == 2 else dx[:, 0]

    # --- the Keras twin ----------------------------------------------------------------------------

    def keras_layer(self):
        import keras

        return getattr(keras.layers, self.keras_class)(
            self.filters, self.kernel_size, strides=self.strides, padding=self.padding,
            dilation_rate=self.dilation_rate, activation=self.activation.keras_argument(),
            use_bias=self.use_bias, kernel_regularizer=_keras_regularizer(self.kernel_regularizer),
            bias_regularizer=_keras_regularizer(self.bias_regularizer), dtype=self.dtype.name)

    def check_keras_config(self, keras_layer):
        ours = {"filters": self.filters, "kernel_size": self.kernel_size, "strides": self.strides,
                "padding": self.padding, "dilation_rate": self.dilation_rate,
                "use_bias": self.use_bias, "data_format": "channels_last", "groups": 1}
        theirs = {k: getattr(keras_layer, k) for k in ours}
        if theirs != ours:
            diff = {k: v for k, v in theirs.items() if v != ours[k]}
            raise ValueError(f"the Keras {self.keras_class} has {diff}, this one "
                             f"{ {k: ours[k] for k in diff} }")
        _same_activation(self, keras_layer)
        _same_regularizers(self, keras_layer)

    @classmethod
    def from_keras(cls, keras_layer):
        if keras_layer.data_format != "channels_last" or keras_layer.groups != 1:
            raise ValueError(f"nnbook's {cls.__name__} is channels_last with groups=1, the Keras layer "
                             f"has data_format={keras_layer.data_format!r}, groups={keras_layer.groups}")
        return cls(keras_layer.filters, keras_layer.kernel_size, strides=keras_layer.strides,
                   padding=keras_layer.padding, dilation_rate=keras_layer.dilation_rate,
                   activation=_act.from_keras(keras_layer.activation), use_bias=keras_layer.use_bias,
                   **_regularizers_from_keras(keras_layer), trainable=keras_layer.trainable)


class Conv1D(Conv2D):
    """The 1-D convolution, for sequences. x: (n, length, c_in) -> a: (n, length_out, filters);
    W = params["kernel"]: (k, c_in, filters). `padding`: "valid", "same" or "causal" (all the
    zeros before the sequence: no output sees a later input). Runs the 2-D passes on
    (n, 1, length, c) views."""

    keras_class = "Conv1D"
    rank = 1
    paddings = (*PADDINGS, "causal")
