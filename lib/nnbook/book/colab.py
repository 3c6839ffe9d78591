"""Colab support: detect Colab and install only the packages Colab lacks.

The chapters' first cell clones the book in Colab and puts `lib/` on `sys.path`; this module does
the rest. It never installs TensorFlow, Keras or ipywidgets: Colab's own builds are used as they are.
"""

import importlib.util
import subprocess
import sys

#: Import name -> pip requirement, for what the book needs beyond Colab's preinstalled packages.
COLAB_EXTRAS = {"mnist1d": "mnist1d>=0.0.2", "mlxtend": "mlxtend>=0.23",
                "keras_tuner": "keras-tuner>=1.4.7", "kerastuner": "kt-legacy>=1.0.5"}

#: Packages this module refuses to install: reinstalling them would break Colab's runtime.
NEVER_INSTALL = ("tensorflow", "keras", "ipywidgets", "numpy", "jax", "torch")


def in_colab():
    """True when running inside a Google Colab kernel."""
    return importlib.util.find_spec("google") is not None and _has_colab_module()


def _has_colab_module():
    try:
        return importlib.util.find_spec("google.colab") is not None
    except ModuleNotFoundError:
        return False


def missing(extras=None):
    """The pip requirements in `extras` (default `COLAB_EXTRAS`) whose module cannot be imported."""
    extras = COLAB_EXTRAS if extras is None else extras
    return [req for module, req in extras.items() if importlib.util.find_spec(module) is None]


def install_missing(extras=None, *, runner=subprocess.run):
    """pip-install (with `--no-deps`) what `missing(extras)` reports; return the list installed."""
    todo = missing(extras)
    for req in todo:
        name = req.split(">")[0].split("=")[0].split("<")[0].strip().lower()
        if name in NEVER_INSTALL:
            raise ValueError(f"refusing to install {req!r}: Colab's own {name} must stay in place")
    if todo:
        runner([sys.executable, "-m", "pip", "install", "-q", "--no-deps", *todo], check=True)
    return todo
