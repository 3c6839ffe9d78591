"""nnbook.setup: seeds, quiet TensorFlow, plot style."""

import os
import random

import keras
import matplotlib as mpl
import numpy as np
import pytest

import nnbook
from nnbook import env


def test_setup_makes_runs_repeatable():
    rng = nnbook.setup(seed=7)
    a = (random.random(), np.random.rand(), rng.normal(), keras.random.normal((3,)).numpy())
    rng = nnbook.setup(seed=7)
    b = (random.random(), np.random.rand(), rng.normal(), keras.random.normal((3,)).numpy())
    assert a[:3] == b[:3]
    np.testing.assert_array_equal(a[3], b[3])
    rng = nnbook.setup(seed=8)
    assert rng.normal() != a[2]


def test_setup_quiets_tensorflow_and_styles_plots():
    nnbook.setup(seed=0)
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] in {"2", "3"}
    assert mpl.rcParams["axes.grid"] is True
    assert tuple(mpl.rcParams["figure.figsize"]) == env.PLOT_STYLE["figure.figsize"]


@pytest.mark.parametrize("seed", [-1, 1.5, "0", True])
def test_bad_seed(seed):
    with pytest.raises(ValueError, match="seed"):
        env.seed_everything(seed)
