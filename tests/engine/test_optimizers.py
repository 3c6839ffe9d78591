"""nnbook.engine.optimizers: every optimiser against keras.optimizers (100 steps on the same gradient
sequence, float64 and float32, several hyperparameter settings, with schedules), the schedules against
keras.optimizers.schedules, per-key state, in-place updates, the Keras twins, `trajectory`, bad input."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from nnbook.engine import optimizers as O
from nnbook.engine import schedules as S

STEPS = 100
SHAPES = {"0/kernel": (5, 3), "0/bias": (3,), "1/kernel": (3, 1)}
TOL64, TOL32 = 1e-6, 1e-5

# (optimizer, constructor arguments); a learning rate given as a tuple is a schedule:
# (schedule name, positional arguments[, keyword arguments]).
SETTINGS = [
    ("SGD", {}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9}),
    ("SGD", {"learning_rate": 0.05, "momentum": 0.5, "nesterov": True}),
    ("SGD", {"learning_rate": ("ExponentialDecay", (0.1, 10, 0.5)), "momentum": 0.9, "nesterov": True}),
    ("RMSprop", {}),
    ("RMSprop", {"learning_rate": 0.01, "rho": 0.8, "momentum": 0.9}),
    ("RMSprop", {"centered": True}),
    ("RMSprop", {"learning_rate": ("CosineDecay", (0.01, 60), {"alpha": 0.1}), "momentum": 0.5,
                 "centered": True, "epsilon": 1e-4}),
    ("Adam", {}),
    ("Adam", {"learning_rate": 0.01, "beta_1": 0.5, "beta_2": 0.9, "epsilon": 1e-5}),
    ("Adam", {"amsgrad": True}),
    ("Adam", {"learning_rate": ("PiecewiseConstantDecay", ([20, 60], [0.01, 0.003, 0.001])),
              "amsgrad": True}),
    ("AdamW", {}),
    ("AdamW", {"learning_rate": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    ("AdamW", {"learning_rate": ("ExponentialDecay", (0.01, 15, 0.7), {"staircase": True}),
               "weight_decay": 0.05}),
    ("Adagrad", {}),
    ("Adagrad", {"learning_rate": 0.1, "initial_accumulator_value": 0.5, "epsilon": 1e-5}),
    ("Adagrad", {"learning_rate": ("CosineDecay", (0.05, 80)), "initial_accumulator_value": 0.0}),
]


def _id(setting):
    name, kwargs = setting
    parts = [f"{k}={v[0] if isinstance(v, tuple) else v}" for k, v in kwargs.items()]
    return "-".join([name, *parts])


@pytest.fixture(autouse=True)
def keras_float64():
    """Keras keeps a float learning rate in a variable of dtype floatx: float64 for exact runs."""
    floatx = keras.config.floatx()
    keras.config.set_floatx("float64")
    yield
    keras.config.set_floatx(floatx)


def _float64(value):
    """Python floats as np.float64, so that Keras's schedules compute in float64, not float32."""
    if isinstance(value, float):
        return np.float64(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_float64(v) for v in value)
    return value


def _build(name, kwargs, keras_side=False, schedule_args=_float64):
    """Our optimiser, or (keras_side) its Keras counterpart built from the same arguments (the
    schedule's arguments passed through `schedule_args`: as np.float64 by default)."""
    kwargs = dict(kwargs)
    if isinstance(kwargs.get("learning_rate"), tuple):
        schedule, args, *kw = kwargs["learning_rate"]
        kw = kw[0] if kw else {}
        if keras_side:
            kwargs["learning_rate"] = getattr(keras.optimizers.schedules, schedule)(*schedule_args(args),
                                                                                    **kw)
        else:
            kwargs["learning_rate"] = getattr(S, schedule)(*args, **kw)
    return getattr(keras.optimizers if keras_side else O, name)(**kwargs)


def _problem(seed=0, dtype=np.float64):
    """Initial parameters and a sequence of STEPS gradients whose entries span 1e-6 .. 10 in size
    (so that epsilon matters), with exact zeros and sign changes."""
    rng = np.random.default_rng(seed)
    w0 = {k: rng.normal(size=s).astype(dtype) for k, s in SHAPES.items()}
    scale = {k: 10 ** rng.uniform(-6, 1, size=s) for k, s in SHAPES.items()}
    grads = []
    for _ in range(STEPS):
        g = {k: (rng.normal(size=s) * scale[k]).astype(dtype) for k, s in SHAPES.items()}
        g["0/bias"][rng.integers(0, 3)] = 0.0
        grads.append(g)
    return w0, grads


def _run_numpy(opt, w0, grads):
    params = {k: v.copy() for k, v in w0.items()}
    path = []
    for g in grads:
        opt.apply(params, g)
        path.append({k: v.copy() for k, v in params.items()})
    return path


def _run_keras(opt, w0, grads):
    """The same run with `opt.apply_gradients` on Keras variables (one tf.function step)."""
    variables = [keras.Variable(w0[k].copy(), dtype=w0[k].dtype.name) for k in SHAPES]
    opt.build(variables)
    step = tf.function(lambda gs: opt.apply_gradients(zip(gs, variables)))
    path = []
    for g in grads:
        step([tf.constant(g[k]) for k in SHAPES])
        path.append({k: v.numpy() for k, v in zip(SHAPES, variables)})
    return path


_KERAS_PATHS = {}


def _keras_path(index):
    """Keras's run of SETTINGS[index] on `_problem()`, computed once."""
    if index not in _KERAS_PATHS:
        w0, grads = _problem()
        _KERAS_PATHS[index] = _run_keras(_build(*SETTINGS[index], keras_side=True), w0, grads)
    return _KERAS_PATHS[index]


def _trajectory_error(path_a, path_b, w0):
    """The largest relative error of the displacement w_t - w_0 over steps and parameters:
    max |d_a - d_b| / max(|d_a| + |d_b|) (the displacement, since w_0 would dwarf the steps)."""
    worst = 0.0
    for a, b in zip(path_a, path_b, strict=True):
        for k in SHAPES:
            da = a[k].astype(np.float64) - w0[k]
            db = b[k].astype(np.float64) - w0[k]
            worst = max(worst, float(np.max(np.abs(da - db)) / np.max(np.abs(da) + np.abs(db))))
    return worst


@pytest.mark.parametrize("index", range(len(SETTINGS)), ids=[_id(s) for s in SETTINGS])
def test_matches_keras_for_100_steps(index):
    w0, grads = _problem()
    ours = _build(*SETTINGS[index])
    error = _trajectory_error(_run_numpy(ours, w0, grads), _keras_path(index), w0)
    print(f"{_id(SETTINGS[index])}: {error:.1e}")
    assert ours.iterations == STEPS
    assert error <= TOL64


@pytest.mark.parametrize("index", [7, 10, 13], ids=[_id(SETTINGS[i]) for i in (7, 10, 13)])
def test_float32_stays_float32_and_matches_keras(index):
    w0, grads = _problem(seed=1, dtype=np.float32)
    ours = _run_numpy(_build(*SETTINGS[index]), w0, grads)
    assert all(v.dtype == np.float32 for v in ours[-1].values())
    theirs = _run_keras(_build(*SETTINGS[index], keras_side=True), w0, grads)
    error = _trajectory_error(ours, theirs, w0)
    print(f"float32 {_id(SETTINGS[index])}: {error:.1e}")
    assert error <= TOL32


def _path_error(path_a, path_b, w0):
    """The relative error of a whole run: for each parameter, the largest |d_a - d_b| over the
    steps divided by the largest |d_a| + |d_b| over the steps (d = w_t - w_0); the worst parameter.
    Unlike `_trajectory_error` it does not divide by the tiny displacement of the first steps: in
    float32, w_t - w_0 is only known to ulp(w_t) ~ 6e-8 for |w| ~ 1, so after one step of size
    ~0.005 a one-ulp difference already reads 1e-5 (TensorFlow computes x / sqrt(v) as
    x * rsqrt(v), one ulp off ours in RMSprop)."""
    worst = 0.0
    for k in SHAPES:
        da = np.stack([a[k].astype(np.float64) - w0[k] for a in path_a])
        db = np.stack([b[k].astype(np.float64) - w0[k] for b in path_b])
        worst = max(worst, float(np.max(np.abs(da - db)) / np.max(np.abs(da) + np.abs(db))))
    return worst


# Adagrad at its default rate (index 15) is left out here and checked bit for bit below: TensorFlow's
# graph rewrites g / sqrt(a + eps) as g * rsqrt(a + eps), one ulp off, and with steps of ~1e-3 those
# ulps of w add up to a path error of 4.4e-5 over 100 steps (measured); eagerly Keras computes ours.
FLOAT32_AT_FLOATX = [i for i in range(len(SETTINGS)) if i != 15]


@pytest.mark.parametrize("index", FLOAT32_AT_FLOATX, ids=[_id(SETTINGS[i]) for i in FLOAT32_AT_FLOATX])
def test_float32_matches_keras_at_its_default_floatx(index):
    """What a reader runs: Keras at floatx float32 (learning rate and schedules in float32, Python
    floats as arguments) with float32 variables, against our optimiser on float32 arrays, 100 steps.
    Measured: `_path_error`, the deviation of the displacement w_t - w_0 relative to the size of
    the displacements of the run, for every parameter."""
    w0, grads = _problem(seed=3, dtype=np.float32)
    ours = _run_numpy(_build(*SETTINGS[index]), w0, grads)
    assert all(v.dtype == np.float32 for v in ours[-1].values())
    keras.config.set_floatx("float32")  # the autouse fixture restores it afterwards
    theirs = _run_keras(_build(*SETTINGS[index], keras_side=True, schedule_args=lambda a: a), w0, grads)
    assert all(v.dtype == np.float32 for v in theirs[-1].values())
    error = _path_error(ours, theirs, w0)
    print(f"float32 at floatx float32, {_id(SETTINGS[index])}: {error:.1e}")
    assert error <= TOL32


def test_adagrad_float32_equals_keras_eager_bit_for_bit():
    w0, grads = _problem(seed=3, dtype=np.float32)
    ours = _run_numpy(O.Adagrad(), w0, grads)
    keras.config.set_floatx("float32")  # the autouse fixture restores it afterwards
    opt = keras.optimizers.Adagrad()
    variables = [keras.Variable(w0[k].copy()) for k in SHAPES]
    for step, g in zip(ours, grads, strict=True):
        opt.apply_gradients([(tf.constant(g[k]), v) for k, v in zip(SHAPES, variables)])
        for k, v in zip(SHAPES, variables):
            np.testing.assert_array_equal(step[k], v.numpy())


@pytest.mark.parametrize("index, change", [
    (2, {"nesterov": False}),
    (3, {"learning_rate": ("ExponentialDecay", (0.1, 10, 0.51))}),
    (6, {"centered": False}),
    (8, {"epsilon": 1e-6}),
    (8, {"beta_2": 0.9985}),
    (12, {"weight_decay": 0.0041}),
    (16, {"initial_accumulator_value": 0.45}),
], ids=["nesterov", "schedule", "centered", "epsilon", "beta_2", "weight_decay", "accumulator"])
def test_the_comparison_detects_a_different_rule(index, change):
    """The agreement test can fail: one slightly different hyperparameter breaks the bound."""
    name, kwargs = SETTINGS[index]
    w0, grads = _problem()
    ours = _run_numpy(_build(name, {**kwargs, **change}), w0, grads)
    assert _trajectory_error(ours, _keras_path(index), w0) > 10 * TOL64


SCHEDULES = [
    ("ExponentialDecay", (0.1, 10, 0.5), {}),
    ("ExponentialDecay", (0.1, 7, 0.9), {"staircase": True}),
    ("ExponentialDecay", (1e-4, 20, 10.0), {}),  # a growing rate, as in a learning-rate range test
    ("CosineDecay", (0.1, 50), {}),
    ("CosineDecay", (0.02, 33), {"alpha": 0.2}),
    ("PiecewiseConstantDecay", ([10, 50, 120], [0.1, 0.05, 0.01, 0.001]), {}),
]


@pytest.mark.parametrize("name, args, kwargs", SCHEDULES, ids=[s[0] for s in SCHEDULES])
def test_schedules_match_keras(name, args, kwargs):
    ours = getattr(S, name)(*args, **kwargs)
    theirs = getattr(keras.optimizers.schedules, name)(*_float64(args), **kwargs)
    steps = np.arange(201)
    expected = theirs(tf.constant(steps)).numpy()
    np.testing.assert_allclose(ours(steps), expected, rtol=1e-12)
    np.testing.assert_allclose([ours(int(t)) for t in steps], expected, rtol=1e-12)
    assert isinstance(ours(3), float)
    # The twin: Keras computes a schedule of Python floats in float32 (within 1e-6 of its scale).
    twin = ours.to_keras()(tf.constant(steps)).numpy()
    np.testing.assert_allclose(twin, expected, rtol=0, atol=TOL64 * expected.max())


def test_piecewise_constant_boundaries_belong_to_the_left_piece():
    s = S.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    assert [s(t) for t in (0, 10, 11, 20, 21, 10**6)] == [1.0, 1.0, 0.5, 0.5, 0.1, 0.1]


def test_schedule_is_evaluated_at_iterations():
    opt = O.SGD(S.PiecewiseConstantDecay([1], [1.0, 0.1]))
    w = np.zeros(1)
    seen = []
    for _ in range(3):
        seen.append(opt.learning_rate)
        opt.apply({"w": w}, {"w": np.ones(1)})
    assert seen == [1.0, 1.0, 0.1] and opt.iterations == 3
    np.testing.assert_allclose(w, [-2.1], rtol=1e-15)


def test_state_is_kept_per_key():
    """One optimiser on {a, b} = two optimisers on {a} and {b} (same iteration count)."""
    w0, grads = _problem(seed=2)
    joint = _run_numpy(O.Adam(0.01, amsgrad=True), w0, grads)
    for key in SHAPES:
        alone = _run_numpy(O.Adam(0.01, amsgrad=True), {key: w0[key]}, [{key: g[key]} for g in grads])
        for a, b in zip(joint, alone, strict=True):
            np.testing.assert_array_equal(a[key], b[key])


def test_updates_in_place():
    w = np.ones((2, 2), np.float32)
    params = {"w": w}
    opt = O.RMSprop(0.1, momentum=0.9)
    opt.apply(params, {"w": np.full((2, 2), 0.5)})  # float64 gradient, float32 parameter
    assert params["w"] is w and w.dtype == np.float32 and np.all(w < 1)
    assert set(opt.state["w"]) == {"velocity", "momentum"}
    assert all(s.dtype == np.float32 for s in opt.state["w"].values())


def test_plain_sgd_step():
    w = np.array([1.0, -2.0])
    O.SGD(0.5).apply({"w": w}, {"w": np.array([0.2, -0.4])})
    np.testing.assert_array_equal(w, [0.9, -1.8])


@pytest.mark.parametrize("name, kwargs", SETTINGS, ids=[_id(s) for s in SETTINGS])
def test_to_keras_twin(name, kwargs):
    """to_keras builds the Keras optimiser the same arguments build (schedules as Python floats)."""
    twin, reference = _build(name, kwargs).to_keras(), _build(name, kwargs, keras_side=True)
    twin_config, ref_config = twin.get_config(), reference.get_config()
    for config in (twin_config, ref_config):
        config.pop("name")
        if isinstance(config["learning_rate"], dict):  # a serialised schedule
            config["learning_rate"]["config"].pop("name")
    assert type(twin) is type(reference) and twin_config == ref_config


def test_to_keras_rejects_a_custom_rate_function():
    with pytest.raises(TypeError, match="no Keras twin"):
        O.SGD(lambda step: 0.1 / (1 + step)).to_keras()


def test_custom_rate_function():
    opt = O.SGD(lambda step: 1.0 / (1 + step))
    w = np.zeros(1)
    for _ in range(3):
        opt.apply({"w": w}, {"w": np.ones(1)})
    np.testing.assert_allclose(w, [-(1 + 1 / 2 + 1 / 3)], rtol=1e-15)


@pytest.mark.parametrize("rate, step, match", [
    (lambda t: np.nan, 0, r"learning rate at step 0 must lie in \[0, inf\), got nan"),
    (lambda t: 0.1 - 0.05 * t, 3, r"learning rate at step 3 must lie in \[0, inf\), got -0.05"),
    (S.ExponentialDecay(1.0, 1, 10.0), 309, r"learning rate at step 309 .*got inf"),  # 10^309
], ids=["nan", "negative", "overflow"])
def test_a_rate_function_is_checked_at_every_step(rate, step, match):
    """A constant rate of -0.1 is refused when the optimiser is built; a function giving one must
    be refused at the step it does, before anything is updated."""
    opt, w = O.Adam(rate), np.ones(2)
    with pytest.raises(ValueError, match=match), np.errstate(over="ignore"):
        for _ in range(step + 1):
            opt.apply({"w": w}, {"w": np.ones(2)})
    assert opt.iterations == step
    before = w.copy()
    with pytest.raises(ValueError, match=f"step {step}"), np.errstate(over="ignore"):
        opt.apply({"w": w}, {"w": np.ones(2)})
    np.testing.assert_array_equal(w, before)


def test_a_rate_function_must_return_a_number():
    for rate, got in [(lambda t: None, "NoneType"), (lambda t: "0.1", "str"), (lambda t: True, "bool"),
                      (lambda t: np.array([0.1, 0.2]), r"an array of shape \(2,\)")]:
        with pytest.raises(TypeError, match=f"learning rate at step 0 must be a number, got {got}"):
            O.SGD(rate).apply({"w": np.ones(1)}, {"w": np.ones(1)})


def test_a_rate_function_may_return_numpy_numbers_and_zero():
    """0 is a rate a schedule reaches (CosineDecay with alpha=0 ends there)."""
    for rate, end in [(lambda t: np.float32(0.5), -1.5), (lambda t: np.where(t < 1, 0.5, 0.0), -0.5),
                      (S.CosineDecay(0.5, 1), -0.5)]:
        opt, w = O.SGD(rate), np.zeros(1)
        for _ in range(3):
            opt.apply({"w": w}, {"w": np.ones(1)})
        np.testing.assert_array_equal(w, [end])


def test_numpy_scalars_are_numbers_and_bools_are_not():
    opt = O.Adam(np.float32(0.01), beta_1=np.float64(0.8), amsgrad=np.bool_(True))
    assert opt.learning_rate == pytest.approx(0.01, rel=1e-7) and opt.amsgrad is True
    assert O.SGD(np.int64(1), momentum=np.float32(0.5)).momentum == 0.5
    assert S.PiecewiseConstantDecay([np.int64(5)], [np.float32(0.5), 0.25])(np.int64(6)) == 0.25
    assert S.ExponentialDecay(np.float32(0.5), np.int64(10), 0.5)(10) == pytest.approx(0.25)
    assert O.trajectory(O.SGD(0.1), lambda w: w, [1.0], np.int64(2)).shape == (3, 1)
    for build in (lambda: O.SGD(True), lambda: O.SGD(0.1, momentum=True), lambda: O.RMSprop(rho=False),
                  lambda: S.CosineDecay(0.1, True), lambda: S.PiecewiseConstantDecay([True], [0.1, 0.2])):
        with pytest.raises(TypeError, match="must be a number, got bool"):
            build()


def test_get():
    assert isinstance(O.get("adam"), O.Adam)
    assert isinstance(O.get("AdamW"), O.AdamW) and O.get("adamw").weight_decay == 0.004
    opt = O.get("SGD", learning_rate=0.1, momentum=0.9)
    assert isinstance(opt, O.SGD) and opt.learning_rate == 0.1 and opt.momentum == 0.9
    assert O.get(opt) is opt
    assert isinstance(O.get("adagrad"), O.Adagrad) and O.get("Adagrad").initial_accumulator_value == 0.1
    with pytest.raises(ValueError, match="unknown optimizer 'adadelta'.*sgd, adagrad, rmsprop, adam, adamw"):
        O.get("adadelta")
    with pytest.raises(TypeError, match="got float"):
        O.get(0.1)
    with pytest.raises(ValueError, match="extra arguments"):
        O.get(opt, momentum=0.5)


# --- trajectory ------------------------------------------------------------------------------------


def test_trajectory_of_gradient_descent_on_a_quadratic():
    """f(w) = sum(a_i w_i^2) / 2: gradient descent gives w_t = (1 - eta a)^t w_0 exactly."""
    a, w0, eta = np.array([1.0, 10.0]), np.array([2.0, -1.0]), 0.05
    path = O.trajectory(O.SGD(eta), lambda w: a * w, w0, 30)
    assert path.shape == (31, 2) and path.dtype == np.float64
    np.testing.assert_allclose(path, (1 - eta * a) ** np.arange(31)[:, None] * w0, rtol=1e-12)


def test_trajectory_is_the_sequence_of_apply_steps():
    def grad(w):  # Rosenbrock, a = 1, b = 100
        return np.array([-2 * (1 - w[0]) - 400 * w[0] * (w[1] - w[0] ** 2), 200 * (w[1] - w[0] ** 2)])

    w0 = np.array([-1.5, 2.0])
    path = O.trajectory(O.Adam(0.05), grad, w0, 40)
    opt, w = O.Adam(0.05), w0.copy()
    np.testing.assert_array_equal(path[0], w0)
    for t in range(40):
        opt.apply({"w": w}, {"w": grad(w)})
        np.testing.assert_array_equal(path[t + 1], w)
    assert O.trajectory(O.Adam(0.05), grad, w0.astype(np.float32), 5).dtype == np.float32


def test_trajectory_of_a_diverging_run_ends_in_nan_rows():
    """Gradient descent with eta a > 2 doubles |w| each step until it overflows: NaN rows from
    there on, and no warnings."""
    with np.errstate(all="raise"):
        path = O.trajectory(O.SGD(3.0), lambda w: w, [1.0, -1.0], 1100)
    finite = np.isfinite(path).all(axis=1)
    last = int(np.argmin(finite))  # the first non-finite row
    assert 1000 < last < 1100 and finite[:last].all() and np.isnan(path[last:]).all()
    np.testing.assert_array_equal(path[:5, 0], [1.0, -2.0, 4.0, -8.0, 16.0])
    path = O.trajectory(O.SGD(0.1), lambda w: w if w[0] > 0.5 else np.array([np.inf, 0.0]), [1.0, 0.0], 10)
    assert np.isfinite(path[:8]).all() and np.isnan(path[8:]).all()


@pytest.mark.parametrize("args, error, match", [
    (("sgd", lambda w: w, [1.0], 3), TypeError, "nnbook Optimizer"),
    ((None, 3.0, [1.0], 3), TypeError, "grad_fn must be a function"),
    ((None, lambda w: w, [[1.0, 2.0]], 3), ValueError, r"1-D array.*\(1, 2\)"),
    ((None, lambda w: w, [], 3), ValueError, "non-empty"),
    ((None, lambda w: w, [np.nan], 3), ValueError, "w0 must be finite"),
    ((None, lambda w: w, [1.0], -1), ValueError, "steps must be an integer >= 0"),
    ((None, lambda w: w, [1.0], 2.5), TypeError, "steps must be an integer"),
    ((None, lambda w: w, [1.0], True), TypeError, "steps must be an integer"),
    ((None, lambda w: np.ones(3), [1.0, 2.0], 3), ValueError, r"shape \(2,\), got shape \(3,\)"),
    ((None, lambda w: ["a", "b"], [1.0, 2.0], 3), TypeError, r"gradient as numbers, got .*dtype <U1"),
    ((None, lambda w: None, [1.0, 2.0], 3), TypeError, r"gradient as numbers, got .*dtype object"),
], ids=lambda v: None)
def test_trajectory_bad_input(args, error, match):
    optimizer, *rest = args
    with pytest.raises(error, match=match):
        O.trajectory(O.SGD() if optimizer is None else optimizer, *rest)


# --- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize("params, grads, error, match", [
    ([np.zeros(2)], [np.zeros(2)], TypeError, "dicts of arrays"),
    ({"w": np.zeros(2)}, {"v": np.zeros(2)}, ValueError, r"missing \['w'\], unexpected \['v'\]"),
    ({"w": np.zeros(2), "b": np.zeros(1)}, {"w": np.zeros(2)}, ValueError, r"missing \['b'\]"),
    ({"w": np.zeros((2, 3))}, {"w": np.zeros((3, 2))}, ValueError, r"shape \(2, 3\).*got \(3, 2\)"),
    ({"w": np.zeros(2)}, {"w": np.array([1.0, np.nan])}, ValueError, "1 NaN/inf entries at step 0"),
    ({"w": np.zeros(2)}, {"w": np.array(["a", "b"])}, TypeError, "must be numeric"),
    ({"w": np.zeros(2, int)}, {"w": np.zeros(2)}, TypeError, "float32 or float64 NumPy array.*int64"),
    ({"w": [0.0, 0.0]}, {"w": np.zeros(2)}, TypeError, "updated in place.*got list"),
], ids=lambda v: None)
def test_apply_bad_input(params, grads, error, match):
    opt = O.Adam()
    with pytest.raises(error, match=match):
        opt.apply(params, grads)
    assert opt.iterations == 0


def test_apply_checks_everything_before_updating():
    w, v = np.ones(2), np.ones(2)
    with pytest.raises(ValueError, match="NaN"):
        O.SGD(0.1).apply({"w": w, "v": v}, {"w": np.ones(2), "v": np.array([np.inf, 0.0])})
    np.testing.assert_array_equal(w, [1.0, 1.0])


def test_state_shape_mismatch():
    opt = O.Adam()
    opt.apply({"0/kernel": np.zeros((2, 3))}, {"0/kernel": np.ones((2, 3))})
    with pytest.raises(ValueError, match=r"shape \(4, 3\).*state.*\(2, 3\).*fresh optimiser"):
        opt.apply({"0/kernel": np.zeros((4, 3))}, {"0/kernel": np.ones((4, 3))})


@pytest.mark.parametrize("build, error, match", [
    (lambda: O.SGD(-0.1), ValueError, r"learning_rate must lie in \(0, inf\), got -0.1"),
    (lambda: O.SGD("fast"), TypeError, "learning_rate must be a number, got str"),
    (lambda: O.SGD(0.1, momentum=1.5), ValueError, r"momentum must lie in \[0, 1\]"),
    (lambda: O.SGD(0.1, nesterov="yes"), TypeError, "nesterov must be True or False"),
    (lambda: O.RMSprop(rho=1.0), ValueError, r"rho must lie in \[0, 1\)"),
    (lambda: O.RMSprop(epsilon=0.0), ValueError, "epsilon"),
    (lambda: O.RMSprop(centered=1), TypeError, "centered"),
    (lambda: O.Adam(beta_1=1.0), ValueError, "beta_1"),
    (lambda: O.Adam(beta_2=-0.1), ValueError, "beta_2"),
    (lambda: O.Adam(learning_rate=np.nan), ValueError, "learning_rate"),
    (lambda: O.Adam(amsgrad=None), TypeError, "amsgrad"),
    (lambda: O.AdamW(weight_decay=-0.1), ValueError, "weight_decay"),
    (lambda: O.AdamW(weight_decay=None), TypeError, "weight_decay must be a number"),
    (lambda: O.Adagrad(initial_accumulator_value=-1.0), ValueError, "initial_accumulator_value"),
    (lambda: O.Adagrad(epsilon=0.0), ValueError, "epsilon"),
    (lambda: S.ExponentialDecay(0.1, 0, 0.5), ValueError, "decay_steps"),
    (lambda: S.ExponentialDecay(0.1, 10, -0.5), ValueError, "decay_rate"),
    (lambda: S.ExponentialDecay(0.1, 10, 0.5, staircase="no"), TypeError, "staircase"),
    (lambda: S.CosineDecay(0.1, 10, alpha=2.0), ValueError, "alpha"),
    (lambda: S.CosineDecay(-0.1, 10), ValueError, "initial_learning_rate"),
    (lambda: S.PiecewiseConstantDecay([10], [0.1]), ValueError, "one more value than boundaries"),
    (lambda: S.PiecewiseConstantDecay([10, 5], [0.1, 0.05, 0.01]), ValueError, "increase strictly"),
    (lambda: S.PiecewiseConstantDecay(10, [0.1, 0.05]), TypeError, "lists of numbers"),
    (lambda: S.ExponentialDecay(0.1, 10, 0.5)(-1), ValueError, "step must be a number >= 0"),
    (lambda: S.CosineDecay(0.1, 10)("3"), ValueError, "step must be a number"),
], ids=lambda v: None)
def test_bad_arguments(build, error, match):
    with pytest.raises(error, match=match):
        build()


# --- gradient clipping (clipnorm, global_clipnorm, clipvalue), as Keras clips -------------------------

# Thresholds inside the range of the gradients' norms (1e-6 .. ~30): some steps clipped, some not.
CLIPPING = [("SGD", {"learning_rate": 0.1, "momentum": 0.9, "clipnorm": 1.0}),
            ("Adam", {"global_clipnorm": 2.0}),
            ("RMSprop", {"clipvalue": 0.5}),
            ("AdamW", {"weight_decay": 0.1, "clipnorm": 0.3}),
            ("SGD", {"learning_rate": 0.05, "global_clipnorm": 0.5}),
            ("Adam", {"clipvalue": 3.0})]


@pytest.mark.parametrize("name, kwargs", CLIPPING, ids=[_id(s) for s in CLIPPING])
def test_clipping_matches_keras_for_100_steps(name, kwargs):
    w0, grads = _problem()
    ours = _run_numpy(_build(name, kwargs), w0, grads)
    assert _trajectory_error(ours, _run_keras(_build(name, kwargs, keras_side=True), w0, grads), w0) <= TOL64
    unclipped = {k: v for k, v in kwargs.items() if "clip" not in k}
    plain = _run_numpy(_build(name, unclipped), w0, grads)  # the clipping did change the run
    assert _trajectory_error(ours, plain, w0) > 1e-3


def test_clip_by_hand():
    g = [np.array([3.0, 4.0]), np.array([0.0]), np.array([12.0])]  # norms 5, 0, 12; global 13
    by_norm = O.SGD(clipnorm=6.0).clip(g)
    np.testing.assert_allclose(np.concatenate(by_norm), [3.0, 4.0, 0.0, 6.0])
    np.testing.assert_allclose(np.concatenate(O.Adam(global_clipnorm=6.5).clip(g)), [1.5, 2.0, 0.0, 6.0])
    np.testing.assert_allclose(np.concatenate(O.Adam(global_clipnorm=20.0).clip(g)), [3.0, 4.0, 0.0, 12.0])
    np.testing.assert_allclose(np.concatenate(O.RMSprop(clipvalue=3.5).clip(g)), [3.0, 3.5, 0.0, 3.5])
    assert O.SGD().clip(g) is g
    g32 = [x.astype(np.float32) for x in g]
    assert all(c.dtype == np.float32 for c in O.SGD(clipnorm=1.0).clip(g32))


def test_clipping_arguments_are_checked_and_go_to_keras():
    with pytest.raises(ValueError, match="at most one of clipnorm, clipvalue and global_clipnorm"):
        O.Adam(clipnorm=1.0, clipvalue=0.5)
    for bad, error in [(0.0, ValueError), (-1.0, ValueError), (np.inf, ValueError), ("1", TypeError),
                       (True, TypeError)]:
        with pytest.raises(error, match="clipnorm"):
            O.SGD(clipnorm=bad)
    with pytest.raises(TypeError, match="clip_norm"):
        O.SGD(clip_norm=1.0)
    twin = O.AdamW(global_clipnorm=2.0).to_keras()
    assert twin.global_clipnorm == 2.0 and twin.clipnorm is None and twin.clipvalue is None
    assert "clipvalue=0.5" in repr(O.RMSprop(clipvalue=0.5))
