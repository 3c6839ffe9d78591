"""nnbook.engine.model: Sequential. The whole backward pass against centred differences; build/seed,
fit/evaluate/predict, history, silent at verbose=0, validation data, shuffling by seed; the Keras
twin both ways; the strongest proof: a NumPy MLP and its Keras twin (same initial weights, same
batches in the same order) trace the same per-batch loss curve over one epoch (within 1e-4
relative); sanity checks (initial loss ~ ln 10, 20 examples overfitted); clear errors."""

import math

import keras
import numpy as np
import pytest

from nnbook.engine import losses, optimizers, twins
from nnbook.engine.callbacks import History
from nnbook.engine.gradcheck import numerical_gradient, relative_error
from nnbook.engine.layers import Activation, Dense
from nnbook.engine.metrics import accuracy
from nnbook.engine.model import Sequential, minibatches


def _data(n=96, d=6, k=3, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(dtype)
    labels = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0.5)  # learnable, 3 classes
    return x, labels % k


def _mlp(d=6, k=3, seed=1, dtype="float64", hidden=8):
    return Sequential([Dense(hidden, activation="tanh"), Dense(k, activation="softmax")]).build(
        (d,), seed=seed, dtype=dtype)


# --- structure and the chained backward pass ----------------------------------------------------


def test_build_params_grads_and_seed():
    model = _mlp()
    assert model.built and model.input_shape == (6,) and model.output_shape() == (3,)
    assert list(model.params) == ["0/kernel", "0/bias", "1/kernel", "1/bias"]
    assert model.params["0/kernel"] is model.layers[0].params["kernel"]  # the layers' own arrays
    assert model.params["1/kernel"].shape == (8, 3) and model.count_params() == 6 * 8 + 8 + 8 * 3 + 3
    np.testing.assert_array_equal(_mlp(seed=4).params["0/kernel"], _mlp(seed=4).params["0/kernel"])
    assert not np.array_equal(_mlp(seed=4).params["0/kernel"], _mlp(seed=5).params["0/kernel"])
    assert all(v.dtype == np.float32 for v in _mlp(dtype="float32").params.values())
    assert "Dense(8, activation='tanh')" in repr(model)


def test_whole_model_backward_matches_centred_differences():
    x, y = _data(n=7)
    model = Sequential([Dense(5, activation="relu"), Dense(4, activation="sigmoid"),
                        Activation("tanh"), Dense(3, activation="softmax")]).build((6,), seed=3)
    loss = losses.SparseCategoricalCrossentropy()
    model.backward(loss.gradient(y, model.forward(x)))
    analytic = model.grads
    errors = {key: relative_error(analytic[key], numerical_gradient(
        lambda _: loss(y, model.forward(x)), p)) for key, p in model.params.items()}
    assert max(errors.values()) < 1e-7, errors


def test_predict_in_batches_equals_one_pass():
    x, _ = _data(n=50)
    model = _mlp()
    np.testing.assert_allclose(model.predict(x, batch_size=7), model.predict(x), rtol=1e-12)
    assert model.predict(x).shape == (50, 3)


# --- fit, evaluate, history -------------------------------------------------------------------


def test_minibatches_cover_every_example_once():
    batches = minibatches(10, 4, np.random.default_rng(0))
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(np.concatenate(batches)) == list(range(10))
    np.testing.assert_array_equal(np.concatenate(minibatches(10, 4, None, shuffle=False)), np.arange(10))
    again = minibatches(10, 4, np.random.default_rng(0))
    assert all(np.array_equal(a, b) for a, b in zip(batches, again))


def test_fit_history_validation_and_batch_losses(capsys):
    x, y = _data()
    model = _mlp().compile("sparse_categorical_crossentropy", optimizers.Adam(0.05))
    history = model.fit(x[:64], y[:64], epochs=3, batch_size=16, validation_data=(x[64:], y[64:]),
                        verbose=0)
    assert capsys.readouterr().out == "" and capsys.readouterr().err == ""
    assert isinstance(history, History) and history is model.history and history.history is history
    assert list(history) == ["loss", "accuracy", "val_loss", "val_accuracy"]
    assert all(len(v) == 3 for v in history.values())
    assert len(model.batch_losses) == 3 * 4
    # the epoch loss is the mean of its batch losses (equal batch sizes here)
    assert history["loss"][0] == pytest.approx(np.mean(model.batch_losses[:4]), rel=1e-12)
    assert history["loss"][-1] < history["loss"][0]
    final = model.evaluate(x[64:], y[64:])
    assert final == pytest.approx({"loss": history["val_loss"][-1], "accuracy": history["val_accuracy"][-1]})
    assert 0.0 <= final["accuracy"] <= 1.0


def test_progress_bar_when_verbose(capsys):
    x, y = _data(n=32)
    _mlp().compile("sparse_categorical_crossentropy", "sgd").fit(x, y, epochs=2, verbose=1)
    err = capsys.readouterr().err  # outside a notebook: a tqdm bar on stderr, then one summary line
    assert "2 epochs, 2 steps: loss " in err and "accuracy " in err


def test_shuffling_is_fixed_by_the_seed():
    x, y = _data()

    def run(seed, shuffle=True):
        model = _mlp().compile("sparse_categorical_crossentropy", optimizers.SGD(0.1))
        model.fit(x, y, epochs=2, batch_size=10, seed=seed, shuffle=shuffle, verbose=0)
        return model

    a, b, c = run(0), run(0), run(1)
    np.testing.assert_array_equal(a.batch_losses, b.batch_losses)
    np.testing.assert_array_equal(a.params["0/kernel"], b.params["0/kernel"])
    assert not np.allclose(a.batch_losses, c.batch_losses)
    # the batches are those of minibatches(default_rng(seed)): replay them with train_step
    replay = _mlp().compile("sparse_categorical_crossentropy", optimizers.SGD(0.1))
    rng = np.random.default_rng(0)
    steps = [replay.train_step(x[i], y[i]) for _ in range(2) for i in minibatches(len(x), 10, rng)]
    np.testing.assert_array_equal(steps, a.batch_losses)
    unshuffled = run(0, shuffle=False)
    first = _mlp().compile("sparse_categorical_crossentropy", optimizers.SGD(0.1))
    assert unshuffled.batch_losses[0] == first.train_step(x[:10], y[:10])


def test_minibatches_take_a_seed_a_generator_or_none():
    by_seed = minibatches(10, 4, 3)
    by_rng = minibatches(10, 4, np.random.default_rng(3))
    assert all(np.array_equal(a, b) for a, b in zip(by_seed, by_rng))
    assert sorted(np.concatenate(minibatches(10, 4, None)).tolist()) == list(range(10))
    with pytest.raises(TypeError, match="rng must be an integer >= 0"):
        minibatches(10, 4, "seed")


def test_a_refused_x_leaves_an_unbuilt_model_unbuilt():
    model = Sequential([Dense(8, activation="tanh"), Dense(3, activation="softmax")])
    model.compile("sparse_categorical_crossentropy", "sgd")
    bad = np.ones((4, 6))
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="x must be finite"):
        model.fit(bad, np.zeros(4), verbose=0)
    assert not model.built and not model.layers[0].built
    with pytest.raises(ValueError, match="x must have shape"):
        model.fit(np.ones(4), np.zeros(4), verbose=0)
    assert not model.built
    model.fit(np.ones((4, 5)), np.zeros(4), verbose=0)  # the first good x decides the shape
    assert model.input_shape == (5,)


def test_fit_builds_an_unbuilt_model_in_the_dtype_of_x():
    x, y = _data(dtype=np.float32)
    model = Sequential([Dense(4, activation="relu"), Dense(3, activation="softmax")])
    model.compile("sparse_categorical_crossentropy", "adam").fit(x, y, epochs=1, verbose=0)
    assert model.built and model.dtype == np.float32
    assert all(v.dtype == np.float32 for v in model.params.values())
    assert model.predict(x).dtype == np.float32
    rebuilt = Sequential([Dense(4, activation="relu"), Dense(3, activation="softmax")]).build(
        (6,), seed=0, dtype="float32")
    fresh = Sequential([Dense(4, activation="relu"), Dense(3, activation="softmax")])
    fresh.compile("sparse_categorical_crossentropy", "adam").fit(x, y, epochs=0, verbose=0)  # seed 0
    np.testing.assert_array_equal(fresh.params["0/kernel"], rebuilt.params["0/kernel"])


def test_accuracy_follows_the_shapes_like_keras():
    p = np.array([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2]])
    assert accuracy(np.array([1, 2]), p) == 0.5  # labels
    assert accuracy(np.array([[1], [0]]), p) == 1.0  # labels with a trailing axis
    assert accuracy(np.eye(3)[[1, 1]], p) == 0.5  # one-hot
    assert accuracy(np.array([1, 0, 1]), np.array([[0.9], [0.2], [0.4]])) == pytest.approx(2 / 3)
    assert accuracy(np.array([1, 0]), np.array([[0.3], [-0.2]]), from_logits=True) == 1.0
    kp = keras.metrics.SparseCategoricalAccuracy()
    kp.update_state(np.array([1, 2]), p)
    assert float(kp.result()) == accuracy(np.array([1, 2]), p)


# --- Keras twin ----------------------------------------------------------------------------------


def test_to_keras_and_from_keras_round_trip():
    x, _ = _data(n=20)
    model = Sequential([Dense(5, activation="gelu"), Activation("relu"),
                        Dense(3, activation="softmax")]).build((6,), seed=2)
    twin = model.to_keras()
    assert isinstance(twin, keras.Sequential) and len(twin.layers) == 3
    assert relative_error(model.predict(x), twin.predict(x, verbose=0)) <= 1e-6
    back = Sequential.from_keras(twin)
    assert back.dtype == np.float64 and back.input_shape == (6,)
    for key, value in model.params.items():
        np.testing.assert_array_equal(back.params[key], value)
    # a model defined and initialised by Keras
    kmodel = keras.Sequential([keras.Input((4,)), keras.layers.Dense(7, activation="relu"),
                               keras.layers.Dense(2)])
    ours = Sequential.from_keras(kmodel)
    assert ours.dtype == np.float32 and [layer.activation.name for layer in ours.layers] == ["relu", "linear"]
    x4 = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    assert relative_error(ours.predict(x4), kmodel.predict(x4, verbose=0)) <= 1e-5  # float32


def test_compiled_twin_is_compiled_alike():
    model = _mlp().compile(losses.SparseCategoricalCrossentropy(), optimizers.SGD(0.1, momentum=0.9))
    twin = model.to_keras()
    assert isinstance(twin.loss, keras.losses.SparseCategoricalCrossentropy)
    assert isinstance(twin.optimizer, keras.optimizers.SGD) and float(twin.optimizer.momentum) == 0.9


CURVE_CASES = {  # (our optimiser, Keras's, targets, dtype)
    "sgd-sparse-f64": (lambda: optimizers.SGD(0.1, momentum=0.9),
                       lambda: keras.optimizers.SGD(0.1, momentum=0.9), "sparse", "float64"),
    "adam-onehot-f64": (lambda: optimizers.Adam(0.01), lambda: keras.optimizers.Adam(0.01),
                        "onehot", "float64"),
    "adam-sparse-f32": (lambda: optimizers.Adam(0.01), lambda: keras.optimizers.Adam(0.01),
                        "sparse", "float32"),
}


@pytest.mark.parametrize("case", list(CURVE_CASES))
def test_one_epoch_loss_curve_agrees_with_keras(case):
    """Same initial weights, same batches in the same order: the per-batch losses of the NumPy
    MLP and of its Keras twin (trained by Keras's own optimiser and loss) agree within 1e-4."""
    make_opt, make_keras_opt, targets, dtype = CURVE_CASES[case]
    rng = np.random.default_rng(7)
    x = rng.normal(size=(640, 20)).astype(dtype)
    labels = np.argmax(x[:, :5] @ rng.normal(size=(5, 4)), axis=1)
    y = labels if targets == "sparse" else np.eye(4, dtype=dtype)[labels]
    model = Sequential([Dense(32, activation="relu"), Dense(16, activation="tanh"),
                        Dense(4, activation="softmax")]).build((20,), seed=3, dtype=dtype)
    twin = model.to_keras()  # same initial weights
    loss = "sparse_categorical_crossentropy" if targets == "sparse" else "categorical_crossentropy"
    keras_loss = {"sparse_categorical_crossentropy": keras.losses.SparseCategoricalCrossentropy,
                  "categorical_crossentropy": keras.losses.CategoricalCrossentropy}[loss](dtype=dtype)
    twin.compile(loss=keras_loss, optimizer=make_keras_opt())
    model.compile(loss, make_opt()).fit(x, y, epochs=1, batch_size=32, seed=11, verbose=0)
    theirs = twins.fit_same_batches(twin, x, y, epochs=1, batch_size=32, seed=11)["batch_losses"]
    ours = np.array(model.batch_losses)
    assert ours.shape == theirs.shape == (20,)
    worst = np.max(np.abs(ours - theirs) / np.abs(theirs))
    assert worst <= 1e-4, worst
    assert ours[-1] < 0.8 * ours[0]  # it learned something: the curves are not flat
    final_error = relative_error(model.params["0/kernel"], np.asarray(twin.layers[0].kernel))
    assert final_error <= (1e-6 if dtype == "float64" else 1e-3), final_error


# --- sanity checks ---------------------------------------------------------------------------------


def test_initial_loss_of_a_10_class_softmax_is_ln_10():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(500, 64)), rng.integers(0, 10, 500)
    small = Dense(10, activation="softmax", kernel_initializer=lambda s, r: 0.01 * r.normal(size=s))
    model = Sequential([Dense(32, activation="relu"), small]).build((64,), seed=0)
    model.compile("sparse_categorical_crossentropy", "sgd")
    assert abs(model.evaluate(x, y)["loss"] - math.log(10)) < 0.01


def test_overfits_20_examples():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(20, 10)), rng.integers(0, 10, 20)  # random labels: pure memorisation
    model = Sequential([Dense(64, activation="relu"), Dense(10, activation="softmax")]).build((10,))
    model.compile("sparse_categorical_crossentropy", optimizers.Adam(0.01))
    history = model.fit(x, y, epochs=300, batch_size=20, verbose=0)
    assert history["loss"][0] > 2.0
    assert model.evaluate(x, y) == pytest.approx({"loss": 0.0, "accuracy": 1.0}, abs=0.01)


# --- bad input ---------------------------------------------------------------------------------------


def test_bad_construction_and_compile_raise():
    with pytest.raises(TypeError, match="non-empty list"):
        Sequential([])
    with pytest.raises(TypeError, match=r"layers\[1\] must be an nnbook Layer, got str"):
        Sequential([Dense(2), "relu"])
    model = _mlp()
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        model.compile("hinge", "sgd")
    with pytest.raises(ValueError, match="unknown optimizer 'lion'"):
        model.compile("mse", "lion")
    with pytest.raises(ValueError, match="metrics must be a subset"):
        model.compile("mse", "sgd", metrics=("f1",))


def test_calls_in_the_wrong_order_raise():
    x, y = _data(n=8)
    with pytest.raises(RuntimeError, match="not built"):
        Sequential([Dense(2)]).predict(x)
    with pytest.raises(RuntimeError, match="not built"):
        Sequential([Dense(2)]).to_keras()
    with pytest.raises(RuntimeError, match="not compiled"):
        _mlp().fit(x, y)
    with pytest.raises(RuntimeError, match="not compiled"):
        _mlp().evaluate(x, y)


def test_bad_data_raises():
    x, y = _data(n=40)
    model = _mlp().compile("sparse_categorical_crossentropy", "sgd")
    with pytest.raises(ValueError, match=r"x must have shape \(n, 6\) with n >= 1, got \(40, 5\)"):
        model.fit(x[:, :5], y)
    with pytest.raises(ValueError, match=r"one target per example: x has 40 examples, y has shape \(39,\)"):
        model.fit(x, y[:39])
    with pytest.raises(ValueError, match=r"class labels must lie in \[0, 2\]"):
        model.fit(x, np.where(np.arange(40) == 30, 3, y))
    with pytest.raises(ValueError, match="finite"):
        model.fit(np.where(x > 2, np.nan, x), y)
    with pytest.raises(ValueError, match="finite"):
        _mlp().compile("mse", "sgd").fit(x, np.full((40, 3), np.inf))
    with pytest.raises(TypeError, match="numeric"):
        model.fit(x, np.array(["a"] * 40))
    with pytest.raises(ValueError, match="y_val must hold one target per example"):
        model.fit(x, y, validation_data=(x, y[:5]))
    with pytest.raises(TypeError, match="validation_data must be a pair"):
        model.fit(x, y, validation_data=x)
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        model.fit(x, y, batch_size=0)
    with pytest.raises(TypeError, match="epochs must be an integer >= 0"):
        model.fit(x, y, epochs=1.5)
    with pytest.raises(ValueError, match=r"x must have shape \(n, 6\)"):
        model.predict(x[0])
    with pytest.raises(ValueError, match=r"one-hot rows of y_pred.s shape \(40, 3\), got shape \(40, 4\)"):
        _mlp().compile("categorical_crossentropy", "sgd").fit(x, np.eye(4)[y])
    with pytest.raises(TypeError, match="keras.Model"):
        Sequential.from_keras(model)
    with pytest.raises(ValueError, match="no nnbook layer for keras.layers.Lambda"):
        Sequential.from_keras(keras.Sequential([keras.Input((3,)), keras.layers.Lambda(lambda t: t)]))


# --- weight penalties, Dropout and augmentation in training ----------------------------------------


def _penalised_mlp(dtype, seed=3):
    from nnbook.engine.regularizers import L1, L1L2, L2

    return Sequential([Dense(32, activation="relu", kernel_regularizer=L1(0.003)),
                       Dense(16, activation="tanh", kernel_regularizer=L2(0.01), bias_regularizer=L2(0.02)),
                       Dense(4, activation="softmax", kernel_regularizer=L1L2(0.002, 0.005))]
                      ).build((20,), seed=seed, dtype=dtype)


def _four_classes(dtype, n=320):
    rng = np.random.default_rng(7)
    x = rng.normal(size=(n, 20)).astype(dtype)
    return x, np.argmax(x[:, :5] @ rng.normal(size=(5, 4)), axis=1)


@pytest.fixture
def keras_floatx_float64():
    """Keras 3.15 sums a float64 model's penalties with a float32 loss (and fails) unless floatx
    is float64."""
    before = keras.config.floatx()
    keras.config.set_floatx("float64")
    yield
    keras.config.set_floatx(before)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_penalised_training_agrees_with_keras_batch_by_batch(dtype, request):
    """L1, L2 (kernel and bias) and L1L2 on three layers: same batches, two epochs. The losses
    fit reports (batch, epoch and validation) include the penalties exactly as Keras's do."""
    if dtype == "float64":
        request.getfixturevalue("keras_floatx_float64")
    x, y = _four_classes(dtype)
    val = (x[:64], y[:64])
    model = _penalised_mlp(dtype).compile("sparse_categorical_crossentropy", optimizers.Adam(0.01))
    twin = model.to_keras()
    history = model.fit(x, y, epochs=2, batch_size=32, seed=11, verbose=0, validation_data=val)
    theirs = twins.fit_same_batches(twin, x, y, epochs=2, batch_size=32, seed=11, validation_data=val)
    ours = np.array(model.batch_losses)
    tol = 1e-4 if dtype == "float32" else 1e-10
    assert ours.shape == theirs["batch_losses"].shape == (20,)
    assert np.max(np.abs(ours - theirs["batch_losses"]) / theirs["batch_losses"]) <= tol
    assert twins.max_weight_difference(model, twin) <= (1e-4 if dtype == "float32" else 1e-10)
    keras_eval = twin.evaluate(*val, verbose=0, return_dict=True)["loss"]
    assert abs(history.history["val_loss"][-1] - keras_eval) <= tol * keras_eval
    assert np.allclose(history.history["val_loss"], theirs["val_loss"], rtol=tol)
    plain = model.loss(val[1], model.predict(val[0]))
    assert model.evaluate(*val)["loss"] == pytest.approx(plain + model.penalty(), rel=1e-12)
    assert model.penalty() > 0.01 * plain  # the penalty is a visible part of what is compared


def test_train_step_follows_the_gradient_of_loss_plus_penalty():
    x, y = _four_classes("float64", n=12)
    model = _penalised_mlp("float64").compile("sparse_categorical_crossentropy", optimizers.SGD(0.5))
    before = {k: v.copy() for k, v in model.params.items()}
    total = lambda: model.loss(y, model.forward(x)) + model.penalty()  # noqa: E731
    numeric = {k: numerical_gradient(lambda _: total(), p) for k, p in model.params.items()}
    reported = model.train_step(x, y)
    assert reported == pytest.approx(model.loss(y, _predict_with(model, before, x)) +
                                     _penalty_with(model, before), rel=1e-12)
    for k, p in model.params.items():  # SGD: w_new = w - 0.5 * dL/dw
        assert relative_error((before[k] - p) / 0.5, numeric[k]) < 1e-7, k


def _predict_with(model, params, x):
    saved = {k: v.copy() for k, v in model.params.items()}
    for k, v in params.items():
        model.params[k][...] = v
    y_pred = model.forward(x)
    for k, v in saved.items():
        model.params[k][...] = v
    return y_pred


def _penalty_with(model, params):
    return sum(r(params[k]) for k, r in model.regularizers.items())


def test_adamw_is_not_adam_with_an_l2_penalty():
    """Adam + L2(l2) on every weight vs AdamW(weight_decay): each trains as its Keras twin does,
    and the two end far apart (Adam rescales the penalty's gradient; AdamW's decay is not)."""
    from nnbook.engine.regularizers import L2

    x, y = _four_classes("float32")
    results = {}
    for name, penalty, opt, keras_opt in [
            ("adam+l2", L2(0.05), optimizers.Adam(0.01), keras.optimizers.Adam(0.01)),
            ("adamw", None, optimizers.AdamW(0.01, weight_decay=0.1),
             keras.optimizers.AdamW(0.01, weight_decay=0.1))]:
        both = {"kernel_regularizer": penalty, "bias_regularizer": penalty}
        model = Sequential([Dense(16, activation="tanh", **both), Dense(4, activation="softmax", **both)])
        model.build((20,), seed=5, dtype="float32").compile("sparse_categorical_crossentropy", opt)
        twin = model.to_keras()
        twin.compile(loss=keras.losses.SparseCategoricalCrossentropy(), optimizer=keras_opt)
        model.fit(x, y, epochs=3, batch_size=32, seed=2, verbose=0)
        theirs = twins.fit_same_batches(twin, x, y, epochs=3, batch_size=32, seed=2)["batch_losses"]
        assert np.max(np.abs(np.array(model.batch_losses) - theirs) / theirs) <= 1e-4, name
        assert twins.max_weight_difference(model, twin) <= 1e-4, name
        results[name] = model
    apart = twins.max_weight_difference(results["adam+l2"], results["adamw"].to_keras())
    assert apart > 0.1, apart
    norms = {k: float(np.linalg.norm(m.params["0/kernel"])) for k, m in results.items()}
    assert abs(norms["adam+l2"] - norms["adamw"]) > 0.05 * norms["adamw"], norms


def test_fit_augments_every_training_batch_and_nothing_else():
    x, y = _data(n=70)
    seen = []

    def augment(xb, rng):
        assert isinstance(rng, np.random.Generator)
        seen.append(xb.copy())
        return xb + rng.normal(0.0, 0.1, size=xb.shape)

    model = _mlp().compile("sparse_categorical_crossentropy", "adam")
    history = model.fit(x, y, epochs=2, batch_size=32, seed=4, verbose=0, validation_data=(x, y),
                        augment=augment)
    assert [len(b) for b in seen] == [32, 32, 6] * 2  # every batch of every epoch, once
    assert history.history["val_loss"][-1] == pytest.approx(model.evaluate(x, y)["loss"], rel=1e-15)
    again = _mlp().compile("sparse_categorical_crossentropy", "adam")
    again.fit(x, y, epochs=2, batch_size=32, seed=4, verbose=0, augment=augment)
    assert twins.max_weight_difference(model, again.to_keras()) == 0.0  # reproducible from the seed
    plain = _mlp().compile("sparse_categorical_crossentropy", "adam")
    plain.fit(x, y, epochs=2, batch_size=32, seed=4, verbose=0)
    assert twins.max_weight_difference(model, plain.to_keras()) > 1e-3  # and it made a difference
    identity = _mlp().compile("sparse_categorical_crossentropy", "adam")
    identity.fit(x, y, epochs=2, batch_size=32, seed=4, verbose=0, augment=lambda xb, rng: xb)
    np.testing.assert_array_equal(identity.batch_losses, plain.batch_losses)  # the same batches


def test_fit_with_dropout_and_augmentation_learns_and_evaluates_deterministically():
    from functools import partial

    from nnbook.engine import Dropout, Flatten
    from nnbook.engine import augmentation as A

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, size=200)
    x = (0.5 * rng.uniform(size=(200, 6, 6)) + 0.5 * y[:, None, None] * (np.arange(6) < 3)[:, None])
    x = x.astype(np.float32)  # class 1: the top half is brighter
    model = Sequential([Flatten(), Dense(32, activation="relu"), Dropout(0.3),
                        Dense(2, activation="softmax")]).build((6, 6), seed=1, dtype="float32")
    model.compile("sparse_categorical_crossentropy", optimizers.Adam(0.01))
    augment = A.chain(partial(A.shift, max_shift=1), partial(A.gaussian_noise, stddev=0.05))
    model.fit(x, y, epochs=15, batch_size=32, seed=0, verbose=0, augment=augment)
    assert model.evaluate(x, y) == model.evaluate(x, y)  # no dropout at inference
    assert model.evaluate(x, y)["accuracy"] >= 0.9


def test_bad_augment_raises():
    x, y = _data(n=10)
    model = _mlp().compile("sparse_categorical_crossentropy", "adam")
    with pytest.raises(TypeError, match=r"augment must be None or a function \(x_batch, rng\) -> x_batch"):
        model.fit(x, y, verbose=0, augment="shift")
    with pytest.raises(ValueError, match=r"augment must return a batch of the shape it was given, \(10, 6\)"):
        model.fit(x, y, verbose=0, augment=lambda xb, rng: xb[:, :3])
    with pytest.raises(ValueError, match=r"augment\(x_batch, rng\) must be finite"):
        model.fit(x, y, verbose=0, augment=lambda xb, rng: xb * np.nan)
