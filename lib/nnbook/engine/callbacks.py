"""What happens around `Sequential.fit`'s loop, kept out of it: the record of training (`History`), a
progress bar (`ProgressBar`) and `EarlyStopping`, with the hooks and semantics of `keras.callbacks`.

`fit` calls, on every callback: `set_model(model)`, `on_train_begin(logs)`, then per epoch
`on_epoch_begin(epoch, logs)`, `on_train_batch_end(batch, logs)` after every step (logs: the running
averages of the epoch so far) and `on_epoch_end(epoch, logs)` (logs: the epoch's averages and the
validation results), and `on_train_end(logs)`. A callback stops training by setting
`model.stop_training = True`.
"""

import sys
import time

from .._checks import flag, number_in, one_of, positive_int


class Callback:
    """Base class: every hook does nothing."""

    model = None

    def set_model(self, model):
        self.model = model

    def on_train_begin(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_train_batch_end(self, batch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass


class History(Callback, dict):
    """What `fit` recorded per epoch: {"loss": [...], "accuracy": [...], "val_loss": [...], ...}.
    `.history` is the dict itself, as on Keras's History object; `epoch` lists the epochs run."""

    def __init__(self):
        dict.__init__(self)
        self.epoch = []

    @property
    def history(self):
        return self

    def on_train_begin(self, logs=None):
        self.clear()
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.setdefault(k, []).append(v)


class ProgressBar(Callback):
    """A one-line tqdm bar over the whole of `fit` (all epochs): in Jupyter and Colab it is one
    output updated in place, and what stays in the notebook (and on the static site) is one
    summary line with the final results and no timings. Elsewhere it draws on stderr."""

    def __init__(self, every=0.2):
        self.every = number_in(every, "every", 0)

    def on_train_begin(self, logs=None):
        self.total = self.model.epochs * self.model.steps_per_epoch
        self.step, self.epoch, self.shown_at, self.start = 0, 0, 0.0, time.perf_counter()
        self.handle = self.bar = None
        if _in_notebook():
            from IPython.display import display

            self.handle = display({"text/plain": self._line({})}, raw=True, display_id=True)
        else:
            from tqdm import tqdm

            self.bar = tqdm(total=self.total, unit=" steps", file=sys.stderr, leave=False)

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        if self.bar is not None:
            self.bar.set_postfix(_format(logs), refresh=False)
            self.bar.update(1)
        elif time.perf_counter() - self.shown_at >= self.every:
            self.shown_at = time.perf_counter()
            self.handle.update({"text/plain": self._line(logs)}, raw=True)

    def on_train_end(self, logs=None):
        summary = (f"{self.epoch + 1} epochs, {self.step} steps: "
                   + ", ".join(f"{k} {v}" for k, v in _format(logs).items()))
        if self.bar is not None:
            self.bar.close()
            print(summary, file=sys.stderr)
        else:
            self.handle.update({"text/plain": summary}, raw=True)

    def _line(self, logs):
        from tqdm import tqdm

        return tqdm.format_meter(self.step, self.total, time.perf_counter() - self.start,
                                 prefix=f"epoch {self.epoch + 1}/{self.model.epochs}", unit=" steps",
                                 postfix=", ".join(f"{k}={v}" for k, v in _format(logs).items()))


def _format(logs):
    return {k: f"{v:.4f}" for k, v in (logs or {}).items()}


def _in_notebook():
    """True inside a Jupyter or Colab kernel (an IPython shell with a kernel)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and hasattr(shell, "kernel")


class EarlyStopping(Callback):
    """Stop when `monitor` ("val_loss", "loss", "val_accuracy", ...) has not improved for
    `patience` epochs, as `keras.callbacks.EarlyStopping` does.

    An epoch improves when its value beats the best so far by more than `min_delta` (lower is
    better in mode "min", higher in "max"; "auto": "max" for accuracy, else "min"). Training stops
    at the end of the epoch where `wait`, the epochs since the last improvement, reaches
    `patience` (never after the first epoch). `baseline`: an improvement resets `wait` only if it
    also beats the baseline. `restore_best_weights`: at the end of training, put back the weights
    of the best epoch. Epochs before `start_from_epoch` are not monitored. Unlike Keras, which warns,
a `monitor` that `fit` does not log is an error.
    """

    def __init__(self, monitor="val_loss", min_delta=0.0, patience=0, mode="auto", baseline=None,
                 restore_best_weights=False, start_from_epoch=0):
        if not isinstance(monitor, str):
            raise TypeError(f"monitor must be the name of a logged value, got {monitor!r}")
        self.monitor = monitor
        self.min_delta = abs(number_in(min_delta, "min_delta"))
        self.patience = positive_int(patience, "patience", minimum=0)
        mode = one_of(mode, "mode", ("auto", "min", "max"))
        if mode == "auto":
            mode = "max" if monitor.removeprefix("val_") == "accuracy" else "min"
        self.mode = mode
        self.baseline = None if baseline is None else number_in(baseline, "baseline")
        self.restore_best_weights = flag(restore_best_weights, "restore_best_weights")
        self.start_from_epoch = positive_int(start_from_epoch, "start_from_epoch", minimum=0)

    def _improves(self, value, reference):
        if reference is None:
            return True
        if self.mode == "min":
            return value + self.min_delta < reference
        return value - self.min_delta > reference

    def on_train_begin(self, logs=None):
        self.wait, self.stopped_epoch, self.best_epoch = 0, 0, 0
        self.best = self.best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.monitor not in logs:
            raise ValueError(f"EarlyStopping monitors {self.monitor!r}, but fit logs only "
                             f"{', '.join(logs)} (val_* needs validation_data)")
        value = logs[self.monitor]
        if epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights, self.best_epoch = self.model.get_weights(), epoch
        self.wait += 1
        if self._improves(value, self.best):
            self.best, self.best_epoch = value, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._improves(value, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.restore_best_weights and self.best_weights is not None:
            self.model.set_weights(self.best_weights)

