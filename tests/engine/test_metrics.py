"""nnbook.engine.metrics.accuracy: the three kinds Keras's "accuracy" picks from the shapes, against
keras.metrics on random cases, and the inputs that used to give a wrong number instead of an error."""

import keras
import numpy as np
import pytest

from nnbook.engine.metrics import accuracy


def _keras(metric, y_true, y_pred, **kwargs):
    m = getattr(keras.metrics, metric)(**kwargs)
    m.update_state(y_true, y_pred)
    return float(m.result())


def _cases(seed):
    """(y_true, y_pred, from_logits, Keras metric, its arguments) of random shapes."""
    rng = np.random.default_rng(seed)
    n, k, m = int(rng.integers(1, 40)), int(rng.integers(2, 7)), int(rng.integers(2, 5))
    labels01 = rng.integers(0, 2, size=n)
    probs = rng.uniform(size=n)
    probs[0] = 0.5  # the threshold itself counts as 0, as in Keras (y_pred > 0.5)
    logits = rng.normal(size=(n, 1))
    scores = rng.normal(size=(n, k))
    labels = rng.integers(0, k, size=n)
    yield labels01, probs, False, "BinaryAccuracy", {}
    yield labels01[:, None], probs[:, None], False, "BinaryAccuracy", {}
    yield labels01.astype(bool), probs[:, None], False, "BinaryAccuracy", {}
    yield labels01, logits, True, "BinaryAccuracy", {"threshold": 0.0}
    yield labels, scores, False, "SparseCategoricalAccuracy", {}
    yield labels[:, None], scores, False, "SparseCategoricalAccuracy", {}
    yield np.eye(k)[labels], scores, False, "CategoricalAccuracy", {}
    yield rng.integers(0, k, size=(n, m)), rng.normal(size=(n, m, k)), False, \
        "SparseCategoricalAccuracy", {}


@pytest.mark.parametrize("seed", range(8))
def test_matches_keras_metrics_on_random_cases(seed):
    for y_true, y_pred, from_logits, metric, kwargs in _cases(seed):
        ours = accuracy(y_true, y_pred, from_logits)
        assert ours == pytest.approx(_keras(metric, y_true, y_pred, **kwargs), rel=1e-6), metric


def test_binary_probabilities_against_labels_count_each_example():
    """1-D probabilities against 1-D labels: two of three right (this used to score 1.0)."""
    assert accuracy([0, 1, 1], [0.2, 0.9, 0.3]) == pytest.approx(2 / 3, rel=1e-15)
    assert accuracy([[0], [1], [1]], [0.2, 0.9, 0.3]) == pytest.approx(2 / 3, rel=1e-15)
    assert accuracy([0, 1, 1], [-1.0, 2.0, -0.1], from_logits=True) == pytest.approx(2 / 3, rel=1e-15)


def test_one_hot_labels_of_another_width_are_refused():
    scores = np.random.default_rng(0).normal(size=(5, 3))
    with pytest.raises(ValueError, match=r"one-hot rows of shape \(5, 3\), got shape \(5, 4\)"):
        accuracy(np.eye(4)[[0, 1, 2, 3, 0]], scores)


@pytest.mark.parametrize("y_true, y_pred", [([], []), (np.zeros(0), np.zeros((0, 3)))],
                         ids=["1-D", "classes"])
def test_empty_input_is_refused_not_nan(y_true, y_pred):
    with pytest.raises(ValueError, match="non-empty"):
        accuracy(y_true, y_pred)


@pytest.mark.parametrize("y_true, y_pred, match", [
    ([0, 1, 1, 0], [0.2, 0.9, 0.3], r"y_pred has 3, y_true has shape \(4,\)"),
    ([0, 1], np.full((3, 4), 0.25), r"y_pred has 3, y_true has shape \(2,\)"),
    (np.eye(4)[:2], np.full((3, 4), 0.25), r"y_pred has 3, y_true has shape \(2, 4\)"),
], ids=["binary", "sparse", "one-hot"])
def test_mismatched_lengths_are_named(y_true, y_pred, match):
    with pytest.raises(ValueError, match=match):
        accuracy(y_true, y_pred)


def test_class_labels_against_binary_predictions_are_refused():
    """Predicted class labels are not probabilities: 3 and 7 are both "> 0.5", so comparing them
    as binary predictions would count every example right."""
    with pytest.raises(ValueError, match=r"labels 0 or 1.*\[3, 7\].*np.mean"):
        accuracy([3, 7, 7], [3, 7, 3])
    with pytest.raises(ValueError, match="labels 0 or 1"):
        accuracy([0.3, 1.0], [0.2, 0.9])  # a soft label: Keras would count it wrong whatever y_pred


@pytest.mark.parametrize("y_true, y_pred, kwargs, error, match", [
    ([0, 1], [0.2, np.nan], {}, ValueError, "y_pred must be finite"),
    ([0, np.inf], [0.2, 0.7], {}, ValueError, "y_true must be finite"),
    ([0, 1], "0.2 0.7", {}, TypeError, "y_pred must be numeric"),
    (None, [0.2, 0.7], {}, TypeError, "y_true must be numeric"),
    ([0, 1], 0.7, {}, ValueError, "non-empty"),
    ([0, 3], np.full((2, 3), 1 / 3), {}, ValueError, r"integers in \[0, 2\]"),
    ([0, 1.5], np.full((2, 3), 1 / 3), {}, ValueError, "integers"),
    ([0, 1], [0.2, 0.7], {"from_logits": "no"}, TypeError, "from_logits must be True or False"),
    ([0, 1], [0.2, 0.7], {"from_logits": 1}, TypeError, "from_logits must be True or False"),
], ids=lambda v: None)
def test_bad_input(y_true, y_pred, kwargs, error, match):
    with pytest.raises(error, match=match):
        accuracy(y_true, y_pred, **kwargs)


def test_numpy_and_float32_inputs():
    assert accuracy(np.array([0, 1], np.int64), np.array([0.2, 0.7], np.float32)) == 1.0
    assert accuracy(np.array([2]), np.array([[0.1, 0.2, 0.7]], np.float32), np.bool_(False)) == 1.0
