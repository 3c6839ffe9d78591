"""Chapter 15 exercises on scale: the references pass and agree with NumPy's float16 and with
lab/scale.py; wrong answers fail at the case that exposes them, with the hint."""

import numpy as np
import pytest

from nnbook.book.exercises import check, get, ids
from nnbook.engine import Dense, Sequential
from nnbook.lab import scale

IDS = ["ch15.float16_spacing", "ch15.shard_average", "ch15.ring_allreduce_bytes"]


def test_registered():
    assert set(IDS) <= set(ids())


@pytest.mark.parametrize("exid", IDS)
def test_reference_passes(exid):
    assert check(exid, get(exid).reference, quiet=True).passed


def test_references_match_numpy_and_the_lab():
    spacing = get("ch15.float16_spacing").reference
    for x in (1.0, 3.0, 1000.0, 2.0**-14, 1e-6, 7e-8):
        assert spacing(x) == float(np.spacing(np.float16(x)))
    assert spacing(65504.0) == 32.0   # the largest float16 is 32 below 65536
    model = Sequential([Dense(4, activation="tanh"), Dense(3, activation="softmax")])
    model.build((5,), seed=0, dtype="float64").compile("sparse_categorical_crossentropy", "sgd")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(10, 5)), rng.integers(0, 3, 10)
    parts = np.array_split(np.arange(10), 3)
    shards = [scale.batch_gradients(model, x[i], y[i]) for i in parts]
    whole = scale.batch_gradients(model, x, y)
    for k in whole:
        combined = get("ch15.shard_average").reference([g[k] for g in shards], [len(i) for i in parts])
        np.testing.assert_allclose(combined, whole[k], atol=1e-12)
    for n, w in ((100.0, 1), (400e6, 8)):
        assert get("ch15.ring_allreduce_bytes").reference(n, w) == scale.ring_allreduce_bytes(n, w)


def test_wrong_answers_fail_at_the_case_that_exposes_them(fails_at):
    fails_at(check("ch15.float16_spacing", lambda x: x * 2.0**-10, quiet=True), 2)   # eps relative to x
    fails_at(check("ch15.float16_spacing", lambda x: 2.0**-10, quiet=True), 3)       # ignores the binade
    fails_at(check("ch15.shard_average", lambda g, n: sum(g), quiet=True), 1)        # summed
    fails_at(check("ch15.shard_average", lambda g, n: sum(g) / len(g), quiet=True), 2)  # unweighted
    fails_at(check("ch15.ring_allreduce_bytes", lambda b, w: 2 * b, quiet=True), 1)
    fails_at(check("ch15.ring_allreduce_bytes", lambda b, w: (w - 1) / w * b, quiet=True), 2)


def test_the_stub_gets_the_nudge_only():
    def stub(*args):
        raise NotImplementedError

    r = check("ch15.shard_average", stub, quiet=True)
    assert not r.passed and get("ch15.shard_average").hint in r.message
