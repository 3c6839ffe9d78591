#!/usr/bin/env python3
"""The book's one entry point. Needs only Python 3.11+ and git; it sets up everything else.

    python3 book.py site [--serve]   execute every chapter once, then build the site into _build/html
    python3 book.py test [ARGS]      run the whole test suite (pytest ARGS)
    python3 book.py bench            time every chapter and NumPy vs Keras -> benchmarks/RESULTS.md
    python3 book.py sync             stamp _config.yml's repository into every chapter's badge/setup cell
    python3 book.py colab [ARGS]     run every chapter and the widget tests under Colab's own versions
                                     (Python 3.13, constraints-colab.txt) in .venv-colab/

The first run creates `.venv/` and installs requirements-dev.txt pinned by constraints.txt (the
exact versions CI tests); later runs reinstall only when those files change. Set NNBOOK_VENV to
use another environment, or NNBOOK_VENV=none to use the current interpreter as it is.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
INSTALL_FILES = ["requirements.txt", "requirements-dev.txt", "constraints.txt", "pyproject.toml"]


def python_in_venv():
    """The interpreter to run everything with, creating and filling `.venv/` if needed."""
    choice = os.environ.get("NNBOOK_VENV", str(ROOT / ".venv"))
    if choice == "none":
        return sys.executable
    env_dir = Path(choice)
    py = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    if not py.exists():
        print(f"creating virtual environment {env_dir}", flush=True)
        venv.create(env_dir, with_pip=True)
    digest = hashlib.sha256(b"".join((ROOT / f).read_bytes() for f in INSTALL_FILES)).hexdigest()
    stamp = env_dir / ".nnbook-installed"
    if not stamp.exists() or stamp.read_text() != digest:
        print("installing the book's requirements (pinned by constraints.txt)", flush=True)
        run([py, "-m", "pip", "install", "-q", "--upgrade", "pip"])
        run([py, "-m", "pip", "install", "-q", "-r", ROOT / "requirements-dev.txt",
             "-c", ROOT / "constraints.txt", "-e", ROOT])
        # Colab ships ipywidgets 7.7.1: the widget tests also run against it, from a side folder.
        run([py, "-m", "pip", "install", "-q", "--no-deps", "--upgrade", "--target",
             env_dir / "ipywidgets7", "ipywidgets==7.7.1", "ipython_genutils==0.2.0"])
        stamp.write_text(digest)
    return py


def guarded_env():
    """Environment in which kernels started for the chapters cannot reach the network."""
    env = dict(os.environ)
    guard = str(ROOT / "tests" / "netguard")
    env["PYTHONPATH"] = os.pathsep.join(p for p in [guard, env.get("PYTHONPATH", "")] if p)
    env["NNBOOK_NO_NETWORK"] = "1"
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return env


def run(cmd, **kw):
    return subprocess.run([str(c) for c in cmd], cwd=ROOT, check=True, **kw)


def site(args):
    """Execute every chapter once, two at a time (tools/execute.py: a failing cell fails the build;
    per-cell times are printed and kept in _build/executed/timings.json), then render the site from
    the executed copies without executing them again."""
    py = python_in_venv()
    jb = Path(py).parent / "jupyter-book"
    failed = subprocess.run([str(py), "-c", "import sys; from tools import execute; "
                             "sys.exit(execute.execute_all())"], cwd=ROOT, env=guarded_env()).returncode
    if failed:
        sys.exit(f"{failed} chapter(s) failed to execute: the site is not built")
    staged = subprocess.run([str(py), "-c", "from tools import execute; print(execute.stage_book())"],
                            cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()
    run([jb, "build", staged, "--path-output", ROOT, "--all", "--builder", "html", "-W", "-n",
         "--keep-going"], env=guarded_env())
    index = ROOT / "_build" / "html" / "index.html"
    print(f"\nThe site is built: open {index.as_uri()}")
    if "--serve" in args:
        print("serving it on http://localhost:8000 (Ctrl-C stops)")
        run([py, "-m", "http.server", "8000", "--bind", "127.0.0.1",
             "--directory", ROOT / "_build" / "html"])


def parallel(args):
    """pytest-xdist options: NNBOOK_JOBS (default 2) workers, each notebook kept whole on one
    worker; none if `args` choose for themselves (-n) or NNBOOK_JOBS=1."""
    jobs = os.environ.get("NNBOOK_JOBS", "2")
    if jobs == "1" or any(a == "-n" or a.startswith(("-n", "--numprocesses")) for a in args):
        return []
    return ["-n", jobs, "--dist", "loadfile"]


def test(args):
    """pytest. A chapter whose executed copy from `book.py site` is current (same notebook, lib,
    data and environment: tools/execute.py) is checked from that copy instead of being run again
    through nbval; NNBOOK_REUSE_EXECUTED=0 runs every chapter again."""
    py = python_in_venv()
    env = guarded_env()
    env.setdefault("NNBOOK_REUSE_EXECUTED", "1")
    result = subprocess.run([str(py), "-m", "pytest", *parallel(args), *args], cwd=ROOT, env=env)
    sys.exit(result.returncode)


def bench(args):
    py = python_in_venv()
    run([py, ROOT / "benchmarks" / "run.py", *args], env=guarded_env())


def sync(args):
    py = python_in_venv()
    code = ("from tools import nbsync\n"
            "for nb in nbsync.chapters():\n"
            "    nbsync.sync_notebook(nb); print('synced', nb.name)")
    run([py, "-c", code])


#: What a Colab runtime has preinstalled that the chapters use (pinned by constraints-colab.txt).
COLAB_PREINSTALLED = ["tensorflow", "keras", "numpy", "scipy", "matplotlib", "pandas", "pygments",
                      "pyyaml", "tqdm", "scikit-learn", "threadpoolctl", "mlxtend", "ipywidgets",
                      "ipykernel", "ipython", "pytest"]


#: The test tools a Colab runtime lacks, installed into .venv-colab on top of requirements.txt.
COLAB_TEST_TOOLS = ["nbval>=0.11", "pytest-timeout>=2.3", "pytest-xdist>=3.5"]


def python313():
    """Colab's Python: pyenv's 3.13, or python3.13 on PATH (the first that runs as 3.13); exits with
    a message if there is none."""
    candidates = [shutil.which("python3.13")]
    if shutil.which("pyenv"):
        prefix = subprocess.run(["pyenv", "prefix", "3.13.0"], capture_output=True, text=True)
        candidates.insert(0, str(Path(prefix.stdout.strip()) / "bin" / "python") if prefix.returncode == 0
                          else None)
    for py in filter(None, candidates):
        probe = subprocess.run([py, "-c", "import sys; print(sys.version_info[:2] == (3, 13))"],
                               capture_output=True, text=True)
        if probe.stdout.strip() == "True":
            return py
    sys.exit("Python 3.13 (Colab's version) is needed for `book.py colab`: neither `pyenv prefix 3.13.0` "
             "nor python3.13 on PATH gives one")


def colab(args):
    """Build .venv-colab as a reader's Colab is (Colab's packages, then requirements.txt on top),
    then run every chapter, the widget tests (ipywidgets 7.7.1) and tests/colab there."""
    env_dir = ROOT / ".venv-colab"
    py = env_dir / "bin" / "python"
    if not py.exists():
        print(f"creating {env_dir} with {python313()}", flush=True)
        run([python313(), "-m", "venv", env_dir])
    files = ["constraints-colab.txt", "requirements.txt", "pyproject.toml"]
    digest = hashlib.sha256(b"".join((ROOT / f).read_bytes() for f in files)
                            + " ".join(COLAB_TEST_TOOLS).encode()).hexdigest()
    stamp = env_dir / ".nnbook-installed"
    if not stamp.exists() or stamp.read_text() != digest:
        print("installing Colab's packages, then the book's requirements on top", flush=True)
        pip = [py, "-m", "pip", "install", "-q"]
        run([*pip, "--upgrade", "pip"])
        run([*pip, "-c", ROOT / "constraints-colab.txt", *COLAB_PREINSTALLED])
        run([*pip, "-r", ROOT / "requirements.txt"])          # as a reader would: no constraints
        run([*pip, *COLAB_TEST_TOOLS])                         # the test tools Colab lacks
        run([*pip, "--no-deps", "-e", ROOT])
        stamp.write_text(digest)
    env = guarded_env()
    env["NNBOOK_COLAB_ENV"] = "1"
    env["NNBOOK_REUSE_EXECUTED"] = "0"  # the site's executed copies come from the other environment
    paths = ["chapters", "tests/colab", "tests/book/test_widgets.py", "tests/engine/test_twins.py"]
    result = subprocess.run([str(py), "-m", "pytest", *parallel(args), *paths, *args], cwd=ROOT, env=env)
    sys.exit(result.returncode)


COMMANDS = {"site": site, "test": test, "bench": bench, "sync": sync, "colab": colab}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](sys.argv[2:])
