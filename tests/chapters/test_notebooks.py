"""Notebook hygiene and anatomy: clean (no outputs), badge/setup in sync, in the toc, complete.

nbval runs the notebooks themselves (pytest collects chapters/*.ipynb with --nbval-lax).
"""

import json
import re
from pathlib import Path

import pytest
import yaml

from tools import nbsync

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = nbsync.chapters()


def _toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [c["file"] for part in toc["parts"] for c in part["chapters"]]


def test_there_are_chapters():
    assert len(CHAPTERS) >= 3


def test_every_chapter_is_in_the_toc_and_every_toc_entry_exists():
    toc = _toc_files()
    for nb in CHAPTERS:
        assert f"chapters/{nb.stem}" in toc, f"{nb.name} is missing from _toc.yml"
    for entry in toc:
        assert any((ROOT / f"{entry}{ext}").exists() for ext in (".ipynb", ".md")), entry


@pytest.mark.parametrize("nb_path", CHAPTERS, ids=lambda p: p.stem)
def test_committed_clean_and_in_sync(nb_path):
    assert nbsync.problems(nb_path) == []


@pytest.mark.parametrize("nb_path", CHAPTERS, ids=lambda p: p.stem)
def test_anatomy(nb_path):
    nb = json.loads(nb_path.read_text())
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    md = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    first = "".join(nb["cells"][0]["source"])
    assert re.match(r"# [A-Z]", first) and not re.match(r"# \d", first), "title without a number"
    assert re.search(r"run time", md, re.I), "state the expected run time"
    assert "show_source(" in code, "show the lib code that runs"
    assert "import keras" in code or "from keras" in code, "the Keras twin"
    assert "assert_allclose" in code, "assert that NumPy and Keras agree"
    assert "nnbook.data" in code or "data.load(" in code, "real data from nnbook.data"
    assert "interact(" in code, "at least one slider"
    assert len(re.findall(r"^#+ .*Exercise", md, re.M)) >= 3, "at least three exercises"
    assert re.search(r"check\(\"ch\d\d\.", code), "an auto-checked exercise"
    assert re.search(r"^#+ Summary", md, re.M) and re.search(r"^#+ References", md, re.M)
    assert "{cite" in md, "cite references.bib"
    for cell in nb["cells"]:
        tags = cell.get("metadata", {}).get("tags", [])
        if cell["cell_type"] == "code" and "check(" in "".join(cell["source"]) \
                and "hide-cell" in tags:
            assert re.search(r"assert check\(", "".join(cell["source"])), \
                "a solution cell asserts that the checker accepts it"


@pytest.mark.parametrize("nb_path", CHAPTERS, ids=lambda p: p.stem)
def test_every_cell_has_its_own_id(nb_path):
    """nbformat 4.5 cells carry an id (newer nbformat versions refuse a cell without one)."""
    ids = [cell.get("id") for cell in json.loads(nb_path.read_text())["cells"]]
    assert all(ids) and len(set(ids)) == len(ids), [i for i, c in enumerate(ids) if not c]


@pytest.mark.parametrize("nb_path", CHAPTERS, ids=lambda p: p.stem)
def test_each_solution_is_written_once_in_the_lib(nb_path):
    """A checked exercise's hidden solution cell takes its function from solution(...), which shows
    the lib's reference: no second copy of it in the chapter."""
    for cell in json.loads(nb_path.read_text())["cells"]:
        code = "".join(cell["source"])
        found = re.search(r'assert check\("([\w.]+)", (\w+)\)', code)
        if found and "hide-cell" in cell["metadata"].get("tags", []):
            exid, name = found.groups()
            assert f'{name} = solution("{exid}")' in code, exid
            assert not re.search(rf"^def {name}\(", code, re.M), f"{exid} is written twice"


@pytest.mark.parametrize("nb_path", CHAPTERS, ids=lambda p: p.stem)
def test_hidden_cells_hide_their_output_too(nb_path):
    """`hide-input` folds away only the code: a solution's output (its "passed", its numbers)
    would still show under the closed toggle. Hidden cells use `hide-cell`, code and output."""
    nb = json.loads(nb_path.read_text())
    for cell in nb["cells"]:
        tags = cell.get("metadata", {}).get("tags", [])
        assert "hide-input" not in tags and "hide-output" not in tags, \
            f"{nb_path.name}: use hide-cell, not {tags}:\n{''.join(cell['source'])[:120]}"


@pytest.mark.parametrize("nb_path", CHAPTERS, ids=lambda p: p.stem)
def test_one_import_cell_of_the_same_shape(nb_path):
    """The cell after setup imports everything (Keras, NumPy, matplotlib, the reader's kit from
    `nnbook`, the engine from `nnbook.engine`, experiments from `nnbook.lab`); no later cell
    imports nnbook, and nothing imports the old flat module names."""
    nb = json.loads(nb_path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    cell = "".join(code[1]["source"])
    statements = [line for line in cell.splitlines() if line.strip() and not line.startswith(" ")]
    assert all(re.match(r"(import |from \S+ import |print\()", line) for line in statements), cell
    for needed in ("import keras", "import numpy as np", "import matplotlib.pyplot as plt",
                   "from nnbook import Slider, check, data, interact, show_source"):
        assert needed in cell, f"the import cell lacks {needed!r}"
    for line in re.findall(r"^from nnbook\S* import .*|^import nnbook.*", cell, re.M):
        assert re.match(r"from nnbook(\.engine(\.\w+)?|\.lab)? import |from nnbook import plots$", line), line
    for c in code[2:]:
        assert not re.search(r"^\s*(from|import) nnbook", "".join(c["source"]), re.M), \
            f"{nb_path.name}: a later cell imports nnbook:\n{''.join(c['source'])[:200]}"


@pytest.mark.parametrize("nb_path", CHAPTERS, ids=lambda p: p.stem)
def test_figures_have_captions_or_alt_text(nb_path):
    nb = json.loads(nb_path.read_text())
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        if cell["cell_type"] == "code" and "plt.show()" in src:
            meta = cell["metadata"].get("mystnb", {})
            assert meta.get("figure", {}).get("caption") or meta.get("image", {}).get("alt"), \
                f"{nb_path.name}: figure cell without caption/alt text:\n{src[:200]}"


def test_sync_detects_drift(tmp_path):
    nb_path = CHAPTERS[0]
    nb = json.loads(nb_path.read_text())
    for cell in nb["cells"]:
        if nbsync.SETUP_TAG in cell["metadata"].get("tags", []):
            cell["source"] = ["import nnbook\n"]
        if cell["cell_type"] == "code":
            cell["execution_count"] = 3
    fake = ROOT / "chapters" / "_drift_probe.ipynb"
    fake.write_text(json.dumps(nb))
    try:
        found = nbsync.problems(fake)
        assert any("out of sync" in p for p in found) and any("outputs" in p for p in found)
        nbsync.sync_notebook(fake)
        assert nbsync.problems(fake) == []
    finally:
        fake.unlink()


def test_repository_setting_is_valid(tmp_path):
    url, branch = nbsync.repository()
    assert url.startswith("https://github.com/") and branch
    bad = tmp_path / "_config.yml"
    bad.write_text("repository:\n  url: not-a-url\n")
    with pytest.raises(ValueError, match="repository.url"):
        nbsync.repository(bad)
