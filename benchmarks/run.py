"""Benchmarks: each chapter's wall time in a fresh kernel, and NumPy-vs-Keras speed ratios.

    python3 book.py bench                 # everything -> benchmarks/RESULTS.md
    python3 book.py bench --skip-chapters # only the NumPy-vs-Keras ratios

Each ratio is measured in one run, NumPy and Keras alternating, best of several repeats;
ratio = NumPy time / Keras time (below 1: the scratch code is faster).
"""

import os
import platform
import sys
import time
import timeit
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "RESULTS.md"

def budget(chapter):
    """Seconds a chapter may take in a fresh kernel: 30 for chapters 1-3, 60 for the rest."""
    return 30.0 if int(chapter.stem[:2]) <= 3 else 60.0


def machine():
    """A few lines describing this machine and the library versions."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 2**20:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    import keras
    import tensorflow as tf
    from threadpoolctl import threadpool_info

    blas = ", ".join(sorted({f"{i['internal_api']} {i['version']} ({i['num_threads']} threads)"
                             for i in threadpool_info() if i["user_api"] == "blas"}))
    return [
        f"{cpu}, {os.cpu_count()} logical cores{mem}, {platform.system()} {platform.machine()}",
        f"Python {platform.python_version()}, NumPy {np.__version__} (BLAS: {blas or 'n/a'}), "
        f"TensorFlow {tf.__version__}, Keras {keras.__version__}",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {load()} when the run began.",
    ]


def load():
    """The load average, as text: other work on the machine slows every row (compare ratios,
    measured in one run, rather than times)."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} / {fifteen:.1f} (1 / 5 / 15 min, {os.cpu_count()} cores)"


def time_chapter(path):
    """(seconds to execute notebook `path` top to bottom in a fresh kernel, start-up included,
    [(seconds, cell number, first line) for every code cell]): the total and where it went."""
    import nbclient
    import nbformat

    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    cells = []
    start = time.perf_counter()
    with client.setup_kernel():
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                t = time.perf_counter()
                client.execute_cell(cell, i)
                first = next((line for line in cell.source.splitlines() if line.strip()), "")
                cells.append((time.perf_counter() - t, i, first.strip()[:60]))
    return time.perf_counter() - start, cells


def best_of(fn, repeat=7):
    """Best wall time of `fn()` over `repeat` runs, each long enough to be measured (~0.05 s)."""
    fn()  # warm-up (tracing, caches)
    timer = timeit.Timer(fn)
    number, total = timer.autorange()
    if total / number > 0.5:  # slow calls (a training epoch): fewer repeats
        repeat = 3
    number = max(1, number // 4)
    return min(timer.repeat(repeat=repeat, number=number)) / number


def pairs():
    """(name, numpy_fn, keras_fn) to compare; each pair computes the same thing."""
    import keras
    import tensorflow as tf

    from nnbook.engine import activations

    rng = np.random.default_rng(0)
    z = rng.normal(size=(1024, 256)).astype(np.float32)
    zt = tf.constant(z)
    out = []
    for name, act in activations.ACTIVATIONS.items():
        if act.df is None:  # softmax: a Jacobian, timed below
            continue
        kfn = act.keras()

        def keras_fg(kfn=kfn):
            with tf.GradientTape() as tape:
                tape.watch(zt)
                y = kfn(zt)
            return y.numpy(), tape.gradient(y, zt).numpy()

        def numpy_fg(act=act):
            return act.f(z), act.df(z)

        out.append((f"{name}: value + derivative, (1024, 256) float32", numpy_fg, keras_fg))
    s = rng.normal(size=(1024, 10)).astype(np.float32)
    out.append(("softmax, (1024, 10) float32", lambda: activations.softmax(s),
                lambda: keras.activations.softmax(tf.constant(s)).numpy()))
    out.extend(extra_pairs(rng))
    out.extend(normalization_pairs(rng))
    out.extend(convolution_pairs(rng))
    out.extend(recurrent_pairs(rng))
    out.extend(attention_pairs(rng))
    return out


def extra_pairs(rng):
    """Pairs for the chapter modules (neuron)."""
    from nnbook.lab import neuron

    found = []
    params = neuron.init_params([64, 32, 10], rng)
    acts = ["relu", "softmax"]
    model = neuron.to_keras(params, acts)
    x = rng.normal(size=(898, 64))
    found.append(("MLP 64-32-10 forward, 898 digits (float64 vs Keras float32)",
                  lambda: neuron.forward(x, params, acts)[0],
                  lambda: model(x.astype(np.float32), training=False).numpy()))
    found.extend(engine_pairs(rng))
    found.extend(regularization_pairs(rng))
    return found


def forward_backward_pair(layer, batch_shape, rng):
    """(numpy_fb, keras_fb): one training-mode forward and backward of the built nnbook `layer`
    and of its Keras twin (an eager GradientTape), on the same float32 x of `batch_shape` and dy
    of the layer's output shape."""
    import tensorflow as tf

    twin = layer.to_keras()
    x = rng.normal(size=batch_shape).astype(np.float32)
    dy = rng.normal(size=(batch_shape[0], *layer.output_shape(batch_shape[1:]))).astype(np.float32)
    xt, dyt = tf.constant(x), tf.constant(dy)

    def numpy_fb():
        layer.forward(x, training=True)
        return layer.backward(dy)

    def keras_fb():
        with tf.GradientTape() as tape:
            tape.watch(xt)
            y = twin(xt, training=True)
        return tape.gradient(y, [xt, *twin.trainable_variables], output_gradients=dyt)

    return numpy_fb, keras_fb


def engine_pairs(rng):
    """Dense forward+backward across sizes, and one MLP training epoch, NumPy engine vs Keras."""
    import keras

    from nnbook import data
    from nnbook.engine import Dense, Sequential

    found = []
    for d in (64, 256, 1024):
        layer = Dense(d, activation="relu")
        layer.build((d,), rng, dtype="float32")
        found.append((f"Dense {d}->{d} ReLU forward+backward, batch 128, float32 (Keras eager tape)",
                      *forward_backward_pair(layer, (128, d), rng)))

    ds = data.load("mnist5k")

    def numpy_mlp():
        m = Sequential([Dense(256, activation="relu"), Dense(10, activation="softmax")])
        m.build((784,), seed=0, dtype="float32")
        m.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
        return m

    ours, twin = numpy_mlp(), numpy_mlp().to_keras()
    xb, yb = ds.x_train[:32], ds.y_train[:32]
    found.append(("MLP 784-256-10 one training step (`train_step` / `train_on_batch`), batch 32, Adam, "
                  "float32", lambda: ours.train_step(xb, yb), lambda: twin.train_on_batch(xb, yb)))
    found.append(("MLP 784-256-10 training epoch, MNIST-5k 4,000 examples, batch 32, Adam, float32 "
                  "(Keras: `fit`)",
                  lambda: ours.fit(ds.x_train, ds.y_train, epochs=1, batch_size=32, verbose=0),
                  lambda: twin.fit(ds.x_train, ds.y_train, epochs=1, batch_size=32, verbose=0)))
    keras.utils.set_random_seed(0)
    return found


# --- BatchNormalization (chapter 8) ----------------------------------------------------------------


def normalization_pairs(rng):
    """BatchNormalization forward+backward in training mode (an MLP's and a CNN's shapes), and one
    training step of the 784-256-10 MLP with a BatchNormalization after its hidden layer (compare
    with the row without it above), NumPy engine vs Keras."""

    from nnbook import data
    from nnbook.engine import BatchNormalization, Dense, Sequential

    found = []
    for shape in [(128, 256), (32, 14, 14, 32)]:
        layer = BatchNormalization().build(shape[1:], rng, dtype="float32")
        found.append((f"BatchNormalization forward+backward (training), {shape} float32 (Keras eager tape)",
                      *forward_backward_pair(layer, shape, rng)))

    ds = data.load("mnist5k")

    def numpy_bn_mlp():
        m = Sequential([Dense(256, activation="relu"), BatchNormalization(), Dense(10, activation="softmax")])
        m.build((784,), seed=0, dtype="float32")
        m.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
        return m

    ours, twin = numpy_bn_mlp(), numpy_bn_mlp().to_keras()
    xb, yb = ds.x_train[:32], ds.y_train[:32]
    found.append(("MLP 784-256-BN-10 one training step (`train_step` / `train_on_batch`), batch 32, "
                  "Adam, float32", lambda: ours.train_step(xb, yb), lambda: twin.train_on_batch(xb, yb)))
    return found


# --- Convolution and pooling (chapter 10) ----------------------------------------------------------


def one_blas_thread(fn):
    """`fn` run with BLAS on one thread, as `Sequential`'s training steps run the NumPy engine."""
    from threadpoolctl import ThreadpoolController

    blas = ThreadpoolController()

    def limited():
        with blas.limit(limits=1, user_api="blas"):
            return fn()

    return limited


def convolution_pairs(rng):
    """Chapter 10's CNN, Conv2D(16, 3, relu) -> MaxPool 2 -> Conv2D(32, 3, relu) -> MaxPool 2 ->
    Flatten -> Dense(10, softmax): forward+backward on a batch of 128 28x28x1 inputs, float32."""
    from nnbook.engine import Conv2D, Dense, Flatten, MaxPooling2D, Sequential

    cnn = Sequential([Conv2D(16, 3, activation="relu"), MaxPooling2D(2), Conv2D(32, 3, activation="relu"),
                      MaxPooling2D(2), Flatten(), Dense(10, activation="softmax")])
    cnn.build((28, 28, 1), rng, dtype="float32")
    numpy_fb, keras_fb = forward_backward_pair(cnn, (128, 28, 28, 1), rng)
    return [("CNN conv16-pool-conv32-pool-dense10 forward+backward, batch 128 of 28x28x1, float32 "
             "(im2col, one BLAS thread; Keras eager tape)", one_blas_thread(numpy_fb), keras_fb)]


# --- Recurrent layers (chapter 11) -----------------------------------------------------------------


def recurrent_pairs(rng):
    """LSTM(64) forward+backward through time on (batch 64, T 50, d 32), float32, against Keras
    with an eager tape and with the same tape inside one tf.function (Keras's own fit traces it)."""
    import tensorflow as tf

    from nnbook.engine import LSTM

    layer = LSTM(64).build((50, 32), rng, dtype="float32")
    numpy_fb, keras_fb = forward_backward_pair(layer, (64, 50, 32), rng)
    name = "LSTM(64) forward+backward, batch 64, T 50, d 32, float32 (one BLAS thread; Keras"
    return [(f"{name} eager tape)", one_blas_thread(numpy_fb), keras_fb),
            (f"{name} tape in a tf.function)", one_blas_thread(numpy_fb), tf.function(keras_fb))]


# --- Attention (chapter 13) -------------------------------------------------------------------------


def attention_pairs(rng):
    """MultiHeadAttention(4 heads, key_dim 16) self-attention forward+backward on (batch 64, T 32,
    d_model 64), float32, against Keras with an eager tape and with the same tape in a tf.function."""
    import tensorflow as tf

    from nnbook.engine import MultiHeadAttention

    layer = MultiHeadAttention(4, 16).build((32, 64), rng, dtype="float32")
    twin = layer.to_keras()
    x = rng.normal(size=(64, 32, 64)).astype(np.float32)
    dy = rng.normal(size=(64, 32, 64)).astype(np.float32)
    xt, dyt = tf.constant(x), tf.constant(dy)

    def numpy_fb():
        layer.forward(x, training=True)
        return layer.backward(dy)

    def keras_fb():
        with tf.GradientTape() as tape:
            tape.watch(xt)
            y = twin(xt, xt, training=True)
        return tape.gradient(y, [xt, *twin.trainable_variables], output_gradients=dyt)

    name = ("MultiHeadAttention(4 heads, key_dim 16) self-attention forward+backward, batch 64, T 32, "
            "d_model 64, float32 (one BLAS thread; Keras")
    return [(f"{name} eager tape)", one_blas_thread(numpy_fb), keras_fb),
            (f"{name} tape in a tf.function)", one_blas_thread(numpy_fb), tf.function(keras_fb))]


# --- Page weights of the built site (budget: tools/offline_site.py) ---------------------------

def page_weights(site=ROOT / "_build" / "html"):
    """Markdown lines: each built chapter page's KB (and how much of it is inline slider frames)."""
    import re

    sys.path.insert(0, str(ROOT))
    from tools import nbsync, offline_site

    budget_kb = offline_site.PAGE_BUDGET_KB
    shown = site.relative_to(ROOT) if site.is_relative_to(ROOT) else site
    lines = ["## Chapter pages on the static site", "",
             f"The HTML file of each chapter in `{shown}` (from the last `python3 book.py site`), "
             f"inline slider frames included; budget {budget_kb} KB.", ""]
    pages = [site / "chapters" / f"{nb.stem}.html" for nb in nbsync.chapters()]
    if not all(p.exists() for p in pages):
        return lines + ["The site is not built: run `python3 book.py site` first.", ""]
    lines += ["| page | size | of which inline images | budget |", "|---|---:|---:|---|"]
    for page in pages:
        html = page.read_bytes()
        kb = len(html) / 1000
        images = sum(len(m) for m in re.findall(rb"data:image/[a-z+]+;base64,[A-Za-z0-9+/=]+", html)) / 1000
        verdict = f"≤ {budget_kb}: " + ("ok" if kb <= budget_kb else "OVER")
        lines.append(f"| `chapters/{page.name}` | {kb:.0f} KB | {images:.0f} KB | {verdict} |")
    return lines + [""]


# --- regularisation (chapter 8): Dropout, and what each regulariser adds to a training step -------


def regularization_pairs(rng):
    """Dropout forward+backward vs Keras's, and one MLP training step plain, + L2 penalties,
    + Dropout, + augmentation (shift 2 px, rotate 10 degrees, noise 0.1), NumPy engine vs Keras."""
    from functools import partial

    import keras

    from nnbook import data
    from nnbook.engine import Dense, Dropout, Sequential
    from nnbook.engine import augmentation as A

    found = []
    layer = Dropout(0.5).build((256,), rng, dtype="float32")
    found.append(("Dropout(0.5) forward+backward, (128, 256) float32 (Keras eager tape)",
                  *forward_backward_pair(layer, (128, 256), rng)))

    ds = data.load("mnist5k")
    xb, yb = ds.x_train[:32], ds.y_train[:32]
    augment = A.chain(partial(A.shift, max_shift=2), partial(A.rotate, max_degrees=10.0),
                      partial(A.gaussian_noise, stddev=0.1), shape=(28, 28))
    for what in ("plain", "+ L2(0.01) on both kernels", "+ Dropout(0.5)", "+ augmentation"):
        l2 = "l2" if what.startswith("+ L2") else None
        layers = [Dense(256, activation="relu", kernel_regularizer=l2),
                  Dense(10, activation="softmax", kernel_regularizer=l2)]
        if what == "+ Dropout(0.5)":
            layers.insert(1, Dropout(0.5))
        ours = Sequential(layers).build((784,), seed=0, dtype="float32")
        ours.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
        twin = ours.to_keras()
        if what == "+ augmentation":
            twin = keras.Sequential([keras.Input((784,)), keras.layers.Reshape((28, 28, 1)),
                                     A.keras_shift(2, (28, 28)), A.keras_rotate(10.0), A.keras_noise(0.1),
                                     keras.layers.Flatten(), *twin.layers])
            twin.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
            aug_rng = np.random.default_rng(0)

            def numpy_step(ours=ours, aug_rng=aug_rng):
                return ours.train_step(augment(xb, aug_rng), yb)
        else:
            def numpy_step(ours=ours):
                return ours.train_step(xb, yb)

        found.append((f"MLP 784-256-10 training step {what}, batch 32, Adam, float32 "
                      "(`train_step` / `train_on_batch`)", numpy_step,
                      lambda twin=twin: twin.train_on_batch(xb, yb)))
    return found


NOTES = """## Reading the ratios

- **Elementwise activations** (sigmoid, leaky ReLU, GELU) are where NumPy loses: TensorFlow runs
  one fused kernel per op on both cores, while the NumPy versions take several single-threaded
  passes (the sign split that keeps sigmoid finite at -1e4, the input check for NaN/inf, `np.where`).
  Cheap ones (linear, ReLU, softmax over 10 classes) are faster in NumPy, where TensorFlow's
  per-call overhead dominates.
- **Layers and models**: at the book's sizes every call is small, and Keras's per-call overhead
  (eager dispatch, the tape, `fit`'s callbacks and data adapter) costs more than the arithmetic. So
  the NumPy engine is faster for the chapters' models (Dense forward+backward, an MLP training
  epoch); the gap closes as the matrices grow (1024x1024), where both are BLAS-bound.
- **Convolution, LSTM, attention** (chapters 10, 11, 13): against Keras's tape inside a
  `tf.function` (a compiled graph on two threads) the engine is level or within 2x on one BLAS
  thread. The CNN's cost is im2col's copies and the col2im scatter around one product per layer;
  the LSTM's is 50 serial (64x64)(64x256) products and ~20 NumPy calls per step (its fused loop
  keeps work arrays between calls: on this machine writing to freshly allocated memory costs about
  1 ms per MB); attention's is a dozen small einsums and transposes per call, which the graph fuses.
- Training steps in the NumPy engine run BLAS on one thread (`nnbook.engine.model`): on a 2-core machine
  that is also running Jupyter, two BLAS threads per small product were measured 10-40x slower.
"""


def main(args):
    lines = ["# Benchmark results", "",
             "Made by `python3 book.py bench` (`benchmarks/run.py`). Machine:", ""]
    lines += [f"- {m}" for m in machine()] + [""]
    if "--skip-chapters" not in args:
        sys.path.insert(0, str(ROOT))
        from tools import nbsync

        lines += ["## Chapters: wall time in a fresh kernel (imports and kernel start included)", "",
                  "| chapter | seconds | budget | slowest cells (seconds, cell number: first line) |",
                  "|---|---:|---|---|"]
        for nb in nbsync.chapters():
            seconds, cells = time_chapter(nb)
            verdict = f"≤ {budget(nb):.0f} s: " + ("ok" if seconds <= budget(nb) else "OVER")
            slowest = "; ".join(f"{t:.1f} s, cell {i}: `{first.replace('|', '/')}`"
                                for t, i, first in sorted(cells, reverse=True)[:3])
            lines.append(f"| {nb.stem} | {seconds:.1f} | {verdict} | {slowest} |")
            print(lines[-1], flush=True)
        lines.append("")
    lines += page_weights()
    lines += ["## NumPy from scratch vs Keras (TensorFlow backend, eager)", "",
              "Best of 7 repeats each, measured in one run. Ratio = NumPy / Keras.", "",
              "| what | NumPy (ms) | Keras (ms) | ratio |", "|---|---:|---:|---:|"]
    for name, np_fn, k_fn in pairs():
        t_np, t_k = best_of(np_fn), best_of(k_fn)
        lines.append(f"| {name} | {t_np * 1e3:.3f} | {t_k * 1e3:.3f} | {t_np / t_k:.2f} |")
        print(lines[-1], flush=True)
    lines += ["", f"At the end of the run: {load()}.", "", NOTES]
    RESULTS.write_text("\n".join(lines) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    main(sys.argv[1:])
