"""lab/gan.py: the mixtures, the metrics on known inputs, the losses and their gradients, the
alternating step on the engine against a Keras GradientTape loop (<= 1e-6, float64), bad input."""

import numpy as np
import pytest

from nnbook.engine import twins
from nnbook.lab import gan


def test_ring_and_grid_have_the_papers_means_and_sigmas():
    means = gan.ring_means()
    np.testing.assert_allclose(np.linalg.norm(means, axis=1), 1.0)
    np.testing.assert_allclose(means[2], [0.0, 1.0], atol=1e-15)
    g = gan.grid_means()
    assert g.shape == (25, 2) and set(np.unique(g)) == {-4.0, -2.0, 0.0, 2.0, 4.0}
    x, labels = gan.sample_mixture(means, gan.RING_SIGMA, 4000, rng=0)
    assert abs((x - means[labels]).std() - 0.01) < 5e-4
    assert gan.RING_SIGMA == 0.01 and gan.GRID_SIGMA == 0.05


def test_mode_metrics_on_known_points():
    means = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    s = 0.1
    pts = np.array([[0.0, 0.0], [0.29, 0.0], [0.31, 0.0],   # 2.9 sigma: good; 3.1 sigma: not
                    [1.0, 0.05], [0.5, 0.5]])               # good (mode 1); far from all
    m = gan.mode_metrics(pts, means, s)
    assert m["modes"] == 2 and m["high_quality"] == pytest.approx(3 / 5)
    assert list(m["counts"]) == [2, 1, 0]
    assert gan.mode_metrics(pts, means, s, min_count=2)["modes"] == 1
    perfect = gan.mode_metrics(gan.ring(2500, rng=1), gan.ring_means(), gan.RING_SIGMA)
    assert perfect["modes"] == 8 and perfect["high_quality"] > 0.98
    collapsed = gan.mode_metrics(np.tile(gan.ring_means()[3], (100, 1)), gan.ring_means(), gan.RING_SIGMA)
    assert collapsed["modes"] == 1 and collapsed["high_quality"] == 1.0


def test_class_score_and_kl_from_uniform():
    assert gan.kl_from_uniform([5, 5, 5, 5]) == pytest.approx(0.0, abs=1e-15)
    assert gan.kl_from_uniform([0, 7, 0, 0]) == pytest.approx(np.log(4))
    assert gan.kl_from_uniform([1, 1, 0, 0]) == pytest.approx(np.log(2))
    images = np.zeros((6, 4))
    labels = np.array([0, 0, 1, 1, 2, 2])
    s = gan.class_score(images, lambda x: labels, n_classes=4)
    assert s["distinct"] == 3 and s["kl"] == pytest.approx(np.log(4) - np.log(3))
    scores = np.eye(4)[labels]
    assert gan.class_score(images, lambda x: scores, n_classes=4)["distinct"] == 3
    with pytest.raises(ValueError, match="scores of shape"):
        gan.class_score(images, lambda x: scores[:, :3], n_classes=4)
    with pytest.raises(TypeError, match="classify must be a function"):
        gan.class_score(images, "net")


def test_losses_and_generator_gradients():
    logits = np.array([-3.0, 0.0, 2.0])
    sig = 1 / (1 + np.exp(-logits))
    want = -np.mean(np.log(sig)) - np.mean(np.log(1 - sig))
    assert gan.discriminator_loss(logits, logits) == pytest.approx(want)
    assert gan.generator_loss(logits) == pytest.approx(-np.mean(np.log(sig)))
    assert gan.generator_loss(logits, "minimax") == pytest.approx(np.mean(np.log(1 - sig)))
    for kind in gan.LOSSES:
        h = 1e-6
        numeric = [(gan.generator_loss(logits + h * e, kind)
                    - gan.generator_loss(logits - h * e, kind)) / (2 * h) for e in np.eye(3)]
        np.testing.assert_allclose(gan.generator_gradient(logits, kind), numeric, rtol=1e-7)
    # where D rejects the fakes (logits << 0) the minimax gradient vanishes, the non-saturating one does not
    assert abs(gan.generator_gradient([-10.0], "minimax")[0]) < 1e-4
    assert abs(gan.generator_gradient([-10.0])[0]) > 0.99
    assert np.isfinite(gan.generator_loss([1e4, -1e4])) and np.isfinite(gan.discriminator_loss([1e4], [-1e4]))
    with pytest.raises(ValueError, match="kind must be one of"):
        gan.generator_loss(logits, "wasserstein")


@pytest.mark.parametrize("pack,loss", [(1, "non_saturating"), (2, "minimax"), (4, "non_saturating")])
def test_alternating_steps_match_a_keras_tape_loop(pack, loss):
    model = gan.make_gan(pack=pack, loss=loss, seed=3, g_units=(16, 16), d_units=(16,))
    G_k, D_k, g_opt, d_opt = gan.keras_gan(model)
    rng = np.random.default_rng(0)
    for _ in range(4):
        real = gan.ring(8 * pack, rng)
        z = rng.standard_normal((8, pack, 2))
        ours = model.train_step(real, z)
        theirs = gan.keras_train_step(G_k, D_k, g_opt, d_opt, real, z, loss)
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    # Keras keeps the learning rate as a float32 variable: weights agree to ~1e-8, not 1e-16
    assert twins.max_weight_difference(model.G, G_k) <= 1e-6
    assert twins.max_weight_difference(model.D, D_k) <= 1e-6


def test_the_discriminator_trains_only_in_its_step_and_the_generator_only_in_its_own():
    model = gan.make_gan(seed=0, g_units=(8,), d_units=(8,))
    assert all(k.startswith("0/") for k in model.GD.trained_keys)
    assert len(model.D.trained_keys) == 4 and model.D.trainable
    d_before = {k: v.copy() for k, v in model.D.params.items()}
    rng = np.random.default_rng(1)
    z = rng.standard_normal((4, 1, 2))
    model.GD.train_step(z, np.ones((4, 1)))
    assert all(np.array_equal(d_before[k], v) for k, v in model.D.params.items())


def test_training_reports_losses_snapshots_and_metrics():
    model = gan.make_gan(seed=0, g_units=(8,), d_units=(8,))
    r = gan.train(model, "grid", 6, batch_size=4, seed=0, every=3)
    assert r["d_loss"].shape == (6,) and sorted(r["snapshots"]) == [0, 3, 6]
    assert r["snapshots"][6].shape == (gan.N_EVAL, 2) and 0 <= r["metrics"]["modes"] <= 25
    assert gan.make_gan(pack=2, seed=0).sample(5).shape == (5, 2)
    assert gan.make_gan(seed=0).decision(np.zeros((3, 2))).shape == (3,)


def test_bad_input_raises():
    with pytest.raises(ValueError, match=r"samples must have shape \(n, 2\)"):
        gan.mode_metrics(np.zeros((3, 3)), gan.ring_means(), 0.01)
    with pytest.raises(ValueError, match="sigma must lie in"):
        gan.mode_metrics(np.zeros((3, 2)), gan.ring_means(), 0.0)
    with pytest.raises(ValueError, match="means must have shape"):
        gan.sample_mixture(np.zeros(3), 0.1, 5)
    with pytest.raises(ValueError, match="histogram must be"):
        gan.kl_from_uniform([0, 0])
    with pytest.raises(ValueError, match="dataset must be one of"):
        gan.train(gan.make_gan(seed=0), "spiral", 1)
    with pytest.raises(TypeError, match="gan must be a GAN"):
        gan.train("gan", "ring", 1)
    with pytest.raises(ValueError, match="loss must be one of"):
        gan.make_gan(loss="hinge")
    m = gan.make_gan(seed=0)
    with pytest.raises(ValueError, match="the discriminator must map"):
        gan.GAN(m.G, gan.mlp((4,), 1, "relu", (3,), 0))


def test_train_scales_the_data_for_the_networks_and_reports_in_the_datas_units():
    model = gan.make_gan(seed=0, g_units=(8,), d_units=(8,))
    r = gan.train(model, "grid", 4, batch_size=4, seed=0, every=2, scale=4.0,
                  probe=lambda g: float(g.decision(np.zeros((1, 2)))[0]))
    eval_z = np.random.default_rng(0).spawn(1)[0].standard_normal((gan.N_EVAL, 1, 2))
    np.testing.assert_allclose(r["snapshots"][4], 4 * model.G.forward(eval_z).reshape(-1, 2), rtol=1e-15)
    m = gan.mode_metrics(r["snapshots"][4], gan.grid_means(), gan.GRID_SIGMA)
    assert r["metrics"]["modes"] == m["modes"]
    assert r["metrics"]["high_quality"] == pytest.approx(m["high_quality"])
    assert sorted(r["probes"]) == [0, 2, 4] and 0 < r["probes"][4] < 1
    assert "probes" not in gan.train(model, "ring", 1)
    with pytest.raises(TypeError, match="probe must be a function"):
        gan.train(model, "ring", 1, probe=3)
    with pytest.raises(ValueError, match="scale must lie in"):
        gan.train(model, "ring", 1, scale=0)


def _mixtures_script():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "data" / "make_ch12_mixtures.py"
    spec = importlib.util.spec_from_file_location("make_ch12_mixtures", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_one_shipped_mixture_run_is_reproduced_exactly():
    """data/make_ch12_mixtures.py's ring run (plain GAN, seed 0) retrained here gives the shipped
    row: the same modes and good samples, the same points to float32's last bits. On one BLAS thread
    the engine is deterministic; OpenBLAS's kernel for another kind of CPU rounds some sums in
    another order, which moves 10% of the points by one unit in the last place (about 20 CPU-s)."""
    from threadpoolctl import threadpool_limits

    from nnbook.book import data

    script = _mixtures_script()
    with np.load(data.read_verified("ch12_mixtures.npz")) as f:
        shipped = {k: f[k] for k in f.files}
    i, j, k = list(shipped["datasets"]).index("ring"), list(shipped["methods"]).index("plain"), 0
    with threadpool_limits(1):
        r = script.run("ring", "plain", int(shipped["seeds"][k]))
    assert r["metrics"]["modes"] == shipped["modes"][i, j, k]
    assert r["metrics"]["high_quality"] == shipped["high_quality"][i, j, k]
    final = r["snapshots"][int(shipped["steps"][i])][:script.KEEP].astype(np.float32)
    np.testing.assert_allclose(final, shipped["final"][i, j, k], rtol=1e-6, atol=1e-6)
