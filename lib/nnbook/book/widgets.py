"""Sliders that work live in Jupyter/Colab and on the static site.

`interact(draw, name=Slider(...), ...)` returns a view whose output carries two representations:

* the live ipywidgets view (`application/vnd.jupyter.widget-view+json`; ipywidgets 7.7 and 8.x),
  which a running kernel redraws as the reader moves a slider, and
* a self-contained `text/html` fallback: frames precomputed when the cell runs (at most
  `max_frames` of them) and a few lines of JavaScript that swap frames as the slider moves.

Only one of the two is made, chosen by where the chapter runs. When it runs for the static site
(`tools/execute.py` sets `NNBOOK_STATIC_SITE=1` in the kernel's environment) the view is the frames
alone: nothing on the page needs a kernel, and no widget is opened (nbclient can stall for its cell
timeout after a cell that opens one, nbclient#312). Everywhere else (Jupyter, Colab, tests) the view
is the live widget alone, so a slider appears at once instead of after drawing every frame.

`draw(**values)` must return a matplotlib `Figure` or a string of HTML. A static frame is drawn at
`STATIC_DPI`, the dpi of every other figure of the book, and stored as a lossless WebP of at most
`PALETTE_COLOURS` colours (flattened onto white): line art looks the same and weighs about a
quarter of a full-colour PNG, which keeps a chapter page within the site's budget.
"""

import base64
import hashlib
import html
import io
import itertools
import json
import math
import os
from dataclasses import dataclass

import numpy as np

from .._checks import describe, number_in, positive_int
from .env import PLOT_STYLE

DEFAULT_MAX_FRAMES = 30
STATIC_DPI = PLOT_STYLE["savefig.dpi"]  # a frame's text is the size of every figure's
PALETTE_COLOURS = 96
MAX_POSITIONS = 100_000  # a slider's grid is materialised (values()), so it must stay small


@dataclass(frozen=True)
class Slider:
    """A slider over `start, start + step, ..., stop` starting at `value` (default: midpoint).

    `keep`: values the static site's frames must include besides both ends and `value` (the ones
    the chapter's text sends the reader to); each must be one of the slider's positions."""

    start: float
    stop: float
    step: float
    value: float = None
    label: str = None
    fmt: str = "{:.3g}"
    keep: tuple = ()

    def __post_init__(self):
        start, stop = number_in(self.start, "Slider start"), number_in(self.stop, "Slider stop")
        if stop <= start:
            raise ValueError(f"Slider needs start < stop, got start={self.start}, stop={self.stop}")
        step = number_in(self.step, "Slider step", 0, stop - start, low_open=True)
        if (stop - start) / step > MAX_POSITIONS:
            raise ValueError(f"Slider from {self.start} to {self.stop} in steps of {self.step} has more "
                             f"than {MAX_POSITIONS} positions; use a step of at least "
                             f"{(stop - start) / MAX_POSITIONS:.3g}")
        if self.value is not None:
            number_in(self.value, "Slider value", start, stop)
        if self.label is not None and not isinstance(self.label, str):
            raise TypeError(f"Slider label must be a string or None, got {describe(self.label)}")
        if not isinstance(self.fmt, str):
            raise TypeError(f"Slider fmt must be a format string like '{{:.3g}}', got {describe(self.fmt)}")
        try:
            self.fmt.format(self.start)
        except (ValueError, IndexError, KeyError) as err:
            raise ValueError(f"Slider fmt must format one number, like '{{:.3g}}', got "
                             f"{self.fmt!r} ({err})") from None
        if not isinstance(self.keep, (tuple, list)):
            raise TypeError(f"Slider keep must be a tuple of values, got {describe(self.keep)}")
        grid = self.values()
        for v in self.keep:
            number_in(v, "Slider keep value", start, stop)
            if np.min(np.abs(grid - v)) > 1e-6 * step:
                raise ValueError(f"Slider keep value {v} is not one of the positions {self.start}, "
                                 f"{self.start} + {self.step}, ..., {self.stop}: change start or step")

    @property
    def is_int(self):
        return all(float(v).is_integer() for v in (self.start, self.stop, self.step))

    def values(self):
        """Every value the live slider can take, as a 1-D array."""
        n = int(math.floor((self.stop - self.start) / self.step + 1e-9)) + 1
        v = self.start + self.step * np.arange(n)
        return v.astype(int) if self.is_int else np.round(v, 12)

    def initial(self):
        """The starting value, snapped to the grid."""
        grid = self.values()
        target = (self.start + self.stop) / 2 if self.value is None else self.value
        return grid[int(np.argmin(np.abs(grid - target)))]

    def required(self):
        """Indices into `values()` every static grid keeps: both ends, the initial value, `keep`."""
        grid = self.values()
        targets = [self.initial(), *self.keep]
        return sorted({0, len(grid) - 1, *(int(np.argmin(np.abs(grid - t))) for t in targets)})


def frame_grid(sliders, max_frames=DEFAULT_MAX_FRAMES):
    """Choose the values precomputed for the static site: at most `max_frames` combinations.

    Returns one 1-D array per slider. Each keeps its `required()` values (ends, initial, `keep`);
    while the product of the lengths exceeds the cap, the longest grid that can still shrink loses
    one value. Each grid is then evenly spaced over the slider, each required value taking the
    place of the nearest position that is not required.
    """
    max_frames = positive_int(max_frames, "max_frames", minimum=2)
    required = [s.required() for s in sliders]
    if math.prod(len(r) for r in required) > max_frames:
        raise ValueError(
            f"the sliders' ends, initial and keep values need at least "
            f"{math.prod(len(r) for r in required)} frames, but max_frames={max_frames}"
        )
    counts = [len(s.values()) for s in sliders]
    while math.prod(counts) > max_frames:
        i = max((k for k in range(len(counts)) if counts[k] > len(required[k])), key=counts.__getitem__)
        counts[i] -= 1
    grids = []
    for s, n, need in zip(sliders, counts, required):
        full = s.values()
        picks = set(np.round(np.linspace(0, len(full) - 1, n)).astype(int).tolist())  # ends included
        for r in need:  # a required position replaces the nearest pick that is not required
            if r not in picks:
                picks.remove(min(picks - set(need), key=lambda k: (abs(k - r), k)))
                picks.add(r)
        grids.append(full[sorted(picks)])
    return grids


def render_frame(result, alt="figure"):
    """Turn what `draw` returned into an HTML snippet: a Figure becomes a WebP `<img alt=...>`."""
    if isinstance(result, str):
        return result
    savefig = getattr(result, "savefig", None)
    if savefig is None:
        raise TypeError(
            f"draw() must return a matplotlib Figure or an HTML string, got {type(result).__name__}"
        )
    buf = io.BytesIO()
    savefig(buf, format="png", dpi=STATIC_DPI, bbox_inches="tight")
    _close(result)
    data = base64.b64encode(palette_webp(buf.getvalue())).decode("ascii")
    return (f'<img src="data:image/webp;base64,{data}" alt="{html.escape(alt, quote=True)}" '
            'style="max-width:100%">')


def palette_webp(png):
    """The PNG bytes `png` flattened onto white, cut to PALETTE_COLOURS colours, as lossless WebP."""
    from PIL import Image  # matplotlib's own image library

    with Image.open(io.BytesIO(png)) as im:
        rgba = im.convert("RGBA")
    flat = Image.new("RGB", rgba.size, "white")
    flat.paste(rgba, mask=rgba.getchannel("A"))
    few = flat.quantize(PALETTE_COLOURS, method=Image.Quantize.MAXCOVERAGE, dither=Image.Dither.NONE)
    out = io.BytesIO()
    few.convert("RGB").save(out, format="webp", lossless=True, quality=50, method=4)  # method 6: 100x slower
    return out.getvalue()


def _close(fig):
    import matplotlib.pyplot as plt

    plt.close(fig)


_SCRIPT = """
(function () {
  var root = document.getElementById("%(id)s");
  var frames = JSON.parse(root.querySelector("script.nnbook-frames").textContent);
  var inputs = root.querySelectorAll("input.nnbook-range");
  var view = root.querySelector(".nnbook-frame");
  function update() {
    var k = 0;
    inputs.forEach(function (el) {
      var labels = JSON.parse(el.dataset.labels);
      k = k * labels.length + Number(el.value);
      el.parentNode.querySelector("output").textContent = labels[Number(el.value)];
      el.setAttribute("aria-valuetext", labels[Number(el.value)]);  // read out the value, not the index
    });
    view.innerHTML = frames[k];
  }
  inputs.forEach(function (el) { el.addEventListener("input", update); });
})();
"""


def static_html(draw, names, sliders, grids, alt="figure"):
    """The self-contained HTML/JS fallback: every frame of `grids`, and range inputs to pick one."""
    frames = []
    for combo in itertools.product(*grids):
        values = {n: _py(v) for n, v in zip(names, combo)}
        where = ", ".join(f"{s.label or n} = {s.fmt.format(v)}"
                          for (n, v), s in zip(values.items(), sliders))
        frames.append(render_frame(draw(**values), alt=f"{alt} ({where})"))
    digest = hashlib.sha1("".join(frames).encode()).hexdigest()[:12]
    uid = f"nnbook-slider-{digest}"
    controls = []
    for name, s, grid in zip(names, sliders, grids):
        labels = [s.fmt.format(_py(v)) for v in grid]
        named = [s.fmt.format(_py(v)) for v in (s.initial(), *s.keep)]  # what the text sends readers to
        start = int(np.argmin(np.abs(grid - s.initial())))
        controls.append(
            '<label style="display:block;margin:2px 0">'
            f'<span style="display:inline-block;min-width:9em">{html.escape(s.label or name)}</span> '
            f'<input type="range" class="nnbook-range" name="{html.escape(name)}" min="0" '
            f'max="{len(grid) - 1}" step="1" value="{start}" '
            f'aria-valuetext="{html.escape(labels[start], quote=True)}" '
            f"data-labels='{html.escape(json.dumps(labels), quote=True)}' "
            f"data-named='{html.escape(json.dumps(named), quote=True)}' "
            'style="vertical-align:middle;width:14em"> '
            f"<output>{html.escape(labels[start])}</output></label>"
        )
    starts = [int(np.argmin(np.abs(g - s.initial()))) for s, g in zip(sliders, grids)]
    first = int(np.ravel_multi_index(starts, [len(g) for g in grids]))
    frames_json = json.dumps(frames).replace("</", "<\\/")
    return (
        f'<div class="nnbook-slider" id="{uid}">'
        f'<div class="nnbook-controls">{"".join(controls)}</div>'
        f'<div class="nnbook-frame">{frames[first]}</div>'
        f'<script type="application/json" class="nnbook-frames">{frames_json}</script>'
        f"<script>{_SCRIPT % {'id': uid}}</script>"
        f'<p class="nnbook-note" style="font-size:80%;color:#666">Static preview: '
        f"{len(frames)} precomputed frames. Run the notebook for the full slider.</p>"
        "</div>"
    )


def _py(v):
    """A NumPy scalar as a plain Python int or float."""
    return v.item() if hasattr(v, "item") else v


class SliderView:
    """What `interact` returns; Jupyter displays it through `_repr_mimebundle_`."""

    def __init__(self, draw, sliders, max_frames, alt="figure"):
        self.draw = draw
        self.names = list(sliders)
        self.sliders = list(sliders.values())
        self.grids = frame_grid(self.sliders, max_frames)
        static = for_static_site()
        self.html = static_html(draw, self.names, self.sliders, self.grids, alt) if static else None
        self.widget = None

    def build_widget(self):
        """The live ipywidgets view: one slider per parameter and an output area."""
        import ipywidgets as w

        controls = {}
        for name, s in zip(self.names, self.sliders):
            cls = w.IntSlider if s.is_int else w.FloatSlider
            controls[name] = cls(
                min=_py(s.start), max=_py(s.stop), step=_py(s.step), value=_py(s.initial()),
                description=s.label or name, continuous_update=False,
                style={"description_width": "initial"},
            )
        out = w.interactive_output(self._show, controls)
        self.widget = w.VBox([*controls.values(), out])
        return self.widget

    def _show(self, **values):
        from IPython.display import HTML, display

        result = self.draw(**values)
        if isinstance(result, str):
            display(HTML(result))
        else:
            display(result)
            _close(result)

    def _repr_mimebundle_(self, include=None, exclude=None):
        text = {"text/plain": f"<slider view: {', '.join(self.names)}>"}
        if self.html is not None:
            return {"text/html": self.html, **text}
        widget = self.widget or self.build_widget()
        view = {"version_major": 2, "version_minor": 0, "model_id": widget.model_id}
        return {"application/vnd.jupyter.widget-view+json": view, **text}


def for_static_site():
    """True when the chapter is being executed for the static site (`NNBOOK_STATIC_SITE=1`)."""
    return os.environ.get("NNBOOK_STATIC_SITE") == "1"


def interact(draw, *, max_frames=DEFAULT_MAX_FRAMES, alt="figure", **sliders):
    """Show `draw(**values)` under one slider per keyword; see the module docstring.

    `alt` describes the figure for screen readers (each static frame adds its slider values).
    Example: `interact(plot_boundary, w=Slider(-2, 2, 0.25, value=1), b=Slider(-1, 1, 0.5))`.
    """
    if not callable(draw):
        raise TypeError(f"draw must be callable, got {type(draw).__name__}")
    if not isinstance(alt, str):
        raise TypeError(f"alt must be a string describing the figure, got {describe(alt)}")
    if not sliders:
        raise ValueError("interact needs at least one slider keyword, e.g. w=Slider(0, 1, 0.1)")
    for name, s in sliders.items():
        if not isinstance(s, Slider):
            raise TypeError(f"slider {name!r} must be a nnbook.Slider, got {type(s).__name__}")
    return SliderView(draw, sliders, max_frames, alt)
