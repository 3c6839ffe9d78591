"""nnbook.setup: seeds, quiet TensorFlow, plot style."""

import os
import random
import subprocess
import sys

import keras
import matplotlib as mpl
import numpy as np
import pytest

import nnbook
from nnbook.book import env


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


@pytest.mark.parametrize("seed, error", [(-1, ValueError), (1.5, TypeError), ("0", TypeError),
                                         (True, TypeError), (None, TypeError)])
def test_bad_seed(seed, error):
    with pytest.raises(error, match="seed must be an integer >= 0"):
        env.seed_everything(seed)


def test_numpy_seed_and_bad_flags():
    assert env.seed_everything(np.int64(3)).normal() == np.random.default_rng(3).normal()
    with pytest.raises(TypeError, match="keras must be True or False"):
        nnbook.setup(keras="no")
    with pytest.raises(TypeError, match="colab must be True or False"):
        nnbook.setup(keras=False, colab=1)


def test_setup_hides_tensorflows_start_up_lines():
    code = "import nnbook; nnbook.setup(0); import sys; print('ready', file=sys.stderr)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"})
    assert out.returncode == 0, out.stderr
    assert out.stderr.strip() == "ready", out.stderr  # no absl/cudart lines, stderr works after


def test_import_errors_still_surface():
    code = "import nnbook.book.env as e, builtins\n" \
           "real = builtins.__import__\n" \
           "def fail(name, *a, **k):\n" \
           "    if name == 'keras': raise ImportError('no keras here')\n" \
           "    return real(name, *a, **k)\n" \
           "builtins.__import__ = fail\n" \
           "e.import_keras()"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "no keras here" in out.stderr
