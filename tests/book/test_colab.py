"""A simulated Colab: fake `google.colab`, the book cloned from a local path, a fresh directory.

The chapters' first cell must clone the repo, make `nnbook` importable from the clone, and install
nothing that Colab already has (never TensorFlow, Keras or ipywidgets).
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nnbook.book import colab
from tools import nbsync

ROOT = Path(__file__).resolve().parents[2]

RUNNER = """
import json, subprocess, sys
calls = []
_real_run = subprocess.run
def recording_run(cmd, *args, **kwargs):
    calls.append([str(c) for c in cmd])
    return _real_run(cmd, *args, **kwargs)
subprocess.run = recording_run
exec(compile(open(sys.argv[1]).read(), "setup-cell", "exec"))
import nnbook, keras
print(json.dumps({"nnbook": nnbook.__file__, "calls": calls, "in_colab": IN_COLAB,
                  "keras": keras.__version__}))
"""


def _requirement_names(call):
    """The project names a pip command line asks for ("keras-tuner>=1.4" -> "keras-tuner")."""
    if "pip" not in " ".join(call):
        return []
    return [re.split(r"[<>=!~\[ ]", arg)[0].lower() for arg in call if not arg.startswith("-")]


def _first_code_cell(nb_path):
    nb = json.loads(nb_path.read_text())
    return "".join(next(c for c in nb["cells"] if c["cell_type"] == "code")["source"])


@pytest.fixture
def colab_sandbox(tmp_path):
    fake = tmp_path / "fake_site" / "google" / "colab"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text('"""Stand-in for Colab\'s module."""\n')
    work = tmp_path / "content"
    work.mkdir()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path / "fake_site"), env.get("PYTHONPATH", "")])
    env["NNBOOK_REPO_URL"] = ROOT.as_uri()  # clone from this checkout instead of GitHub
    return work, env, tmp_path


def _run_cell(cell, work, env, tmp_path):
    (tmp_path / "cell.py").write_text(cell)
    (tmp_path / "runner.py").write_text(RUNNER)
    out = subprocess.run([sys.executable, str(tmp_path / "runner.py"), str(tmp_path / "cell.py")],
                         cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("chapter", nbsync.chapters(), ids=lambda p: p.stem)
def test_first_cell_bootstraps_in_simulated_colab(chapter, colab_sandbox):
    work, env, tmp_path = colab_sandbox
    if not (ROOT / ".git").exists():
        pytest.fail("the Colab simulation clones this checkout, which must be a git repository")
    cell = _first_code_cell(chapter)
    result = _run_cell(cell, work, env, tmp_path)
    assert result["in_colab"] is True
    clone = work / "nnbook-repo"
    assert (clone / "lib" / "nnbook" / "__init__.py").is_file()
    assert Path(result["nnbook"]).resolve().is_relative_to(clone.resolve()), result["nnbook"]
    git_calls = [c for c in result["calls"] if c[:2] == ["git", "clone"]]
    assert len(git_calls) == 1 and git_calls[0][-2] == ROOT.as_uri()
    for call in result["calls"]:
        text = " ".join(call)
        for pkg in ("tensorflow", "keras", "ipywidgets"):
            assert pkg not in _requirement_names(call), f"the setup cell must never install {pkg}: {text}"
    # running the cell again (a second chapter in the same Colab session) does not clone again
    again = _run_cell(cell, work, env, tmp_path)
    assert not [c for c in again["calls"] if c[:2] == ["git", "clone"]]


def test_outside_colab_the_cell_only_imports(tmp_path):
    cell = _first_code_cell(nbsync.chapters()[0])
    (tmp_path / "cell.py").write_text(cell)
    (tmp_path / "runner.py").write_text(RUNNER)
    out = subprocess.run([sys.executable, str(tmp_path / "runner.py"), str(tmp_path / "cell.py")],
                         cwd=ROOT / "chapters", capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["in_colab"] is False
    assert not [c for c in result["calls"] if c[0] == "git" or "pip" in c], result["calls"]
    assert Path(result["nnbook"]).resolve().is_relative_to(ROOT / "lib")


def test_install_missing_uses_no_deps_and_only_missing_modules():
    seen = []
    extras = {"json": "json-is-stdlib", "nnbook_surely_missing_xyz": "xyz-pkg>=1"}
    installed = colab.install_missing(extras, runner=lambda cmd, check: seen.append(cmd))
    assert installed == ["xyz-pkg>=1"]
    assert seen[0][-3:] == ["-q", "--no-deps", "xyz-pkg>=1"] and "install" in seen[0]
    assert colab.install_missing({"json": "x"}, runner=lambda *a, **k: seen.append(a)) == []
    assert len(seen) == 1


@pytest.mark.parametrize("pkg", ["tensorflow>=2.19", "keras", "ipywidgets==8.1"])
def test_install_missing_refuses_colab_core_packages(pkg):
    with pytest.raises(ValueError, match="refusing to install"):
        colab.install_missing({"nnbook_missing_mod_abc": pkg}, runner=lambda *a, **k: None)


def test_in_colab_is_false_here():
    assert colab.in_colab() is False


def test_colab_extras_never_name_colabs_core_packages_and_install_keras_tuner_without_deps():
    names = [re.split(r"[<>=!~]", req)[0].strip().lower() for req in colab.COLAB_EXTRAS.values()]
    assert not set(names) & set(colab.NEVER_INSTALL), names
    assert {"keras-tuner", "kt-legacy"} <= set(names)  # chapter 9; Colab ships neither
    seen = []
    extras = {"nnbook_missing_keras_tuner_probe": colab.COLAB_EXTRAS["keras_tuner"]}
    colab.install_missing(extras, runner=lambda cmd, check: seen.append(cmd))
    assert seen and "--no-deps" in seen[0] and _requirement_names(seen[0])[-1] == "keras-tuner"
