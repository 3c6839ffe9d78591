"""lab/hardware.py: the counts against the engine's and Keras's count_params and against FLOPs
worked out by hand; the training-memory prediction against tracemalloc; the timers, the peak from
/proc/cpuinfo text and the roofline on known inputs; bad input raises."""

import time

import numpy as np
import pytest

from nnbook.engine import (
    GRU,
    LSTM,
    Conv2D,
    Dense,
    Flatten,
    MaxPooling2D,
    MultiHeadAttention,
    Sequential,
    SimpleRNN,
    TransformerBlock,
    losses,
    optimizers,
)
from nnbook.lab import hardware


def _models():
    yield Sequential([Dense(256, activation="relu"), Dense(10)]).build((784,), dtype="float32")
    yield Sequential([Conv2D(4, 3, padding="same"), MaxPooling2D(2), Conv2D(6, (3, 2), strides=2),
                      Flatten(), Dense(3)]).build((12, 10, 2))
    yield Sequential([LSTM(5, return_sequences=True), GRU(4), Dense(2)]).build((7, 3))
    # a bare MultiHeadAttention cannot sit in a keras.Sequential (two inputs); a block can
    yield Sequential([SimpleRNN(8, return_sequences=True), TransformerBlock(2, 4, 16)]).build((5, 3))


@pytest.mark.parametrize("model", list(_models()), ids=["mlp", "cnn", "rnn", "attention"])
def test_params_agree_with_engine_and_keras(model):
    rows = hardware.count(model)
    assert hardware.totals(rows)["params"] == model.count_params()
    twin = hardware.keras_count(model.to_keras())
    assert [r["params"] for r in twin] == [r["keras_params"] for r in twin] == [r["params"] for r in rows]
    assert [r["flops"] for r in twin] == [r["flops"] for r in rows]
    assert [r["output"] for r in twin] == [r["output"] for r in rows]


def test_flops_by_hand():
    rows = hardware.count(next(_models()))
    assert [r["flops"] for r in rows] == [2 * 784 * 256, 2 * 256 * 10]
    assert [r["activation_bytes"] for r in rows] == [256 * 4, 10 * 4]
    conv = Sequential([Conv2D(8, 3, strides=2)]).build((9, 9, 2))  # 4 x 4 outputs
    assert hardware.count(conv)[0]["flops"] == 2 * 9 * 2 * 8 * 16
    lstm = Sequential([LSTM(6)]).build((10, 3))
    assert hardware.count(lstm)[0]["flops"] == 2 * 4 * (3 + 6) * 6 * 10
    att = Sequential([MultiHeadAttention(2, 4)]).build((5, 6))  # T 5, d 6, h 2, k = v = 4
    assert hardware.count(att)[0]["flops"] == 2 * 5 * 6 * 2 * 12 + 2 * 2 * 25 * 8 + 2 * 5 * 8 * 6


def test_training_memory_prediction_is_close_to_tracemalloc():
    rng = np.random.default_rng(0)
    x, y = rng.random((256, 784), dtype=np.float32), rng.integers(0, 10, 256)

    def make():
        m = Sequential([Dense(256, activation="relu"), Dense(10)]).build((784,), dtype="float32")
        m.compile(losses.SparseCategoricalCrossentropy(from_logits=True), optimizers.Adam())
        return m

    predicted = hardware.training_memory(make(), 256)
    assert predicted["optimizer"] == 2 * predicted["weights"] == 2 * 203_530 * 4
    measured = hardware.measured_training_memory(make, x, y)
    assert 1 <= measured / sum(predicted.values()) <= 2


CPUINFO = """processor\t: 0
model name\t: Test CPU
cpu MHz\t\t: 2000.000
flags\t\t: fpu sse2 avx avx2 fma
processor\t: 1
model name\t: Test CPU
cpu MHz\t\t: 2000.000
flags\t\t: fpu sse2 avx avx2 fma
"""


def test_cpu_info_and_peak():
    info = hardware.cpu_info(CPUINFO)
    assert info == {"model": "Test CPU", "ghz": 2.0, "cores": 2,
                    "flops_per_cycle": {"float64": 16, "float32": 32}}
    assert hardware.theoretical_peak(info, "float32") == 128.0
    assert hardware.theoretical_peak(info, "float64", cores=1) == 32.0
    assert hardware.cpu_info(CPUINFO.replace(" avx2 fma", ""))["flops_per_cycle"]["float64"] == 8
    with pytest.raises(ValueError, match="flags"):
        hardware.cpu_info("no such thing")


def test_roofline_and_intensity():
    np.testing.assert_allclose(hardware.attainable([0.1, 10, 1000], peak=100, beta=10), [1, 100, 100])
    A, B = np.ones((4, 8), np.float32), np.ones((8, 2), np.float32)
    assert hardware.intensity(2 * 4 * 8 * 2, A, B, A @ B) == pytest.approx(128 / (4 * (32 + 16 + 8)))
    assert hardware.intensity(100, 10, 40) == 2


def test_median_seconds_times_what_it_calls():
    calls = []
    seconds = hardware.median_seconds(lambda: (calls.append(1), time.sleep(0.01)), repeats=3, min_time=0.005)
    assert 0.009 < seconds < 0.05 and len(calls) == 4  # one uncounted run, then three


def test_timers_measure_something():
    out = hardware.matmul_gflops([8, 64], "float64", threads=1, repeats=2, min_time=0.001)
    assert set(out) == {8, 64} and all(s > 0 and g > 0 for s, g in out.values())
    bw = hardware.bandwidth(2**20, repeats=2)
    assert bw["copy"] > 0 and bw["sum"] > 0
    layer = Dense(16).build((8,))
    f, b = hardware.forward_backward_seconds(layer, np.ones((4, 8)), repeats=2)
    assert f > 0 and b > 0
    A = np.ones((16, 16), np.float32)
    assert hardware.keras_matmul_seconds(A, A, repeats=2, min_time=0.001) > 0


def test_bad_input_raises():
    with pytest.raises(TypeError, match="built nnbook Sequential"):
        hardware.count(Dense(3))
    with pytest.raises(TypeError, match="keras.Sequential"):
        hardware.keras_count("model")
    with pytest.raises(ValueError, match="batch_size"):
        hardware.training_memory(next(_models()), 0)
    with pytest.raises(ValueError, match="n"):
        hardware.matmul_gflops([0])


def test_roofline_point():
    layer = Dense(32).build((64,), dtype="float32")
    x = np.ones((8, 64), np.float32)
    p = hardware.roofline_point(layer, x, repeats=2)
    assert p["flops"] == 8 * 2 * 64 * 32
    assert p["intensity"] == pytest.approx(p["flops"] / (4 * (8 * 64 + 64 * 32 + 32 + 8 * 32)))
    assert p["gflops"] > 0
