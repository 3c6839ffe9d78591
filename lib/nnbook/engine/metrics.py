"""Metrics: `accuracy`, chosen from the shapes as Keras's "accuracy" is."""

import numpy as np

from .._checks import as_float_array, flag


def accuracy(y_true, y_pred, from_logits=False):
    """The fraction of correct predictions.

    Binary (y_pred: (n,) or (n, 1)): [y_pred > 0.5] (> 0 for logits) against 0/1 labels y_true.
    Classes (y_pred: (n, ..., k), k > 1): argmax y_pred against integer labels y_true: (n, ...)
    or (n, ..., 1), or against argmax y_true for one-hot rows of y_pred's shape.
    """
    y_pred = as_float_array(y_pred, "y_pred")
    y_true = as_float_array(y_true, "y_true")
    from_logits = flag(from_logits, "from_logits")
    if y_pred.ndim == 0 or y_pred.size == 0:
        raise ValueError(f"y_pred must be a non-empty array (n, ...), got shape {y_pred.shape}")
    if y_true.ndim == 0 or len(y_true) != len(y_pred):
        raise ValueError(f"y_true must hold one target per prediction: y_pred has {len(y_pred)}, "
                         f"y_true has shape {y_true.shape}")
    if y_pred.ndim == 1 or y_pred.shape[-1] == 1:
        if y_true.size != y_pred.size:
            raise ValueError(f"binary predictions {y_pred.shape} need one 0/1 label each, "
                             f"got y_true of shape {y_true.shape}")
        if not np.all((y_true == 0) | (y_true == 1)):
            raise ValueError(f"binary predictions {y_pred.shape} need labels 0 or 1, got y_true with "
                             f"values in [{y_true.min():g}, {y_true.max():g}] (to compare predicted "
                             f"class labels, use np.mean(labels_pred == labels_true))")
        hit = (y_pred > (0.0 if from_logits else 0.5)) == (y_true.reshape(y_pred.shape) == 1)
    elif y_true.shape in (y_pred.shape[:-1], y_pred.shape[:-1] + (1,)):
        labels = y_true.reshape(y_pred.shape[:-1])
        k = y_pred.shape[-1]
        if np.any(labels != np.floor(labels)) or labels.min() < 0 or labels.max() >= k:
            raise ValueError(f"class labels must be integers in [0, {k - 1}] for {k} classes, "
                             f"got values in [{labels.min():g}, {labels.max():g}]")
        hit = np.argmax(y_pred, axis=-1) == labels
    elif y_true.shape == y_pred.shape:
        hit = np.argmax(y_pred, axis=-1) == np.argmax(y_true, axis=-1)
    else:
        raise ValueError(f"y_true must be class labels of shape {y_pred.shape[:-1]} or one-hot rows "
                         f"of shape {y_pred.shape}, got shape {y_true.shape}")
    return float(np.mean(hit))
