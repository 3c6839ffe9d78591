"""Every script in data/ runs as committed and reproduces its file byte for byte (sha256)."""

import shutil
import subprocess
import sys
from pathlib import Path

from nnbook.book.data import CHECKSUMS, sha256

ROOT = Path(__file__).resolve().parents[1]


def test_make_mnist1d_reproduces_the_shipped_file(tmp_path):
    script = tmp_path / "make_mnist1d.py"
    shutil.copy(ROOT / "data" / "make_mnist1d.py", script)  # it writes next to itself
    subprocess.run([sys.executable, str(script)], check=True, capture_output=True, cwd=tmp_path)
    assert sha256(tmp_path / "mnist1d.npz") == CHECKSUMS["mnist1d.npz"]
