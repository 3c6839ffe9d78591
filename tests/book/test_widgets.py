"""The slider mechanism: validation, frame selection, the static fallback and the live widget.

Runs under ipywidgets 8.x directly and under 7.7.1 through tests/test_widgets_ipywidgets7.py.
"""

import base64
import html
import io
import json
import os
import re

import matplotlib
import numpy as np

matplotlib.use("Agg")
import ipywidgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from nnbook.book.widgets import (  # noqa: E402
    PALETTE_COLOURS,
    STATIC_DPI,
    Slider,
    SliderView,
    frame_grid,
    interact,
    palette_webp,
    render_frame,
)

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


@pytest.fixture
def static_site(monkeypatch):
    """Run as `tools/execute.py` runs a chapter for the static site."""
    monkeypatch.setenv("NNBOOK_STATIC_SITE", "1")


def test_expected_ipywidgets_version():
    want = os.environ.get("NNBOOK_EXPECT_IPYWIDGETS")
    if want:
        assert ipywidgets.__version__ == want


def test_slider_values_and_initial():
    s = Slider(0, 1, 0.25, value=0.5)
    assert list(s.values()) == [0, 0.25, 0.5, 0.75, 1.0]
    assert s.initial() == 0.5
    assert Slider(1, 5, 1).is_int and Slider(1, 5, 1).initial() == 3
    assert not Slider(0, 1, 0.1).is_int


@pytest.mark.parametrize(
    "args, kwargs, err, words",
    [
        ((0, 1, 0), {}, ValueError, r"Slider step must lie in \(0, 1\], got 0.0"),
        ((0, 1, 2), {}, ValueError, r"Slider step must lie in \(0, 1\], got 2.0"),  # one position
        ((0, 1, 1e-9), {}, ValueError, "more than 100000 positions; use a step of at least 1e-05"),
        ((1, 0, 0.1), {}, ValueError, "start < stop"),
        ((0, 1, 0.1), {"value": 2}, ValueError, r"Slider value must lie in \[0, 1\], got 2.0"),
        ((0, 1, 0.1), {"value": "0.5"}, TypeError, "Slider value must be a number, got str"),
        ((0, 1, 0.1), {"value": True}, TypeError, "Slider value must be a number, got bool"),
        (("0", 1, 0.1), {}, TypeError, "Slider start must be a number, got str"),
        ((0, True, 0.1), {}, TypeError, "Slider stop must be a number, got bool"),
        ((0, float("inf"), 0.1), {}, ValueError, r"Slider stop must lie in \(-inf, inf\), got inf"),
        ((0, 1, 0.1), {"label": 3}, TypeError, "Slider label must be a string or None"),
        ((0, 1, 0.1), {"fmt": None}, TypeError, "Slider fmt must be a format string"),
        ((0, 1, 0.1), {"fmt": "{:.2f"}, ValueError, "Slider fmt must format one number"),
        ((0, 1, 0.1), {"fmt": "{} {}"}, ValueError, "Slider fmt must format one number"),
    ],
)
def test_slider_rejects_bad_input(args, kwargs, err, words):
    with pytest.raises(err, match=words):
        Slider(*args, **kwargs)


def test_slider_takes_numpy_numbers():
    s = Slider(np.float32(0.0), np.int64(2), np.float32(0.5), value=np.float64(1.0))
    assert list(s.values()) == [0.0, 0.5, 1.0, 1.5, 2.0] and s.initial() == 1.0
    assert Slider(np.int64(1), np.int64(5), np.int64(1)).is_int
    assert len(frame_grid([s], max_frames=np.int64(3))[0]) == 3
    with pytest.raises(TypeError, match="max_frames must be an integer >= 2, got bool"):
        frame_grid([s], max_frames=True)


def test_frame_grid_respects_cap_and_keeps_initial():
    sliders = [Slider(-2, 2, 0.1, value=0.7), Slider(0, 10, 1, value=3), Slider(0, 1, 0.5)]
    grids = frame_grid(sliders, max_frames=30)
    total = 1
    for s, g in zip(sliders, grids):
        total *= len(g)
        assert len(g) >= 2
        assert s.initial() in g
        assert g.min() >= s.start and g.max() <= s.stop
    assert total <= 30


def test_frame_grid_keeps_both_ends_and_the_named_values_and_uses_the_budget():
    # 25 positions, 13 frames asked: 13 given, both ends, the initial value and `keep` among them
    s = Slider(0, 12, 0.5, value=3.5, keep=(2.0, 11.5))
    (grid,) = frame_grid([s], max_frames=13)
    assert len(grid) == 13
    assert {0.0, 12.0, 3.5, 2.0, 11.5} <= set(grid.tolist())
    # the initial value next to an end no longer pushes that end out
    (grid,) = frame_grid([Slider(0, 1, 0.1, value=0.9)], max_frames=3)
    assert grid.tolist() == [0.0, 0.9, 1.0]
    # the frames spread evenly between the required ones
    (grid,) = frame_grid([Slider(0, 8, 1, value=0)], max_frames=5)
    assert grid.tolist() == [0, 2, 4, 6, 8]
    # two sliders: the longer grid gives way first, and the product uses what was asked
    grids = frame_grid([Slider(0, 10, 1, value=0), Slider(0, 2, 1, value=0)], max_frames=12)
    assert [len(g) for g in grids] == [4, 3]


def test_keep_values_must_be_slider_positions():
    with pytest.raises(ValueError, match="keep value 0.3 is not one of the positions"):
        Slider(0, 1, 0.25, keep=(0.3,))
    with pytest.raises(ValueError, match=r"Slider keep value must lie in \[0, 1\]"):
        Slider(0, 1, 0.25, keep=(2,))
    with pytest.raises(TypeError, match="Slider keep must be a tuple"):
        Slider(0, 1, 0.25, keep=0.5)
    with pytest.raises(ValueError, match="need at least 4 frames"):
        frame_grid([Slider(0, 1, 0.25, value=0.5, keep=(0.25,))], max_frames=3)


def test_frame_grid_rejects_impossible_caps():
    with pytest.raises(ValueError, match="max_frames"):
        frame_grid([Slider(0, 1, 0.5)], max_frames=1)
    with pytest.raises(ValueError, match="at least 8"):  # two ends each
        frame_grid([Slider(0, 1, 0.5, value=0)] * 3, max_frames=7)
    with pytest.raises(ValueError, match="at least 27"):  # two ends and a midpoint each
        frame_grid([Slider(0, 1, 0.5)] * 3, max_frames=26)


def test_interact_validates_arguments():
    with pytest.raises(TypeError, match="callable"):
        interact(42, a=Slider(0, 1, 0.5))
    with pytest.raises(ValueError, match="at least one"):
        interact(lambda: "x")
    with pytest.raises(TypeError, match="Slider"):
        interact(lambda a: "x", a=(0, 1, 0.5))
    with pytest.raises(TypeError, match="alt must be a string"):  # used to fail in html.escape
        interact(lambda a: "x", alt=None, a=Slider(0, 1, 0.5))


def test_render_frame():
    assert render_frame("<b>x</b>") == "<b>x</b>"
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    html = render_frame(fig)
    assert html.startswith('<img src="data:image/webp;base64,')
    assert not plt.get_fignums(), "render_frame must close the figure"
    with pytest.raises(TypeError, match="Figure or an HTML string"):
        render_frame(3.0)


def _line_art():
    fig, ax = plt.subplots(figsize=(4, 3))
    x = np.linspace(0, 1, 200)
    for k in range(5):
        ax.plot(x, x**k, label=f"x^{k}")
    ax.scatter([0.5], [0.9], marker="*", s=80, color="red")  # a small, rare colour must survive
    ax.legend()
    ax.set_title("powers of x")
    return fig


def _colour_map():
    fig, ax = plt.subplots(figsize=(4, 3))
    g = np.linspace(-2, 2, 200)
    ax.imshow(np.sin(g[:, None]) * np.cos(2 * g[None, :]), cmap="viridis")
    return fig


@pytest.mark.parametrize("make", [_line_art, _colour_map])
def test_static_frames_are_small_few_colour_webps_that_look_like_the_figure(make):
    fig = make()
    direct = io.BytesIO()
    fig.savefig(direct, format="png", dpi=STATIC_DPI, bbox_inches="tight")
    plt.close(fig)
    original = np.asarray(Image.open(direct).convert("RGB"), dtype=float)
    assert len(np.unique(original.reshape(-1, 3), axis=0)) > PALETTE_COLOURS  # so it is reduced
    webp = base64.b64decode(re.search(r'base64,([^"]+)"', render_frame(make())).group(1))
    frame = Image.open(io.BytesIO(webp))
    assert frame.format == "WEBP" and len(frame.convert("RGB").getcolors()) <= PALETTE_COLOURS
    shown = np.asarray(frame.convert("RGB"), dtype=float)
    assert shown.shape == original.shape
    error = np.abs(shown - original).max(axis=-1)  # per pixel, worst channel, out of 255
    assert error.mean() < 2 and error.max() <= 24, (error.mean(), error.max())
    assert len(webp) < 0.5 * len(direct.getvalue())


def test_palette_webp_flattens_transparency_onto_white():
    rgba = Image.new("RGBA", (4, 2), (0, 0, 0, 0))
    rgba.putpixel((0, 0), (255, 0, 0, 255))
    buf = io.BytesIO()
    rgba.save(buf, format="png")
    out = Image.open(io.BytesIO(palette_webp(buf.getvalue()))).convert("RGB")
    assert out.getpixel((0, 0)) == (255, 0, 0) and out.getpixel((3, 1)) == (255, 255, 255)


def _frames(html):
    block = re.search(r'<script type="application/json" class="nnbook-frames">(.*?)</script>', html,
                      re.S).group(1)
    return json.loads(block.replace("<\\/", "</"))


def test_static_fallback_holds_every_frame_in_order(static_site):
    view = interact(lambda a, b: f"<p>{a}|{b}</p>", a=Slider(1, 3, 1), b=Slider(0, 1, 0.5, value=0))
    frames = _frames(view.html)
    # product order: the last slider varies fastest, as the JavaScript index computes it
    assert frames == [f"<p>{a}|{b}</p>" for a in (1, 2, 3) for b in (0.0, 0.5, 1.0)]
    # the frame first shown is the one at the initial values (a=2, b=0)
    assert '<div class="nnbook-frame"><p>2|0.0</p></div>' in view.html
    assert view.html.count('class="nnbook-range"') == 2
    assert "addEventListener" in view.html


def test_static_fallback_names_the_values_its_text_sends_readers_to(static_site):
    view = interact(lambda p: f"<p>{p}</p>", max_frames=5,
                    p=Slider(0.0, 0.5, 0.01, value=0.25, keep=(0.02, 0.3), fmt="{:.2f}"))
    labels, named = (json.loads(html.unescape(re.search(f"data-{k}='([^']*)'", view.html).group(1)))
                     for k in ("labels", "named"))
    assert named == ["0.25", "0.02", "0.30"] and set(named) <= set(labels)
    assert len(labels) == 5 and labels[0] == "0.00" and labels[-1] == "0.50"


def test_static_fallback_with_figures(static_site):
    def draw(w):
        fig, ax = plt.subplots(figsize=(2, 2))
        ax.plot([0, 1], [0, w])
        return fig

    view = interact(draw, w=Slider(0, 2, 0.5, label="slope"), max_frames=4, alt="a line")
    frames = _frames(view.html)
    assert len(frames) == 4 and len(set(frames)) == 4
    assert all(f.startswith("<img") for f in frames)
    assert 'alt="a line (slope = 0)"' in frames[0] and 'alt="a line (slope = 2)"' in frames[-1]
    # a screen reader hears the value, not the position number
    assert 'aria-valuetext="1"' in view.html and 'setAttribute("aria-valuetext"' in view.html
    assert not plt.get_fignums()


def test_mimebundle_in_jupyter_is_the_live_widget_alone(monkeypatch):
    monkeypatch.delenv("NNBOOK_STATIC_SITE", raising=False)
    calls = []
    view = interact(lambda a: calls.append(a) or f"<i>{a}</i>", a=Slider(0, 1, 0.25))
    assert view.html is None and calls == []  # no frame drawn: the slider appears at once
    bundle = view._repr_mimebundle_()
    assert set(bundle) == {WIDGET_MIME, "text/plain"}
    assert bundle[WIDGET_MIME]["model_id"] == view.widget.model_id
    assert bundle[WIDGET_MIME]["version_major"] == 2
    assert calls == [0.5]  # one draw, by the widget, at the initial value


def test_mimebundle_for_the_static_site_is_the_frames_alone(static_site):
    view = interact(lambda a: f"<i>{a}</i>", a=Slider(0, 1, 0.25))
    bundle = view._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/plain"}
    assert bundle["text/html"] == view.html
    assert view.widget is None  # no comm opened: nothing for nbclient to wait on


def test_live_widget_redraws_on_change():
    calls = []

    def draw(a, k):
        calls.append((a, k))
        return f"<i>{a},{k}</i>"

    view = interact(draw, a=Slider(0, 1, 0.25, value=0.5), k=Slider(1, 4, 1, value=2))
    n_static = len(calls)
    box = view.build_widget()
    sliders = [c for c in box.children if isinstance(c, ipywidgets.widgets.ValueWidget)
               and not isinstance(c, ipywidgets.Output)]
    assert [type(s).__name__ for s in sliders] == ["FloatSlider", "IntSlider"]
    assert (sliders[0].value, sliders[1].value) == (0.5, 2)
    assert sliders[0].continuous_update is False
    assert calls[n_static] == (0.5, 2)  # initial draw
    sliders[0].value = 0.75
    assert calls[-1] == (0.75, 2)
    sliders[1].value = 4
    assert calls[-1] == (0.75, 4)
    assert isinstance(view, SliderView)
