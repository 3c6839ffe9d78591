"""Chapter 14 exercises: the references pass and agree with the engine's own parameter counts;
wrong answers fail at the case that exposes them, with the hint."""

import numpy as np
import pytest

from nnbook.book.exercises import check, get, ids
from nnbook.engine import Dense, Sequential
from nnbook.lab import convnets

IDS = ["ch14.head_params", "ch14.trainable_after_unfreezing", "ch14.discriminative_rates"]


def test_registered():
    assert set(IDS) <= set(ids())


@pytest.mark.parametrize("exid", IDS)
def test_reference_passes(exid):
    assert check(exid, get(exid).reference, quiet=True).passed


def test_references_match_the_engine():
    head = Sequential([Dense(32, activation="relu"), Dense(10)]).build((64,), seed=0)
    assert get("ch14.head_params").reference((64, 32, 10)) == head.count_params()
    cnn = convnets.mnist_cnn()
    counts = [layer.count_params() for layer in cnn.layers]
    for k in range(len(counts) + 2):
        for i, layer in enumerate(cnn.layers):
            layer.trainable = i >= len(counts) - k
        frozen_model = Sequential(cnn.layers)
        trainable = sum(p.size for p in frozen_model.trainable_params().values())
        assert get("ch14.trainable_after_unfreezing").reference(counts, k) == trainable
    rates = get("ch14.discriminative_rates").reference(1e-3, 4, 2.6)
    np.testing.assert_allclose(rates[1:] / rates[:-1], 2.6)
    assert rates[-1] == 1e-3


def _head_without_biases(sizes):
    return int(sum(a * b for a, b in zip(sizes[:-1], sizes[1:])))


def _head_last_layer_only(sizes):  # counts only the layer that makes the outputs
    return int((sizes[-2] + 1) * sizes[-1])


def _unfrozen_negative_slice(counts, k):  # counts[-0:] is the whole list
    return int(sum(counts[-k:]))


def _unfrozen_first_layers(counts, k):  # unfreezes from the input side
    return int(sum(counts[:k]))


def _rates_reversed(base_rate, n, factor):  # smallest rate at the top
    return base_rate / factor ** np.arange(n, dtype=float)


def _rates_multiplied(base_rate, n, factor):  # rates grow towards the input
    return base_rate * factor ** np.arange(n - 1, -1, -1.0)


@pytest.mark.parametrize("exid, wrong, case", [
    ("ch14.head_params", _head_without_biases, 1),
    ("ch14.head_params", _head_last_layer_only, 3),  # a linear head is its last layer
    ("ch14.trainable_after_unfreezing", _unfrozen_negative_slice, 4),
    ("ch14.trainable_after_unfreezing", _unfrozen_first_layers, 1),
    ("ch14.discriminative_rates", _rates_reversed, 1),
    ("ch14.discriminative_rates", _rates_multiplied, 1),
])
def test_wrong_answers_fail_with_case_and_hint(fails_at, exid, wrong, case):
    fails_at(check(exid, wrong, quiet=True), case)


def test_stub_fails_without_giving_the_answer_away():
    def stub(*args):
        raise NotImplementedError("your code here")

    result = check("ch14.head_params", stub, quiet=True)
    assert not result.passed and "NotImplementedError" in result.message
