"""Sphinx extension (wired in `_config.yml`): the built site reads with no network at all.

* Maths: `sphinx-mathjax-offline` ships MathJax 3 and copies it into `_static/mathjax/`;
  `mathjax_path` points there instead of a CDN.
* Sliders: the static site shows each slider's precomputed `text/html` fallback, so nothing on a
  page uses the ipywidgets state that executing a chapter saves in its metadata, nor the
  require.js and widget-manager scripts (from CDNs) that myst-nb adds to render that state. Both
  are left out of every page; Jupyter and Colab keep their live widgets (they never read it).
* Images: the Colab badge (a remote SVG) becomes its alt text, still linking to Colab; any other
  remote image is a build warning (`-W` makes it an error): ship the picture with the book.
"""

from docutils import nodes
from sphinx.util import logging

WIDGET_STATE_MIMETYPE = "application/vnd.jupyter.widget-state+json"
PAGE_BUDGET_KB = 650  # a chapter page's HTML, inline slider frames included (tested, benchmarked)
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"

logger = logging.getLogger(__name__)


def is_widget_script(js, widget_js_urls):
    """True for the saved widget state and for the scripts myst-nb loads to render it."""
    return js.attributes.get("type") == WIDGET_STATE_MIMETYPE or str(js.filename) in widget_js_urls


def drop_widget_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if scripts is not None:
        urls = set(getattr(app.config, "nb_ipywidgets_js", None) or {})
        scripts[:] = [js for js in scripts if not is_widget_script(js, urls)]


def replace_remote_images(app, doctree):
    for image in list(doctree.findall(nodes.image)):
        uri = image.get("uri", "")
        if uri == COLAB_BADGE:
            image.replace_self(nodes.Text(image.get("alt") or "Open in Colab"))
        elif uri.startswith(("http://", "https://", "//")):
            logger.warning(f"remote image {uri}: the site must work offline, ship it with the book",
                           location=image)


def setup(app):
    app.setup_extension("sphinx-mathjax-offline")
    app.connect("doctree-read", replace_remote_images)
    # after myst-nb's own html-page-context handler (priority 500), which adds the widget scripts
    app.connect("html-page-context", drop_widget_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
