"""The static site: headless Chromium moves each chapter's first slider and the view changes.

Needs the built site (`python3 book.py site`; built here if missing) and Debian's `chromium`
(driven through Playwright; no browser is downloaded). Without Chromium the test is skipped,
unless NNBOOK_REQUIRE_BROWSER=1 (set by CI), when it fails.
"""

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tools import nbsync

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "_build" / "html"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-sync",
         "--disable-component-update", "--no-first-run", "--disable-quic"]
# sphinx-book-theme and sphinx-thebe both declare this constant; not ours, harmless to readers.
KNOWN_THEME_ERRORS = ("THEBE_JS_URL",)


@pytest.fixture(scope="module")
def site_url():
    if CHROMIUM is None:
        if os.environ.get("NNBOOK_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium is not installed (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    missing = [nb for nb in nbsync.chapters() if not (SITE / "chapters" / f"{nb.stem}.html").exists()]
    if missing:
        jb = Path(sys.executable).parent / "jupyter-book"
        subprocess.run([str(jb), "build", str(ROOT), "--builder", "html"], check=True,
                       capture_output=True)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(SITE))
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


@pytest.mark.parametrize("chapter", [nb.stem for nb in nbsync.chapters()])
def test_moving_a_slider_changes_the_view(site_url, browser, chapter):
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{site_url}/chapters/{chapter}.html")
    sliders = page.locator(".nnbook-slider")
    assert sliders.count() >= 1, "the chapter shows no slider on the static site"
    slider = sliders.first
    slider.scroll_into_view_if_needed()
    frame = slider.locator(".nnbook-frame")
    rng = slider.locator("input.nnbook-range").first
    readout = slider.locator("output").first
    before_view, before_value = frame.inner_html(), readout.text_content()
    last = int(rng.get_attribute("max"))
    target = 0 if int(rng.input_value()) != 0 else last
    rng.fill(str(target))  # sets the value and fires `input`, as dragging does
    after_view, after_value = frame.inner_html(), readout.text_content()
    assert after_value != before_value, "the value readout did not change"
    assert after_view != before_view, "the figure did not change"
    page.screenshot(path=str(SITE.parent / f"slider-{chapter}.png"))
    ours = [e for e in errors if not any(k in e for k in KNOWN_THEME_ERRORS)]
    assert not ours, ours
    page.close()


@pytest.mark.parametrize("chapter", [nb.stem for nb in nbsync.chapters()])
def test_hidden_cells_keep_code_and_output_hidden(site_url, browser, chapter):
    """Solutions and the setup cell sit behind a closed toggle: neither their code nor their output
    (a solution's "passed", its numbers) is visible until the reader opens it."""
    page = browser.new_page()
    page.goto(f"{site_url}/chapters/{chapter}.html")
    hidden = page.locator("div.cell.tag_hide-cell")
    assert hidden.count() >= 2, "expected the setup cell and at least one solution behind toggles"
    for k in range(hidden.count()):
        cell = hidden.nth(k)
        for part in ("div.cell_input", "div.cell_output"):
            for j in range(cell.locator(part).count()):
                assert not cell.locator(part).nth(j).is_visible(), \
                    f"cell {k} of {chapter}: its {part} shows under the closed toggle"
    page.close()
