"""Chapter 15's hardware and scale: counting a model (parameters, forward FLOPs, activation bytes
per layer, for an engine model and for its Keras twin), the memory training needs, and this
machine's limits measured (matrix-multiply throughput, memory bandwidth, the roofline).

**Counting convention.** One multiply-add is 2 FLOPs. We count the multiply-adds of the matrix
products and convolutions, which dominate; elementwise work (biases, activations, pooling,
normalisation, softmax) is left out and is a few per cent of the total for the book's models.
Per example, for a layer with input x and output y:

- Dense(u) on (..., d): 2 d u FLOPs for each of the leading positions; (d + 1) u parameters.
- Conv2D(F, kh x kw) on (H, W, C) -> (H', W', F): 2 kh kw C F H' W'; (kh kw C + 1) F parameters.
- SimpleRNN / LSTM / GRU(u) over T steps of d inputs: g gates (1, 4, 3), each a product with
  [x_t, h_{t-1}]: 2 g (d + u) u T FLOPs; parameters g (d + u + 1) u (Keras's GRU has two biases:
  3 (d + u + 2) u).
- MultiHeadAttention (h heads, key size k, value size v) on T tokens of d: projections
  2 T d h (2k + v), scores 2 h T^2 k, weighted values 2 h T^2 v, output 2 T h v d.

**Roofline** (Williams, Waterman & Patterson, 2009). A kernel doing F FLOPs while moving B bytes
has arithmetic intensity I = F / B. On a machine with peak P FLOP/s and memory bandwidth beta
bytes/s it can reach at most min(P, I beta): memory-bound left of the ridge I = P / beta,
compute-bound right of it.
"""

import os
import re
import statistics
import time
import tracemalloc
from functools import partial

import numpy as np
from threadpoolctl import threadpool_limits

from .. import _checks
from ..engine import Sequential

GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}
BLOCK_PARTS = ("attention_norm", "attention", "ffn_norm", "hidden", "out")  # a TransformerBlock's


# --- counting ---------------------------------------------------------------------------------------

def layer_cost(kind, config, input_shape, output_shape):
    """Parameters and forward FLOPs per example of one layer of Keras class `kind` with `config`
    (units, filters, kernel_size, num_heads, ...), input_shape and output_shape without the
    batch axis -> (params, flops)."""
    d = input_shape[-1] if input_shape else 0
    lead = int(np.prod(input_shape[:-1], dtype=np.int64)) if input_shape else 1
    if kind == "Dense":
        u = config["units"]
        return (d + 1) * u, 2 * d * u * lead
    if kind in ("Conv2D", "Conv1D"):
        F, k = config["filters"], int(np.prod(config["kernel_size"]))
        return (k * d + 1) * F, 2 * k * d * int(np.prod(output_shape))
    if kind in GATES:
        g, u, T = GATES[kind], config["units"], input_shape[0]
        biases = 2 if kind == "GRU" else 1
        return g * (d + u + biases) * u, 2 * g * (d + u) * u * T
    if kind == "MultiHeadAttention":
        h, k, v, T = config["num_heads"], config["key_dim"], config["value_dim"], input_shape[0]
        out = config["output_dim"] or d
        params = h * (2 * k + v) * (d + 1) + h * v * out + out
        flops = 2 * T * d * h * (2 * k + v) + 2 * h * T * T * (k + v) + 2 * T * h * v * out
        return params, flops
    if kind == "Embedding":
        return config["input_dim"] * config["output_dim"], 0
    if kind == "PositionEmbedding":
        return int(np.prod(input_shape)), 0
    if kind in ("LayerNormalization", "BatchNormalization"):
        return (2 if kind == "LayerNormalization" else 4) * d, 0
    return 0, 0  # Flatten, pooling, Activation, Dropout: no weights, no multiply-adds


def _row(kind, config, input_shape, output_shape, itemsize):
    params, flops = layer_cost(kind, config, input_shape, output_shape)
    return {"layer": kind, "output": tuple(output_shape), "params": params, "flops": flops,
            "activation_bytes": int(np.prod(output_shape)) * itemsize}


def _engine_config(layer):
    names = ("units", "filters", "kernel_size", "num_heads", "key_dim", "value_dim", "input_dim")
    config = {n: getattr(layer, n) for n in names if hasattr(layer, n)}
    config["output_dim"] = getattr(layer, "output_dim", None)
    return config


def count(model):
    """Walk a built engine `model` (Sequential, nested models and TransformerBlocks included):
    one dict per layer with layer, output (shape), params, flops (forward, per example) and
    activation_bytes (the output's, per example)."""
    if not isinstance(model, Sequential) or not model.built:
        raise TypeError(f"count needs a built nnbook Sequential, got {_checks.describe(model)}")
    return _walk_engine(model.layers, model.input_shape, model.dtype.itemsize)


def _walk_engine(layers, shape, itemsize):
    rows = []
    for layer in layers:
        out = layer.output_shape(shape)
        if isinstance(layer, Sequential):
            rows += _walk_engine(layer.layers, shape, itemsize)
        elif all(hasattr(layer, p) for p in BLOCK_PARTS):
            rows += _walk_block([getattr(layer, p) for p in BLOCK_PARTS], shape, layer.ff_dim,
                                itemsize, lambda lay: (lay.keras_class, _engine_config(lay)))
        else:
            rows.append(_row(layer.keras_class, _engine_config(layer), shape, out, itemsize))
        shape = out
    return rows


def _walk_block(parts, shape, ff_dim, itemsize, describe):
    """LN, MHA, LN on (T, d); Dense(ff_dim) on (T, d); Dense(d) on (T, ff_dim)."""
    inputs = [shape, shape, shape, shape, (*shape[:-1], ff_dim)]
    outputs = [shape, shape, shape, (*shape[:-1], ff_dim), shape]
    return [_row(*describe(p), i, o, itemsize) for p, i, o in zip(parts, inputs, outputs)]


def _keras_config(layer):
    c = layer.get_config()
    config = {n: c[n] for n in ("units", "filters", "kernel_size", "num_heads", "key_dim",
                                "input_dim") if n in c}
    if "num_heads" in c:
        config["value_dim"] = c.get("value_dim") or c["key_dim"]
    config["output_dim"] = c.get("output_shape") if "num_heads" in c else c.get("output_dim")
    if isinstance(config["output_dim"], (tuple, list)):
        config["output_dim"] = config["output_dim"][-1]
    return config


def keras_count(keras_model):
    """The same walk over a built keras.Sequential (e.g. `model.to_keras()`): one dict per layer
    as `count` gives, plus keras_params, Keras's own `count_params()` of that layer."""
    import keras

    if not isinstance(keras_model, keras.Sequential) or not keras_model.built:
        raise TypeError(f"keras_count needs a built keras.Sequential, got {_checks.describe(keras_model)}")
    itemsize = np.dtype(keras_model.dtype or "float32").itemsize
    rows = []
    for layer in keras_model.layers:
        shape, out = tuple(layer.input.shape[1:]), tuple(layer.output.shape[1:])
        if all(hasattr(layer, p) for p in BLOCK_PARTS):
            parts = [getattr(layer, p) for p in BLOCK_PARTS]
            block = _walk_block(parts, shape, parts[3].units, itemsize,
                                lambda lay: (type(lay).__name__, _keras_config(lay)))
            for r, p in zip(block, parts):
                r["keras_params"] = p.count_params()
            rows += block
        else:
            kind = type(layer).__name__
            rows.append(_row(kind, _keras_config(layer), shape, out, itemsize))
            rows[-1]["keras_params"] = layer.count_params()
    return rows


def totals(rows):
    """The sums of params, flops and activation_bytes over `count`'s rows."""
    return {k: sum(r[k] for r in rows) for k in ("params", "flops", "activation_bytes")}


# --- memory for training ----------------------------------------------------------------------------

def training_memory(model, batch_size, slots=2):
    """Predicted bytes to train a built engine `model` on batches of `batch_size`: weights,
    gradients (one per weight), optimiser state (`slots` per weight: Adam keeps m and v, 2) and
    the activations kept for backward (every layer's output and the input, for the batch)."""
    batch_size = _checks.positive_int(batch_size, "batch_size")
    slots = _checks.positive_int(slots, "slots", minimum=0)
    rows, itemsize = count(model), model.dtype.itemsize
    weights = model.count_params() * itemsize
    inputs = int(np.prod(model.input_shape)) * itemsize
    return {"weights": weights, "gradients": weights, "optimizer": slots * weights,
            "activations": batch_size * (inputs + totals(rows)["activation_bytes"])}


def measured_training_memory(make_model, x, y):
    """The peak bytes that NumPy allocates (tracemalloc) while `make_model()` builds and compiles
    a model and that model takes one train_step on (x, y); x and y are allocated before."""
    tracemalloc.start()
    try:
        model = make_model()
        model.train_step(x, y)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# --- timing -----------------------------------------------------------------------------------------

def median_seconds(f, repeats=5, min_time=0.05):
    """The median wall time of f() over `repeats` runs, each run looping f until it takes at
    least `min_time` seconds (so small operations are timed over many calls). A first,
    uncounted run finds that loop count and warms caches up."""
    loops = 1
    while True:
        start = time.perf_counter()
        for _ in range(loops):
            f()
        t = time.perf_counter() - start
        if t >= min_time:
            break
        loops = 2 * loops if t == 0 else max(2 * loops, int(loops * min_time / t) + 1)
    runs = []
    for _ in range(_checks.positive_int(repeats, "repeats")):
        start = time.perf_counter()
        for _ in range(loops):
            f()
        runs.append((time.perf_counter() - start) / loops)
    return statistics.median(runs)


def matmul_gflops(sizes, dtype="float32", threads=None, repeats=3, min_time=0.05, seed=0):
    """Achieved GFLOP/s of A @ B for n x n matrices, n in `sizes` (2 n^3 FLOPs each), with BLAS on
    `threads` threads (None: its default) -> {n: (seconds, GFLOP/s)}."""
    dtype = _checks.float_dtype(dtype)
    rng = np.random.default_rng(seed)
    out = {}
    with threadpool_limits(limits=threads, user_api="blas"):
        for n in sizes:
            n = _checks.positive_int(n, "n")
            A, B = rng.standard_normal((2, n, n)).astype(dtype)
            s = median_seconds(partial(np.matmul, A, B), repeats=repeats, min_time=min_time)
            out[n] = (s, 2 * n**3 / s / 1e9)
    return out


def keras_matmul_seconds(A, B, repeats=3, min_time=0.05):
    """Median seconds of keras.ops.matmul(A, B) on tensors already converted, result brought back
    to NumPy (as a NumPy caller would need it)."""
    import keras

    a, b = keras.ops.convert_to_tensor(A), keras.ops.convert_to_tensor(B)
    return median_seconds(lambda: keras.ops.convert_to_numpy(keras.ops.matmul(a, b)),
                          repeats=repeats, min_time=min_time)


def bandwidth(nbytes=2**28, repeats=3):
    """Memory bandwidth in GB/s from an array of `nbytes` float64 (far larger than any cache):
    {"copy": (read + write bytes) / time of np.copyto, "sum": bytes read / time of a.sum()}."""
    n = _checks.positive_int(nbytes, "nbytes") // 8
    a, b = np.ones(n), np.empty(n)
    copy = median_seconds(lambda: np.copyto(b, a), repeats=repeats, min_time=0)
    total = median_seconds(a.sum, repeats=repeats, min_time=0)
    return {"copy": 2 * a.nbytes / copy / 1e9, "sum": a.nbytes / total / 1e9}


def forward_backward_seconds(layer, x, repeats=5, threads=1):
    """Median seconds of a built engine `layer`'s forward (training=True) and backward on x, with
    BLAS on `threads` threads (1, as the engine's training steps run)."""
    with threadpool_limits(limits=threads, user_api="blas"):
        y = layer.forward(x, training=True)
        dy = np.ones_like(y)
        forward = median_seconds(lambda: layer.forward(x, training=True), repeats=repeats)
        backward = median_seconds(lambda: layer.backward(dy), repeats=repeats)
    return forward, backward


# --- this machine's peak ----------------------------------------------------------------------------

def cpu_info(text=None):
    """Model name, clock (GHz, the `cpu MHz` line: the current clock, not always the maximum),
    logical cores and FLOPs per cycle per core for float64 and float32 from the SIMD flags of
    /proc/cpuinfo (`text`, read if None): AVX-512 with FMA 32/64, AVX2 with FMA 16/32 (two FMA
    units of 4 doubles, 2 FLOPs each), AVX 8/16, SSE2 4/8."""
    if text is None:
        with open("/proc/cpuinfo") as f:
            text = f.read()
    if not isinstance(text, str) or "flags" not in text:
        raise ValueError("cpu_info needs the text of /proc/cpuinfo with a flags line")
    flags = set(re.search(r"^flags\s*:(.*)$", text, re.M).group(1).split())
    mhz = re.search(r"^cpu MHz\s*:\s*([\d.]+)", text, re.M)
    model = re.search(r"^model name\s*:\s*(.*)$", text, re.M)
    if {"avx512f", "fma"} <= flags:
        per_cycle = 32
    elif {"avx2", "fma"} <= flags:
        per_cycle = 16
    elif "avx" in flags:
        per_cycle = 8
    else:
        per_cycle = 4
    return {"model": model.group(1).strip() if model else "unknown",
            "ghz": float(mhz.group(1)) / 1000 if mhz else float("nan"),
            "cores": len(re.findall(r"^processor\s*:", text, re.M)) or os.cpu_count(),
            "flops_per_cycle": {"float64": per_cycle, "float32": 2 * per_cycle}}


def theoretical_peak(info, dtype="float32", cores=None):
    """cores x clock x FLOPs per cycle, in GFLOP/s, from `cpu_info` (cores=None: all of them)."""
    cores = info["cores"] if cores is None else _checks.positive_int(cores, "cores")
    return cores * info["ghz"] * info["flops_per_cycle"][np.dtype(dtype).name]


def attainable(intensity, peak, beta):
    """The roofline: min(peak, intensity x beta) (GFLOP/s from FLOP/byte and GB/s)."""
    intensity = np.asarray(intensity, dtype=float)
    return np.minimum(peak, intensity * beta)


def intensity(flops, *arrays_or_bytes):
    """Arithmetic intensity, FLOPs per byte moved: `flops` over the bytes of the arrays given
    (or byte counts), each counted once (its input, weights and output)."""
    moved = sum(a if isinstance(a, (int, np.integer)) else np.asarray(a).nbytes for a in arrays_or_bytes)
    return flops / moved


def roofline_point(layer, x, repeats=5, threads=1):
    """Where a built engine `layer` sits on the roofline for the batch x: its forward FLOPs (from
    `count`), intensity (FLOPs over the bytes of x, the weights and the output, each moved once)
    and measured GFLOP/s of its forward pass, BLAS on `threads` threads
    -> dict(flops, intensity, gflops, seconds)."""
    rows = count(Sequential([layer]))
    x = layer.check_input(x)
    n, itemsize = len(x), layer.dtype.itemsize
    flops = n * totals(rows)["flops"]
    moved = x.nbytes + layer.count_params() * itemsize + n * rows[-1]["activation_bytes"]
    with threadpool_limits(limits=threads, user_api="blas"):
        seconds = median_seconds(lambda: layer.forward(x), repeats=repeats)
    return {"flops": flops, "intensity": flops / moved, "gflops": flops / seconds / 1e9, "seconds": seconds}
