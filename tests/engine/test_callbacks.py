"""nnbook.engine.callbacks: EarlyStopping decides as keras.callbacks.EarlyStopping does on the same
logs, stops a real fit and restores the best weights; the progress bar leaves one line in a
notebook (what the static site shows); History records every epoch."""

import itertools

import keras
import nbclient
import nbformat
import numpy as np
import pytest

from nnbook.engine import Dense, EarlyStopping, Sequential, losses, optimizers
from nnbook.engine.callbacks import Callback


class FakeModel:
    """Weights are the epoch counter, so a restore shows which epoch it came from."""

    def __init__(self):
        self.weights, self.stop_training, self.metrics = [np.zeros(1)], False, []

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [w.copy() for w in weights]


def _drive(callback, values, monitor):
    model = FakeModel()
    callback.set_model(model)
    callback.on_train_begin()
    for epoch, value in enumerate(values):
        model.weights = [np.array([float(epoch)])]
        callback.on_epoch_end(epoch, {monitor: value})
        if model.stop_training:
            break
    callback.on_train_end()
    return epoch, float(model.weights[0][0])


SEQUENCES = {
    "falls then rises": [1.0, 0.8, 0.7, 0.71, 0.72, 0.69, 0.75, 0.8, 0.9, 1.0],
    "plateau within min_delta": [1.0, 0.5, 0.499, 0.4985, 0.498, 0.4979, 0.497, 0.49, 0.3, 0.2],
    "noisy": list(np.random.default_rng(0).normal(1.0, 0.1, size=12)),
}
SETTINGS = [dict(patience=p, min_delta=d, restore_best_weights=r, start_from_epoch=s, baseline=b)
            for p, d, r, s, b in itertools.product([0, 2], [0.0, 0.01], [False, True], [0, 3],
                                                   [None, 0.75])]


@pytest.mark.parametrize("monitor", ["val_loss", "val_accuracy"])
@pytest.mark.parametrize("name", SEQUENCES)
def test_early_stopping_decides_as_keras_does(name, monitor):
    values = SEQUENCES[name] if monitor == "val_loss" else [1 - v for v in SEQUENCES[name]]
    for setting in SETTINGS:
        setting = dict(setting)
        if monitor == "val_accuracy" and setting["baseline"] is not None:
            setting["baseline"] = 1 - setting["baseline"]
        mode = "max" if monitor == "val_accuracy" else "min"  # Keras's auto needs compiled metrics
        ours = _drive(EarlyStopping(monitor=monitor, **setting), values, monitor)
        theirs = _drive(keras.callbacks.EarlyStopping(monitor=monitor, mode=mode, **setting), values,
                        monitor)
        assert ours == theirs, (name, setting, ours, theirs)


def test_early_stopping_stops_a_fit_and_restores_the_best_weights():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 5))
    y = (x[:, 0] > 0).astype(int)
    x_val, y_val = x[:20] + rng.normal(scale=3.0, size=(20, 5)), 1 - y[:20]   # a hostile validation set

    class Snapshots(Callback):
        def on_train_begin(self, logs=None):
            self.weights = []

        def on_epoch_end(self, epoch, logs=None):
            self.weights.append(self.model.get_weights())

    model = Sequential([Dense(16, "relu"), Dense(2)]).build((5,), seed=1)
    model.compile(losses.SparseCategoricalCrossentropy(from_logits=True), optimizers.Adam(0.05))
    stop, snaps = EarlyStopping(patience=2, restore_best_weights=True), Snapshots()
    history = model.fit(x, y, epochs=50, batch_size=10, validation_data=(x_val, y_val),
                        callbacks=[stop, snaps], verbose=0)
    epochs_run = len(history["val_loss"])
    assert epochs_run < 50 and history.epoch == list(range(epochs_run))
    best = int(np.argmin(history["val_loss"]))
    assert stop.best_epoch == best and epochs_run == best + 3
    for ours, kept in zip(model.get_weights(), snaps.weights[best]):
        np.testing.assert_array_equal(ours, kept)


def test_early_stopping_refuses_what_it_cannot_monitor():
    model = Sequential([Dense(2)]).build((3,)).compile("mse", "sgd")
    with pytest.raises(ValueError, match="monitors 'val_loss'.*needs validation_data"):
        model.fit(np.ones((4, 3)), np.ones((4, 2)), epochs=2, callbacks=[EarlyStopping()], verbose=0)
    with pytest.raises(ValueError, match="mode must be one of"):
        EarlyStopping(mode="lowest")
    with pytest.raises(ValueError, match="patience must be an integer >= 0"):
        EarlyStopping(patience=-1)
    with pytest.raises(TypeError, match="callbacks must be a list"):
        model.fit(np.ones((4, 3)), np.ones((4, 2)), callbacks=[object()], verbose=0)


def test_the_progress_bar_leaves_one_line_in_a_notebook(tmp_path):
    """Run a fit in a real kernel, as the site build does: the saved notebook holds exactly one
    output for the bar, a one-line summary without timings."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import numpy as np\n"
        "from nnbook.engine import Dense, Sequential\n"
        "m = Sequential([Dense(8, 'relu'), Dense(3)]).build((4,))\n"
        "m.compile('sparse_categorical_crossentropy', 'sgd', metrics=['accuracy'])\n"
        "m.loss.from_logits = True\n"
        "rng = np.random.default_rng(0)\n"
        "_ = m.fit(rng.normal(size=(640, 4)), rng.integers(0, 3, 640), epochs=3, batch_size=8)")]
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    outputs = nb.cells[0].outputs
    assert len(outputs) == 1, outputs
    text = outputs[0]["data"]["text/plain"]
    assert "\n" not in text.strip() and text.startswith("3 epochs, 240 steps: loss ")
    assert "accuracy " in text and "it/s" not in text and "steps/s" not in text and "00:" not in text
