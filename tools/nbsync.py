"""Notebook sync and hygiene, a maintainer tool (not installed): the repository setting, and the
Colab badge and setup cell of every chapter.

`_config.yml`'s `repository.url` / `repository.branch` is the one place that names the repo.
`sync_notebook` stamps it into a chapter's badge cell (tag `nnbook-badge`) and setup cell
(tag `nnbook-setup`, the first code cell); `python book.py sync` runs it on every chapter.
"""

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BADGE_TAG = "nnbook-badge"
SETUP_TAG = "nnbook-setup"

SETUP_TEMPLATE = '''\
# Setup: run this cell first. In Colab it fetches the book's code; elsewhere it only imports it.
import os, subprocess, sys
from pathlib import Path

REPO_URL = os.environ.get("NNBOOK_REPO_URL", "{url}")  # from _config.yml
BRANCH = "{branch}"
try:
    import google.colab  # noqa: F401  (importable only in Colab)
    IN_COLAB = True
except ImportError:
    IN_COLAB = False
if IN_COLAB and not Path("nnbook-repo").exists():
    subprocess.run(["git", "clone", "--quiet", "--depth", "1", "--branch", BRANCH, REPO_URL,
                    "nnbook-repo"], check=True)
for root in [Path("nnbook-repo"), Path.cwd(), *Path.cwd().parents]:
    if (root / "lib" / "nnbook").is_dir():
        sys.path.insert(0, str((root / "lib").resolve()))
        break
import nnbook

rng = nnbook.setup(seed=0)  # seeds NumPy/Python/Keras, quiets TensorFlow, styles plots'''


def repository(config_path=None):
    """`(url, branch)` from `_config.yml`'s `repository` section."""
    import yaml

    path = Path(config_path) if config_path else ROOT / "_config.yml"
    repo = (yaml.safe_load(path.read_text()) or {}).get("repository") or {}
    url, branch = repo.get("url"), repo.get("branch", "main")
    if not url or not re.match(r"^https://github\.com/[\w.-]+/[\w.-]+$", url):
        raise ValueError(f"{path}: repository.url must be https://github.com/OWNER/NAME, got {url!r}")
    return url, branch


def colab_url(url, branch, notebook_path):
    """The Colab address that opens `notebook_path` (relative to the repo root)."""
    owner_name = url.removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{owner_name}/blob/{branch}/{notebook_path}"


def badge_source(url, branch, notebook_path):
    """The markdown of a chapter's "Open in Colab" badge."""
    return (
        f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        f"({colab_url(url, branch, notebook_path)})"
    )


def setup_source(url, branch):
    """The source of a chapter's first code cell."""
    return SETUP_TEMPLATE.format(url=url, branch=branch)


def _tagged(nb, tag):
    return [c for c in nb["cells"] if tag in c.get("metadata", {}).get("tags", [])]


def expected_cells(nb_path, url, branch):
    """`{tag: source}` of what the badge and setup cells of `nb_path` should hold."""
    rel = Path(nb_path).resolve().relative_to(ROOT).as_posix()
    return {BADGE_TAG: badge_source(url, branch, rel), SETUP_TAG: setup_source(url, branch)}


def problems(nb_path, url=None, branch=None):
    """What is wrong with a chapter's badge/setup cells and outputs, as a list of messages."""
    if url is None:
        url, branch = repository()
    nb = json.loads(Path(nb_path).read_text())
    found = []
    for tag, want in expected_cells(nb_path, url, branch).items():
        cells = _tagged(nb, tag)
        if len(cells) != 1:
            found.append(f"needs exactly one cell tagged {tag!r}, found {len(cells)}")
        elif "".join(cells[0]["source"]) != want:
            found.append(f"cell tagged {tag!r} is out of sync with _config.yml (run: python book.py sync)")
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    if code and SETUP_TAG not in code[0].get("metadata", {}).get("tags", []):
        found.append(f"the first code cell must be the setup cell (tag {SETUP_TAG!r})")
    for i, c in enumerate(code):
        if c.get("outputs") or c.get("execution_count") is not None:
            found.append(f"code cell {i} has outputs or an execution count: commit notebooks clean")
    return found


def sync_notebook(nb_path, url=None, branch=None):
    """Rewrite the badge and setup cells of `nb_path` from `_config.yml`; strip outputs."""
    if url is None:
        url, branch = repository()
    path = Path(nb_path)
    nb = json.loads(path.read_text())
    for tag, want in expected_cells(path, url, branch).items():
        for cell in _tagged(nb, tag):
            cell["source"] = want.splitlines(keepends=True)
            if tag == SETUP_TAG and "hide-cell" not in cell["metadata"]["tags"]:
                cell["metadata"]["tags"].append("hide-cell")  # collapsed on the site, output too
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")


def chapters():
    """Every chapter notebook, in file order."""
    return sorted((ROOT / "chapters").glob("*.ipynb"))
