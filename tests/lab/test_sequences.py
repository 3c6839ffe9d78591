"""nnbook.lab.sequences: gradient norms through time against GradientTape, the recall task, the
forecasting baselines against closed forms, the character baselines against direct counting,
temperature and generation against the full forward pass; the MNIST-1D GRU (its shipped weights
and its Keras twin, its recipe learning, its accuracy by step against truncated sequences)."""

import keras
import numpy as np
import pytest

from nnbook import data
from nnbook.engine import GRU, LSTM, Dense, Embedding, Sequential, SimpleRNN
from nnbook.lab import sequences as S

# --- gradients through time --------------------------------------------------------------------


def test_spectral_radius_and_rescaling():
    U = np.diag([0.5, -2.0, 1.0])
    assert S.spectral_radius(U) == pytest.approx(2.0)
    V = S.with_spectral_radius(U, 0.8)
    assert S.spectral_radius(V) == pytest.approx(0.8)
    np.testing.assert_allclose(V, U * 0.4)
    with pytest.raises(ValueError, match="square"):
        S.spectral_radius(np.ones((2, 3)))
    with pytest.raises(ValueError, match="radius"):
        S.with_spectral_radius(U, 0.0)


@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
def test_input_gradient_norms_match_gradient_tape(cls):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(3, 7, 2))
    layer = cls(5)
    layer.build((7, 2), seed=1)
    ours = S.input_gradient_norms(layer, x)
    theirs = S.keras_input_gradient_norms(layer.to_keras(), x)
    assert ours.shape == (7,)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def test_input_gradient_norms_by_finite_differences():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1, 4, 2))
    layer = SimpleRNN(3)
    layer.build((4, 2), seed=0)
    eps, jac = 1e-6, np.zeros((3, 4, 2))
    for t in range(4):
        for j in range(2):
            xp, xm = x.copy(), x.copy()
            xp[0, t, j] += eps
            xm[0, t, j] -= eps
            jac[:, t, j] = (layer.forward(xp)[0] - layer.forward(xm)[0]) / (2 * eps)
    np.testing.assert_allclose(S.input_gradient_norms(layer, x), np.sqrt((jac**2).sum(axis=(0, 2))),
                               rtol=1e-7)


def test_gradients_vanish_below_radius_one_and_explode_above():
    x = np.random.default_rng(1).normal(size=(4, 40, 3)) * 0.1
    norms = {}
    for r in (0.5, 2.0):
        layer = SimpleRNN(16)
        layer.build((40, 3), seed=0)
        U = layer.params["recurrent_kernel"]
        U[...] = S.with_spectral_radius(U, r)
        norms[r] = S.input_gradient_norms(layer, x)
    assert norms[0.5][0] < 1e-8 * norms[0.5][-1]
    assert norms[2.0][0] > 1e3 * norms[2.0][-1]


def test_input_gradient_norms_refuse_other_layers():
    with pytest.raises(TypeError, match="SimpleRNN, LSTM or GRU"):
        S.input_gradient_norms(Dense(3), np.zeros((1, 2, 2)))
    layer = LSTM(2, return_sequences=True)
    layer.build((3, 2))
    with pytest.raises(ValueError, match="return_sequences"):
        S.input_gradient_norms(layer, np.zeros((1, 3, 2)))


# --- the recall task ---------------------------------------------------------------------------


def test_recall_task_layout():
    x, y = S.recall_task(50, steps=6, symbols=3, seed=2)
    assert x.shape == (50, 6, 7) and x.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(x.sum(axis=2), 1.0)  # one channel lit per step
    np.testing.assert_array_equal(x[:, 0, :3].argmax(axis=1), y)  # the first step shows the label
    assert x[:, 1:-1, 3:6].sum() == 50 * 4  # distractors from the other alphabet only
    np.testing.assert_array_equal(x[:, -1, 6], 1.0)  # the question
    assert set(y) == {0, 1, 2}
    x2, y2 = S.recall_task(50, steps=6, symbols=3, seed=2)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    with pytest.raises(ValueError, match="steps"):
        S.recall_task(5, steps=1)


def test_memory_model_opens_the_gates():
    lstm = S.memory_model("LSTM", (5, 9), 4, units=3, gate_bias=3.0)
    np.testing.assert_array_equal(lstm.layers[0].params["bias"][3:6], 3.0)
    np.testing.assert_array_equal(lstm.layers[0].params["bias"][:3], 0.0)
    gru = S.memory_model("GRU", (5, 9), 4, units=3, gate_bias=2.0)
    np.testing.assert_array_equal(gru.layers[0].params["bias"][0, :3], 2.0)
    np.testing.assert_array_equal(gru.layers[0].params["bias"][1], 0.0)
    assert S.memory_model("SimpleRNN", (5, 9), 4).output_shape() == (4,)
    with pytest.raises(ValueError, match="kind"):
        S.memory_model("RNN", (5, 9), 4)


def test_lstm_learns_recall_where_the_forget_gate_is_open():
    from nnbook.engine import optimizers

    x, y = S.recall_task(600, steps=20, seed=0)
    xv, yv = S.recall_task(300, steps=20, seed=1)
    model = S.memory_model("LSTM", x.shape[1:], 4, units=8, gate_bias=3.0, dtype="float32")
    model.compile("sparse_categorical_crossentropy", optimizers.Adam(1e-2))
    model.fit(x, y, epochs=6, batch_size=32, verbose=0)
    assert model.evaluate(xv, yv)["accuracy"] > 0.9


# --- classifying sequences: MNIST-1D ---------------------------------------------------------------


def test_mnist1d_gru_holds_the_shipped_weights_and_matches_its_keras_twin():
    model = S.mnist1d_gru()
    assert [type(layer) for layer in model.layers] == [GRU, Dense] and model.dtype == np.float32
    shipped = data.weights("ch11_mnist1d_gru")
    assert [w.shape for w in shipped] == [w.shape for w in model.get_weights()]
    model.set_weights(shipped)
    x = data.load("mnist1d").x_train[3600:3700, :, None]
    logits = model.predict(x)
    assert logits.shape == (100, 10)
    np.testing.assert_allclose(logits, np.asarray(model.to_keras()(x)), rtol=1e-4, atol=1e-4)


def test_train_mnist1d_gru_learns_and_records_validation_accuracy():
    m1d = data.load("mnist1d")
    x, y = m1d.x_train[:600, :, None], m1d.y_train[:600]
    model = S.train_mnist1d_gru(x[:500], y[:500], x[500:], y[500:], epochs=3, seed=1)
    log = model.history
    assert len(log["val_accuracy"]) == 3 and log["loss"][-1] < log["loss"][0]
    assert model.optimizer._learning_rate.decay_steps == 3 * 16  # cosine over every step
    assert model.optimizer.learning_rate == pytest.approx(0.0, abs=1e-12)  # ... down to 0
    with pytest.raises(ValueError, match="epochs"):
        S.train_mnist1d_gru(x, y, x, y, epochs=0)


def test_accuracy_by_step_reads_prefixes():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(30, 6, 2)), rng.integers(0, 3, size=30)
    for cls in (GRU, LSTM):
        model = Sequential([cls(4), Dense(3)]).build((6, 2), seed=2)
        by_step = S.accuracy_by_step(model, x, y)
        assert by_step.shape == (6,) and not model.layers[0].return_sequences
        for t in (1, 3, 6):  # h_t of the whole sequence is h_T of its first t steps
            prefix = Sequential([cls(4), Dense(3)]).build((t, 2), seed=2)
            prefix.set_weights(model.get_weights())
            assert by_step[t - 1] == np.mean(prefix.predict(x[:, :t]).argmax(1) == y)
    with pytest.raises(TypeError, match="Sequential"):
        S.accuracy_by_step(model.layers[0], x, y)
    with pytest.raises(ValueError, match="30 integer class ids"):
        S.accuracy_by_step(model, x, y[:5])


# --- forecasting -------------------------------------------------------------------------------


def test_windows_and_chronological_split():
    x, y = S.windows(np.arange(10.0), 3)
    assert x.shape == (7, 3)
    np.testing.assert_array_equal(x[0], [0, 1, 2])
    np.testing.assert_array_equal(y, np.arange(3.0, 10.0))
    tr, va, te = S.chronological_split(20, (0.7, 0.15))
    assert (tr, va, te) == (slice(0, 14), slice(14, 17), slice(17, 20))
    with pytest.raises(ValueError, match="longer"):
        S.windows(np.arange(3.0), 3)
    with pytest.raises(ValueError, match="test part"):
        S.chronological_split(20, (0.8, 0.2))


def test_standardizer_persistence_ar_and_rmse():
    rng = np.random.default_rng(0)
    s = S.Standardizer([1.0, 3.0])
    np.testing.assert_allclose(s([1.0, 3.0]), [-1, 1])
    np.testing.assert_allclose(s.inverse(s([5.0])), [5.0])
    with pytest.raises(ValueError, match="std is 0"):
        S.Standardizer([2.0, 2.0])
    # an exact AR(2) process is recovered by least squares
    series = np.zeros(60)
    series[:2] = rng.normal(size=2)
    for t in range(2, 60):
        series[t] = 0.6 * series[t - 1] - 0.3 * series[t - 2] + 0.5
    x, y = S.windows(series, 2)
    coef = S.fit_ar(x, y)
    np.testing.assert_allclose(coef, [-0.3, 0.6, 0.5], atol=1e-8)
    assert S.rmse(y, S.predict_ar(coef, x)) < 1e-8
    np.testing.assert_array_equal(S.persistence(x), x[:, -1])
    assert S.rmse(np.array([0.0, 0.0]), np.array([3.0, 4.0])) == pytest.approx(np.sqrt(12.5))
    with pytest.raises(ValueError, match="coef"):
        S.predict_ar(coef[:2], x)


# --- characters --------------------------------------------------------------------------------


def test_vocabulary_and_windows():
    v = S.Vocabulary("hello world")
    assert len(v) == 8 and v.decode(v.encode("hold")) == "hold"
    with pytest.raises(ValueError, match="not in the vocabulary"):
        v.encode("xyz")
    x, y = S.next_char_windows(np.arange(10), 4)
    np.testing.assert_array_equal(x, [[0, 1, 2, 3], [4, 5, 6, 7]])
    np.testing.assert_array_equal(y, x + 1)
    assert S.next_char_windows(np.arange(10), 4, stride=1)[0].shape == (6, 4)


def test_unigram_and_bigram_nats_by_counting():
    train, val = np.array([0, 1, 0, 0, 2, 1]), np.array([0, 2, 1, 1])
    p = (np.bincount(train, minlength=3) + 1.0) / (6 + 3)
    assert S.unigram_nats(train, val, 3) == pytest.approx(-np.mean(np.log(p[val])))
    counts = np.full((3, 3), 0.1)
    for a, b in zip(train[:-1], train[1:]):
        counts[a, b] += 1
    q = counts / counts.sum(1, keepdims=True)
    expected = -np.mean([np.log(q[a, b]) for a, b in zip(val[:-1], val[1:])])
    assert S.bigram_nats(train, val, 3) == pytest.approx(expected)
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        S.unigram_nats(train, np.array([0, 3]), 3)


def test_temperature():
    p = np.array([0.5, 0.3, 0.2])
    np.testing.assert_allclose(S.with_temperature(p, 1.0), p)
    cold, hot = S.with_temperature(p, 0.1), S.with_temperature(p, 10.0)
    assert cold[0] > 0.99 and np.ptp(hot) < 0.05
    np.testing.assert_allclose(S.with_temperature(p, 0.5), p**2 / np.sum(p**2))


@pytest.mark.parametrize("cls", [LSTM, GRU])
def test_generate_matches_the_full_forward_pass(cls):
    text = "the cat sat on the mat. "
    vocab = S.Vocabulary(text)
    model = Sequential([Embedding(len(vocab), 4), cls(6, return_sequences=True),
                        Dense(len(vocab), activation="softmax")])
    model.build((None,), seed=0)
    sample, probs = S.generate(model, vocab, "the ", 12, temperature=0.8, seed=3)
    assert len(sample) == 12 and probs.shape == (12, len(vocab))
    # the distribution of every sampled character is what the whole model gives on the text so far
    full = model.forward(vocab.encode("the " + sample)[None])[0]
    np.testing.assert_allclose(probs, full[3:15], rtol=1e-10)
    assert S.generate(model, vocab, "the ", 12, temperature=0.8, seed=3)[0] == sample


def test_generate_with_a_keras_twin_trained_model():
    text = "abcabcabcabc"
    vocab = S.Vocabulary(text)
    keras.utils.set_random_seed(0)
    km = keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(3, 4),
                           keras.layers.LSTM(5, return_sequences=True),
                           keras.layers.Dense(3, activation="softmax")])
    model = Sequential.from_keras(km)
    _, probs = S.generate(model, vocab, "ab", 3, seed=0)
    ids = vocab.encode("ab")[None]
    np.testing.assert_allclose(probs[0], np.asarray(km(ids))[0, -1], rtol=1e-5)
