"""The site works with no network: tools/offline_site.py on a tiny Sphinx project, and the built
chapter pages (their weight and what they would fetch). The browser half is test_browser.py.

The built-site tests read NNBOOK_SITE (default `_build/html`) and are skipped when it has no
chapter pages, unless NNBOOK_REQUIRE_BROWSER=1 (CI), when they fail.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tools import nbsync, offline_site

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(os.environ.get("NNBOOK_SITE", ROOT / "_build" / "html"))
# A tag that makes the browser fetch something: script/img/iframe/source src, stylesheet/icon href.
FETCHING = re.compile(r'<(?:script|img|iframe|source|audio|video|embed)\b[^>]*\ssrc="([^"]+)"'
                      r'|<link\b[^>]*\shref="([^"]+)"', re.I)

STATE = {"version_major": 2, "version_minor": 0,
         "state": {"abc123": {"model_name": "IntSliderModel", "model_module": "@jupyter-widgets/controls",
                              "model_module_version": "2.0.0", "state": {"value": 3}}}}


def tiny_project(tmp_path):
    """A one-notebook Sphinx project configured as _config.yml configures the book."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(
        'extensions = ["myst_nb", "tools.offline_site"]\n'
        'nb_execution_mode = "off"\n'
        'myst_enable_extensions = ["dollarmath"]\n'
        'nb_mime_priority_overrides = [["html", "text/html", 5]]\n'
        'html_theme = "basic"\n'
    )
    (src / "index.md").write_text("# Tiny\n\n```{toctree}\npage\n```\n")
    nb = nbformat.v4.new_notebook()
    nb.metadata["widgets"] = {offline_site.WIDGET_STATE_MIMETYPE: STATE}
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    badge = nbsync.badge_source("https://github.com/o/r", "main", "page.ipynb")
    code = nbformat.v4.new_code_cell("view")
    code.outputs = [nbformat.v4.new_output("display_data", data={
        "application/vnd.jupyter.widget-view+json": {"version_major": 2, "version_minor": 0,
                                                     "model_id": "abc123"},
        "text/html": '<div class="fallback">precomputed frame</div>',
        "text/plain": "<slider view>"})]
    nb.cells = [nbformat.v4.new_markdown_cell(badge),
                nbformat.v4.new_markdown_cell("# Page\n\nInline $x^2$ and\n\n$$y = 2x$$\n"), code]
    nbformat.write(nb, src / "page.ipynb")
    return src


def build(src, out, *extra):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-q", *extra, str(src), str(out)],
                          env=env, capture_output=True, text=True)


def test_extension_serves_mathjax_locally_and_drops_widget_state(tmp_path):
    src = tiny_project(tmp_path)
    result = build(src, tmp_path / "out", "-W")
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "out" / "page.html").read_text()
    fetched = [a or b for a, b in FETCHING.findall(page)]
    assert not [u for u in fetched if u.startswith(("http:", "https:", "//"))], fetched
    mathjax = [u for u in fetched if "mathjax" in u.lower()]
    assert mathjax == ["_static/mathjax/tex-chtml.js"], mathjax
    assert (tmp_path / "out" / "_static" / "mathjax" / "tex-chtml.js").stat().st_size > 100_000
    # the fonts MathJax's CommonHTML output asks for sit beside it
    assert list((tmp_path / "out" / "_static" / "mathjax" / "output" / "chtml" / "fonts").rglob("*.woff"))
    assert offline_site.WIDGET_STATE_MIMETYPE not in page and "abc123" not in page
    assert "require.min.js" not in page and "html-manager" not in page
    assert '<div class="fallback">precomputed frame</div>' in page  # the slider's fallback stays
    assert offline_site.COLAB_BADGE not in page
    assert re.search(r'<a [^>]*href="https://colab\.research\.google\.com/[^"]*page\.ipynb"[^>]*>'
                     r'Open In Colab</a>', page), "the badge should become a text link to Colab"


def test_without_the_extension_the_page_would_need_the_network(tmp_path):
    """The control: the same project without tools.offline_site fetches from CDNs and embeds the
    state, so the test above sees the extension's work and not a quiet default."""
    src = tiny_project(tmp_path)
    conf = src / "conf.py"
    conf.write_text(conf.read_text().replace(', "tools.offline_site"', ""))
    result = build(src, tmp_path / "out")
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "out" / "page.html").read_text()
    assert offline_site.WIDGET_STATE_MIMETYPE in page and "require.min.js" in page
    assert "cdn.jsdelivr.net/npm/mathjax" in page and offline_site.COLAB_BADGE in page


def test_a_remote_image_fails_the_build(tmp_path):
    src = tiny_project(tmp_path)
    (src / "index.md").write_text("# Tiny\n\n![a chart](https://example.org/chart.png)\n\n"
                                  "```{toctree}\npage\n```\n")
    result = build(src, tmp_path / "out", "-W")
    assert result.returncode != 0 and "remote image https://example.org/chart.png" in result.stderr


def chapter_pages():
    pages = [SITE / "chapters" / f"{nb.stem}.html" for nb in nbsync.chapters()]
    if not all(p.exists() for p in pages):
        if os.environ.get("NNBOOK_REQUIRE_BROWSER") == "1":
            pytest.fail(f"the site in {SITE} is not built (python3 book.py site)")
        pytest.skip(f"the site in {SITE} is not built (python3 book.py site)")
    return pages


def page_weights_kb():
    """`{chapter stem: KB}` of each built chapter page (the HTML file; its images are inline)."""
    return {p.stem: p.stat().st_size / 1000 for p in chapter_pages()}


def test_each_chapter_page_fits_the_budget():
    heavy = {name: round(kb) for name, kb in page_weights_kb().items() if kb > offline_site.PAGE_BUDGET_KB}
    assert not heavy, f"chapter pages over {offline_site.PAGE_BUDGET_KB} KB: {heavy}"


def test_chapter_pages_fetch_nothing_remote_and_carry_no_widget_state():
    for page in chapter_pages():
        html = page.read_text()
        remote = [a or b for a, b in FETCHING.findall(html) if (a or b).startswith(("http", "//"))]
        assert not remote, f"{page.name} fetches {remote}"
        assert offline_site.WIDGET_STATE_MIMETYPE not in html, f"{page.name} embeds widget state"
        assert "_static/mathjax/" in html, f"{page.name} does not load the site's own MathJax"
        # the static site keeps one view per slider: the precomputed fallback
        assert html.count('class="nnbook-slider"') >= 1 and "widget-view+json" not in html


# a printed output's text in the HTML: what a Markdown output would show if left unrendered
OUTPUT_TEXT = re.compile(r'<div class="cell_output docutils container">\s*<p>(.*?)</p>', re.S)


def test_markdown_outputs_are_rendered_with_their_maths_and_tables():
    """A chapter's `display(Markdown(...))` is parsed as MyST (nb_render_markdown_format): its
    $...$ becomes maths and its | a | b | rows a table, as in Jupyter, instead of literal text."""
    for page in chapter_pages():
        for text in OUTPUT_TEXT.findall(page.read_text()):
            raw_maths = re.search(r"(?<![\\$])\$[^$\s][^$]*\$", text)
            assert not raw_maths, f"{page.name}: raw maths in {text[:80]!r}"
            assert not re.search(r"^\|.*\|$", text, re.M), f"{page.name}: a raw table in {text[:80]!r}"


def test_site_ships_mathjax():
    chapter_pages()
    bundle = SITE / "_static" / "mathjax"
    assert (bundle / "tex-chtml.js").exists()
    assert list((bundle / "output" / "chtml" / "fonts").rglob("*.woff"))
