"""nnbook.lab.faces: ROC/AUC, the triplet loss and its gradient, views, the face networks."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.metrics import roc_curve as sk_roc_curve

from nnbook import data
from nnbook.lab import faces as F

rng = np.random.default_rng(0)


# --- ROC and AUC -----------------------------------------------------------------------------------


def test_roc_hand_case():
    y = [1, 0, 1, 0]
    s = [0.9, 0.8, 0.8, 0.1]  # a tie between a positive and a negative
    fpr, tpr, th = F.roc_curve(y, s)
    np.testing.assert_allclose(fpr, [0, 0, 0.5, 1])
    np.testing.assert_allclose(tpr, [0, 0.5, 1, 1])
    np.testing.assert_allclose(th, [np.inf, 0.9, 0.8, 0.1])
    # the area: trapezoids 0 (0 -> 0), 0.5 * (0.5 + 1) / 2 = 0.375, 0.5 * 1 = 0.5 -> 0.875
    assert F.auc(fpr, tpr) == pytest.approx(0.875)
    assert F.auc(*F.roc_curve([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4])[:2]) == 1.0
    assert F.auc(*F.roc_curve([1, 1, 0, 0], [0.1, 0.2, 0.3, 0.4])[:2]) == 0.0


@pytest.mark.parametrize("seed", range(5))
def test_roc_and_auc_match_scikit_learn(seed):
    r = np.random.default_rng(seed)
    y = r.integers(0, 2, 300)
    s = np.round(r.normal(y * 0.8, 1.0), 1)  # rounded: many ties
    fpr, tpr, th = F.roc_curve(y, s)
    want = sk_roc_curve(y, s, drop_intermediate=False)
    for got, expected in zip((fpr, tpr, th), want):
        np.testing.assert_allclose(got, expected)
    assert F.auc(fpr, tpr) == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    # the AUC is the chance a random positive outscores a random negative (ties count one half)
    pos, neg = s[y == 1], s[y == 0]
    wins = (pos[:, None] > neg[None]).mean() + 0.5 * (pos[:, None] == neg[None]).mean()
    assert F.auc(fpr, tpr) == pytest.approx(wins, abs=1e-12)


@pytest.mark.parametrize("y, s, err", [([1, 1], [0.1, 0.2], ValueError), ([0, 2], [0.1, 0.2], ValueError),
                                       ([0, 1], [0.1], ValueError), (["a", "b"], [0.1, 0.2], TypeError)])
def test_roc_bad_input(y, s, err):
    with pytest.raises(err):
        F.roc_curve(y, s)


# --- the triplet loss --------------------------------------------------------------------------------


def triplet(batch=6, d=4):
    return rng.normal(size=(batch, d)), rng.normal(size=(batch, d)), rng.normal(size=(batch, d))


def test_triplet_loss_hand_case():
    a, p, n = np.array([[0.0, 0]]), np.array([[1.0, 0]]), np.array([[0.0, 2]])
    assert F.triplet_loss(a, p, n, margin=0.5) == 0.0  # 1 - 4 + 0.5 < 0
    assert F.triplet_loss(a, p, n, margin=4.0) == pytest.approx(1.0)
    da, dp, dn = F.triplet_loss_gradient(a, p, n, margin=4.0)
    np.testing.assert_allclose(da, [[-2, 4]])
    np.testing.assert_allclose(dp, [[2, 0]])
    np.testing.assert_allclose(dn, [[0, -4]])


def test_triplet_gradient_against_centred_differences():
    a, p, n = triplet()
    margin = 2.0
    grads = F.triplet_loss_gradient(a, p, n, margin)
    gap = np.sum((a - p) ** 2, 1) - np.sum((a - n) ** 2, 1) + margin
    assert np.any(gap > 0) and np.any(gap < 0) and np.min(np.abs(gap)) > 1e-3  # both kinds, no kink
    for k in range(3):
        args = [a.copy(), p.copy(), n.copy()]
        numeric = np.zeros_like(args[k])
        for idx in np.ndindex(args[k].shape):
            h = 1e-6
            args[k][idx] += h
            up = F.triplet_loss(*args, margin)
            args[k][idx] -= 2 * h
            down = F.triplet_loss(*args, margin)
            args[k][idx] += h
            numeric[idx] = (up - down) / (2 * h)
        assert np.max(np.abs(numeric - grads[k])) < 1e-7


def test_triplet_loss_and_gradient_match_keras_tape():
    import tensorflow as tf

    a, p, n = triplet(8, 5)
    loss = F.keras_triplet_loss(margin=1.5)
    stacked = tf.Variable(np.concatenate([a, p, n], 1))
    with tf.GradientTape() as tape:
        value = tf.reduce_mean(loss(None, stacked))
    g = tape.gradient(value, stacked).numpy()
    assert float(value) == pytest.approx(F.triplet_loss(a, p, n, 1.5), abs=1e-12)
    for got, want in zip(np.split(g, 3, axis=1), F.triplet_loss_gradient(a, p, n, 1.5)):
        np.testing.assert_allclose(got, want, atol=1e-12)


def test_triplet_loss_extreme_inputs_stay_finite_and_bad_shapes_raise():
    a, p, n = (1e4 * v for v in triplet())
    assert np.isfinite(F.triplet_loss(a, p, n))
    assert all(np.isfinite(g).all() for g in F.triplet_loss_gradient(a, p, n))
    with pytest.raises(ValueError, match="same shape"):
        F.triplet_loss(a, p[:3], n)
    with pytest.raises(ValueError, match="margin"):
        F.triplet_loss(a, p, n, margin=-1)


# --- views, triplets, pairs ------------------------------------------------------------------------


def test_views_triplets_and_pairs():
    images = rng.random((5, 12, 12))
    v = F.views(images, 3, seed=1)
    assert v.shape == (5, 3, 12, 12) and v.min() >= 0 and v.max() <= 1
    assert np.array_equal(v, F.views(images, 3, seed=1)) and not np.array_equal(v, F.views(images, 3, seed=2))
    t = F.triplets(5, 3, 200, seed=0)
    assert t.shape == (200, 3, 2)
    assert np.all(t[:, 0, 0] == t[:, 1, 0]) and np.all(t[:, 0, 1] != t[:, 1, 1])  # same photo, other view
    assert np.all(t[:, 0, 0] != t[:, 2, 0])  # the negative is another photo
    pairs, same = F.verification_pairs(5, 3)
    assert len(pairs) == 15 * 14 // 2 and same.sum() == 5 * 3
    sim = F.pair_similarity(v.reshape(5, 3, -1), pairs)
    assert sim.shape == (len(pairs),) and np.all(sim <= 0)


# --- training: one short real run per network --------------------------------------------------------


@pytest.fixture(scope="module")
def faces():
    return data.load("faces")


def test_face_classifier_held_out_accuracy(faces):
    x = faces.x_train.reshape(-1, 25, 25, 1)
    model = F.keras_face_classifier(seed=0)
    model.fit(np.concatenate([x, x[:, :, ::-1]]), np.concatenate([faces.y_train] * 2), epochs=8,
              batch_size=16, verbose=0)
    _, accuracy = model.evaluate(faces.x_test.reshape(-1, 25, 25, 1), faces.y_test, verbose=0)
    assert accuracy >= 0.9


def test_embedding_verifies_unseen_faces_better_than_pixels(faces):
    train = faces.x_train[faces.y_train == 1].reshape(-1, 25, 25)
    test = faces.x_test[faces.y_test == 1].reshape(-1, 25, 25)
    train_views, test_views = F.views(train, 8, seed=1), F.views(test, 4, seed=2)
    pairs, same = F.verification_pairs(len(test), 4)
    pixels = F.auc(*F.roc_curve(same, F.pair_similarity(test_views.reshape(len(test), 4, -1), pairs))[:2])
    embed = F.keras_embedding_net(seed=0)
    model = F.keras_triplet_model(embed, learning_rate=2e-3)
    t = F.triplets(len(train), 8, 1500, seed=3)
    a, p, n = (train_views[t[:, k, 0], t[:, k, 1]][..., None] for k in range(3))
    model.fit([a, p, n], np.zeros(len(t)), epochs=2, batch_size=32, verbose=0)
    e = embed.predict(test_views.reshape(-1, 25, 25, 1), verbose=0).reshape(len(test), 4, -1)
    np.testing.assert_allclose(np.linalg.norm(e, axis=-1), 1, atol=1e-5)
    learned = F.auc(*F.roc_curve(same, F.pair_similarity(e, pairs))[:2])
    assert learned >= 0.8 and learned > pixels + 0.1
