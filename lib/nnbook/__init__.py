"""nnbook: the code of the book *Neural Networks and Deep Learning, from Scratch and in Keras*.

Three wings: `nnbook.engine` (the NumPy deep-learning library, each piece beside its Keras twin),
`nnbook.lab` (one module per chapter experiment) and `nnbook.book` (page furniture); drawings are
in `nnbook.plots`. The reader's kit is here: `setup`, `show_source`, `data`, `interact`, `Slider`,
`check`, `solution`. Importing nnbook never imports Keras.
"""

from .book import data
from .book.env import setup
from .book.exercises import check, solution
from .book.show import show_source
from .book.widgets import Slider, interact

__version__ = "0.2.0"
__all__ = ["setup", "show_source", "data", "interact", "Slider", "check", "solution", "__version__"]
