"""Chapter 13 exercise for the character-level language model: the validation loss in nats per
character from a model's next-character logits and the characters that actually came next."""

import numpy as np

from . import exercise


def _nats_cases():
    rng = np.random.default_rng(1313)
    # all logits equal: the model knows nothing and pays ln V per character
    yield (np.zeros((2, 3, 5)), np.array([[0, 1, 2], [3, 4, 0]])), {}
    # one confident, right position and one confident, wrong one: the mean is over both
    yield (np.array([[[6.0, 0.0, 0.0], [6.0, 0.0, 0.0]]]), np.array([[0, 2]])), {}
    # huge logits: exp overflows unless the largest logit is subtracted first
    yield (np.array([[[900.0, 0.0, 890.0], [0.0, -700.0, 1000.0]]]), np.array([[2, 2]])), {}
    for shape in ((4, 7, 9), (3, 16, 30)):
        logits = rng.normal(scale=3, size=shape)
        yield (logits, rng.integers(0, shape[-1], size=shape[:-1])), {}


@exercise(
    "ch13.nats_per_char",
    cases=_nats_cases,
    hint="Turn each position's logits into log-probabilities with a log-softmax over the last "
    "axis, pick the one of the character that came next, and average minus that over all positions.",
    more=("log softmax(z)_i = z_i - log sum_j exp(z_j). Subtract each row's largest logit from the "
          "row first (it cancels) so that exp never overflows; then pick log p[target] with "
          "np.take_along_axis(log_p, targets[..., None], axis=-1) and return minus the mean over "
          "every window and position.",),
)
def nats_per_char(logits, targets):
    """Next-character logits (n, T, V) and the characters that came next (n, T) -> the mean
    cross-entropy in nats per character, float."""
    z = logits - logits.max(axis=-1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    return float(-np.take_along_axis(log_p, targets[..., None], axis=-1).mean())
