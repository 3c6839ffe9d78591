"""Chapter 7 exercises: one step of SGD with momentum (plain and Nesterov), and one step of Adam,
both in the form Keras 3 uses (see the chapter's equations)."""

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
