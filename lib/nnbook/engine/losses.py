"""Loss functions in NumPy, each with its gradient and its Keras twin (`to_keras()`).

Every loss is a class: `loss(y_true, y_pred) -> float` and `loss.gradient(y_true, y_pred)` ->
dL/dy_pred (the shape of `y_pred`). Values equal Keras 3's with its default reduction,
"sum_over_batch_size": the per-example losses (the elementwise loss averaged over the last axis,
or the cross-entropy summed over the class axis) averaged over every other axis. So with
y_pred: (n, k), L = (1/n) sum_i loss_i, and dL/dy_pred carries the factor 1/n.

Probabilities are clipped to [EPSILON, 1 - EPSILON] before the log, as Keras does (no gradient
flows through a clipped entry); the `from_logits=True` forms never exponentiate a positive number
(softplus, log-sum-exp) and stay finite for logits of +-1e4. `y_pred` sets the dtype (float32 stays
float32, anything else becomes float64); `y_true` is cast to it.
"""

import numpy as np

from .._checks import as_float_array, flag, number_in
from .activations import sigmoid

EPSILON = 1e-7  # keras.config.epsilon(): the clipping of probabilities


def _check_pred(y_pred):
    """`y_pred` as a finite float array of at least one axis and one entry."""
    y_pred = as_float_array(y_pred, "y_pred")
    if y_pred.ndim == 0 or y_pred.size == 0:
        raise ValueError(f"y_pred must be a non-empty array (n, ...), got shape {y_pred.shape}")
    return y_pred


def _check_true(y_true, dtype):
    """`y_true` as a finite array of `dtype`."""
    return as_float_array(y_true, "y_true").astype(dtype, copy=False)


def _check_probabilities(values, name, hint=""):
    if values.min() < 0 or values.max() > 1:
        raise ValueError(
            f"{name} must hold probabilities in [0, 1], got values in "
            f"[{values.min():.4g}, {values.max():.4g}]{hint}"
        )


def _same_shape(y_true, y_pred):
    """`y_true` reshaped to `y_pred`'s shape; like Keras, a trailing axis of 1 may be added or
    dropped ((n,) against (n, 1)); any other difference is an error."""
    if y_true.shape == y_pred.shape:
        return y_true
    if y_true.shape + (1,) == y_pred.shape or y_true.shape == y_pred.shape + (1,):
        return y_true.reshape(y_pred.shape)
    raise ValueError(
        f"y_true and y_pred must have the same shape, got y_true {y_true.shape} "
        f"and y_pred {y_pred.shape}"
    )


def _log_softmax(z):
    """log softmax over the last axis, z - max - log sum exp(z - max): never exp of a positive."""
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


class Loss:
    """Base class. Subclasses define `_check`, `_value(y_true, y_pred) -> float` and
    `_gradient(y_true, y_pred) -> dL/dy_pred`, and name their Keras twin in `keras_name`."""

    name = "loss"
    keras_name = None

    def __call__(self, y_true, y_pred):
        """The loss, averaged over the batch: float."""
        return float(self._value(*self._check(y_true, y_pred)))

    def gradient(self, y_true, y_pred):
        """dL/dy_pred: the shape and dtype of `y_pred`."""
        return self._gradient(*self._check(y_true, y_pred))

    def _kwargs(self):
        return {}

    def to_keras(self, dtype=None):
        """The Keras loss computing the same thing (`dtype=None`: Keras's floatx)."""
        import keras

        return getattr(keras.losses, self.keras_name)(**self._kwargs(), dtype=dtype)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self._kwargs().items())
        return f"{type(self).__name__}({args})"


class _FromLogits:
    """Mixin for the cross-entropies: `from_logits` says whether y_pred holds logits or probabilities."""

    def __init__(self, from_logits=False):
        self.from_logits = flag(from_logits, "from_logits")

    def _kwargs(self):
        return {"from_logits": self.from_logits}


class _Elementwise(Loss):
    """A loss l(t, p) per entry, averaged over all entries: L = mean(l), dL/dp = l'(t, p) / size."""

    def _check(self, y_true, y_pred):
        y_pred = _check_pred(y_pred)
        return _same_shape(_check_true(y_true, y_pred.dtype), y_pred), y_pred


class MeanSquaredError(_Elementwise):
    """L = mean((y_pred - y_true)^2); dL/dy_pred = 2 (y_pred - y_true) / size."""

    name, keras_name = "mean_squared_error", "MeanSquaredError"

    def _value(self, y_true, y_pred):
        return np.mean(np.square(y_pred - y_true))

    def _gradient(self, y_true, y_pred):
        return (2.0 / y_pred.size) * (y_pred - y_true)


class MeanAbsoluteError(_Elementwise):
    """L = mean(|y_pred - y_true|); dL/dy_pred = sign(y_pred - y_true) / size (0 where equal)."""

    name, keras_name = "mean_absolute_error", "MeanAbsoluteError"

    def _value(self, y_true, y_pred):
        return np.mean(np.abs(y_pred - y_true))

    def _gradient(self, y_true, y_pred):
        return np.sign(y_pred - y_true) / y_pred.size


class Huber(_Elementwise):
    """Quadratic near 0, linear beyond `delta`: with e = y_pred - y_true,
    l(e) = e^2 / 2 if |e| <= delta, else delta |e| - delta^2 / 2; dl/de = clip(e, -delta, delta).

    Computed as l = m (|e| - m / 2) with m = min(|e|, delta), which never squares delta, so any
    finite delta works; like Keras, a delta beyond the range of y_pred's dtype acts as infinity.
    """

    name, keras_name = "huber", "Huber"

    def __init__(self, delta=1.0):
        self.delta = number_in(delta, "delta", 0, low_open=True)

    def _kwargs(self):
        return {"delta": self.delta}

    def _delta(self, dtype):
        """delta in `dtype`'s range: Keras casts it to y_pred's dtype, where 1e200 becomes inf."""
        return min(self.delta, float(np.finfo(dtype).max))

    def _value(self, y_true, y_pred):
        a = np.abs(y_pred - y_true)
        m = np.minimum(a, self._delta(a.dtype))
        return np.mean(m * (a - 0.5 * m))

    def _gradient(self, y_true, y_pred):
        delta = self._delta(y_pred.dtype)
        return np.clip(y_pred - y_true, -delta, delta) / y_pred.size


class BinaryCrossentropy(_FromLogits, _Elementwise):
    """l = -(t log p + (1 - t) log(1 - p)) per entry, t in [0, 1].

    Probabilities (`from_logits=False`): p clipped to [EPSILON, 1 - EPSILON];
    dl/dp = (1 - t) / (1 - p) - t / p inside the clip range, 0 outside.
    Logits z (`from_logits=True`): p = sigma(z), l = max(z, 0) - z t + log(1 + e^-|z|)
    (softplus, never overflows); dl/dz = sigma(z) - t.
    """

    name, keras_name = "binary_crossentropy", "BinaryCrossentropy"

    def _check(self, y_true, y_pred):
        y_true, y_pred = super()._check(y_true, y_pred)
        _check_probabilities(y_true, "y_true")
        if not self.from_logits:
            _check_probabilities(y_pred, "y_pred", " (scores of any sign need from_logits=True)")
        return y_true, y_pred

    def _value(self, y_true, y_pred):
        if self.from_logits:
            z = y_pred
            return np.mean(np.maximum(z, 0) - z * y_true + np.log1p(np.exp(-np.abs(z))))
        p = np.clip(y_pred, EPSILON, 1 - EPSILON)
        return -np.mean(y_true * np.log(p) + (1 - y_true) * np.log(1 - p))

    def _gradient(self, y_true, y_pred):
        if self.from_logits:
            return (sigmoid(y_pred) - y_true) / y_pred.size
        inside = (y_pred >= EPSILON) & (y_pred <= 1 - EPSILON)
        p = np.clip(y_pred, EPSILON, 1 - EPSILON)
        return np.where(inside, (1 - y_true) / (1 - p) - y_true / p, 0) / y_pred.size


class CategoricalCrossentropy(_FromLogits, Loss):
    """l = -sum_c t_c log p_c over the class axis (the last), averaged over the rest;
    y_true: one-hot (or probability) rows of y_pred's shape (..., k).

    Probabilities: like Keras, each row is first normalised, q = p / s with s = sum_c p_c, then
    clipped to [EPSILON, 1 - EPSILON]; dl/dp_j = (g_j - sum_c g_c q_c) / s with g_c = -t_c / q_c
    inside the clip range, 0 outside.
    Logits z: l = sum_c t_c (logsumexp(z) - z_c), via log-softmax; dl/dz = (sum_c t_c) softmax(z) - t,
    that is softmax(z) - t for one-hot rows.
    """

    name, keras_name = "categorical_crossentropy", "CategoricalCrossentropy"

    def _check(self, y_true, y_pred):
        y_pred = _check_pred(y_pred)
        y_true = _check_true(y_true, y_pred.dtype)
        if y_true.shape != y_pred.shape:
            hint = ("; for integer class labels use SparseCategoricalCrossentropy"
                    if y_true.shape == y_pred.shape[:-1] else "")
            raise ValueError(
                f"y_true must be one-hot rows of y_pred's shape {y_pred.shape}, "
                f"got shape {y_true.shape}{hint}"
            )
        _check_probabilities(y_true, "y_true")
        if not self.from_logits:
            _check_probabilities(y_pred, "y_pred", " (scores of any sign need from_logits=True)")
            if not np.all(y_pred.sum(axis=-1) > 0):
                raise ValueError("every row of y_pred must have a positive sum, got a row of zeros")
        return y_true, y_pred

    def _value(self, y_true, y_pred):
        if self.from_logits:
            return -np.mean(np.sum(y_true * _log_softmax(y_pred), axis=-1))
        q = y_pred / y_pred.sum(axis=-1, keepdims=True)
        return -np.mean(np.sum(y_true * np.log(np.clip(q, EPSILON, 1 - EPSILON)), axis=-1))

    def _gradient(self, y_true, y_pred):
        rows = y_pred.size // y_pred.shape[-1]
        if self.from_logits:
            softmax = np.exp(_log_softmax(y_pred))
            return (softmax * y_true.sum(axis=-1, keepdims=True) - y_true) / rows
        s = y_pred.sum(axis=-1, keepdims=True)
        q = y_pred / s
        inside = (q >= EPSILON) & (q <= 1 - EPSILON)
        g = np.where(inside, -y_true / np.clip(q, EPSILON, 1 - EPSILON), 0)
        return (g - np.sum(g * q, axis=-1, keepdims=True)) / (s * rows)


class SparseCategoricalCrossentropy(_FromLogits, Loss):
    """Categorical cross-entropy with integer class labels: l = -log p_y.
    y_pred: (..., k); y_true: (...) or (..., 1), integers in [0, k).

    Probabilities: like Keras, p is clipped to [EPSILON, 1 - EPSILON] (no normalisation first) and
    treated as the logits log p, so l = log(sum_c p_c) - log p_y and
    dl/dp_c = 1 / sum(p) - [c = y] / p_c inside the clip range, 0 outside.
    Logits z: l = logsumexp(z) - z_y; dl/dz = softmax(z) - onehot(y).
    """

    name, keras_name = "sparse_categorical_crossentropy", "SparseCategoricalCrossentropy"

    def _check(self, y_true, y_pred):
        """Returns (labels as intp (rows,), y_pred as (rows, k))."""
        y_pred = _check_pred(y_pred)
        if y_pred.ndim < 2:
            raise ValueError(f"y_pred must have a class axis, shape (n, k), got shape {y_pred.shape}")
        if isinstance(y_true, str):
            raise TypeError("y_true must hold integer class labels, got a string")
        labels = np.asarray(y_true)
        if labels.dtype.kind not in "iu":
            labels = as_float_array(labels, "y_true")  # rejects non-numeric and NaN/inf labels
        if labels.shape == y_pred.shape[:-1] + (1,):
            labels = labels[..., 0]
        if labels.shape != y_pred.shape[:-1]:
            raise ValueError(
                f"y_true must hold one class label per row of y_pred {y_pred.shape}, that is shape "
                f"{y_pred.shape[:-1]}, got shape {labels.shape}"
            )
        k = y_pred.shape[-1]
        if labels.dtype.kind == "f" and np.any(labels != np.floor(labels)):
            raise ValueError("y_true must hold integer class labels, got non-integer values")
        if labels.min() < 0 or labels.max() >= k:
            raise ValueError(
                f"class labels must lie in [0, {k - 1}] for y_pred with {k} classes, got labels in "
                f"[{labels.min():g}, {labels.max():g}]"
            )
        if not self.from_logits:
            _check_probabilities(y_pred, "y_pred", " (scores of any sign need from_logits=True)")
        return labels.reshape(-1).astype(np.intp), y_pred.reshape(-1, k)

    def gradient(self, y_true, y_pred):
        """dL/dy_pred: the shape and dtype of `y_pred`."""
        return self._gradient(*self._check(y_true, y_pred)).reshape(np.shape(y_pred))

    def _value(self, labels, y_pred):
        rows = np.arange(len(labels))
        if self.from_logits:
            return -np.mean(_log_softmax(y_pred)[rows, labels])
        p = np.clip(y_pred, EPSILON, 1 - EPSILON)
        return np.mean(np.log(p.sum(axis=-1)) - np.log(p[rows, labels]))

    def _gradient(self, labels, y_pred):
        rows = np.arange(len(labels))
        if self.from_logits:
            grad = np.exp(_log_softmax(y_pred))
            grad[rows, labels] -= 1
            return grad / len(labels)
        inside = (y_pred >= EPSILON) & (y_pred <= 1 - EPSILON)
        p = np.clip(y_pred, EPSILON, 1 - EPSILON)
        grad = np.broadcast_to(1 / p.sum(axis=-1, keepdims=True), p.shape).copy()
        grad[rows, labels] -= 1 / p[rows, labels]
        return np.where(inside, grad, 0) / len(labels)


class CategoricalHinge(Loss):
    """The multiclass hinge loss on scores z (y_pred, any sign), y_true one-hot rows of its shape
    (..., k): l = max(0, 1 + neg - pos), pos = sum_c t_c z_c, neg = max_c (1 - t_c) z_c, averaged
    over every axis but the last.

    For one-hot t this is Crammer and Singer's multiclass hinge, max(0, 1 + max_{j != y} z_j - z_y),
    whenever some wrong-class score is >= 0. As in Keras, the max in `neg` runs over all k entries and
    the true class's entry is (1 - 1) z_y = 0, so neg = max(0, max_{j != y} z_j): when every wrong
    score is negative, neg is 0 and l = max(0, 1 - z_y) (the margin is measured against 0).
    dl/dz = [l >= 0] (dneg/dz - t), with dneg/dz_j = (1 - t_j) / m on the m entries attaining the
    max and 0 elsewhere; like tf.maximum and tf.reduce_max, l = 0 exactly counts as active and ties
    share the gradient equally.
    """

    name, keras_name = "categorical_hinge", "CategoricalHinge"

    def _check(self, y_true, y_pred):
        y_pred = _check_pred(y_pred)
        y_true = _check_true(y_true, y_pred.dtype)
        if y_true.shape != y_pred.shape:
            raise ValueError(
                f"y_true must be one-hot rows of y_pred's shape {y_pred.shape}, got shape {y_true.shape}"
            )
        return y_true, y_pred

    def _value(self, y_true, y_pred):
        pos = np.sum(y_true * y_pred, axis=-1)
        neg = np.max((1 - y_true) * y_pred, axis=-1)
        return np.mean(np.maximum(neg - pos + 1, 0))

    def _gradient(self, y_true, y_pred):
        rows = y_pred.size // y_pred.shape[-1]
        scaled = (1 - y_true) * y_pred
        neg = scaled.max(axis=-1, keepdims=True)
        pos = np.sum(y_true * y_pred, axis=-1, keepdims=True)
        at_max = scaled == neg
        dneg = (1 - y_true) * at_max / at_max.sum(axis=-1, keepdims=True)
        active = neg - pos + 1 >= 0
        return np.where(active, dneg - y_true, 0).astype(y_pred.dtype) / rows


LOSSES = {
    cls.name: cls for cls in (MeanSquaredError, MeanAbsoluteError, Huber, BinaryCrossentropy,
                              CategoricalCrossentropy, SparseCategoricalCrossentropy,
                              CategoricalHinge)
}
ALIASES = {"mse": "mean_squared_error", "mae": "mean_absolute_error"}


def get(name):
    """A loss by name ("mse", "categorical_crossentropy", "Huber", ...) with default arguments;
    a `Loss` instance is returned as it is."""
    if isinstance(name, Loss):
        return name
    if not isinstance(name, str):
        raise TypeError(f"loss must be a name (str) or a Loss, got {type(name).__name__}")
    key = ALIASES.get(name.lower(), name.lower())
    by_class = {cls.__name__.lower(): cls for cls in LOSSES.values()}
    if key in LOSSES or key in by_class:
        return (LOSSES.get(key) or by_class[key])()
    raise ValueError(f"unknown loss {name!r}; choose one of {', '.join([*ALIASES, *LOSSES])}")
