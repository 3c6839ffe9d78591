"""lab.tuning: the search space, grid/random search, the GP (against the formulas and scikit-learn),
expected improvement (closed form and Monte Carlo), the test objectives, BO on Branin, keras-tuner."""

import numpy as np
import pytest
from scipy.optimize import approx_fprime
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, Matern

from nnbook.lab import tuning as T


def _data(n=15, d=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, d))
    return X, np.sin(6 * X[:, 0]) + X[:, -1] ** 2 + 0.1 * rng.standard_normal(n)


# --- the space and the plain searches --------------------------------------------------------------


def test_space_maps_linear_and_log_scales_and_back():
    space = T.Space(lr=(1e-4, 1e-1, "log"), dropout=(0.0, 0.5))
    x = space.from_unit(np.array([[0.0, 0.0], [0.5, 0.5], [1.0, 1.0]]))
    np.testing.assert_allclose(x, [[1e-4, 0.0], [10**-2.5, 0.25], [1e-1, 0.5]], rtol=1e-12)
    u = np.random.default_rng(1).random((20, 2))
    np.testing.assert_allclose(space.to_unit(space.from_unit(u)), u, atol=1e-12)
    assert space.as_dict(x[1]) == pytest.approx({"lr": 10**-2.5, "dropout": 0.25})


def test_grid_search_tries_per_dim_values_per_axis_and_random_search_many():
    space = T.Space(a=(0.0, 1.0), b=(0.0, 1.0))
    grid = T.grid_search(T.one_of_two, space, 4)
    assert grid.x.shape == (16, 2) and len(np.unique(grid.x[:, 0])) == 4
    np.testing.assert_allclose(np.unique(grid.x[:, 0]), [0, 1 / 3, 2 / 3, 1])
    np.testing.assert_allclose(grid.y, T.one_of_two(grid.x))
    rand = T.random_search(T.one_of_two, space, 16, seed=3)
    assert len(np.unique(rand.x[:, 0])) == 16 and np.all((rand.x >= 0) & (rand.x <= 1))
    np.testing.assert_array_equal(rand.x, T.random_search(T.one_of_two, space, 16, seed=3).x)
    np.testing.assert_allclose(rand.best_so_far, np.minimum.accumulate(rand.y))
    # the point of Bergstra and Bengio: over seeds, 16 random calls beat the 4 x 4 grid
    wins = [T.random_search(T.one_of_two, space, 16, seed=s).y.min() < grid.y.min() for s in range(20)]
    assert sum(wins) >= 15


# --- the Gaussian process ----------------------------------------------------------------------------


@pytest.mark.parametrize("kernel", ["rbf", "matern52"])
def test_kernels_against_their_formulas(kernel):
    A, B = np.random.default_rng(2).random((4, 3)), np.random.default_rng(3).random((5, 3))
    ls, var = np.array([0.3, 0.5, 2.0]), 1.7
    r = np.sqrt(np.array([[np.sum(((a - b) / ls) ** 2) for b in B] for a in A]))
    want = var * np.exp(-r**2 / 2) if kernel == "rbf" else \
        var * (1 + np.sqrt(5) * r + 5 * r**2 / 3) * np.exp(-np.sqrt(5) * r)
    np.testing.assert_allclose(T.KERNELS[kernel](A, B, ls, var), want, rtol=1e-12)


@pytest.mark.parametrize("kernel", ["rbf", "matern52"])
@pytest.mark.parametrize("normalize_y", [False, True])
def test_posterior_against_the_direct_formula_and_sklearn(kernel, normalize_y):
    X, y = _data()
    Xs = np.random.default_rng(4).random((30, 2))
    ls, var, noise = np.array([0.2, 0.6]), 1.3, 1e-4
    gp = T.GaussianProcess(kernel, ls, var, noise, fit_hyper=False, normalize_y=normalize_y).fit(X, y)
    mean, std = gp.predict(Xs)
    # the textbook formulas, with an explicit inverse
    m, s = (y.mean(), y.std()) if normalize_y else (0.0, 1.0)
    k = T.KERNELS[kernel]
    K_inv = np.linalg.inv(k(X, X, ls, var) + noise * np.eye(len(X)))
    Ks = k(Xs, X, ls, var)
    np.testing.assert_allclose(mean, m + s * Ks @ K_inv @ ((y - m) / s), rtol=1e-9, atol=1e-9)
    var_direct = var - np.einsum("ij,jk,ik->i", Ks, K_inv, Ks)
    np.testing.assert_allclose(std, s * np.sqrt(np.maximum(var_direct, 0)), rtol=1e-7, atol=1e-8)
    # scikit-learn with the same fixed kernel
    base = RBF(ls, "fixed") if kernel == "rbf" else Matern(ls, "fixed", nu=2.5)
    sk = GaussianProcessRegressor(ConstantKernel(var, "fixed") * base, alpha=noise, optimizer=None,
                                  normalize_y=normalize_y).fit(X, y)
    sk_mean, sk_std = sk.predict(Xs, return_std=True)
    np.testing.assert_allclose(mean, sk_mean, rtol=0, atol=1e-8)
    np.testing.assert_allclose(std, sk_std, rtol=0, atol=1e-8)
    np.testing.assert_allclose(gp.log_marginal_likelihood(), sk.log_marginal_likelihood_value_,
                               rtol=1e-10)


def test_posterior_interpolates_noiseless_data():
    X, y = _data(8, 1)
    mean, std = T.GaussianProcess("rbf", 0.3, noise=1e-10, fit_hyper=False).fit(X, y).predict(X)
    np.testing.assert_allclose(mean, y, atol=1e-4)
    assert np.all(std < 1e-3)


@pytest.mark.parametrize("kernel", ["rbf", "matern52"])
def test_marginal_likelihood_gradient_against_differences(kernel):
    X, y = _data(12, 3, seed=5)
    gp = T.GaussianProcess(kernel, fit_hyper=False).fit(X, y)
    theta = np.log([0.3, 0.8, 1.5, 1.2])
    value, grad = gp._neg_lml(theta)
    num = approx_fprime(theta, lambda t: gp._neg_lml(t)[0], 1e-7)
    np.testing.assert_allclose(grad, num, rtol=1e-5, atol=1e-5)
    # and the value is -lml up to its constant
    fixed = T.GaussianProcess(kernel, np.exp(theta[:3]), np.exp(theta[3]), fit_hyper=False).fit(X, y)
    np.testing.assert_allclose(-value - len(y) / 2 * np.log(2 * np.pi), fixed.log_marginal_likelihood())


def test_fitted_hyperparameters_reach_sklearns_marginal_likelihood():
    X, y = _data(20, 2, seed=6)
    gp = T.GaussianProcess("matern52").fit(X, y)
    kernel = ConstantKernel(1.0, (1e-2, 1e2)) * Matern([0.3, 0.3], (1e-2, 1e1), nu=2.5)
    sk = GaussianProcessRegressor(kernel, alpha=1e-6, normalize_y=True, n_restarts_optimizer=5,
                                  random_state=0).fit(X, y)
    assert gp.log_marginal_likelihood() >= sk.log_marginal_likelihood_value_ - 1e-3
    start = T.GaussianProcess("matern52", fit_hyper=False).fit(X, y)
    assert gp.log_marginal_likelihood() > start.log_marginal_likelihood()


# --- expected improvement ----------------------------------------------------------------------------


def test_expected_improvement_closed_form_and_monte_carlo():
    from scipy.stats import norm

    mean, std, best = np.array([0.0, 1.0, -0.5, 2.0]), np.array([1.0, 0.5, 0.1, 2.0]), 0.3
    z = (best - mean) / std
    np.testing.assert_allclose(T.expected_improvement(mean, std, best),
                               (best - mean) * norm.cdf(z) + std * norm.pdf(z), rtol=1e-12)
    f = np.random.default_rng(7).normal(mean, std, size=(400_000, 4))
    mc = np.maximum(best - f, 0).mean(axis=0)
    np.testing.assert_allclose(T.expected_improvement(mean, std, best), mc, rtol=0.02, atol=1e-3)
    xi_mc = np.maximum(best - 0.1 - f, 0).mean(axis=0)
    np.testing.assert_allclose(T.expected_improvement(mean, std, best, xi=0.1), xi_mc, rtol=0.02,
                               atol=1e-3)


def test_expected_improvement_as_std_goes_to_zero_and_for_extreme_inputs():
    mean = np.array([-1.0, 1.0, 0.0])
    for std in (1e-9, 1e-200, 0.0):
        np.testing.assert_allclose(T.expected_improvement(mean, np.full(3, std), 0.0), [1.0, 0.0, 0.0],
                                   atol=1e-8)
    ei = T.expected_improvement(np.array([-1e4, 1e4, 0.0]), np.array([1e4, 1e-4, 1e4]), 0.0)
    assert np.all(np.isfinite(ei)) and np.all(ei >= 0)
    assert np.all(np.diff(T.expected_improvement(np.zeros(4), np.array([0.1, 1, 10, 100]), 0.0)) > 0)


# --- objectives and Bayesian optimisation --------------------------------------------------------------


def test_branin_has_three_global_minima_and_forrester_its_minimum():
    np.testing.assert_allclose(T.branin(T.BRANIN_MINIMA), 0.397887, atol=1e-6)
    assert T.BRANIN_MIN == pytest.approx(0.3978873577)
    grid = T.branin_space().grid(301)
    assert T.branin(grid).min() >= T.BRANIN_MIN - 1e-12
    x = np.linspace(0, 1, 100_001)
    assert T.forrester(x).min() == pytest.approx(-6.02074, abs=1e-5)
    assert abs(x[np.argmin(T.forrester(x))] - 0.75725) < 1e-4
    assert T.forrester(0.5) == pytest.approx(np.sin(2.0))


def test_bayes_opt_on_branin_gets_to_the_minimum_and_beats_random():
    space = T.branin_space()
    bo = [T.bayes_opt(T.branin, space, 30, seed=s, xi=0.0) for s in (1, 2, 3)]
    for trace in bo:
        assert trace.y.min() < 0.399, trace
        assert all(m is None for m in trace.models[:5]) and all(m is not None for m in trace.models[5:])
        np.testing.assert_allclose(T.branin(trace.x), trace.y)
    rand = [T.random_search(T.branin, space, 30, seed=s).y.min() for s in (1, 2, 3)]
    assert np.median([t.y.min() for t in bo]) < np.median(rand)
    np.testing.assert_array_equal(bo[0].x, T.bayes_opt(T.branin, space, 30, seed=1, xi=0.0).x)


# --- bad inputs ------------------------------------------------------------------------------------


def test_bad_inputs_raise_clear_errors():
    space = T.Space(a=(0.0, 1.0), b=(0.0, 1.0))
    with pytest.raises(ValueError, match="log range|lie in"):
        T.Space(lr=(0.0, 1.0, "log"))
    with pytest.raises(ValueError, match="one of"):
        T.Space(lr=(1.0, 2.0, "cubic"))
    with pytest.raises(TypeError, match="tuple"):
        T.Space(lr=[1.0, 2.0])
    with pytest.raises(ValueError, match="at least one"):
        T.Space()
    with pytest.raises(ValueError, match="unit cube"):
        space.from_unit([0.5, 1.5])
    with pytest.raises(ValueError, match="shape"):
        space.from_unit(np.zeros((3, 3)))
    with pytest.raises(TypeError, match="function"):
        T.random_search("f", space, 3)
    with pytest.raises(TypeError, match="Space"):
        T.grid_search(T.one_of_two, {"a": (0, 1)}, 3)
    with pytest.raises(ValueError, match="n_initial"):
        T.bayes_opt(T.one_of_two, space, 3, n_initial=5)
    with pytest.raises(TypeError, match="one number"):
        T.random_search(lambda x: x, space, 2)
    with pytest.raises(ValueError, match="returned nan"):
        T.random_search(lambda x: float("nan"), space, 2)
    with pytest.raises(ValueError, match="kernel"):
        T.GaussianProcess("linear")
    with pytest.raises(ValueError, match="length_scale"):
        T.GaussianProcess(length_scale=-1.0)
    with pytest.raises(ValueError, match="X must be"):
        T.GaussianProcess().fit(np.zeros((3, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="std must be >= 0"):
        T.expected_improvement([0.0], [-1.0], 0.0)
    with pytest.raises(ValueError, match="finite"):
        T.expected_improvement([np.nan], [1.0], 0.0)
    with pytest.raises(ValueError, match="shape"):
        T.branin(np.zeros(3))


# --- keras-tuner --------------------------------------------------------------------------------------


def test_keras_tuner_search_runs_silently_in_the_given_directory(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 5)).astype("float32"), rng.integers(0, 3, 64)
    build = T.keras_mlp_builder(5, 3)
    tuner = T.keras_tuner_search("random", build, x[:48], y[:48], (x[48:], y[48:]), tmp_path,
                                 max_trials=2, epochs=1, batch_size=16)
    trials = list(tuner.oracle.trials.values())
    assert len(trials) == 2 and all(np.isfinite(t.score) for t in trials)
    for t in trials:
        hp = t.hyperparameters.values
        assert 1e-4 <= hp["lr"] <= 1e-1 and 16 <= hp["width"] <= 256 and 0 <= hp["dropout"] <= 0.5
    assert (tmp_path / "random").is_dir()
    out = capsys.readouterr().out
    assert "Trial" not in out and "Elapsed" not in out, out
    with pytest.raises(ValueError, match="tuner_name"):
        T.keras_tuner_search("grid", build, x, y, (x, y), tmp_path)
