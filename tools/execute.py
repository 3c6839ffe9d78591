"""Execute the chapters once, in parallel, for the site and for the tests (a maintainer tool).

`python3 book.py site` runs `execute_all()`: every chapter runs top to bottom in a fresh kernel
(with the network guard and `NNBOOK_STATIC_SITE=1`, so sliders are made as the site's static
frames: `nnbook.book.widgets`), two at a time, and its executed copy is written to
`_build/executed/chapters/` with

* the time of every cell (`metadata.execution`, recorded by nbclient) and a summary of them in
  `_build/executed/timings.json`, so a slow cell can be traced in the CI log;
* a stamp (`metadata.nnbook.inputs`): the sha256 of everything the run depended on, namely the
  notebook, `lib/`, `data/`, the network guard and the installed environment. See `inputs_digest`.

A cell that raises (a failed assertion included) stops that chapter and fails the build. The site
is then rendered from the executed copies without executing again, and `pytest` skips running a
chapter through nbval when its executed copy carries the current stamp: it checks the copy instead
(`tests/chapters/test_executed.py`). So each chapter runs once per environment.
"""

import concurrent.futures
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXECUTED = ROOT / "_build" / "executed"
CELL_TIMEOUT = 120  # seconds; no cell of a chapter takes 60. The kernel gets NNBOOK_STATIC_SITE=1, so
# sliders draw their static frames and open no widget: after a cell that opened one, nbclient sometimes
# got the reply only when this timeout expired (nbclient#312; the WAITED lines of the CI log).
STAMP_SOURCES = ["lib", "data", "tests/netguard"]


def chapters():
    """The chapter notebooks (every `chapters/*.ipynb`, in file order: `nbsync.chapters`)."""
    from tools import nbsync

    return nbsync.chapters()


def environment_stamp():
    """What identifies the installed environment: the interpreter, and the digest `book.py` writes
    when it installs the pinned requirements into the venv."""
    stamp = Path(sys.prefix) / ".nnbook-installed"
    installed = stamp.read_text() if stamp.exists() else "not installed by book.py"
    return f"{sys.version}|{sys.prefix}|{installed}"


def inputs_digest(notebook):
    """sha256 of everything a chapter's run depends on: the notebook's bytes, every file under
    `lib/`, `data/` and `tests/netguard/` (caches excluded), and `environment_stamp()`."""
    h = hashlib.sha256()
    h.update(Path(notebook).read_bytes())
    for folder in STAMP_SOURCES:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                h.update(str(path.relative_to(ROOT)).encode())
                h.update(path.read_bytes())
    h.update(environment_stamp().encode())
    return h.hexdigest()


def executed_path(notebook):
    return EXECUTED / "chapters" / Path(notebook).name


def is_current(notebook):
    """True if `notebook` has an executed copy whose stamp equals `inputs_digest(notebook)` now."""
    try:
        nb = json.loads(executed_path(notebook).read_text())
    except (OSError, ValueError):
        return False
    return nb.get("metadata", {}).get("nnbook", {}).get("inputs") == inputs_digest(notebook)


def reuse_executed():
    """Whether pytest checks current executed copies instead of running them again (set to "1"
    by `book.py test`)."""
    return os.environ.get("NNBOOK_REUSE_EXECUTED") == "1"


def _stamp(cell, key):
    from datetime import datetime

    t = cell.get("metadata", {}).get("execution", {}).get(key)
    return datetime.fromisoformat(t.replace("Z", "+00:00")) if t else None


def cell_seconds(cell):
    """Wall time of an executed code cell from nbclient's timestamps (None if not recorded)."""
    start, end = _stamp(cell, "iopub.execute_input"), _stamp(cell, "shell.execute_reply")
    return (end - start).total_seconds() if start and end else None


def execute_one(notebook):
    """Run `notebook` in a fresh kernel from its own folder; write the executed copy with its
    stamp. Raises nbclient's CellExecutionError if a cell fails."""
    import nbclient
    import nbformat

    notebook = Path(notebook)
    digest = inputs_digest(notebook)
    nb = nbformat.read(notebook, as_version=4)
    start = time.perf_counter()
    nbclient.NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3", record_timing=True,
                            resources={"metadata": {"path": str(notebook.parent)}}
                            ).execute(env=dict(os.environ, NNBOOK_STATIC_SITE="1"))  # frames, no widgets
    nb.metadata["nnbook"] = {"inputs": digest, "seconds": round(time.perf_counter() - start, 2)}
    out = executed_path(notebook)
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out)
    return out


def summary(notebook):
    """{"seconds": total, "cells": [[seconds, cell index, first line], ...] slowest first,
    "waits": [[seconds, cell index], ...]}: "waits" are the pauses longer than 5 s between the
    kernel's reply to one cell and the start of the next (time the client spent, not the kernel)."""
    nb = json.loads(executed_path(notebook).read_text())
    code = [(i, c) for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"]
    cells = [[round(s, 2), i, "".join(c["source"]).partition("\n")[0][:70]]
             for i, c in code if (s := cell_seconds(c)) is not None]
    waits = []
    for (_, before), (i, after) in zip(code, code[1:]):
        end, start = _stamp(before, "shell.execute_reply"), _stamp(after, "iopub.execute_input")
        if end and start and (start - end).total_seconds() > 5:
            waits.append([round((start - end).total_seconds(), 1), i])
    return {"seconds": nb["metadata"]["nnbook"]["seconds"], "cells": sorted(cells, reverse=True),
            "waits": waits}


def execute_all(jobs=None):
    """Execute every chapter, `jobs` at a time (default: NNBOOK_JOBS or 2), each in its own
    process; print each chapter's time and slowest cells; write `timings.json`. Returns the
    number of chapters that failed (their errors are printed)."""
    jobs = int(jobs or os.environ.get("NNBOOK_JOBS", 2))
    notebooks = chapters()
    previous = _previous_times()
    notebooks.sort(key=lambda nb: -previous.get(nb.stem, 60.0))  # longest first packs best

    def run(nb):
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "tools.execute", str(nb)], cwd=ROOT,
                              capture_output=True, text=True)
        return nb, proc, time.perf_counter() - t0

    failed, timings = 0, {}
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        for nb, proc, wall in pool.map(run, notebooks):
            if proc.returncode != 0:
                failed += 1
                print(f"FAILED {nb.name} after {wall:.1f} s\n{proc.stdout[-4000:]}{proc.stderr[-6000:]}",
                      flush=True)
                continue
            t = timings[nb.stem] = summary(nb)
            slow = "; ".join(f"cell {i}: {s:.1f} s ({line})" for s, i, line in t["cells"][:3])
            waits = "".join(f"; WAITED {w:.0f} s before cell {i}" for w, i in t["waits"])
            print(f"executed {nb.name} in {t['seconds']:.1f} s; slowest: {slow}{waits}", flush=True)
    if not failed:
        (EXECUTED / "timings.json").write_text(json.dumps(timings, indent=1))
    return failed


def _previous_times():
    path = EXECUTED / "timings.json"
    try:
        return {k: v["seconds"] for k, v in json.loads(path.read_text()).items()}
    except (OSError, ValueError, KeyError):
        return {}


def stage_book():
    """`_build/staged/`: the book's folder as the site sees it, with the executed chapters in
    place of the committed ones. Everything else is a symlink to the repository (so `_static`,
    local extensions and the bibliography are found as usual); `_config.yml` is a copy that turns
    myst-nb's execution off. Returns the folder."""
    import shutil

    import yaml

    staged = ROOT / "_build" / "staged"
    if staged.exists():
        shutil.rmtree(staged)
    (staged / "chapters").mkdir(parents=True)
    for entry in ROOT.iterdir():
        if entry.name not in {"chapters", "_build", "_config.yml"} and not entry.name.startswith("."):
            (staged / entry.name).symlink_to(entry)
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config.setdefault("execute", {})["execute_notebooks"] = "off"
    (staged / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    for nb in chapters():
        shutil.copy2(executed_path(nb), staged / "chapters" / nb.name)
    return staged


if __name__ == "__main__":
    execute_one(sys.argv[1])
