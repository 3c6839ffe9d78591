"""One call that prepares a chapter's kernel: seeds, quiet logs, plot defaults."""

import contextlib
import logging
import os
import random
import sys
import warnings

import numpy as np

from .._checks import flag, positive_int

DEFAULT_SEED = 0

#: Matplotlib defaults shared by every figure in the book.
PLOT_STYLE = {
    "figure.figsize": (6.0, 3.6),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "font.size": 10,
}


def quiet_tensorflow():
    """Silence TensorFlow's C++ and Python log noise; call before importing TensorFlow."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module="keras")
    warnings.filterwarnings("ignore", module="tensorflow")


@contextlib.contextmanager
def _quiet_fd2():
    """Send the process's file descriptor 2 to /dev/null for a moment: TensorFlow's C++ code logs
    a few lines there at import time, before any log-level setting applies."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def import_keras():
    """Import Keras (TensorFlow backend) without TensorFlow's start-up log lines; returns it."""
    quiet_tensorflow()
    if "tensorflow" in sys.modules:
        import keras

        return keras
    with _quiet_fd2():
        import keras
    return keras


def seed_everything(seed=DEFAULT_SEED):
    """Seed Python's `random`, NumPy's global generator and, if imported, Keras/TensorFlow.

    Returns a fresh `numpy.random.Generator` seeded with `seed` for the caller's own use.
    """
    seed = positive_int(seed, "seed", minimum=0)
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    if "keras" in sys.modules or "tensorflow" in sys.modules:
        import keras

        keras.utils.set_random_seed(seed)
    return np.random.default_rng(seed)


def set_plot_style():
    """Apply the book's matplotlib defaults (`PLOT_STYLE`)."""
    import matplotlib as mpl

    mpl.rcParams.update(PLOT_STYLE)


def setup(seed=DEFAULT_SEED, *, keras=True, colab=None):
    """Prepare a chapter: quiet TensorFlow, import Keras (if asked), seed everything, style plots.

    In Colab (`colab=True`, or detected when None) it also installs the few packages Colab lacks;
    it never touches TensorFlow, Keras or ipywidgets. Returns a seeded `numpy.random.Generator`.
    """
    from . import colab as _colab

    keras = flag(keras, "keras")
    colab = _colab.in_colab() if colab is None else flag(colab, "colab")
    quiet_tensorflow()
    if colab:
        _colab.install_missing()
    if keras:
        import_keras()  # imported now so that its seed is set below
    set_plot_style()
    return seed_everything(seed)
