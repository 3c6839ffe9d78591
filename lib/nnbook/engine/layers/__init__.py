"""The engine's layers, one module per family: `base` (Layer, Container), `core` (Dense,
Activation, Flatten), `combinators` (Residual), `normalization` (BatchNormalization,
LayerNormalization), `regularization` (Dropout).
`Sequential`, itself a layer, is in `engine.model`."""

from .base import Container, Layer
from .combinators import Residual
from .core import Activation, Dense, Flatten
from .normalization import BatchNormalization, LayerNormalization
from .regularization import Dropout

__all__ = ["Layer", "Container", "Dense", "Activation", "Flatten", "Residual", "BatchNormalization",
           "LayerNormalization", "Dropout"]
