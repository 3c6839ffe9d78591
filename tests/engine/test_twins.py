"""nnbook.engine.twins: the Keras-side plumbing. fit_same_batches reports each batch's own loss
(under every Keras the book supports: before 3.15 train_on_batch returns a running mean unless the
metrics are reset), per-epoch validation equal to the engine's, tape gradients, weight differences."""

import numpy as np

from nnbook.engine import Dense, Sequential, losses, optimizers, twins


def _data(n, seed):
    x = np.random.default_rng(seed).normal(size=(n, 6)).astype(np.float32)
    return x, np.argmax(x[:, :3], axis=1)  # learnable labels: the loss falls


def _model():
    model = Sequential([Dense(16, activation="relu"), Dense(3)]).build((6,), seed=2, dtype="float32")
    return model.compile(losses.SparseCategoricalCrossentropy(from_logits=True), optimizers.SGD(0.5))


def test_fit_same_batches_returns_the_loss_of_each_batch_alone():
    x, y = _data(128, seed=5)
    model = _model()
    twin = model.to_keras()
    model.fit(x, y, epochs=2, batch_size=32, seed=3, verbose=0)
    theirs = twins.fit_same_batches(twin, x, y, epochs=2, batch_size=32, seed=3)["batch_losses"]
    ours = np.array(model.batch_losses)
    assert ours.shape == theirs.shape == (8,)
    assert ours[-1] < 0.8 * ours[0]  # the loss moves, so a running mean would be far off
    np.testing.assert_allclose(theirs, ours, rtol=1e-5)


def test_fit_same_batches_validates_every_epoch_as_fit_does():
    x, y = _data(96, seed=1)
    x_val, y_val = _data(40, seed=2)
    model = _model()
    twin = model.to_keras()
    history = model.fit(x, y, epochs=3, batch_size=16, seed=4, validation_data=(x_val, y_val), verbose=0)
    log = twins.fit_same_batches(twin, x, y, epochs=3, batch_size=16, seed=4,
                                 validation_data=(x_val, y_val))
    np.testing.assert_allclose(log["val_loss"], history["val_loss"], rtol=1e-5)
    np.testing.assert_allclose(log["val_accuracy"], history["val_accuracy"])
    assert twins.max_weight_difference(model, twin) < 1e-5


def test_gradients_by_tape_equal_backprop():
    x, y = _data(10, seed=3)
    model = Sequential([Dense(5, "tanh"), Dense(3)]).build((6,), seed=0)
    loss = losses.SparseCategoricalCrossentropy(from_logits=True)
    value, grads = twins.gradients(model.to_keras(), loss.to_keras(dtype="float64"), x.astype(float), y)
    model.backward(loss.gradient(y, model.forward(x.astype(float), training=True)))
    assert abs(value - loss(y, model.predict(x))) < 1e-12
    for ours, theirs in zip(model.grads.values(), grads):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-14)


def test_layer_gradients_are_the_vector_jacobian_products_of_a_linear_layer():
    rng = np.random.default_rng(0)
    layer = Dense(3).build((4,), seed=1, dtype="float64")
    W, b = layer.params["kernel"], layer.params["bias"]
    x, dy = rng.normal(size=(5, 4)), rng.normal(size=(5, 3))
    y, dx, grads = twins.layer_gradients(layer.to_keras(), x, dy)
    np.testing.assert_allclose(y, x @ W + b, rtol=1e-12)
    np.testing.assert_allclose(dx, dy @ W.T, rtol=1e-12)
    np.testing.assert_allclose(grads["kernel"], x.T @ dy, rtol=1e-12)
    np.testing.assert_allclose(grads["bias"], dy.sum(axis=0), rtol=1e-12)
