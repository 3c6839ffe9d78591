"""Chapters executed by `book.py site` and not run again: their executed copies must show a
complete, clean run of exactly the committed notebook, in this environment.

`conftest.py` leaves a chapter out of nbval only when `book.py test` asked for reuse and the copy's
stamp equals the current inputs (tools/execute.py); every other chapter runs through nbval, and
its test here is skipped.
"""

import json

import pytest

from tools import execute

CHAPTERS = execute.chapters()


@pytest.mark.parametrize("notebook", CHAPTERS, ids=[nb.stem for nb in CHAPTERS])
def test_executed_copy_is_a_complete_clean_run(notebook):
    if not (execute.reuse_executed() and execute.is_current(notebook)):
        pytest.skip("no current executed copy: this chapter runs through nbval")
    source = json.loads(notebook.read_text())
    ran = json.loads(execute.executed_path(notebook).read_text())
    code = [c for c in source["cells"] if c["cell_type"] == "code"]
    done = [c for c in ran["cells"] if c["cell_type"] == "code"]
    assert ["".join(c["source"]) for c in done] == ["".join(c["source"]) for c in code]
    assert [c["execution_count"] for c in done] == list(range(1, len(code) + 1)), \
        "some cells were not executed, or not in order"
    errors = [(i, o.get("ename")) for i, c in enumerate(done) for o in c["outputs"]
              if o["output_type"] == "error"]
    assert not errors, f"cells raised: {errors}"


def test_stamp_changes_with_the_inputs(tmp_path, monkeypatch):
    """The stamp must change when the notebook, the lib, the data or the environment changes, or
    a stale run would pass."""
    for folder in execute.STAMP_SOURCES:
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "lib" / "m.py").write_text("x = 1\n")
    nb = tmp_path / "ch.ipynb"
    nb.write_text("{}")
    monkeypatch.setattr(execute, "ROOT", tmp_path)
    before = execute.inputs_digest(nb)
    assert execute.inputs_digest(nb) == before
    changes = [lambda: nb.write_text("{ }"),
               lambda: (tmp_path / "lib" / "m.py").write_text("x = 2\n"),
               lambda: (tmp_path / "data" / "d.npz").write_bytes(b"0"),
               lambda: monkeypatch.setattr(execute, "environment_stamp", lambda: "another venv")]
    seen = {before}
    for change in changes:
        change()
        seen.add(execute.inputs_digest(nb))
    assert len(seen) == len(changes) + 1
