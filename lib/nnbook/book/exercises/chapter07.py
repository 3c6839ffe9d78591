"""Chapter 7 exercises: one step of SGD with momentum (plain and Nesterov) and one step of Adam,
both in the form Keras 3 uses (see the chapter's equations), and the rate at which gradient descent
with momentum converges on a quadratic bowl."""

import numpy as np

from . import exercise


def _momentum_cases():
    rng = np.random.default_rng(701)
    w, g = np.array([1.0, -2.0]), np.array([0.5, 0.25])
    yield (w, g, np.zeros(2)), {"lr": 0.1, "momentum": 0.9}
    # a velocity already built up: the old velocity must be decayed, not thrown away
    yield (w, g, np.array([-0.3, 0.1])), {"lr": 0.1, "momentum": 0.9}
    yield (rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), rng.normal(size=(3, 4))), {
        "lr": 0.05, "momentum": 0.5}
    # Nesterov: the weights move by momentum * m_new - lr * g, not by m_new
    yield (w, g, np.array([-0.3, 0.1])), {"lr": 0.1, "momentum": 0.9, "nesterov": True}
    yield (rng.normal(size=5), rng.normal(size=5), rng.normal(size=5)), {
        "lr": 0.01, "momentum": 0.99, "nesterov": True}
    # momentum 0 is plain gradient descent, and m becomes -lr * g
    yield (w, g, np.array([7.0, 7.0])), {"lr": 0.2, "momentum": 0.0}


@exercise(
    "ch07.momentum_step",
    cases=_momentum_cases,
    hint="Keras's momentum keeps a velocity m: the new velocity mixes the old one with the step "
    "-lr * g, and the weights move by it.",
    more=("Keras's form: first m_new = momentum * m - lr * g; then w_new = w + m_new, or with "
          "nesterov=True w_new = w + momentum * m_new - lr * g. Return the pair (w_new, m_new) and "
          "do not change the input arrays in place.",),
)
def momentum_step(w, g, m, lr=0.01, momentum=0.9, nesterov=False):
    """One step of SGD with (Nesterov) momentum, Keras's convention: returns (w_new, m_new)."""
    m_new = momentum * m - lr * g
    w_new = w + (momentum * m_new - lr * g if nesterov else m_new)
    return w_new, m_new


def _adam_cases():
    rng = np.random.default_rng(702)
    w, g = np.array([1.0, -2.0, 0.5]), np.array([0.1, -0.4, 2.0])
    z = np.zeros(3)
    # the first step: bias correction makes every coordinate move by about lr * sign(g)
    yield (w, g, z, z, 1), {}
    yield (w, g, z, z, 1), {"lr": 0.1, "beta_1": 0.5, "beta_2": 0.9}
    # later steps, with moments already built up; t enters through the bias correction
    m, v = rng.normal(scale=0.1, size=3), rng.uniform(0.01, 0.2, size=3)
    yield (w, g, m, v, 10), {"lr": 0.01}
    yield (rng.normal(size=(2, 3)), rng.normal(size=(2, 3)), rng.normal(scale=0.1, size=(2, 3)),
           rng.uniform(0.0, 0.1, size=(2, 3)), 250), {"lr": 0.003, "beta_2": 0.99}
    # tiny gradients: here it matters that epsilon is added to sqrt(v), after the bias correction
    # of m and v has been folded into the learning rate
    yield (w, np.array([1e-7, -3e-8, 0.0]), z, z, 1), {"lr": 0.001}


@exercise(
    "ch07.adam_step",
    cases=_adam_cases,
    hint="Adam keeps two running averages, of the gradients and of their squares, corrects both "
    "for starting at zero, and steps by their ratio.",
    more=("m_new = m + (1 - beta_1) (g - m); v_new = v + (1 - beta_2) (g^2 - v); "
          "alpha = lr sqrt(1 - beta_2^t) / (1 - beta_1^t); w_new = w - alpha m_new / (sqrt(v_new) + eps). "
          "Return (w_new, m_new, v_new); t counts steps from 1.",),
)
def adam_step(w, g, m, v, t, lr=0.001, beta_1=0.9, beta_2=0.999, eps=1e-7):
    """One Adam step in Keras's form (epsilon added to sqrt(v) with the bias correction folded
    into the step size): returns (w_new, m_new, v_new). `t` is the step number, starting at 1."""
    m_new = m + (1 - beta_1) * (g - m)
    v_new = v + (1 - beta_2) * (g * g - v)
    alpha = lr * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    return w - alpha * m_new / (np.sqrt(v_new) + eps), m_new, v_new


def _contraction_cases():
    rng = np.random.default_rng(703)
    # the chapter's bowl just under the limit 2/20: the steep direction, 1 - 1.98 = -0.98, is the
    # slowest (its factor is negative: only its size counts)
    yield (0.099, np.array([1.0, 20.0])), {}
    # just over the limit: a factor above 1, the iterates blow up
    yield (0.11, np.array([1.0, 20.0])), {}
    # momentum 0.9 and a small step: complex roots, both of size sqrt(0.9)
    yield (0.01, np.array([1.0, 20.0])), {"momentum": 0.9}
    # a very flat direction: real roots, the larger one close to 1 (slower than sqrt(mu))
    yield (0.01, np.array([0.001, 20.0])), {"momentum": 0.9}
    # momentum 0.9 above its limit 2 (1 + mu) / 20 = 0.19: a negative root of size 1.5
    yield (0.2, np.array([1.0, 20.0])), {"momentum": 0.9}
    # Polyak's tuning for curvatures 1 and 20: a repeated root, sqrt(mu) = 0.6345
    root_k = np.sqrt(20.0)
    yield (4.0 / (1.0 + root_k) ** 2, np.array([1.0, 20.0])), {
        "momentum": ((root_k - 1) / (root_k + 1)) ** 2}
    # many curvatures at once, in no order; the flattest one (0.05) has real roots
    yield (0.05, rng.permutation(np.append(rng.uniform(1.0, 30.0, size=11), 0.05))), {"momentum": 0.5}


@exercise(
    "ch07.contraction",
    cases=_contraction_cases,
    hint="Try u_t = r^t in the recurrence: it works for the r that solve a quadratic equation. "
    "In the long run the larger |r| sets the pace, and the slowest curvature sets the answer.",
    more=("Putting u_t = r^t into u_{t+1} = (1 + mu - lr lam) u_t - mu u_{t-1} gives "
          "r^2 - (1 + mu - lr lam) r + mu = 0. Its roots can be complex; the error shrinks per step "
          "by the larger of their absolute values. Take the largest over all curvatures. For "
          "momentum 0 this is |1 - lr lam|.",
          "With a = 1 + mu - lr lam and D = a^2 - 4 mu: if D >= 0 the larger |r| is "
          "(|a| + sqrt(D)) / 2; if D < 0 the two roots are complex conjugates whose product is mu, "
          "so both have |r| = sqrt(mu). (np.abs(np.roots([1, -a, mu])).max() does it for one lam.) "
          "Return one number: the maximum over the curvatures."),
)
def contraction(lr, curvatures, momentum=0.0):
    """The factor by which the error of gradient descent with heavy-ball momentum shrinks per step
    in the long run on a quadratic bowl with these curvatures (Hessian eigenvalues), for its
    slowest direction: max over lam of the larger |root| of r^2 - (1 + mu - lr lam) r + mu.
    Above 1 the iterates diverge. curvatures: (k,) -> a float."""
    lam = np.asarray(curvatures, dtype=float)
    a = 1.0 + momentum - lr * lam
    disc = a**2 - 4.0 * momentum
    rho = np.where(disc >= 0, (np.abs(a) + np.sqrt(np.maximum(disc, 0.0))) / 2, np.sqrt(momentum))
    return float(rho.max())
