"""Test-wide setup: chapter kernels (nbval) start with the network guard and quiet TensorFlow;
a chapter already executed by `book.py site` with the same inputs is not run again (see
tools/execute.py; tests/chapters/test_executed.py checks its executed copy instead)."""

import os
from pathlib import Path

from tools import execute

ROOT = Path(__file__).resolve().parent
GUARD = ROOT / "tests" / "netguard"

# Kernels that nbval starts inherit this environment.
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in [str(GUARD), os.environ.get("PYTHONPATH", "")] if p
)
os.environ["NNBOOK_NO_NETWORK"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def pytest_ignore_collect(collection_path, config):
    """Leave out a chapter whose current executed copy `book.py test` asked to reuse."""
    reuse = collection_path.suffix == ".ipynb" and execute.reuse_executed()
    return True if reuse and execute.is_current(collection_path) else None
