"""The network guard that chapter kernels run under: it blocks the outside, allows loopback."""

import os
import subprocess
import sys
from pathlib import Path

import nbclient
import nbformat

ROOT = Path(__file__).resolve().parents[2]
GUARD = ROOT / "tests" / "netguard"


def _guarded_env():
    return dict(os.environ, PYTHONPATH=str(GUARD), NNBOOK_NO_NETWORK="1")


def _run(code, env):
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=60)


ATTEMPTS = """
import socket, urllib.request
for attempt in (lambda: socket.create_connection(("example.com", 80), timeout=3),
                lambda: socket.create_connection(("93.184.215.14", 80), timeout=3),
                lambda: urllib.request.urlopen("https://example.com", timeout=3)):
    try:
        attempt()
        print("REACHED")
    except Exception as err:
        print("BLOCKED" if "network access is blocked" in repr(err) else f"OTHER {err!r}")
"""


def test_guard_blocks_names_addresses_and_urls():
    out = _run(ATTEMPTS, _guarded_env())
    assert out.stdout.split() == ["BLOCKED"] * 3, out.stdout + out.stderr


def test_guard_is_off_without_the_flag():
    env = dict(os.environ, PYTHONPATH=str(GUARD))
    env.pop("NNBOOK_NO_NETWORK", None)
    out = _run(ATTEMPTS, env)
    assert "BLOCKED" not in out.stdout, out.stdout


def test_guard_allows_loopback():
    code = """
import socket
server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen(1)
client = socket.create_connection(("localhost", server.getsockname()[1]), timeout=3)
print("LOCAL OK"); client.close(); server.close()
"""
    out = _run(code, _guarded_env())
    assert "LOCAL OK" in out.stdout, out.stderr


def test_guard_is_active_in_chapter_kernels():
    """Kernels started by the test suite (as nbval starts them) cannot reach the network."""
    assert os.environ.get("NNBOOK_NO_NETWORK") == "1", "conftest.py must switch the guard on"
    assert str(GUARD) in os.environ.get("PYTHONPATH", "")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(ATTEMPTS)]
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    text = "".join(o.get("text", "") for o in nb.cells[0].outputs)
    assert text.split() == ["BLOCKED"] * 3, text
