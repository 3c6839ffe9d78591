"""Models that compose: a Sequential inside a Sequential, a Residual block, and two models trained
alternately through a frozen one (a GAN's generator and discriminator). Each against centred
differences (< 1e-7, float64) and against its Keras twin (tf.GradientTape, <= 1e-6)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from nnbook.engine import Dense, Residual, Sequential, losses, optimizers, twins
from nnbook.engine.gradcheck import check_layer, relative_error


def _nested():
    block = Sequential([Dense(6, "tanh"), Dense(4)])
    return Sequential([Dense(4, "relu"), Residual(block), Sequential([Dense(5, "gelu"), Dense(3)])])


def test_nested_models_backward_matches_centred_differences():
    model = _nested().build((3,), seed=4)
    x = np.random.default_rng(0).normal(size=(6, 3))
    errors = check_layer(model, x)
    assert set(errors) == {"x", *model.params} and max(errors.values()) < 1e-7, errors
    assert "1/0/1/kernel" in model.params  # Residual -> its block -> the block's second layer


def test_nested_models_match_their_keras_twin():
    model = _nested().build((3,), seed=4)
    x = np.random.default_rng(1).normal(size=(6, 3))
    y = np.arange(6) % 3
    loss = losses.SparseCategoricalCrossentropy(from_logits=True)
    twin = model.to_keras()
    assert relative_error(model.predict(x), np.asarray(twin(x))) <= 1e-6  # TF's gelu: float32 constants
    value, keras_grads = twins.gradients(twin, loss.to_keras(dtype="float64"), x, y)
    model.backward(loss.gradient(y, model.forward(x, training=True)))
    assert abs(value - loss(y, model.predict(x))) <= 1e-6 * value
    ours = list(model.grads.values())
    assert len(ours) == len(keras_grads) == 10
    assert max(relative_error(a, b) for a, b in zip(ours, keras_grads)) <= 1e-6
    back = Sequential([Dense(4, "relu"), Residual(Sequential([Dense(6, "tanh"), Dense(4)])),
                       Sequential([Dense(5, "gelu"), Dense(3)])]).build((3,), seed=99)
    back.set_from_keras(twin)
    assert twins.max_weight_difference(back, twin) == 0


def test_residual_adds_its_input_and_refuses_a_shape_change():
    block = Dense(3)
    res = Residual(block).build((3,), seed=0)
    x = np.random.default_rng(2).normal(size=(4, 3))
    np.testing.assert_allclose(res(x), x + block(x))
    dy = np.ones((4, 3))
    np.testing.assert_allclose(res.backward(dy), dy + dy @ block.params["kernel"].T)
    with pytest.raises(ValueError, match="must keep the shape of its input"):
        Residual(Dense(2)).build((3,))


def _gan(seed):
    generator = Sequential([Dense(8, "relu"), Dense(2)])
    discriminator = Sequential([Dense(8, "tanh"), Dense(1)])
    generator.build((3,), seed=seed)
    discriminator.build((2,), seed=seed + 1)
    return generator, discriminator


def test_a_generator_trains_through_a_frozen_discriminator_as_in_keras():
    """The classic recipe: compile D, freeze it, compile G∘D; then alternate D.train_step and
    gan.train_step. Against a Keras GradientTape loop with explicit variable lists."""
    rng = np.random.default_rng(0)
    bce = losses.BinaryCrossentropy(from_logits=True)
    G, D = _gan(seed=3)
    G_k, D_k = G.to_keras(), D.to_keras()
    D.compile(bce, optimizers.SGD(0.1))
    D.trainable = False
    gan = Sequential([G, D]).compile(bce, optimizers.SGD(0.05))
    assert all(k.startswith("0/") for k in gan.trained_keys) and len(D.trained_keys) == 4
    kbce = bce.to_keras(dtype="float64")
    opt_d, opt_g = keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.05)
    for _ in range(5):
        real = rng.normal(loc=2.0, size=(16, 2))
        z = rng.normal(size=(16, 3))
        fake = G.predict(z)
        x_d = np.concatenate([real, fake])
        y_d = np.concatenate([np.ones((16, 1)), np.zeros((16, 1))])
        d_loss = D.train_step(x_d, y_d)
        g_loss = gan.train_step(z, np.ones((16, 1)))
        # Keras: the same two steps by tape, each updating only its own model's weights
        with tf.GradientTape() as tape:
            kd = kbce(y_d, D_k(np.concatenate([real, np.asarray(G_k(z))])))
        opt_d.apply_gradients(zip(tape.gradient(kd, D_k.trainable_weights), D_k.trainable_weights))
        with tf.GradientTape() as tape:
            kg = kbce(np.ones((16, 1)), D_k(G_k(z)))
        opt_g.apply_gradients(zip(tape.gradient(kg, G_k.trainable_weights), G_k.trainable_weights))
        # Keras keeps the learning rate as a float32 variable: agreement to ~1e-9, not 1e-16
        assert abs(d_loss - float(kd)) <= 1e-7 * d_loss and abs(g_loss - float(kg)) <= 1e-7 * g_loss
    assert twins.max_weight_difference(G, G_k) < 1e-7
    assert twins.max_weight_difference(D, D_k) < 1e-7


def test_recompiling_after_unfreezing_trains_the_layer_again():
    G, D = _gan(seed=0)
    D.trainable = False
    both = Sequential([G, D]).compile("mse", "sgd")
    assert len(both.trained_keys) == 4
    D.trainable = True
    assert len(both.trained_keys) == 4      # as in Keras: the change counts from the next compile
    both.compile("mse", "sgd")
    assert len(both.trained_keys) == 8
