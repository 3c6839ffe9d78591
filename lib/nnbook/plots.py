"""Every drawing the lib offers; notebooks import it (`from nnbook import plots`), no lib module does.

Computational graphs (chapter 4): `draw_graph`. Loss surfaces and optimiser paths (chapter 7):
`contours`, `plot_path`. Training curves and weight histograms (chapter 8): `train_val_curves`,
`weight_histogram`. Bayesian optimisation (chapter 9): `bo_step`, `best_so_far`. Detection and
verification (chapter 10): `draw_boxes`, `roc`, `precision_recall_curve`; images, filters and
receptive fields (chapter 10): `show_images`, `conv_filters`, `receptive_fields`. Recurrent networks
(chapter 11): `gradient_through_time`, `forecast`, `recurrent_wiring`.
"""

import matplotlib.pyplot as plt
import numpy as np

from ._checks import positive_int
from .lab import surfaces, tuning
from .lab.autodiff import Node

_OP_SYMBOLS = {"add": "+", "sub": "\u2212", "mul": "\u00d7", "div": "\u00f7", "neg": "\u2212",
               "exp": "exp", "log": "log", "sigmoid": "\u03c3", "tanh": "tanh", "relu": "relu"}


def _layout(root):
    """(x, y) of every node: x = depth (inputs as far right as their first use allows), y from a
    depth-first walk from the root so that a tree is drawn without crossing edges."""
    order = root.topological_order()
    depth = {}
    for node in order:
        depth[id(node)] = 1 + max((depth[id(p)] for p in node.parents), default=-1)
    children = {id(n): [] for n in order}
    for node in order:
        for p in node.parents:
            children[id(p)].append(node)
    for node in order:
        if not node.parents and children[id(node)]:
            depth[id(node)] = min(depth[id(c)] for c in children[id(node)]) - 1
    ys, next_leaf = {}, [0.0]

    def place(node):  # recursion depth = graph depth, small for the graphs we draw
        if id(node) in ys:
            return ys[id(node)]
        if not node.parents:
            ys[id(node)] = next_leaf[0]
            next_leaf[0] += 1.0
        else:
            ys[id(node)] = float(np.mean([place(p) for p in node.parents]))
        return ys[id(node)]

    place(root)
    columns = {}
    for node in order:
        columns.setdefault(depth[id(node)], []).append(node)
    for column in columns.values():  # nodes sharing a column keep at least one unit apart
        column.sort(key=lambda n: ys[id(n)])
        before = np.mean([ys[id(n)] for n in column])
        for above, below in zip(column, column[1:]):
            ys[id(below)] = max(ys[id(below)], ys[id(above)] + 1.0)
        shift = before - np.mean([ys[id(n)] for n in column])
        for node in column:
            ys[id(node)] += shift
    return order, {id(n): (depth[id(n)], -ys[id(n)]) for n in order}


def draw_graph(root, ax=None, *, show_grad=True, show_local=False, digits=3, title=None):
    """Draw the graph that ends at `root`: one box per node (label or operation, value, grad),
    arrows from inputs to outputs (arcs over skipped columns); `show_local` writes each edge's
    local derivative on it. The layout suits small, mostly tree-shaped graphs.

    Returns the matplotlib Figure (the caller shows it). Inputs are blue, operations orange,
    gradients red.
    """
    if not isinstance(root, Node):
        raise TypeError(f"draw_graph needs the root Node of a graph, got {type(root).__name__}")
    if len(root.topological_order()) > 60:
        raise ValueError("draw_graph is meant for small graphs (at most 60 nodes)")
    order, pos = _layout(root)
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    if ax is None:
        width = 1.75 * (max(xs) - min(xs) + 1) + 0.5
        height = 0.95 * (max(ys) - min(ys) + 1) + 0.4 + 0.5 * any(
            pos[id(n)][0] - pos[id(p)][0] > 1 for n in order for p in n.parents)
        fig, ax = plt.subplots(figsize=(min(width, 14), min(height, 10)))
    fig = ax.figure
    fmt = f"{{:.{digits}g}}"
    arrow = dict(arrowstyle="->", color="0.45", lw=1.0, shrinkA=0, shrinkB=0)
    arcs = False
    for node in order:
        x1, y1 = pos[id(node)]
        for parent, local in zip(node.parents, node.local_grads):
            x0, y0 = pos[id(parent)]
            if x1 - x0 <= 1:  # neighbouring columns: a straight arrow
                ax.annotate("", xy=(x1 - 0.34, y1), xytext=(x0 + 0.34, y0), arrowprops=arrow)
                mid = ((x0 + x1) / 2, (y0 + y1) / 2 + 0.08)
            else:  # skips a column: arc over the nodes in between (a quadratic Bezier curve)
                arcs = True
                p0, p2 = np.array([x0 + 0.12, y0 + 0.3]), np.array([x1 - 0.12, y1 + 0.3])
                between = [y for x, y in pos.values() if x0 < x < x1]
                p1 = np.array([(x0 + x1) / 2, max(y0, y1, *between) + 1.0])
                t = np.linspace(0.0, 1.0, 40)[:, None]
                curve = (1 - t) ** 2 * p0 + 2 * (1 - t) * t * p1 + t**2 * p2
                ax.plot(curve[:-2, 0], curve[:-2, 1], color="0.45", lw=1.0)
                ax.annotate("", xy=curve[-1], xytext=curve[-3], arrowprops=arrow)
                mid = tuple(curve[20] + [0.0, 0.04])
            if show_local:
                ax.text(*mid, fmt.format(local), ha="center", va="bottom", fontsize=7, color="C2")
    for node in order:
        x, y = pos[id(node)]
        if node.parents:
            sym = _OP_SYMBOLS.get(node.op, node.op.replace("**", "^"))
            head = f"{node.label} = {sym}" if node.label else sym
        else:
            head = node.label or fmt.format(node.value)
        ax.text(x, y + 0.13, head, ha="center", va="center", fontsize=9, fontweight="bold",
                bbox=dict(boxstyle="round,pad=0.35", fc="#fde0c5" if node.parents else "#dbe9f6",
                          ec="0.3", lw=0.8))
        ax.text(x, y - 0.16, fmt.format(node.value), ha="center", va="center", fontsize=8)
        if show_grad:
            ax.text(x, y - 0.33, "grad " + fmt.format(node.grad), ha="center", va="center",
                    fontsize=8, color="C3")
    ax.set_xlim(min(xs) - 0.55, max(xs) + 0.55)
    ax.set_ylim(min(ys) - 0.6, max(ys) + (1.0 if arcs else 0.5))
    ax.axis("off")
    if title:
        ax.set_title(title)
    return fig


def contours(surface, ax=None, n=120, levels=14, extent=None, cmap="viridis"):
    """Draw log-spaced contour lines of f - f_min and mark the minima; returns the axes.

    Log spacing shows the flat bottom of a valley as clearly as its steep walls.
    """
    W1, W2, F = surfaces.grid(surface, n, extent)
    levels = positive_int(levels, "levels", minimum=2)
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 3.6))
    gap = F - surface.f_min
    lo = max(float(np.percentile(gap, 0.5)), 1e-3)
    ax.contour(W1, W2, gap, levels=np.geomspace(lo, float(gap.max()), levels), cmap=cmap,
               linewidths=0.8, alpha=0.7)
    for m in surface.minima:
        ax.plot(*m, marker="*", ms=12, color="k", ls="none", zorder=4)
    x0, x1, y0, y1 = surface.extent if extent is None else extent
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("$w_1$")
    ax.set_ylabel("$w_2$")
    ax.grid(False)
    return ax


def plot_path(ax, path, label=None, color=None, every=1, **kwargs):
    """Draw an optimiser's iterates `path` (k, 2) on `ax`: a line, dots, an open circle at the start.

    Points outside the axes are clipped by matplotlib; a diverging path simply leaves the window,
    and its NaN rows (from `optimizers.trajectory`) are left out.
    """
    path = np.asarray(path)
    if path.dtype.kind not in "biuf":
        raise TypeError(f"path must be numeric, got an array of dtype {path.dtype}")
    if path.ndim != 2 or path.shape[1] != 2 or len(path) < 1:
        raise ValueError(f"path must have shape (k, 2) with k >= 1, got shape {path.shape}")
    path = path.astype(np.float64)
    if not np.isfinite(path[0]).all():
        raise ValueError(f"path must start at a finite point, got {path[0].tolist()}")
    every = positive_int(every, "every")
    (line,) = ax.plot(path[:, 0], path[:, 1], lw=1.4, color=color, label=label, zorder=3, **kwargs)
    ax.plot(path[::every, 0], path[::every, 1], ".", ms=3.5, color=line.get_color(), zorder=3)
    ax.plot(*path[0], "o", color=line.get_color(), mfc="white", ms=6, zorder=5)
    return line


def bo_step(trace, k, f, grid):
    """One step of a 1-d Bayesian optimisation `trace` (from `tuning.bayes_opt`): the GP that chose
    call k (mean, +-2 std, the calls before k, the true f on `grid`) above its expected improvement,
    with the point it chose. Returns the figure."""
    gp = trace.models[k]
    if gp is None:
        raise ValueError(f"call {k} was not chosen by a GP (it is one of the initial random calls)")
    grid = np.asarray(grid, dtype=np.float64).reshape(-1, 1)
    mean, std = gp.predict(grid)
    ei = tuning.expected_improvement(mean, std, trace.y[:k].min())
    fig, (ax, ax_ei) = plt.subplots(2, 1, figsize=(6, 4.2), sharex=True,
                                    gridspec_kw={"height_ratios": [2, 1]})
    g = grid[:, 0]
    ax.plot(g, f(g), "k--", lw=1, label="true f")
    ax.plot(g, mean, color="C0", label="GP mean")
    ax.fill_between(g, mean - 2 * std, mean + 2 * std, color="C0", alpha=0.2, label="mean $\\pm$ 2 std")
    ax.plot(trace.x[:k, 0], trace.y[:k], "o", color="C1", ms=5, label=f"{k} calls so far")
    ax.plot(trace.x[k, 0], trace.y[k], "*", color="C3", ms=12, label="next call")
    ax.set_ylabel("f(x)")
    ax.legend(fontsize=7, loc="upper left", ncol=2)
    ax.set_title(f"after {k} calls: best so far {trace.y[:k].min():.3f}", fontsize=10)
    ax_ei.fill_between(g, 0, ei, color="C2", alpha=0.5)
    ax_ei.axvline(trace.x[k, 0], color="C3", lw=1)
    ax_ei.set_ylabel("EI(x)")
    ax_ei.set_xlabel("x")
    fig.tight_layout()
    return fig


def best_so_far(ax, runs, label, color=None):
    """Median (line) and quartiles (band) over runs of the best value after k calls.
    runs: (n_runs, n_calls). Returns the median, (n_calls,)."""
    runs = np.asarray(runs, dtype=np.float64)
    if runs.ndim != 2 or runs.size == 0:
        raise ValueError(f"runs must have shape (n_runs, n_calls), got {runs.shape}")
    best = np.minimum.accumulate(runs, axis=1)
    calls = np.arange(1, best.shape[1] + 1)
    q25, median, q75 = np.percentile(best, [25, 50, 75], axis=0)
    (line,) = ax.plot(calls, median, color=color, label=label)
    ax.fill_between(calls, q25, q75, color=line.get_color(), alpha=0.2)
    return median


# --- chapter 8: training curves and weight histograms -------------------------------------------


def train_val_curves(ax, history, key="accuracy", label="", color=None, **kwargs):
    """Training (dashed) and validation (solid) `key` per epoch from a History-like dict."""
    epochs = np.arange(1, len(history[key]) + 1)
    line, = ax.plot(epochs, history[f"val_{key}"], color=color, label=f"{label} validation".strip(), **kwargs)
    ax.plot(epochs, history[key], "--", color=line.get_color(), label=f"{label} training".strip(), **kwargs)
    ax.set_xlabel("epoch")
    ax.set_ylabel(key.replace("_", " "))
    return line


def weight_histogram(ax, weights, bins=61, limit=0.3, label=None, color=None):
    """A histogram of the entries of `weights` over [-limit, limit] (a log count axis)."""
    w = np.clip(np.ravel(weights), -limit, limit)
    ax.hist(w, bins=np.linspace(-limit, limit, bins), color=color, histtype="step", lw=1.5, label=label,
            log=True)
    ax.set_xlabel("weight value")
    ax.set_ylabel("count")


# --- chapter 10: boxes on images, ROC and precision-recall curves -------------------------------


def draw_boxes(ax, image, boxes, labels=None, color="tab:red", cmap="gray"):
    """A grey image with boxes (k, 4) as (x0, y0, x1, y1) rectangles, each captioned by its entry
    of `labels` (strings or numbers), if given."""
    from matplotlib.patches import Rectangle

    ax.imshow(image, cmap=cmap, vmin=0, vmax=1)
    for k, (x0, y0, x1, y1) in enumerate(np.reshape(boxes, (-1, 4))):
        # imshow puts pixel centres on integers: a box's edges are half a pixel before its pixels
        ax.add_patch(Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False, color=color, lw=1.5))
        if labels is not None:
            ax.text(x0 - 0.5, y0 - 1, str(labels[k]), color=color, fontsize=8, va="bottom")
    ax.set_xticks([])
    ax.set_yticks([])


def roc(ax, fpr, tpr, label=None, color=None):
    """A ROC curve (true- against false-positive rate) with the chance diagonal."""
    ax.plot(fpr, tpr, color=color, label=label, drawstyle="steps-post")
    ax.plot([0, 1], [0, 1], ":", color="grey", lw=1)
    ax.set_xlabel("false-positive rate")
    ax.set_ylabel("true-positive rate")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)


def precision_recall_curve(ax, precision, recall, label=None, color=None):
    """Precision against recall, in detection order."""
    ax.plot(np.concatenate([[0], recall]), np.concatenate([[1], precision]), color=color, label=label)
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)


# --- chapter 10: images, filters and feature maps, receptive fields ------------------------------


def show_images(axes, images, titles=None, signed=False, cmap="gray_r", fontsize=9):
    """Draw each (h, w) image on its axis, without ticks. `signed`: a diverging map centred at 0
    (blue negative, red positive), each image scaled to its own largest |value|, for kernels and
    feature maps before the ReLU."""
    axes = np.atleast_1d(axes).ravel()
    for k, (ax, image) in enumerate(zip(axes, images)):
        image = np.asarray(image)
        if signed:
            limit = float(np.abs(image).max()) or 1.0
            ax.imshow(image, cmap="RdBu_r", vmin=-limit, vmax=limit)
        else:
            ax.imshow(image, cmap=cmap)
        ax.set_xticks([])
        ax.set_yticks([])
        if titles is not None:
            ax.set_title(titles[k], fontsize=fontsize)
    for ax in axes[len(images):]:
        ax.axis("off")
    return axes


def conv_filters(kernel, ncols=8, size=0.9, title=None):
    """A figure of the first-layer filters kernel[:, :, 0, f] of a Conv2D kernel
    (kh, kw, 1, filters), `ncols` to a row, each on its own diverging scale."""
    kernel = np.asarray(kernel)
    n = kernel.shape[-1]
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + (0.3 if title else 0)))
    show_images(axes, [kernel[:, :, 0, f] for f in range(n)], signed=True)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def receptive_fields(ax, fields, label=None, color=None, marker="o"):
    """The receptive field (pixels along one axis) after layers 1, 2, ...: `fields` (L,)."""
    depth = np.arange(1, len(fields) + 1)
    ax.plot(depth, fields, marker=marker, color=color, label=label)
    for d, r in zip(depth, fields):
        ax.annotate(str(r), (d, r), textcoords="offset points", xytext=(0, 5), ha="center", fontsize=8,
                    color=color)
    ax.set_xticks(depth)
    ax.set_xlabel("depth (conv layers)")
    ax.set_ylabel("receptive field (pixels)")


# --- chapter 11: recurrent networks ---------------------------------------------------------------


def gradient_through_time(ax, norms, label=None, color=None, ls="-"):
    """norms (T,) from `sequences.input_gradient_norms` against steps back from the end (T - 1
    for the first input), on a log scale."""
    norms = np.asarray(norms)
    ax.semilogy(np.arange(len(norms))[::-1], norms, color=color, ls=ls, label=label)
    ax.set_xlabel("steps back from the last output")
    ax.set_ylabel(r"$\|\partial h_T / \partial x_t\|$")


def forecast(ax, years, y, predictions):
    """The true series y against years and each forecast of `predictions` ({label: values})."""
    ax.plot(years, y, color="k", lw=1.5, label="observed")
    for label, values in predictions.items():
        ax.plot(years, values, lw=1, label=label)
    ax.set_xlabel("year")
    ax.set_ylabel("sunspot number")


def recurrent_wiring(ax, kind, steps=4):
    """A diagram of how recurrent cells are wired over `steps` time steps: kind "unrolled" (one
    layer, its state passed to the right), "stacked" (two layers, the first one's outputs are the
    second one's inputs), "bidirectional" (a left-to-right and a right-to-left layer, outputs
    joined) or "attention" (a decoder step reading a weighted mix of every encoder state)."""
    kinds = ("unrolled", "stacked", "bidirectional", "attention")
    if kind not in kinds:
        raise ValueError(f"kind must be one of {kinds}, got {kind!r}")
    steps = positive_int(steps, "steps", minimum=2)
    xs = np.arange(steps, dtype=float)
    box = dict(boxstyle="round,pad=0.25", lw=1)

    def cell(x, y, text, colour):
        ax.text(x, y, text, ha="center", va="center", fontsize=9,
                bbox={**box, "fc": colour, "ec": "0.3"})

    def arrow(x0, y0, x1, y1, colour="0.3", **kw):
        ax.annotate("", (x1, y1), (x0, y0), arrowprops=dict(arrowstyle="-|>", color=colour,
                                                            lw=1, shrinkA=9, shrinkB=9, **kw))

    rows = {"unrolled": [("h", "C0", +1)], "stacked": [("h", "C0", +1), ("h'", "C2", +1)],
            "bidirectional": [("h\u2192", "C0", +1), ("h\u2190", "C1", -1)],
            "attention": [("h", "C0", +1)]}[kind]
    for t, x in enumerate(xs):
        ax.text(x, 0, f"$x_{t + 1}$", ha="center", va="center", fontsize=10)
    top = 0
    for r, (name, colour, direction) in enumerate(rows):
        y = 1 + r
        for t, x in enumerate(xs):
            cell(x, y, f"${name}_{t + 1}$".replace("'_", "'_").replace("\u2192_", r"^{\rightarrow}_")
                 .replace("\u2190_", r"^{\leftarrow}_"), colour)
            below = 0 if kind != "stacked" or r == 0 else y - 1
            if kind == "bidirectional" and r == 1:  # the inputs feed the second row too: around the first
                arrow(x, 0, x, y, connectionstyle="arc3,rad=-0.5")
            else:
                arrow(x, below, x, y)
            if t > 0:
                a, b = (xs[t - 1], x) if direction > 0 else (x, xs[t - 1])
                arrow(a, y, b, y, colour)
        top = y
    if kind == "bidirectional":
        for t, x in enumerate(xs):
            ax.text(x, 3, f"$y_{t + 1}$", ha="center", va="center", fontsize=10)
            arrow(x, 2, x, 3)
            arrow(x, 1, x, 3, connectionstyle="arc3,rad=0.5")  # y_t joins both directions
        top = 3
    if kind == "attention":
        weights = np.array([0.1, 0.6, 0.2, 0.1][:steps] + [0.0] * max(0, steps - 4))
        weights = weights / weights.sum()
        xq = xs.mean()
        cell(xq, 2.6, "decoder step", "C3")
        for x, w in zip(xs, weights):
            ax.annotate("", (xq, 2.6), (x, 1), arrowprops=dict(arrowstyle="-|>", color="C3",
                        lw=0.5 + 4 * w, alpha=0.4 + 0.6 * w, shrinkA=9, shrinkB=11))
        top = 2.6
    ax.set_xlim(-0.6, steps - 0.4)
    ax.set_ylim(-0.5, top + 0.5)
    ax.set_title(kind, fontsize=10)
    ax.axis("off")
