"""Chapter 15's experiments on scale: an accelerator measured against the CPU (or skipped when
there is none), float16/bfloat16 rounding, input-pipeline timing with `tf.data`, and data-parallel
gradients on the engine (the shards' average against the whole batch).

TensorFlow is imported inside the functions that time devices or pipelines; `ml_dtypes` (a
TensorFlow dependency that gives NumPy a bfloat16) inside `float_limits` and `round_to`.
"""

import time

import numpy as np

from .. import _checks

#: Bytes in a gigabit (network links are quoted in bits per second).
GBIT = 1e9 / 8


# --- accelerators -----------------------------------------------------------------------------------

def device_name(device):
    """'/GPU:0' for a `tf.config.PhysicalDevice` named '/physical_device:GPU:0', or a name as given."""
    name = getattr(device, "name", device)
    if not isinstance(name, str):
        raise TypeError(f"device must be a name or a tf.config device, got {type(device).__name__}")
    return "/" + name.split("physical_device:")[-1].lstrip("/")


def best_time(run, repeats):
    """The shortest of `repeats` wall times of `run()` (s): the least disturbed by other load."""
    times = []
    for _ in range(_checks.positive_int(repeats, "repeats")):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def time_on_device(device, make_model, x, y, n=512, repeats=5):
    """Best times (s) on `device` of an (n, n) float32 matmul and of one `train_on_batch(x, y)` of
    the compiled Keras model `make_model()` builds (built and warmed up on that device first)."""
    import tensorflow as tf

    with tf.device(device):
        a = tf.random.stateless_normal((n, n), seed=(0, 1))
        b = tf.random.stateless_normal((n, n), seed=(2, 3))
        tf.linalg.matmul(a, b).numpy()  # warm-up: kernels chosen, memory placed
        matmul = best_time(lambda: tf.linalg.matmul(a, b).numpy(), repeats)
        model = make_model()
        model.train_on_batch(x, y)  # warm-up: the step is traced once
        step = best_time(lambda: model.train_on_batch(x, y), repeats)
    return {"matmul": matmul, "step": step}


def accelerator_speedup(devices, make_model, x, y, n=512, repeats=5, cpu="/CPU:0"):
    """Time the matmul and the training step (`time_on_device`) on the first of `devices` and on
    `cpu`. Returns None when `devices` is empty (no accelerator: nothing to measure), else a dict
    with the device's name, both sets of times and the speed-ups cpu time / device time."""
    if not isinstance(devices, (list, tuple)):
        raise TypeError(f"devices must be a list (e.g. tf.config.list_physical_devices('GPU')), "
                        f"got {type(devices).__name__}")
    if not devices:
        return None
    n = _checks.positive_int(n, "n")
    repeats = _checks.positive_int(repeats, "repeats")
    device = device_name(devices[0])
    on_device = time_on_device(device, make_model, x, y, n, repeats)
    on_cpu = time_on_device(cpu, make_model, x, y, n, repeats)
    return {"device": device, "device_times": on_device, "cpu_times": on_cpu,
            "speedup": {k: on_cpu[k] / on_device[k] for k in on_cpu}}


# --- number formats ---------------------------------------------------------------------------------

def _dtype(dtype):
    import ml_dtypes

    if dtype == "bfloat16":
        return np.dtype(ml_dtypes.bfloat16)
    if dtype not in ("float16", "float32", "float64"):
        raise ValueError(f"dtype must be 'float16', 'bfloat16', 'float32' or 'float64', got {dtype!r}")
    return np.dtype(dtype)


def float_limits(dtype):
    """The format's largest finite number, smallest normal and subnormal numbers, machine epsilon
    (the gap between 1 and the next number) and mantissa bits, as Python floats."""
    import ml_dtypes

    info = ml_dtypes.finfo(_dtype(dtype))
    return {"max": float(info.max), "smallest normal": float(info.smallest_normal),
            "smallest subnormal": float(info.smallest_subnormal), "eps": float(info.eps),
            "mantissa bits": int(info.nmant)}


def round_to(x, dtype):
    """x rounded to the nearest number of `dtype` (round half to even), returned in float64."""
    with np.errstate(over="ignore"):  # overflow to inf is what the caller asks to see
        return np.asarray(x, dtype=np.float64).astype(_dtype(dtype)).astype(np.float64)


def scaled_gradient(g, scale, dtype="float16"):
    """Gradients `g` as a `dtype` backward pass holds them when the loss is multiplied by `scale`
    (g * scale rounded to `dtype`), divided by `scale` again in float32: loss scaling."""
    scale = _checks.number_in(scale, "scale", 0, low_open=True)
    return round_to(np.asarray(g, dtype=np.float64) * scale, dtype).astype(np.float32) / np.float32(scale)


# --- input pipelines --------------------------------------------------------------------------------

def sleep_map(seconds):
    """A `tf.data` map function (x, y) -> (x, y) that waits `seconds` per call without using the
    CPU: a stand-in for reading and decoding a batch of files, with a known cost."""
    import tensorflow as tf

    seconds = _checks.number_in(seconds, "seconds", 0)

    def wait(x):
        time.sleep(seconds)
        return x

    def decode(x, y):
        waited = tf.py_function(wait, [x], x.dtype)
        waited.set_shape(x.shape)
        return waited, y

    return decode


def epoch_times(dataset, epochs, step_seconds):
    """Wall time (s) of each of `epochs` passes over `dataset`, a model step of `step_seconds`
    (a wait, so the step's cost is known) taken on every batch."""
    epochs = _checks.positive_int(epochs, "epochs")
    step_seconds = _checks.number_in(step_seconds, "step_seconds", 0)
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        for _batch in dataset:
            time.sleep(step_seconds)
        times.append(time.perf_counter() - start)
    return times


# --- data parallelism -------------------------------------------------------------------------------

def batch_gradients(model, x, y):
    """dL/dparams of the compiled engine `model` on the batch (x, y), L its loss (a mean over the
    batch): a dict of copies keyed like `model.params`. Changes no weight."""
    x = model.check_input(x)
    y_pred = model.forward(x, training=True)
    model.backward(model.loss.gradient(y, y_pred))
    return {k: g.copy() for k, g in model.grads.items()}


def data_parallel_gradients(model, x, y, shards):
    """The gradient that `shards` workers compute together: the batch split into `shards` nearly
    equal parts, each worker's mean-loss gradient, and their average weighted by shard size (the
    all-reduce). Equal to `batch_gradients(model, x, y)` up to rounding."""
    shards = _checks.positive_int(shards, "shards")
    x = model.check_input(x)
    if shards > len(x):
        raise ValueError(f"shards must be at most the batch size {len(x)}, got {shards}")
    parts = np.array_split(np.arange(len(x)), shards)
    per_worker = [batch_gradients(model, x[i], y[i]) for i in parts]
    return {k: sum(len(i) * g[k] for i, g in zip(parts, per_worker)) / len(x) for k in per_worker[0]}


def ring_allreduce_bytes(n_bytes, workers):
    """Bytes each worker sends (and receives) in a ring all-reduce of `n_bytes`: 2 (N - 1) / N."""
    workers = _checks.positive_int(workers, "workers")
    n_bytes = _checks.number_in(n_bytes, "n_bytes", 0)
    return 2 * (workers - 1) / workers * n_bytes


def ring_allreduce_seconds(n_params, workers, gbit_per_s, bytes_per_param=4):
    """Seconds to all-reduce `n_params` gradients over links of `gbit_per_s` (bandwidth only)."""
    gbit_per_s = _checks.number_in(gbit_per_s, "gbit_per_s", 0, low_open=True)
    return ring_allreduce_bytes(n_params * bytes_per_param, workers) / (gbit_per_s * GBIT)
