"""nnbook.lab.convnets: the chapter's CNN, its training and Keras training model, receptive fields."""

import numpy as np
import pytest

from nnbook.book import data
from nnbook.book.exercises import get
from nnbook.engine import Sequential
from nnbook.lab import convnets


def test_the_cnn_has_the_documented_shape_and_size():
    model = convnets.mnist_cnn(seed=0)
    assert model.output_shape() == (10,) and model.count_params() == 56_714
    assert model.dtype == np.float32


def test_keras_training_model_is_the_twin_behind_a_random_shift():
    model = convnets.mnist_cnn(seed=3)
    keras_model = convnets.keras_training_model(model, seed=0)
    assert type(keras_model.layers[0]).__name__ == "RandomTranslation"
    x = np.random.default_rng(0).random((4, 28, 28, 1), dtype=np.float32)
    # at inference the shift is off: the same probabilities as the engine
    np.testing.assert_allclose(np.asarray(keras_model(x, training=False)), model.predict(x),
                               rtol=0, atol=1e-6)


def test_the_shipped_cnn1d_matches_its_builder_and_the_engine():
    model = convnets.keras_cnn1d()
    model.set_weights(data.weights("ch10_mnist1d_cnn"))
    assert model.count_params() == 39_690 and model.output_shape == (None, 10)
    x = data.load("mnist1d").x_test[:64, :, None]
    np.testing.assert_allclose(Sequential.from_keras(model).predict(x), np.asarray(model(x)),
                               rtol=0, atol=1e-5)


def test_a_short_training_run_learns():
    mnist = data.load("mnist5k")
    x, y = mnist.x_train[:320].reshape(-1, 28, 28, 1), mnist.y_train[:320]
    model = convnets.train_cnn(x, y, x[:32], y[:32], epochs=2, seed=0)
    assert np.mean(model.batch_losses[-3:]) < 0.8 * np.mean(model.batch_losses[:3])
    assert len(model.history["val_accuracy"]) == 2


def test_fit_keras_cnn_learns_and_its_weights_fit_the_engine():
    mnist = data.load("mnist5k")
    x, y = mnist.x_train[:320].reshape(-1, 28, 28, 1), mnist.y_train[:320]
    model = convnets.fit_keras_cnn(x, y, epochs=5, seed=0)  # 0.55 when written
    assert model.evaluate(x, y, verbose=0)[0] < 0.5 * np.log(10)  # the loss of guessing
    engine = convnets.mnist_cnn()
    engine.set_weights(model.get_weights())
    np.testing.assert_allclose(engine.predict(x[:16]), np.asarray(model(x[:16], training=False)),
                               rtol=0, atol=1e-5)


def test_fit_keras_cnn_is_reproducible_from_its_seed():
    mnist = data.load("mnist5k")
    x, y = mnist.x_train[:64].reshape(-1, 28, 28, 1), mnist.y_train[:64]
    runs = [convnets.fit_keras_cnn(x, y, epochs=1, seed=s).get_weights() for s in (0, 0, 1)]
    assert all(np.array_equal(a, b) for a, b in zip(runs[0], runs[1]))
    assert not np.array_equal(runs[0][0], runs[2][0])


@pytest.mark.parametrize("layers", [[(3, 1)], [(3, 1)] * 4, [(3, 1), (2, 2)] * 4, [(5, 2), (3, 1), (2, 2)]])
def test_measured_receptive_field_is_the_formula(layers):
    assert convnets.receptive_field_by_gradient(layers) == get("ch10.receptive_field").reference(layers)


def test_bad_arguments():
    with pytest.raises(ValueError, match="non-empty list"):
        convnets.receptive_field_by_gradient([])
    with pytest.raises(ValueError):
        convnets.compile_cnn(convnets.mnist_cnn(), steps=0)
    with pytest.raises(ValueError, match="seed"):
        convnets.keras_cnn1d(seed=-1)
    x, y = np.zeros((4, 28, 28, 1), np.float32), np.zeros(4, np.int64)
    with pytest.raises(ValueError, match=r"\(n, 28, 28, 1\).*got \(4, 28, 28\)"):
        convnets.fit_keras_cnn(x[..., 0], y)
    with pytest.raises(ValueError, match=r"y of shape \(n,\).*got \(4, 28, 28, 1\) and \(3,\)"):
        convnets.fit_keras_cnn(x, y[:3])
    with pytest.raises(TypeError, match="epochs"):
        convnets.fit_keras_cnn(x, y, epochs=1.5)
    with pytest.raises(ValueError, match="learning_rate"):
        convnets.fit_keras_cnn(x, y, learning_rate=0)
