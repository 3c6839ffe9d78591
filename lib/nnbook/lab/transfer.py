"""Chapter 14's central experiment: a CNN pretrained on a source task reused on a target task with
few labels, against training from scratch and a linear classifier on the raw inputs.

**The four methods**, for labelled images (x, y) of the target, x: (n, 28, 28, 1):
- *from scratch*: the pretrained model's architecture, `build(seed)` (random weights), trained on
  (x, y) alone;
- *raw-input baseline*: a softmax layer on the flattened pixels (multinomial logistic regression)
  with an L2 penalty lambda * sum W^2, lambda chosen on the validation set;
- *feature extraction*: the pretrained *trunk* (every layer but the last, frozen) maps each image to
  a feature vector; a new softmax head is trained on those features, lambda chosen as above;
- *fine-tuning*: the trunk with the feature-extraction head on top, every weight trained further
  with a small learning rate.

The trained networks (scratch and fine-tuning) take `STEPS` Adam steps on mini-batches of at most
32, the learning rate decayed to 0 along a cosine, every batch shifted by up to 2 pixels (chapter
10's augmentation). The heads take `HEAD_STEPS` full-batch Adam steps. All of it runs BLAS on one
thread, so a seed gives the same numbers byte for byte.
"""

import math
from functools import partial

import numpy as np
from scipy import ndimage
from threadpoolctl import threadpool_limits

from .. import _checks
from ..engine import Dense, Sequential, augmentation, optimizers, regularizers, schedules

STEPS = 100
HEAD_STEPS = 300
SCRATCH_RATE = 5e-3
FINE_TUNE_RATE = 5e-4
HEAD_RATE = 1e-2
L2_GRID = (0.0, 1e-4, 1e-3, 1e-2)
METHODS = ("from scratch", "raw-pixel logistic", "feature extraction", "fine-tuning")


def digits_as_mnist(x):
    """scikit-learn's 8 x 8 digits in MNIST's frame: each image enlarged 2.5 times (bilinear) to
    20 x 20 and centred in a 28 x 28 canvas, as MNIST centres its digits in a 20 x 20 box.
    x: (n, 64) in [0, 1] -> (n, 28, 28, 1) in [0, 1], same dtype."""
    x = _checks.as_float_array(x, "x")
    if x.ndim != 2 or x.shape[1] != 64:
        raise ValueError(f"x must have shape (n, 64), got {x.shape}")
    big = np.clip(ndimage.zoom(x.reshape(-1, 8, 8), (1, 2.5, 2.5), order=1), 0, 1)
    return np.pad(big, ((0, 0), (4, 4), (4, 4)))[..., None].astype(x.dtype)


def per_class(y, k, seed):
    """Indices of `k` examples of every class of `y`, drawn without replacement with `seed`
    (all of them if k is None), sorted. y: (n,) ints -> (k * classes,)."""
    y = np.asarray(y)
    seed = _checks.positive_int(seed, "seed", minimum=0)
    if k is None:
        return np.arange(len(y))
    k = _checks.positive_int(k, "k")
    rng = np.random.default_rng(seed)
    picks = []
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        if len(members) < k:
            raise ValueError(f"class {c} has {len(members)} examples, fewer than k = {k}")
        picks.append(rng.choice(members, size=k, replace=False))
    return np.sort(np.concatenate(picks))


def trunk(build, weights, seed=0):
    """The pretrained feature extractor: every layer of `build(seed)` but the last, holding
    `weights` (the full model's `get_weights()` list; the last layer's kernel and bias dropped)."""
    layers = build(seed).layers[:-1]
    model = Sequential(layers)
    model.set_weights(weights[:-2])
    return model


def softmax_head(f, y, n_classes, l2, seed=0):
    """A softmax layer Dense(n_classes) on features f: (n, d), trained full-batch on (f, y) with
    penalty l2 * sum W^2 for `HEAD_STEPS` Adam steps. Returns the model."""
    head = Sequential([Dense(n_classes, activation="softmax", kernel_regularizer=regularizers.L2(l2))])
    head.build(f.shape[1:], seed=seed, dtype=f.dtype)
    head.compile("sparse_categorical_crossentropy", optimizers.Adam(HEAD_RATE))
    head.fit(f, y, epochs=HEAD_STEPS, batch_size=len(f), shuffle=False, verbose=0)
    return head


def best_head(f, y, f_val, y_val, n_classes, seed=0):
    """The `softmax_head` whose lambda in `L2_GRID` scores best on (f_val, y_val) (the smallest
    lambda on ties). Returns (head, lambda)."""
    scores = []
    for l2 in L2_GRID:
        head = softmax_head(f, y, n_classes, l2, seed)
        scores.append((np.mean(head.predict(f_val).argmax(1) == y_val), -l2, head))
    acc, neg_l2, head = max(scores, key=lambda s: s[:2])
    return head, -neg_l2


def train_network(model, x, y, learning_rate, seed=0):
    """Train `model` (built) on (x, y) for about `STEPS` steps of mini-batches of at most 32
    shifted images, Adam with a cosine-decayed `learning_rate`. Returns the model."""
    batch = min(32, len(x))
    per_epoch = -(-len(x) // batch)
    epochs = math.ceil(STEPS / per_epoch)
    schedule = schedules.CosineDecay(learning_rate, decay_steps=epochs * per_epoch)
    model.compile("sparse_categorical_crossentropy", optimizers.Adam(schedule))
    model.fit(x, y, epochs=epochs, batch_size=batch, seed=seed, verbose=0,
              augment=partial(augmentation.shift, max_shift=2))
    return model


def carve(n, n_val, seed=0):
    """Split range(n) at random (`seed`) into a training pool and `n_val` validation indices.
    Returns (pool, val), each sorted."""
    n = _checks.positive_int(n, "n", minimum=2)
    n_val = _checks.positive_int(n_val, "n_val")
    if n_val >= n:
        raise ValueError(f"n_val must be below n = {n}, got {n_val}")
    order = np.random.default_rng(_checks.positive_int(seed, "seed", minimum=0)).permutation(n)
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def compare(build, weights, x, y, x_val, y_val, x_test, y_test, seed=0):
    """Validation and test accuracy of the four `METHODS` trained on (x, y) with `seed`; the
    pretrained model is given by `build` (seed -> a fresh model of its architecture) and its
    `weights`. x: (n, 28, 28, 1); y: (n,) ints 0..classes-1. Returns
    {"val": {method: accuracy}, "test": {method: accuracy}, "l2": {"raw": lambda, "features": lambda}}."""
    x, x_val, x_test = (_checks.as_float_array(a, name) for a, name in
                        ((x, "x"), (x_val, "x_val"), (x_test, "x_test")))
    y, y_val, y_test = (np.asarray(a) for a in (y, y_val, y_test))
    seed = _checks.positive_int(seed, "seed", minimum=0)
    n_classes = int(max(y.max(), y_val.max(), y_test.max())) + 1
    out = {"val": {}, "test": {}, "l2": {}}

    def score(method, predict, val_input, test_input):
        out["val"][method] = float(np.mean(predict(val_input).argmax(1) == y_val))
        out["test"][method] = float(np.mean(predict(test_input).argmax(1) == y_test))

    with threadpool_limits(limits=1):
        scratch = Sequential(build(seed).layers[:-1] + [Dense(n_classes, activation="softmax")])
        scratch.build(x.shape[1:], seed=seed, dtype=x.dtype)
        train_network(scratch, x, y, SCRATCH_RATE, seed)
        score("from scratch", scratch.predict, x_val, x_test)

        flat = [a.reshape(len(a), -1) for a in (x, x_val, x_test)]
        raw, out["l2"]["raw"] = best_head(flat[0], y, flat[1], y_val, n_classes, seed)
        score("raw-pixel logistic", raw.predict, flat[1], flat[2])

        body = trunk(build, weights, seed)
        f, f_val, f_test = (body.predict(a) for a in (x, x_val, x_test))
        head, out["l2"]["features"] = best_head(f, y, f_val, y_val, n_classes, seed)
        score("feature extraction", head.predict, f_val, f_test)

        tuned = Sequential([body, head])
        train_network(tuned, x, y, FINE_TUNE_RATE, seed)
        score("fine-tuning", tuned.predict, x_val, x_test)
    return out


def keras_feature_extractor(build, weights, n_classes, seed=0):
    """The Keras twin of feature extraction: the `trunk` as a frozen keras.Sequential (its layers'
    twins, holding `weights`) followed by a new Dense(n_classes) softmax head. Not compiled:
    `model.layers[0]` is the trunk, `model.trainable_weights` the head's kernel and bias."""
    import keras

    body = trunk(build, weights, seed)
    keras_trunk = keras.Sequential([keras.Input(body.input_shape, dtype=body.dtype.name),
                                    *(layer.to_keras() for layer in body.layers)])
    keras_trunk.trainable = False
    n_classes = _checks.positive_int(n_classes, "n_classes", minimum=2)
    return keras.Sequential([keras.Input(body.input_shape, dtype=body.dtype.name), keras_trunk,
                             keras.layers.Dense(n_classes, activation="softmax")])
