"""lab/scale.py: the accelerator comparison on both paths ('/CPU:0' standing in for a GPU, and no
device at all), the number formats against their known values, loss scaling, the pipeline timers
against known waits, data-parallel gradients against the whole batch (<= 1e-12, float64) and
against Keras's GradientTape, the ring all-reduce arithmetic, bad input."""

import numpy as np
import pytest

from nnbook.engine import Dense, Sequential, twins
from nnbook.lab import scale


def _tiny_keras_model():
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
    return model


def _batch(n=16):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 8)).astype("float32"), rng.integers(0, 3, n)


def test_device_name_turns_physical_devices_into_placement_names():
    import tensorflow as tf

    assert scale.device_name("/GPU:0") == "/GPU:0"
    cpu = tf.config.list_physical_devices("CPU")[0]
    assert scale.device_name(cpu) == "/CPU:0"
    with pytest.raises(TypeError, match="device"):
        scale.device_name(3)


def test_accelerator_path_measures_with_cpu_standing_in_for_a_gpu():
    import tensorflow as tf

    x, y = _batch()
    for devices in (["/CPU:0"], tf.config.list_physical_devices("CPU")):
        r = scale.accelerator_speedup(devices, _tiny_keras_model, x, y, n=32, repeats=2)
        assert r["device"] == "/CPU:0"
        assert set(r["device_times"]) == set(r["cpu_times"]) == set(r["speedup"]) == {"matmul", "step"}
        assert all(t > 0 for t in [*r["device_times"].values(), *r["cpu_times"].values()])
        for k, s in r["speedup"].items():
            assert s == pytest.approx(r["cpu_times"][k] / r["device_times"][k])


def test_no_accelerator_path_skips_without_building_anything():
    def never():
        raise AssertionError("the skip path must not build a model")

    assert scale.accelerator_speedup([], never, None, None) is None
    with pytest.raises(TypeError, match="devices must be a list"):
        scale.accelerator_speedup("/GPU:0", never, None, None)
    with pytest.raises(ValueError, match="repeats"):
        scale.accelerator_speedup(["/CPU:0"], never, None, None, repeats=0)


def test_best_time_is_the_shortest_run():
    import time

    waits = iter([0.03, 0.01, 0.02])
    assert 0.01 <= scale.best_time(lambda: time.sleep(next(waits)), 3) < 0.02


def test_float_limits_match_the_formats():
    f16, bf16, f32 = (scale.float_limits(d) for d in ("float16", "bfloat16", "float32"))
    assert (f16["max"], f16["smallest normal"], f16["smallest subnormal"]) == (65504.0, 2.0**-14, 2.0**-24)
    assert f16["eps"] == 2.0**-10 and f16["mantissa bits"] == 10
    assert bf16["eps"] == 2.0**-7 and bf16["smallest normal"] == f32["smallest normal"] == 2.0**-126
    assert bf16["max"] == pytest.approx((2 - 2.0**-7) * 2.0**127)
    assert f32["eps"] == 2.0**-23
    with pytest.raises(ValueError, match="dtype must be"):
        scale.float_limits("float8")


def test_round_to_rounds_overflows_and_underflows():
    assert np.isinf(scale.round_to(70000.0, "float16"))
    assert scale.round_to(70000.0, "bfloat16") == 70144.0        # steps of 512 near 2^16
    assert scale.round_to(1 + 2.0**-11, "float16") == 1.0        # eps / 2: a tie, to even
    assert scale.round_to(1 + 2.0**-10, "float16") == 1 + 2.0**-10
    assert scale.round_to(1 + 2.0**-8, "bfloat16") == 1.0
    assert scale.round_to(1e-8, "float16") == 0.0
    assert scale.round_to(1e-45, "float32") > 0                  # a float32 subnormal
    out = scale.round_to([0.1, 0.2], "float32")
    assert out.dtype == np.float64 and out[0] == np.float64(np.float32(0.1))


def test_loss_scaling_keeps_small_gradients():
    g = np.array([1e-3, 1e-6, 1e-9])
    scaled = scale.scaled_gradient(g, 2.0**16)
    assert scaled.dtype == np.float32
    assert np.all(np.abs(scaled - g) / g <= 2.0**-11)
    unscaled = scale.scaled_gradient(g, 1.0)
    assert unscaled[2] == 0.0
    assert np.isinf(scale.scaled_gradient(1.0, 2.0**16)).all()   # too large a scale overflows
    with pytest.raises(ValueError, match="scale"):
        scale.scaled_gradient(g, 0.0)


def test_pipeline_timers_add_up_known_waits():
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((np.zeros((8, 2), "float32"), np.arange(8))).batch(2)
    options = tf.data.Options()
    options.experimental_optimization.inject_prefetch = False   # no overlap: the waits add up
    slow = ds.map(scale.sleep_map(0.02)).with_options(options)
    x, y = next(iter(slow))
    assert x.shape == (2, 2) and list(y.numpy()) == [0, 1]
    (t,) = scale.epoch_times(slow, 1, 0.01)
    assert t >= 4 * (0.02 + 0.01)
    (t,) = scale.epoch_times(slow.prefetch(1), 1, 0.01)         # overlapped: the decode bounds it
    assert t >= 4 * 0.02
    assert len(scale.epoch_times(ds, 3, 0.0)) == 3
    with pytest.raises(ValueError, match="seconds"):
        scale.sleep_map(-1)
    with pytest.raises(ValueError, match="epochs"):
        scale.epoch_times(ds, 0, 0.01)


def _engine_model():
    model = Sequential([Dense(5, activation="tanh"), Dense(3, activation="softmax")])
    return model.build((8,), seed=1, dtype="float64").compile("sparse_categorical_crossentropy", "sgd")


def test_shard_average_equals_the_whole_batch():
    model = _engine_model()
    x, y = _batch(24)
    x = x.astype("float64")
    before = model.get_weights()
    whole = scale.batch_gradients(model, x, y)
    for shards in (1, 2, 5, 24):                                # 5: shards of 5 and 4, weighted
        avg = scale.data_parallel_gradients(model, x, y, shards)
        assert max(np.abs(avg[k] - whole[k]).max() for k in whole) <= 1e-12
    half = scale.batch_gradients(model, x[:12], y[:12])
    assert max(np.abs(half[k] - whole[k]).max() for k in whole) > 1e-4   # a shard alone differs
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    with pytest.raises(ValueError, match="shards must be at most"):
        scale.data_parallel_gradients(model, x, y, 25)


def test_batch_gradients_match_keras_tape():
    model = _engine_model()
    x, y = _batch(10)
    x = x.astype("float64")
    keras_model = model.to_keras()
    _, keras_grads = twins.gradients(keras_model, model.loss.to_keras(dtype="float64"), x, y)
    ours = scale.batch_gradients(model, x, y)
    names = list(model.params)
    assert len(names) == len(keras_grads)
    for k, g in zip(names, keras_grads):
        np.testing.assert_allclose(ours[k], g, atol=1e-6)


def test_ring_allreduce_cost():
    assert scale.ring_allreduce_bytes(100.0, 1) == 0.0
    assert scale.ring_allreduce_bytes(100.0, 2) == 100.0
    assert scale.ring_allreduce_bytes(100.0, 1000) == pytest.approx(199.8)
    # 100M float32 gradients, 8 workers, 10 Gbit/s = 1.25 GB/s: 2 * 7/8 * 0.4 GB / 1.25 GB/s
    assert scale.ring_allreduce_seconds(100_000_000, 8, 10) == pytest.approx(0.56)
    assert scale.ring_allreduce_seconds(100_000_000, 8, 100) == pytest.approx(0.056)
    with pytest.raises(ValueError, match="gbit_per_s"):
        scale.ring_allreduce_seconds(10, 2, 0)
    with pytest.raises(ValueError, match="workers"):
        scale.ring_allreduce_bytes(10, 0)
