"""The static site in headless Chromium with every request that leaves 127.0.0.1 blocked: no page
tries one, the maths is typeset, every image loads, every slider reaches both ends and its view
follows, and hidden cells stay hidden.

Needs the built site: NNBOOK_SITE names its folder (default `_build/html`, built here by
`jupyter-book` if it lacks a chapter page). Needs Debian's `chromium` (driven through Playwright;
no browser is downloaded). Without Chromium the test is skipped, unless NNBOOK_REQUIRE_BROWSER=1
(set by CI), when it fails.
"""

import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tools import nbsync

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SITE = ROOT / "_build" / "html"
SITE = Path(os.environ.get("NNBOOK_SITE", DEFAULT_SITE))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-sync",
         "--disable-component-update", "--no-first-run", "--disable-quic"]
# sphinx-book-theme and sphinx-thebe both declare this constant; not ours, harmless to readers.
KNOWN_THEME_ERRORS = ("THEBE_JS_URL",)
# URL prefixes a page may try although they are blocked. None: a page must not depend on the network
# (the theme's Colab/Binder/GitHub buttons are links, which fetch nothing until clicked).
ALLOWED_REMOTE = ()
CHAPTERS = [nb.stem for nb in nbsync.chapters()]


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site_url():
    if CHROMIUM is None:
        if os.environ.get("NNBOOK_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium is not installed (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    missing = [c for c in CHAPTERS if not (SITE / "chapters" / f"{c}.html").exists()]
    if missing and SITE == DEFAULT_SITE:
        jb = Path(sys.executable).parent / "jupyter-book"
        subprocess.run([str(jb), "build", str(ROOT), "--builder", "html"], check=True,
                       capture_output=True)
    elif missing:
        pytest.fail(f"NNBOOK_SITE={SITE} lacks {missing}")
    handler = functools.partial(Quiet, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


def is_local(url):
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or parts.hostname == "127.0.0.1"


def offline_context(site_url, browser, **options):
    """A browser context (Playwright `new_context(**options)`) and `open(chapter)` -> the loaded
    page, with every non-local request aborted and recorded in `page.blocked`, and uncaught script
    errors in `page.errors`."""
    context = browser.new_context(**options)
    blocked = []

    def route(r):
        if is_local(r.request.url):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)

    def open_chapter(chapter):
        page = context.new_page()
        page.blocked, page.errors = blocked, []
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.goto(f"{site_url}/chapters/{chapter}.html", wait_until="load")
        return page

    return context, open_chapter


@pytest.fixture
def offline_page(site_url, browser):
    context, open_chapter = offline_context(site_url, browser)
    yield open_chapter
    context.close()


@pytest.fixture
def phone_page(site_url, browser):
    """As `offline_page`, on a phone's screen: 390 x 844 CSS pixels."""
    context, open_chapter = offline_context(site_url, browser, viewport={"width": 390, "height": 844})
    yield open_chapter
    context.close()


def typeset(page):
    """Wait for MathJax to finish; return what each maths element of the page became."""
    if page.locator(".math").count() == 0:
        return []
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function("() => window.MathJax && typeof MathJax.typesetPromise === 'function'"
                               " && MathJax.startup && MathJax.startup.promise", timeout=15_000)
    except PlaywrightTimeout:
        pytest.fail(f"MathJax did not start within 15 s; requests blocked: {page.blocked}")
    page.evaluate("() => MathJax.startup.promise")
    return page.evaluate("""() => [...document.querySelectorAll('.math')].map(el => ({
        rendered: el.querySelector('mjx-container') !== null,
        error: el.querySelector('mjx-merror') !== null,
        text: el.textContent.slice(0, 80)}))""")


# Visible prose text (code blocks, scripts and typeset maths excluded), to look for raw TeX.
VISIBLE_TEXT = """() => {
  const walker = document.createTreeWalker(document.querySelector('main') || document.body,
                                           NodeFilter.SHOW_TEXT);
  const out = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest('pre, code, script, style, mjx-container, mjx-assistive-mml')) continue;
    if (el.checkVisibility && !el.checkVisibility()) continue;
    out.push(n.textContent);
  }
  return out.join(' ');
}"""


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_reads_offline(offline_page, chapter):
    page = offline_page(chapter)
    maths = typeset(page)
    assert maths, "the chapter has no formula: is the page empty?"
    raw = [m["text"] for m in maths if not m["rendered"]]
    assert not raw, f"{len(raw)} formulas were not typeset, e.g. {raw[:3]}"
    errors = [m["text"] for m in maths if m["error"]]
    assert not errors, f"MathJax could not typeset {errors[:3]}"
    text = page.evaluate(VISIBLE_TEXT)
    for tex in ("\\(", "\\)", "\\[", "$$"):
        assert tex not in text, f"raw {tex} in the visible text: ...{text[text.find(tex) - 60:][:120]}..."
    images = page.evaluate("""() => [...document.images].map(img => ({
        src: img.currentSrc.slice(0, 80), ok: img.complete && img.naturalWidth > 0}))""")
    assert images, "the chapter shows no image"
    broken = [i["src"] for i in images if not i["ok"]]
    assert not broken, f"images that did not load: {broken}"
    remote = [u for u in page.blocked if not any(u.startswith(ok) for ok in ALLOWED_REMOTE)]
    assert not remote, f"the page tried to reach the network: {remote}"
    ours = [e for e in page.errors if not any(k in e for k in KNOWN_THEME_ERRORS)]
    assert not ours, ours


def slider_state(slider):
    """(readouts, frame HTML, whether its images loaded, their alt texts) of one slider."""
    return slider.evaluate("""root => {
        const frame = root.querySelector('.nnbook-frame');
        const imgs = [...frame.querySelectorAll('img')];
        return [[...root.querySelectorAll('output')].map(o => o.textContent), frame.innerHTML,
                imgs.every(i => i.complete && i.naturalWidth > 0), imgs.map(i => i.alt)];
    }""")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_slider_reaches_both_ends_and_its_named_values(offline_page, chapter):
    page = offline_page(chapter)
    sliders = page.locator(".nnbook-slider")
    assert sliders.count() >= 1, "the chapter shows no slider on the static site"
    for s in range(sliders.count()):
        slider = sliders.nth(s)
        slider.scroll_into_view_if_needed()
        names = slider.locator(".nnbook-controls label > span").all_text_contents()
        inputs = slider.locator("input.nnbook-range")
        for k in range(inputs.count()):
            rng = inputs.nth(k)
            labels = json.loads(rng.get_attribute("data-labels"))
            views = []
            for end in (0, len(labels) - 1):
                rng.fill(str(end))  # sets the value and fires `input`, as dragging does
                page.wait_for_timeout(50)  # let a data: image decode before reading its size
                readouts, view, loaded, alts = slider_state(slider)
                where = f"slider {s} ({names[k]}) at {labels[end]}"
                assert readouts[k] == labels[end], f"{where}: the readout shows {readouts[k]}"
                assert loaded, f"{where}: the frame's image did not load"
                for alt in alts:  # a figure's alt text names the values it was drawn for
                    for name, value in zip(names, readouts):
                        assert f"{name} = {value}" in alt, f"{where}: frame drawn for {alt!r}"
                views.append(view)
            assert views[0] != views[1], f"slider {s} ({names[k]}): both ends show the same figure"
            for value in json.loads(rng.get_attribute("data-named")):  # its start and `keep` values
                assert value in labels, f"slider {s} ({names[k]}): no frame at {value}, named by the text"
                rng.fill(str(labels.index(value)))
                page.wait_for_timeout(50)
                readouts, _, loaded, alts = slider_state(slider)
                assert readouts[k] == value and loaded, f"slider {s} ({names[k]}) at {value}"
                assert all(f"{names[k]} = {value}" in alt for alt in alts), alts
    page.screenshot(path=str(SITE.parent / f"slider-{chapter}.png"))
    ours = [e for e in page.errors if not any(k in e for k in KNOWN_THEME_ERRORS)]
    assert not ours, ours


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_hidden_cells_keep_code_and_output_hidden(offline_page, chapter):
    """Solutions and the setup cell sit behind a closed toggle: neither their code nor their output
    (a solution's "passed", its numbers) is visible until the reader opens it."""
    page = offline_page(chapter)
    hidden = page.locator("div.cell.tag_hide-cell")
    assert hidden.count() >= 2, "expected the setup cell and at least one solution behind toggles"
    for k in range(hidden.count()):
        cell = hidden.nth(k)
        for part in ("div.cell_input", "div.cell_output"):
            for j in range(cell.locator(part).count()):
                assert not cell.locator(part).nth(j).is_visible(), \
                    f"cell {k} of {chapter}: its {part} shows under the closed toggle"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_on_a_phone_the_page_does_not_scroll_sideways(phone_page, chapter):
    """Wide code and outputs scroll inside their own boxes; nothing else (a long inline literal, a
    table, a figure) may make the whole page wider than the screen."""
    page = phone_page(chapter)
    page.wait_for_timeout(500)
    wide = page.evaluate("""() => {
        const W = document.documentElement.clientWidth, out = [];
        for (const el of document.querySelectorAll('article *')) {   // the culprits, for the message
            const r = el.getBoundingClientRect();
            if (r.width === 0 || r.right <= W + 1) continue;
            let box = el.parentElement, inside = false;   // inside a box that scrolls on its own?
            for (; box && !inside; box = box.parentElement) {
                inside = getComputedStyle(box).overflowX !== 'visible'
                         && box.getBoundingClientRect().right <= W + 1;
            }
            if (!inside) out.push(el.tagName.toLowerCase() + ' ' + el.textContent.trim().slice(0, 60));
        }
        return [document.documentElement.scrollWidth, W, out.slice(0, 5)];
    }""")
    scroll_width, width, culprits = wide
    assert scroll_width <= width, f"the page is {scroll_width} px wide on a {width} px screen: {culprits}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_no_output_box_is_empty(offline_page, chapter):
    """A cell's printed text shows in one box: a stream flushed in pieces must not leave an empty
    box behind it (MyST-NB's `nb_merge_streams`)."""
    page = offline_page(chapter)
    empty = page.evaluate("""() => [...document.querySelectorAll('div.cell_output div.output')]
        .filter(o => o.checkVisibility() && o.querySelector('pre')   // text, not a figure or a table
                     && o.querySelector('pre').textContent.trim() === '')
        .map(o => o.closest('div.cell').querySelector('div.cell_input')?.textContent.trim().slice(0, 60))""")
    assert not empty, f"{len(empty)} empty output boxes, after cells starting {empty[:3]}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_figure_opens_at_full_size(offline_page, chapter):
    """Each figure of a cell's output links to its own image file (`_static/nnbook.js`), which
    loads and is at least as wide as the figure is shown; slider frames are not links."""
    page = offline_page(chapter)
    figures = page.evaluate("""() => [...document.querySelectorAll('div.cell_output img')]
        .filter(img => !img.getAttribute('src').startsWith('data:'))
        .map(img => ({src: img.currentSrc, href: img.closest('a.nnbook-full-size')?.href ?? null,
                      natural: img.naturalWidth, shown: img.getBoundingClientRect().width}))""")
    unlinked = [f["src"] for f in figures if f["href"] != f["src"]]
    assert not unlinked, f"figures without a full-size link: {unlinked[:3]}"
    for f in figures[:3]:
        response = page.request.get(f["href"])
        assert response.ok and response.headers["content-type"] == "image/png", f["href"]
    assert all(f["natural"] >= f["shown"] - 1 for f in figures if f["shown"]), figures
    frames = page.evaluate("""() => [...document.querySelectorAll('div.cell_output img')]
        .filter(img => img.getAttribute('src').startsWith('data:') && img.closest('a'))
        .length""")
    assert frames == 0
