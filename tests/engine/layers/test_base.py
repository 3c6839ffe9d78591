"""nnbook.engine.layers.base: the three kinds of layer state (params with grads, non-trainable
state, the layer's own generator), freezing, weights in Keras's order, and the Keras-twin table."""

import keras
import numpy as np
import pytest

from nnbook.engine import Dense, Sequential, losses, optimizers, twins
from nnbook.engine.layers import Layer


class MovingNorm(Layer):
    """Test layer with non-trainable state only: y = (x - mean) / sqrt(var + 1e-3), the inference
    path of keras.layers.BatchNormalization(center=False, scale=False)."""

    keras_class = "BatchNormalization"

    def init_state(self, input_shape):
        d = input_shape[-1]
        return {"moving_mean": np.zeros(d), "moving_variance": np.ones(d)}

    def forward(self, x, training=False):
        return (x - self.state["moving_mean"]) / np.sqrt(self.state["moving_variance"] + 1e-3)

    def keras_layer(self):
        return keras.layers.BatchNormalization(center=False, scale=False, dtype=self.dtype.name)


class Noise(Layer):
    """Test layer drawing from its own generator: adds N(0, 1) noise in training."""

    def forward(self, x, training=False):
        return x + self.rng.standard_normal(x.shape) if training else x

    def backward(self, dy):
        return dy


def test_state_goes_to_the_keras_twin_and_back():
    layer = MovingNorm().build((3,))
    layer.state["moving_mean"][...] = [1.0, -2.0, 0.5]
    layer.state["moving_variance"][...] = [4.0, 0.25, 1.0]
    twin = layer.to_keras()
    x = np.random.default_rng(0).normal(size=(5, 3))
    np.testing.assert_allclose(layer(x), np.asarray(twin(x, training=False)), rtol=1e-12)
    assert layer.params == {} and sorted(layer.state) == ["moving_mean", "moving_variance"]
    other = MovingNorm().build((3,))
    other.set_from_keras(twin)
    np.testing.assert_array_equal(other.state["moving_variance"], [4.0, 0.25, 1.0])


def test_each_layer_has_its_own_generator_and_one_seed_reproduces_everything():
    def run(seed):
        model = Sequential([Noise(), Dense(2), Noise()]).build((3,), seed=seed)
        x = np.ones((4, 3))
        return model.forward(x, training=True), model.params["1/kernel"].copy()

    (y1, w1), (y2, w2), (y3, _) = run(5), run(5), run(6)
    np.testing.assert_array_equal(y1, y2)
    np.testing.assert_array_equal(w1, w2)
    assert not np.allclose(y1, y3)
    model = Sequential([Noise(), Noise()]).build((3,), seed=0)
    first, second = model.layers
    assert not np.allclose(first.rng.standard_normal(4), second.rng.standard_normal(4))


def test_the_generator_does_not_change_the_weights_a_seed_draws():
    rng = np.random.default_rng(3)
    expected = rng.uniform(-np.sqrt(6 / 7), np.sqrt(6 / 7), size=(4, 3))  # Glorot, fans 4 and 3
    np.testing.assert_allclose(Dense(3).build((4,), seed=3).params["kernel"], expected)


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 4)), rng.integers(0, 3, size=n)


def test_a_frozen_layer_is_not_updated_and_its_twin_is_frozen_too():
    x, y = _data()
    model = Sequential([Dense(5, "tanh", trainable=False), Dense(3)]).build((4,), seed=1)
    model.compile(losses.SparseCategoricalCrossentropy(from_logits=True), optimizers.SGD(0.5))
    assert model.trained_keys == ["1/kernel", "1/bias"]
    twin = model.to_keras()
    assert not twin.layers[0].trainable and len(twin.trainable_weights) == 2
    frozen = model.params["0/kernel"].copy()
    model.fit(x, y, epochs=2, batch_size=16, seed=2, verbose=0)
    np.testing.assert_array_equal(model.params["0/kernel"], frozen)
    assert not np.allclose(model.layers[1].grads["kernel"], 0)
    assert any(np.abs(layer.grads["kernel"]).max() > 0 for layer in model.layers)  # dx still flows
    log = twins.fit_same_batches(twin, x, y, epochs=2, batch_size=16, seed=2)
    np.testing.assert_allclose(log["batch_losses"], model.batch_losses, rtol=1e-6)
    assert twins.max_weight_difference(model, twin) < 1e-6


def test_freezing_a_container_freezes_everything_inside():
    inner = Sequential([Dense(3), Dense(3)])
    model = Sequential([inner, Dense(2)]).build((4,))
    assert len(model.trainable_params()) == 6
    inner.trainable = False
    assert list(model.trainable_params()) == ["1/kernel", "1/bias"]
    assert len(model.params) == 6


def test_weights_in_keras_order_round_trip():
    model = Sequential([Dense(3), MovingNorm(), Dense(2)]).build((4,), seed=0)
    twin = model.to_keras()
    assert [w.shape for w in model.get_weights()] == [w.shape for w in twin.get_weights()]
    assert twins.max_weight_difference(model, twin) == 0
    copy = Sequential([Dense(3), MovingNorm(), Dense(2)]).build((4,), seed=9)
    copy.set_weights(model.get_weights())
    assert twins.max_weight_difference(copy, twin) == 0
    with pytest.raises(ValueError, match="needs a list of 2 arrays"):
        model.layers[0].set_weights([np.zeros((4, 3))])
    with pytest.raises(ValueError, match=r"weights\[0\] must have shape \(4, 3\)"):
        model.layers[0].set_weights([np.zeros((3, 4)), np.zeros(3)])


def test_keras_twins_come_from_the_explicit_table_not_from_subclasses():
    class BuggyDense(Dense):  # a subclass defined anywhere must not be picked as the twin
        def forward(self, x, training=False):
            return 2 * super().forward(x, training)

    layer = twins.from_keras(keras.layers.Dense(3))
    assert type(layer) is Dense and BuggyDense.keras_class == "Dense"
    assert set(twins.KERAS_TWINS) == {
        "Dense", "Activation", "Flatten", "Sequential", "BatchNormalization", "LayerNormalization",
        "Dropout", "Conv2D", "Conv1D", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D",
        "MaxPooling1D", "AveragePooling1D", "GlobalAveragePooling1D", "Embedding", "SimpleRNN", "LSTM", "GRU",
        "MultiHeadAttention"}
    assert all(cls.keras_class == name for name, cls in twins.KERAS_TWINS.items() if name != "Sequential")
    with pytest.raises(ValueError, match="no nnbook layer for keras.layers.Lambda"):
        twins.from_keras(keras.layers.Lambda(lambda t: t))


def test_freezing_a_container_freezes_the_layers_inside_as_keras_does():
    """`model.trainable = False` reaches every layer (so a batch norm inside runs in inference
    mode, as in Keras); layers frozen before they were put in a container stay frozen."""
    from nnbook.engine import BatchNormalization

    inner = Sequential([Dense(3), BatchNormalization()])
    outer = Sequential([Dense(4, trainable=False), inner])
    assert outer.layers[0].trainable is False and inner.layers[1].trainable is True
    outer.trainable = False
    assert [layer.trainable for layer in (outer.layers[0], inner, *inner.layers)] == [False] * 4
    outer.build((2,), seed=1)
    x = np.random.default_rng(2).normal(size=(8, 2))
    moving = outer.state["1/1/moving_mean"].copy()
    theirs = outer.to_keras()
    np.testing.assert_allclose(outer.forward(x, training=True), np.asarray(theirs(x, training=True)),
                               atol=1e-12)
    assert np.array_equal(outer.state["1/1/moving_mean"], moving)
    outer.trainable = True
    assert all(layer.trainable for layer in (outer.layers[0], inner, *inner.layers))
    assert Sequential([Dense(2)], trainable=False).layers[0].trainable is False
