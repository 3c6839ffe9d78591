"""Test-wide setup: chapter kernels (nbval) start with the network guard and quiet TensorFlow."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent
GUARD = ROOT / "tests" / "netguard"

# Kernels that nbval starts inherit this environment.
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in [str(GUARD), os.environ.get("PYTHONPATH", "")] if p
)
os.environ["NNBOOK_NO_NETWORK"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
