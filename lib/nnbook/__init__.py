"""nnbook: the code of the book *Neural Networks and Deep Learning, from Scratch and in Keras*.

Every chapter imports its NumPy-from-scratch and Keras implementations from here, and shows
their source with `show_source`. Modules: `env` (setup), `colab`, `data`, `widgets`, `show`,
`exercises`, `activations`, `perceptron`, `book` (maintainer tools).
"""

from .env import setup
from .show import show_source

__version__ = "0.1.0"
__all__ = ["setup", "show_source", "__version__"]
