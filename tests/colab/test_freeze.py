"""Run by `.ci/run` inside its Colab environment (Python 3.13 with Colab's preinstalled packages,
then `pip install -r requirements.txt` on top, as a reader's Colab would): installing the book's
requirements changed none of Colab's own packages. Skipped in any other environment."""

import os
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COLAB_OWN = ["tensorflow", "keras", "numpy", "matplotlib", "scikit-learn", "ipywidgets", "ipykernel",
             "scipy", "ipython", "pandas"]

pytestmark = pytest.mark.skipif(os.environ.get("NNBOOK_COLAB_ENV") != "1",
                                reason="only in .ci/run's Colab environment")


def _pins():
    pins = {}
    for line in (ROOT / "constraints-colab.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, pinned = line.partition("==")
            pins[name.lower().replace("_", "-")] = pinned
    return pins


def test_this_is_colabs_python():
    assert sys.version_info[:2] == (3, 13)


@pytest.mark.parametrize("name", COLAB_OWN)
def test_requirements_left_colabs_package_as_it_was(name):
    assert version(name) == _pins()[name], f"{name} {version(name)} is not Colab's {_pins()[name]}"
