"""Make data/corpus.txt: the prose of the book's chapters 1-9, frozen, for chapter 11's character
model.

The text is read from the notebooks as they stood at commit `SOURCE_COMMIT` (with `git show`), so
the corpus does not change when a chapter's prose is edited later. Only markdown cells are kept
(not the Colab badge); formulas, citations, directives, links and markup are dropped, paragraphs
become one line each, and a few non-ASCII characters are spelt in ASCII (others are dropped).

Run from anywhere: `python data/make_corpus.py [output path]` (default: data/corpus.txt), then
update `CHECKSUMS` in lib/nnbook/book/data.py and the table in data/README.md with the sha256 it
prints.
"""

import json
import re
import subprocess
from pathlib import Path

SOURCE_COMMIT = "1a1ca2f"
CHAPTERS = ["01_neural_networks", "02_perceptron", "03_activations", "04_backpropagation",
            "05_losses", "06_deep_networks", "07_optimizers", "08_regularization", "09_tuning"]
ASCII = {"\u2013": "-", "\u2014": "-", "\u2212": "-", "\u00d7": "x", "\u2019": "'", "\u2018": "'",
         "\u201c": '"', "\u201d": '"', "\u2026": "...", "\u00e9": "e", "\u00a0": " ", "\u2192": "->"}


def notebook_at(commit, chapter):
    """The notebook chapters/<chapter>.ipynb as it was at `commit`, parsed."""
    here = Path(__file__).resolve().parent
    shown = subprocess.run(["git", "show", f"{commit}:chapters/{chapter}.ipynb"], cwd=here,
                           check=True, capture_output=True)
    return json.loads(shown.stdout)


def prose(markdown):
    """The running text of one markdown cell: paragraphs, one per line."""
    text = re.sub(r"\$\$.*?\$\$", " ", markdown, flags=re.S)  # display formulas
    text = re.sub(r"\$[^$]+\$", " ", text)  # inline formulas (they may break across lines)
    text = re.sub(r"\{cite:\w+\}`[^`]*`", " ", text)  # citations
    text = re.sub(r"\{\w+\}`([^`]*)`", r"\1", text)  # other roles keep their text
    text = re.sub(r"^\s*(:::|```).*$", " ", text, flags=re.M)  # directive fences
    text = re.sub(r"^\s*:\w+:.*$", " ", text, flags=re.M)  # directive options
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links and images keep their text
    text = re.sub(r"^\s*(#+|[-*]|\d+\.)\s+", "", text, flags=re.M)  # headings, list marks
    text = re.sub(r"[*_`|]", "", text)  # emphasis, code and table marks
    text = "".join(ASCII.get(c, c) for c in text)
    text = "".join(c for c in text if c == "\n" or 32 <= ord(c) < 127)
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    return "\n".join(p for p in paragraphs if len(p) > 40 and "---" not in p)  # no headings, tables


def corpus():
    cells = [prose("".join(cell["source"])) for chapter in CHAPTERS
             for cell in notebook_at(SOURCE_COMMIT, chapter)["cells"]
             if cell["cell_type"] == "markdown" and "nnbook-badge" not in cell["metadata"].get("tags", [])]
    text = "\n".join(c for c in cells if c)
    return re.sub(r" +([,.;:)])", r"\1", text) + "\n"


if __name__ == "__main__":
    import hashlib
    import sys

    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("corpus.txt")
    out.write_text(corpus(), encoding="utf-8", newline="\n")
    print(out, out.stat().st_size, "bytes, sha256", hashlib.sha256(out.read_bytes()).hexdigest())
