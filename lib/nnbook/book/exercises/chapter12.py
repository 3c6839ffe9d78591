"""Chapter 12 exercises: the discriminator's loss on a batch of logits, the generator's gradient
with respect to D's output for both generator losses, and the mode metrics of the 2-D mixtures
(modes captured, share of high-quality samples); for the digits, the classifier-based score of a
label histogram and the input of a conditional generator."""

import numpy as np

from . import exercise


def _softplus(z):
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))  # log(1 + e^z) without overflow


def _d_loss_cases():
    rng = np.random.default_rng(1201)
    # D undecided (every logit 0): log 2 on each half, 2 log 2 in all
    yield (np.zeros(3), np.zeros(3)), {}
    # confident and right on the real half, fooled on the fake half: the halves weigh differently
    yield (np.array([4.0, 4.0]), np.array([2.0, -1.0, 0.5])), {}
    # D sure and wrong at huge logits: the loss is large but must not overflow
    yield (np.array([-800.0, 3.0]), np.array([800.0, -1.0])), {}
    for n_real, n_fake in ((5, 5), (4, 7)):
        yield (rng.normal(scale=3, size=n_real), rng.normal(scale=3, size=n_fake)), {}


@exercise(
    "ch12.discriminator_loss",
    cases=_d_loss_cases,
    hint="D is a binary classifier: real samples carry label 1, generated ones label 0; average "
    "each half over its own batch, and keep the logs finite.",
    more=("D's probability of 'real' is sigma(l). Real samples carry label 1, fakes label 0: "
          "L_D = -mean(log sigma(l_real)) - mean(log(1 - sigma(l_fake))), each half averaged over its "
          "own length. With -log sigma(l) = softplus(-l) = log(1 + e^-l) and -log(1 - sigma(l)) = "
          "softplus(l), write softplus as max(z, 0) + log1p(exp(-|z|)) so that nothing overflows.",),
)
def discriminator_loss(real_logits, fake_logits):
    """The discriminator's loss on D's logits of a batch of real samples (n,) and of generated
    ones (m,) -> float."""
    return float(np.mean(_softplus(-real_logits)) + np.mean(_softplus(fake_logits)))


def _g_grad_cases():
    # D's output p = sigma(l) on one generated sample, l its logit
    for p in (0.5, 0.01, 0.99):
        yield (p, "non_saturating"), {}
        yield (p, "minimax"), {}
    yield (np.array([1e-4, 0.2, 0.7]), "non_saturating"), {}
    yield (np.array([1e-4, 0.2, 0.7]), "minimax"), {}


@exercise(
    "ch12.generator_gradient",
    cases=_g_grad_cases,
    hint="Write each generator loss as a function of D's logit l, differentiate, and express the "
    "result in p = sigma(l).",
    more=("Per sample, the minimax generator minimises log(1 - sigma(l)), the non-saturating one "
          "-log sigma(l). Use sigma'(l) = sigma(l) (1 - sigma(l)) and write the answer in p = sigma(l): "
          "d/dl log(1 - sigma(l)) = -p and d/dl (-log sigma(l)) = -(1 - p). Where D rejects the fake "
          "(p near 0) the first vanishes, the second is about -1. Work elementwise.",),
)
def generator_gradient(p, kind):
    """The gradient of one generated sample's generator loss with respect to D's logit l, given
    D's output p = sigma(l) (a float or an array): kind "minimax" (L_G = log(1 - sigma(l))) or
    "non_saturating" (L_G = -log sigma(l)) -> same shape as p."""
    p = np.asarray(p, dtype=float)
    return -(1 - p) if kind == "non_saturating" else -p


def _mode_cases():
    rng = np.random.default_rng(1203)
    square = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    # one point on each of two modes, one far from all: 2 modes, 2/3 high quality
    yield (np.array([[0.0, 0.0], [1.0, 0.02], [0.5, 0.5]]), square, 0.1), {}
    # 2.9 sigma counts, 3.1 sigma does not (the distance is Euclidean, in units of sigma)
    yield (np.array([[0.29, 0.0], [1.0, 0.31], [0.2, 0.2]]), square, 0.1), {}
    # everything on one mode: collapse, yet 100% high quality
    yield (np.tile([[1.0, 1.0]], (10, 1)) + 0.01 * rng.normal(size=(10, 2)), square, 0.1), {}
    # the nearest mean first, then the threshold: (0.6, 0) is nearest mode 1 but 4 sigma away
    yield (np.array([[0.25, 0.0], [0.6, 0.0], [0.0, 0.9]]), square, 0.1), {}
    # ring points drawn from the data itself, and a few from a wider spread
    angles = 2 * np.pi * np.arange(8) / 8
    ring = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    pts = ring[rng.integers(8, size=50)] + 0.02 * rng.normal(size=(50, 2))
    yield (pts, ring, 0.01), {}


@exercise(
    "ch12.mode_metrics",
    cases=_mode_cases,
    hint="Assign every sample to its nearest mean; quality is about the distance in units of "
    "sigma, capture about which means get a good sample.",
    more=("For each sample find its nearest mean (Euclidean distance). It is high quality if that "
          "distance is below 3 sigma. A mode is captured if at least one high-quality sample has it as "
          "its nearest mean. Return (number of modes captured as an int, share of high-quality "
          "samples as a float in [0, 1]).",),
)
def mode_metrics(samples, means, sigma):
    """Modes captured and the share of high-quality samples. samples (n, d), means (k, d),
    sigma > 0 -> (modes: int, high_quality: float)."""
    distance = np.sqrt(((samples[:, None, :] - means[None, :, :]) ** 2).sum(-1))  # (n, k)
    nearest = distance.argmin(axis=1)
    good = distance.min(axis=1) < 3 * sigma
    return len(set(nearest[good].tolist())), float(good.mean())


# --- digits (part B) ------------------------------------------------------------------------------


def _class_score_cases():
    rng = np.random.default_rng(1204)
    # every class equally often: KL 0; one class only: KL log k
    yield (np.array([3, 3, 3, 3]),), {}
    yield (np.array([0, 0, 9, 0, 0]),), {}
    # empty classes count as 0 log 0 = 0, not as an error
    yield (np.array([5, 5, 0, 0]),), {}
    # counts, not probabilities: normalise first
    yield (np.array([1, 2, 3, 4, 10, 0, 0, 5, 5, 70]),), {}
    yield (rng.integers(0, 50, size=10),), {}


@exercise(
    "ch12.class_score",
    cases=_class_score_cases,
    hint="Turn the counts into a distribution; count the classes that occur and compare the "
    "distribution with the uniform one by KL.",
    more=("Normalise the counts to p = h / h.sum(). 'distinct' is the number of classes with a "
          "count above 0. KL(p || u) with u = 1/k is sum_i p_i log(p_i k) = log k + sum_i p_i log p_i, "
          "summed over the classes with p_i > 0 only (0 log 0 = 0), natural logarithm. Return "
          "(distinct as an int, kl as a float).",),
)
def class_score(histogram):
    """The classifier-based score of a label histogram h (k,) of generated samples: (the number
    of classes that occur, KL divergence of the normalised histogram from uniform in nats)."""
    h = np.asarray(histogram, dtype=float)
    p = h / h.sum()
    nz = p > 0
    return int(nz.sum()), float(np.log(len(p)) + np.sum(p[nz] * np.log(p[nz])))


def _conditional_cases():
    rng = np.random.default_rng(1205)
    yield (np.zeros((1, 2)), np.array([0]), 3), {}
    yield (np.array([[0.5, -1.0], [2.0, 0.0]]), np.array([1, 3]), 4), {}
    # the last class takes the last column
    yield (rng.normal(size=(3, 4)), np.array([9, 0, 9]), 10), {}
    yield (rng.normal(size=(5, 3)), rng.integers(0, 10, size=5), 10), {}


@exercise(
    "ch12.conditional_input",
    cases=_conditional_cases,
    hint="The label travels as a one-hot code appended to the noise.",
    more=("Build the one-hot code: an (n, n_classes) array of zeros with a 1 in column labels[i] of "
          "row i (np.eye(n_classes)[labels] does it). Then append it to the right of z: "
          "np.concatenate([z, code], axis=1), shape (n, latent_dim + n_classes).",),
)
def conditional_input(z, labels, n_classes):
    """What a conditional generator reads: the noise z (n, latent_dim) with the one-hot code of
    each row's label (n,) appended -> (n, latent_dim + n_classes)."""
    return np.concatenate([z, np.eye(n_classes)[labels]], axis=1)
