"""The engine's layers, one module per family: `base` (Layer, Container), `core` (Dense,
Activation, Flatten, Embedding), `combinators` (Residual), `normalization` (BatchNormalization,
LayerNormalization), `regularization` (Dropout), `convolution` (Conv2D, Conv1D; fast path in
`_im2col`), `pooling` (MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D and their 1-D
versions), `recurrent` (SimpleRNN, LSTM, GRU; `Embedding` is in `core`), `attention` (MultiHeadAttention,
PositionEmbedding, TransformerBlock, and the bare scaled dot-product attention with its masks and
sinusoidal positions).
`Sequential`, itself a layer, is in `engine.model`."""

from .attention import (
    MultiHeadAttention,
    PositionEmbedding,
    TransformerBlock,
    causal_mask,
    padding_mask,
    scaled_dot_product_attention,
    scaled_dot_product_attention_backward,
    sinusoidal_encoding,
)
from .base import Container, Layer
from .combinators import Residual
from .convolution import Conv1D, Conv2D
from .core import Activation, Dense, Embedding, Flatten
from .normalization import BatchNormalization, LayerNormalization
from .pooling import (
    AveragePooling1D,
    AveragePooling2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    MaxPooling1D,
    MaxPooling2D,
)
from .recurrent import GRU, LSTM, SimpleRNN
from .regularization import Dropout

__all__ = ["Layer", "Container", "Dense", "Activation", "Flatten", "Residual", "BatchNormalization",
           "LayerNormalization", "Dropout",
           "Conv2D", "Conv1D", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D", "MaxPooling1D",
           "AveragePooling1D", "GlobalAveragePooling1D", "Embedding", "SimpleRNN", "LSTM", "GRU",
           "MultiHeadAttention", "PositionEmbedding", "TransformerBlock", "causal_mask", "padding_mask",
           "scaled_dot_product_attention", "scaled_dot_product_attention_backward", "sinusoidal_encoding"]
