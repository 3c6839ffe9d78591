"""nnbook.show_source renders the code that runs."""

import inspect

import numpy as np
import pytest

from nnbook import show_source
from nnbook.book.widgets import Slider
from nnbook.engine import activations


def test_function_source_is_shown_highlighted():
    src = show_source(activations.sigmoid)
    assert src.code == inspect.getsource(activations.sigmoid)
    assert src.title == "nnbook.engine.activations.sigmoid"
    html = src._repr_html_()
    assert "nnbook.engine.activations.sigmoid" in html and "<span" in html and "exp" in html
    assert "def sigmoid" in repr(src)


def test_class_method_and_line_range():
    assert "class Slider" in show_source(Slider).code
    part = show_source(activations.sigmoid, lines=(1, 2))
    assert part.code.splitlines()[0].startswith("def sigmoid") and len(part.code.splitlines()) == 2
    assert show_source(Slider.values).code.startswith("def values")


def test_bad_input():
    with pytest.raises(TypeError, match="function, class"):
        show_source(42)
    with pytest.raises(ValueError, match="lines"):
        show_source(activations.sigmoid, lines=(3, 1))
    with pytest.raises(ValueError, match=r"1 <= first <= last <= \d+, got \(1, 999\)"):
        show_source(activations.sigmoid, lines=(1, 999))
    for lines, match in [(5, "a pair"), ("12", "a pair"), ((1, 2, 3), "a pair"), ((1.0, 2), r"lines\[0\]"),
                         ((1, True), r"lines\[1\] must be an integer")]:
        with pytest.raises(TypeError, match=match):
            show_source(activations.sigmoid, lines=lines)
    assert show_source(activations.sigmoid, lines=(np.int64(1), np.int64(1))).code.startswith("def sigmoid")
