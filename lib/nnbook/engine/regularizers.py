"""Weight penalties: a term R(W) added to the training loss for a layer's weights, as Keras 3
defines them (`keras.regularizers`), each with its gradient and its Keras twin.

| penalty        | R(W)                                | dR/dW                                 |
|----------------|-------------------------------------|---------------------------------------|
| L1(l1)         | l1 * sum |W|                        | l1 * sign(W)                          |
| L2(l2)         | l2 * sum W^2   (no 1/2, as Keras)   | 2 * l2 * W                            |
| L1L2(l1, l2)   | l1 * sum |W| + l2 * sum W^2         | l1 * sign(W) + 2 * l2 * W             |

|W| has no derivative at 0; we take sign(0) = 0, which is what TensorFlow's tape gives for abs.
Keras 3.15 casts the factor to the weight's dtype through a float32 tensor, so l1 and l2 are used
rounded to float32 (in float64 too); we do the same, and float64 values agree with Keras's to
rounding error. (Keras 3.13 multiplies by the Python float instead: in float64, its L2 and L1L2
differ from ours by a relative 2e-8, and its L1 cannot take float64 weights at all.)

A layer takes a penalty as `kernel_regularizer=` (a name, an object or None; `get`). `Sequential`
adds the penalties of its trainable weights to the loss it minimises and reports, as Keras's
`fit` and `evaluate` do.
"""

import numpy as np

from .._checks import describe, number_in
from .optimizers import _keras_cast


class Regularizer:
    """Base class: `R(W) -> float` (`__call__`) and `gradient(W) -> dR/dW` (W's shape and dtype).
    Subclasses list their factors, by Keras's names, in `factors()`."""

    def factors(self):
        """{name: value} of the factors, as the Keras constructor takes them."""
        raise NotImplementedError

    def __eq__(self, other):
        """Equal: the same kind, with the same factors as computed (rounded to float32)."""
        return type(self) is type(other) and self._computed() == other._computed()

    def __hash__(self):
        return hash((type(self).__name__, self._computed()))

    def _computed(self):
        return tuple(_keras_cast(v) for v in self.factors().values())

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.factors().items())})"

    def to_keras(self):
        """The `keras.regularizers` object with the same factors."""
        import keras

        return getattr(keras.regularizers, type(self).__name__)(**self.factors())


class L1(Regularizer):
    """R(W) = l1 * sum |W|: pushes weights to exactly 0 (a sparse W)."""

    def __init__(self, l1=0.01):
        self.l1 = number_in(l1, "l1", 0)

    def factors(self):
        return {"l1": self.l1}

    def __call__(self, W):
        return float(_keras_cast(self.l1) * np.sum(np.abs(W)))

    def gradient(self, W):
        """l1 * sign(W), with sign(0) = 0."""
        return _keras_cast(self.l1) * np.sign(W)


class L2(Regularizer):
    """R(W) = l2 * sum W^2: shrinks every weight towards 0 in proportion to its size."""

    def __init__(self, l2=0.01):
        self.l2 = number_in(l2, "l2", 0)

    def factors(self):
        return {"l2": self.l2}

    def __call__(self, W):
        return float(_keras_cast(self.l2) * np.sum(np.square(W)))

    def gradient(self, W):
        """2 * l2 * W."""
        return 2 * _keras_cast(self.l2) * W


class L1L2(Regularizer):
    """R(W) = l1 * sum |W| + l2 * sum W^2 (the "elastic net" penalty). Both factors default to 0,
    as in Keras."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = number_in(l1, "l1", 0)
        self.l2 = number_in(l2, "l2", 0)

    def factors(self):
        return {"l1": self.l1, "l2": self.l2}

    def __call__(self, W):
        return float(_keras_cast(self.l1) * np.sum(np.abs(W)) + _keras_cast(self.l2) * np.sum(np.square(W)))

    def gradient(self, W):
        """l1 * sign(W) + 2 * l2 * W."""
        return _keras_cast(self.l1) * np.sign(W) + 2 * _keras_cast(self.l2) * W


#: Keras 3's string identifiers, each its class with the default factors: "l1" and "l2" 0.01,
#: "l1l2" 0 and 0 (no penalty at all; Keras's docstrings' "l1_l2" is not a Keras 3 name).
REGULARIZERS = {"l1": L1, "l2": L2, "l1l2": L1L2}


def get(regularizer):
    """None (no penalty), a name ("l1", "l2", "l1l2", as in Keras) or a `Regularizer` (returned
    as it is) -> a Regularizer or None."""
    if regularizer is None or isinstance(regularizer, Regularizer):
        return regularizer
    if not isinstance(regularizer, str):
        raise TypeError(f"a regularizer must be None, a name or an nnbook Regularizer (L1, L2, L1L2), "
                        f"got {describe(regularizer)}")
    if regularizer not in REGULARIZERS:
        raise ValueError(f"unknown regularizer {regularizer!r}; choose one of {', '.join(REGULARIZERS)}")
    return REGULARIZERS[regularizer]()


def from_keras(keras_regularizer):
    """The nnbook twin of a `keras.regularizers` L1, L2 or L1L2 (None for None); any other
    regularizer (OrthogonalRegularizer, a custom one) is refused with a ValueError."""
    if keras_regularizer is None:
        return None
    kind = type(keras_regularizer).__name__
    ours = {"L1": L1, "L2": L2, "L1L2": L1L2}.get(kind)
    if ours is None or not type(keras_regularizer).__module__.startswith("keras"):
        raise ValueError(f"nnbook has no twin of the regularizer {kind} (only keras.regularizers "
                         f"L1, L2 and L1L2)")
    # Keras computes with the factors rounded to float32 (its L1 even stores them so): read each
    # back as the shortest decimal that rounds to that float32 (0.01, not 0.009999999776...)
    return ours(**{k: float(str(np.float32(v))) for k, v in keras_regularizer.get_config().items()})
