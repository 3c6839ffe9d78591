"""Chapter 13's language-model exercise: the reference passes and agrees with the lab's
nats_per_char (itself tested against Keras); wrong answers fail at the case that exposes them,
with the hint."""

import numpy as np
import pytest

from nnbook.book.exercises import check, get, ids
from nnbook.lab import transformers as tr

EXID = "ch13.nats_per_char"


def test_registered_and_reference_passes():
    assert EXID in ids()
    assert check(EXID, get(EXID).reference, quiet=True).passed


def test_reference_matches_the_lab():
    rng = np.random.default_rng(13)
    logits, targets = rng.normal(scale=4, size=(3, 5, 11)), rng.integers(0, 11, size=(3, 5))
    assert get(EXID).reference(logits, targets) == pytest.approx(tr.nats_per_char(logits, targets), rel=1e-14)


def _naive_softmax(logits, targets):  # exp of raw logits: overflows at several hundred
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        p = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
        return float(-np.log(np.take_along_axis(p, targets[..., None], axis=-1)).mean())


def _in_bits(logits, targets):  # log base 2: bits, not nats
    return get(EXID).reference(logits, targets) / np.log(2)


def _mean_of_probabilities(logits, targets):  # averages p, then takes the log once
    z = np.exp(logits - logits.max(axis=-1, keepdims=True))
    p = z / z.sum(axis=-1, keepdims=True)
    return float(-np.log(np.take_along_axis(p, targets[..., None], axis=-1).mean()))


@pytest.mark.parametrize("wrong, case", [(_in_bits, 1), (_mean_of_probabilities, 2), (_naive_softmax, 3)])
def test_wrong_answers_fail_with_case_and_hint(fails_at, wrong, case):
    fails_at(check(EXID, wrong, quiet=True), case)
