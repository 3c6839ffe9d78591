"""nnbook.lab.transformers: the sorting task and its disjoint split, exact match on known inputs,
the LSTM's read-then-answer layout, short training runs of both models (loss falls, the
transformer beats chance), the transformer against its Keras twin, the callback and the
attention maps, and bad inputs."""

import numpy as np
import pytest

from nnbook.engine import Sequential
from nnbook.lab import transformers as tr

# --- the task --------------------------------------------------------------------------------------


def test_sort_task_is_sorted_seeded_and_in_range():
    x, y = tr.sort_task(500, length=7, vocab=4, seed=3)
    assert x.shape == y.shape == (500, 7) and x.dtype.kind == y.dtype.kind == "i"
    assert x.min() == 0 and x.max() == 3
    assert np.all(np.diff(y, axis=1) >= 0)
    np.testing.assert_array_equal(np.sort(x, axis=1), y)  # same digits, in order
    x2, y2 = tr.sort_task(500, length=7, vocab=4, seed=3)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(x, tr.sort_task(500, length=7, vocab=4, seed=4)[0])


def test_sequence_ids_on_known_sequences():
    ids = tr.sequence_ids(np.array([[0, 0, 0], [0, 1, 2], [2, 2, 2], [1, 0, 0]]), vocab=3)
    np.testing.assert_array_equal(ids, [0, 5, 26, 9])
    x, _ = tr.sort_task(300, length=5, vocab=3, seed=0)
    distinct_rows = len(np.unique(x, axis=0))
    assert len(np.unique(tr.sequence_ids(x, 3))) == distinct_rows


@pytest.mark.parametrize("length, vocab", [(6, 3), (15, 10)])  # a small space and a huge one
def test_held_out_split_is_disjoint_and_distinct(length, vocab):
    (x, y), (xh, yh) = tr.held_out_split(2000, 200, length, vocab, seed=1)
    assert x.shape == (2000, length) and xh.shape == (200, length)
    np.testing.assert_array_equal(y, np.sort(x, axis=1))
    np.testing.assert_array_equal(yh, np.sort(xh, axis=1))
    train_ids, held_ids = tr.sequence_ids(x, vocab), tr.sequence_ids(xh, vocab)
    assert len(np.unique(held_ids)) == 200  # held-out sequences are distinct
    assert not np.isin(train_ids, held_ids).any()  # and never seen in training
    if length == 6:  # in the small space training still covers most of what is left
        assert len(np.unique(train_ids)) > 0.9 * (3**6 - 200)
    (x2, _), (xh2, _) = tr.held_out_split(2000, 200, length, vocab, seed=1)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(xh, xh2)


def test_task_refuses_bad_sizes():
    with pytest.raises(ValueError, match="length must be an integer >= 2, got 1"):
        tr.sort_task(10, length=1)
    with pytest.raises(ValueError, match="vocab must be an integer >= 2, got 1"):
        tr.sort_task(10, vocab=1)
    with pytest.raises(ValueError, match=r"at most half of the 729 possible sequences \(364\).*got 400"):
        tr.held_out_split(100, 400, 6, 3)
    with pytest.raises(ValueError, match=r"below 2\*\*62, got 10\*\*20"):
        tr.held_out_split(100, 10, 20, 10)
    with pytest.raises(ValueError, match=r"digits in \[0, 2\].*from 0 to 3"):
        tr.sequence_ids(np.array([[0, 3]]), 3)


# --- measuring ---------------------------------------------------------------------------------------


def test_exact_match_on_known_inputs():
    targets = np.array([[0, 1, 2], [1, 1, 2], [0, 0, 0], [2, 2, 2]])
    pred = np.array([[0, 1, 2], [1, 2, 2], [0, 0, 0], [2, 2, 1]])  # rows 1 and 3 miss one digit
    assert tr.exact_match(pred, targets) == 0.5
    logits = np.eye(3)[pred] * 5.0 - 1.0  # (4, 3, 3) scores peaked at pred
    assert tr.exact_match(logits, targets) == 0.5
    assert tr.exact_match(targets, targets) == 1.0


def test_exact_match_refuses_bad_input():
    targets = np.zeros((4, 3), dtype=int)
    with pytest.raises(ValueError, match=r"\(n, length\) = \(4, 3\) like the targets, got \(4, 2\)"):
        tr.exact_match(np.zeros((4, 2), dtype=int), targets)
    with pytest.raises(ValueError, match=r"scores \(n, length, vocab\) or integer predictions"):
        tr.exact_match(np.zeros((4, 3)), targets)  # floats of 2 axes: neither scores nor digits
    with pytest.raises(ValueError, match="targets must be a non-empty integer array"):
        tr.exact_match(np.zeros((4, 3), dtype=int), np.zeros((4, 3)))


def test_read_then_answer_layout():
    x, y = np.array([[2, 0, 1]]), np.array([[0, 1, 2]])
    x2, y2 = tr.read_then_answer(x, y, vocab=3)
    np.testing.assert_array_equal(x2, [[2, 0, 1, 3, 3, 3]])
    np.testing.assert_array_equal(y2, [[2, 0, 1, 0, 1, 2]])
    with pytest.raises(ValueError, match=r"shape of inputs \(1, 3\), got \(1, 2\)"):
        tr.read_then_answer(x, y[:, :2], 3)


# --- the models ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def split():
    (x, y), (xh, yh) = tr.held_out_split(1280, 150, 6, 3, seed=0)
    return x, y, xh, yh


def test_transformer_learns_to_sort_beyond_chance(split):
    x, y, xh, yh = split
    model = tr.transformer_sorter(6, 3, heads=4, decay_steps=100, seed=0)
    assert isinstance(model, Sequential) and model.output_shape() == (6, 3)
    before = model.evaluate(xh, yh)["loss"]
    score = tr.ExactMatch(xh, yh)
    model.fit(x, y, epochs=5, batch_size=64, callbacks=[score], verbose=0)  # 100 steps
    assert score.steps == [20, 40, 60, 80, 100]
    assert model.evaluate(xh, yh)["loss"] < 0.3 * before
    # chance: always answering the commonest sorted sequence of the held-out set
    _, counts = np.unique(yh, axis=0, return_counts=True)
    chance = counts.max() / len(yh)
    assert score.scores[-1] == tr.exact_match(model.predict(xh), yh) > 0.9 > 5 * chance
    maps = tr.attention_maps(model, xh[:5])
    assert len(maps) == 1 and maps[0].shape == (5, 4, 6, 6)
    np.testing.assert_allclose(maps[0].sum(axis=-1), 1.0)


def test_exact_match_callback_stops_at_target(split):
    x, y, xh, yh = split
    model = tr.transformer_sorter(6, 3, heads=4, seed=0)
    score = tr.ExactMatch(xh, yh, stop_at=0.5)
    model.fit(x, y, epochs=20, batch_size=64, callbacks=[score], verbose=0)
    assert score.scores[-1] >= 0.5 > max(score.scores[:-1], default=0)
    assert len(model.history["loss"]) == len(score.scores) < 20


def test_lstm_loss_falls_on_read_then_answer(split):
    x, y, xh, yh = split
    x2, y2 = tr.read_then_answer(x, y, 3)
    model = tr.lstm_sorter(6, 3, units=32, seed=0)
    assert model.output_shape() == (12, 3)
    model.fit(x2, y2, epochs=3, batch_size=64, verbose=0)  # 60 steps
    losses = model.batch_losses
    assert np.mean(losses[-5:]) < 0.7 * np.mean(losses[:5])
    score = tr.ExactMatch(*tr.read_then_answer(xh, yh, 3)[:1], yh, columns=slice(6, None))
    score.set_model(model)
    score.on_epoch_end(0)
    assert 0 <= score.scores[0] <= 1


def test_transformer_agrees_with_its_keras_twin(split):
    x, y, xh, _ = split
    model = tr.transformer_sorter(6, 3, blocks=2, seed=1)
    model.fit(x[:256], y[:256], epochs=1, batch_size=64, verbose=0)  # weights off their start
    twin = model.to_keras()
    np.testing.assert_allclose(twin.predict(xh[:20], verbose=0), model.predict(xh[:20]), atol=1e-6)


def test_models_refuse_bad_input(split):
    x, y, _, _ = split
    with pytest.raises(ValueError, match="d_model must be a multiple of heads, got d_model 30 and heads 4"):
        tr.transformer_sorter(6, 3, d_model=30, heads=4)
    with pytest.raises(ValueError, match="learning_rate must lie in"):
        tr.lstm_sorter(6, 3, learning_rate=0.0)
    model = tr.transformer_sorter(6, 3)
    with pytest.raises(ValueError, match=r"shape \(n, 6\) with n >= 1, got \(5, 5\)"):
        model.predict(x[:5, :5])
    with pytest.raises(ValueError, match=r"token ids in \[0, 3\), got values from 3 to 3"):
        model.predict(np.full((2, 6), 3))
    with pytest.raises(ValueError, match=r"class labels must lie in \[0, 2\]"):
        model.fit(x[:4], y[:4] + 1, verbose=0)
    with pytest.raises(TypeError, match="Sequential holding TransformerBlocks"):
        tr.attention_maps(tr.lstm_sorter(6, 3), x[:2])
    with pytest.raises(TypeError, match="columns must be None or a slice"):
        tr.ExactMatch(x, y, columns=3)


# --- the character-level language model --------------------------------------------------------------


def _ids(rng, n, T, V):
    return rng.integers(0, V, size=(n, T))


@pytest.mark.parametrize("causal", [True, False])
def test_char_lm_causality_is_what_the_mask_says(causal):
    rng = np.random.default_rng(13)
    model = tr.char_lm(11, 12, d_model=16, heads=2, ff_dim=32, blocks=2, causal=causal, seed=1)
    x = _ids(rng, 3, 12, 11)
    later = x.copy()
    later[:, 7:] = (later[:, 7:] + 1 + rng.integers(0, 9, size=(3, 5))) % 11  # every later id changes
    a, b = model.predict(x), model.predict(later)
    assert a.shape == (3, 12, 11) and a.dtype == np.float32
    if causal:  # positions 0..6 read nothing after them
        np.testing.assert_array_equal(a[:, :7], b[:, :7])
    else:
        assert np.abs(a[:, :7] - b[:, :7]).max() > 1e-3
    assert np.abs(a[:, 7:] - b[:, 7:]).max() > 1e-3


def test_keras_char_lm_is_the_engine_model():
    import keras

    keras.utils.set_random_seed(2)
    theirs = tr.keras_char_lm(9, 10, d_model=16, heads=4, ff_dim=24, blocks=2)
    ours = tr.char_lm(9, 10, d_model=16, heads=4, ff_dim=24, blocks=2)
    ours.set_weights(theirs.get_weights())
    x = _ids(np.random.default_rng(0), 5, 10, 9)
    k = np.asarray(theirs(x))
    np.testing.assert_allclose(ours.predict(x), k, rtol=1e-5, atol=1e-5 * np.abs(k).max())
    # one training step moves the Keras weights; the copy follows
    theirs.train_on_batch(x, np.roll(x, -1, axis=1))
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours.predict(x), np.asarray(theirs(x)), rtol=1e-5, atol=1e-5 * np.abs(k).max())


def test_nats_per_char_on_known_inputs_and_against_keras():
    import keras

    assert tr.nats_per_char(np.zeros((2, 3, 7)), np.zeros((2, 3), dtype=int)) == pytest.approx(np.log(7))
    logits = np.array([[[1000.0, 0.0], [0.0, 1000.0]]])  # sure and right, then sure and wrong
    assert tr.nats_per_char(logits, np.array([[0, 0]])) == pytest.approx(500.0)
    rng = np.random.default_rng(3)
    z, t = rng.normal(scale=2, size=(4, 6, 8)), rng.integers(0, 8, size=(4, 6))
    keras_loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(t, z.astype("float32"))
    assert tr.nats_per_char(z, t) == pytest.approx(float(keras_loss), rel=1e-5)


def test_sample_is_seeded_and_cold_sampling_is_the_argmax():
    model = tr.char_lm(7, 8, d_model=8, heads=2, ff_dim=16, blocks=1, seed=4)
    prompt = np.array([1, 2, 3])
    ids, probs = tr.sample(model, prompt, 12, temperature=1.0, seed=5)
    assert ids.shape == (12,) and probs.shape == (12, 7) and ids.min() >= 0 and ids.max() < 7
    np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-12)
    np.testing.assert_array_equal(ids, tr.sample(model, prompt, 12, temperature=1.0, seed=5)[0])
    cold, cold_p = tr.sample(model, prompt, 12, temperature=1e-4, seed=6)
    np.testing.assert_array_equal(cold, cold_p.argmax(axis=1))
    # the first distribution is the model's at the prompt's last position; later ones read 8 ids at most
    full = model.forward(prompt[None])[0, -1].astype(np.float64)
    np.testing.assert_allclose(probs[0], np.exp(full) / np.exp(full).sum(), rtol=1e-5)


def test_validation_curve_records_every_few_steps_and_the_end():
    import keras

    keras.utils.set_random_seed(0)
    model = tr.keras_char_lm(6, 8, d_model=8, heads=2, ff_dim=8, blocks=1)
    x = _ids(np.random.default_rng(1), 40, 8, 6)
    curve = tr.keras_validation_curve(x[:8], x[:8], every=2)
    model.fit(x, x, epochs=1, batch_size=8, verbose=0, callbacks=[curve])  # 5 steps
    assert curve.steps == [2, 4, 5]
    assert curve.losses[-1] == pytest.approx(model.evaluate(x[:8], x[:8], verbose=0), rel=1e-6)


def test_char_lm_refuses_bad_input():
    with pytest.raises(ValueError, match="d_model must be a multiple of heads, got d_model 10 and heads 4"):
        tr.char_lm(5, 8, d_model=10, heads=4)
    with pytest.raises(ValueError, match="vocab_size must be an integer >= 2, got 1"):
        tr.char_lm(1, 8)
    with pytest.raises(ValueError, match=r"targets must be integers of shape \(2, 3\)"):
        tr.nats_per_char(np.zeros((2, 3, 4)), np.zeros((2, 2), dtype=int))
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 4\), got values from 0 to 4"):
        tr.nats_per_char(np.zeros((1, 2, 4)), np.array([[0, 4]]))
    with pytest.raises(TypeError, match="model must be a built char_lm"):
        tr.sample("a model", [1], 3)
    with pytest.raises(ValueError, match="prompt_ids must hold at least one id"):
        tr.sample(tr.char_lm(5, 4, d_model=4, heads=1, ff_dim=4, blocks=1), [], 3)
