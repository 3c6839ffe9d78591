"""Re-run the widget tests under ipywidgets 7.7.1, the version Colab ships.

`python3 book.py test` installs ipywidgets 7.7.1 into `<venv>/ipywidgets7` (without touching the
venv's own 8.x); this test puts that folder first on PYTHONPATH and runs tests/book/test_widgets.py.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

IPYW7 = Path(sys.prefix) / "ipywidgets7"
ROOT = Path(__file__).resolve().parents[2]


def test_widget_layer_under_ipywidgets_7_7_1():
    if not (IPYW7 / "ipywidgets").is_dir():
        pytest.fail(f"ipywidgets 7.7.1 is not installed in {IPYW7}; run `python3 book.py test`, "
                    f"or: pip install --no-deps --target {IPYW7} ipywidgets==7.7.1 ipython_genutils")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(IPYW7), os.environ.get("PYTHONPATH", "")]),
               NNBOOK_EXPECT_IPYWIDGETS="7.7.1")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
         str(ROOT / "tests" / "book" / "test_widgets.py")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "failed" not in result.stdout
