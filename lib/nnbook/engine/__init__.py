"""The NumPy deep-learning engine a reader builds, each piece beside its Keras twin. Headless (no
plotting) and Keras-free at import: Keras is imported only inside twin methods and `twins`.

Layers (`layers/`), `Sequential` (`model`), and one module per concept: `activations`,
`initializers`, `losses`, `optimizers`, `schedules`, `regularizers`, `augmentation`, `metrics`,
`callbacks`, `gradcheck`, `twins`.
"""

from . import (
    activations,
    augmentation,
    callbacks,
    gradcheck,
    initializers,
    losses,
    metrics,
    optimizers,
    regularizers,
    schedules,
    twins,
)
from .callbacks import EarlyStopping, ProgressBar
from .layers import (
    GRU,
    LSTM,
    Activation,
    AveragePooling1D,
    AveragePooling2D,
    BatchNormalization,
    Conv1D,
    Conv2D,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    Layer,
    LayerNormalization,
    MaxPooling1D,
    MaxPooling2D,
    MultiHeadAttention,
    PositionEmbedding,
    Residual,
    SimpleRNN,
    TransformerBlock,
)
from .model import Sequential, minibatches

__all__ = ["activations", "callbacks", "gradcheck", "initializers", "losses", "metrics", "optimizers",
           "schedules", "twins", "Layer", "Dense", "Activation", "Flatten", "Residual", "BatchNormalization",
           "LayerNormalization", "Sequential", "minibatches", "EarlyStopping", "ProgressBar", "Dropout",
           "augmentation", "regularizers",
           "Conv2D", "Conv1D", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D", "MaxPooling1D",
           "AveragePooling1D", "GlobalAveragePooling1D", "Embedding", "SimpleRNN", "LSTM", "GRU",
           "MultiHeadAttention", "PositionEmbedding", "TransformerBlock"]
