"""Make `ch12_mixtures.npz`, chapter 12's table of the plain GAN against PacGAN2 on the 8-Gaussian
ring and the 25-Gaussian grid (`nnbook.lab.gan`), which the chapter loads instead of training on
the page (its 60-second budget).

One honest comparison: both methods use the same networks (G: 3 x 128 ReLU, D: 2 x 256 leaky
ReLU), the same optimiser (Adam, beta_1 = 0.5, learning rate 1e-3 decayed to 0 along a cosine),
the same batches (64 packs), the same steps (ring 5,000; grid 20,000) and the same seeds (0, 1, 2);
only the pack size differs (plain GAN: 1; PacGAN2: 2). The grid is divided by 4 for the networks
(standardised inputs, `gan.train(scale=4)`). Metrics: `gan.mode_metrics` on 2,500 generated points.

Arrays (float32 unless said):
* `datasets` ("ring", "grid"), `methods` ("plain", "pacgan2"), `seeds` (int64), `steps` (int64):
  the table's axes and each dataset's number of steps;
* `modes` (2, 2, n_seeds) int64, `high_quality` (2, 2, n_seeds) float64: the table;
* `final` (2, 2, n_seeds, 500, 2): the first 500 of each run's 2,500 evaluation points at the end;
* `d_loss` (2, 2, n_seeds, 100): D's loss averaged over each 1/100 of training;
* `grid_steps` (5,) int64, `grid_samples` (2, 5, 500, 2): plain and PacGAN2 on the grid, seed 0,
  at 0, 5,000, ..., 20,000 steps;
* `slider_steps` (20,) int64, `slider_samples` (20, 500, 2), `slider_axis` (32,),
  `slider_decision` (20, 32, 32): PacGAN2 on the ring, seed 0, every 250 steps: its points and
  D's probability that a point is real on a 32 x 32 grid of [-1.5, 1.5]^2 (`decision[i, j]` at
  y = axis[i], x = axis[j]).

The NumPy engine on one BLAS thread is deterministic: the same environment gives the same table
(tests/lab/test_gan.py reruns one run and compares). Run from anywhere:
`python data/make_ch12_mixtures.py [out_dir]` (default: next to this script), then update
`CHECKSUMS` in lib/nnbook/book/data.py and the table in data/README.md with the sha256 it prints.
About 17 CPU-minutes, run in two worker processes.
"""

import os
import sys
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))

import numpy as np  # noqa: E402

from nnbook.book.data import sha256  # noqa: E402
from nnbook.engine import schedules  # noqa: E402
from nnbook.lab import gan  # noqa: E402

DATASETS = ("ring", "grid")
METHODS = {"plain": 1, "pacgan2": 2}   # method -> pack size
SEEDS = (0, 1, 2)
STEPS = {"ring": 5000, "grid": 20000}
SCALE = {"ring": 1.0, "grid": 4.0}
NETS = {"g_units": (128, 128, 128), "d_units": (256, 256)}
LR, BETA_1, BATCH = 1e-3, 0.5, 64
KEEP = 500                      # evaluation points kept per snapshot
SLIDER_EVERY = 250              # ring steps between slider frames: 20 frames
AXIS = np.linspace(-1.5, 1.5, 32)


def make(dataset, pack, seed):
    """The GAN of one run, before training."""
    steps = STEPS[dataset]
    return gan.make_gan(pack=pack, seed=seed, g_lr=schedules.CosineDecay(LR, steps),
                        d_lr=schedules.CosineDecay(LR, steps), beta_1=BETA_1, **NETS)


def decision_surface(model):
    """D's probability of 'real' on the slider's grid: (32, 32), rows along y."""
    xx, yy = np.meshgrid(AXIS, AXIS)
    return model.decision(np.stack([xx.ravel(), yy.ravel()], axis=1)).reshape(len(AXIS), len(AXIS))


def run(dataset, method, seed):
    """One row of the table: train, and return the metrics and what the chapter draws."""
    start = time.process_time()
    model = make(dataset, METHODS[method], seed)
    slider = dataset == "ring" and method == "pacgan2" and seed == 0
    every = SLIDER_EVERY if slider else STEPS[dataset] // 4
    r = gan.train(model, dataset, STEPS[dataset], batch_size=BATCH, seed=seed, every=every,
                  scale=SCALE[dataset], probe=decision_surface if slider else None)
    r["cpu"] = time.process_time() - start
    return r


def _job(args):
    return args, run(*args)


def main(out_dir):
    from multiprocessing import Pool

    jobs = [(d, m, s) for d in DATASETS for m in METHODS for s in SEEDS]
    jobs.sort(key=lambda j: -STEPS[j[0]])  # the long grid runs first
    with Pool(2) as pool:
        results = dict(pool.imap_unordered(_job, jobs))
    shape = (len(DATASETS), len(METHODS), len(SEEDS))
    out = {"datasets": np.array(DATASETS), "methods": np.array(list(METHODS)),
           "seeds": np.array(SEEDS, dtype=np.int64),
           "steps": np.array([STEPS[d] for d in DATASETS], dtype=np.int64),
           "modes": np.zeros(shape, np.int64), "high_quality": np.zeros(shape),
           "final": np.zeros(shape + (KEEP, 2), np.float32),
           "d_loss": np.zeros(shape + (100,), np.float32)}
    for i, d in enumerate(DATASETS):
        for j, m in enumerate(METHODS):
            for k, s in enumerate(SEEDS):
                r = results[(d, m, s)]
                out["modes"][i, j, k] = r["metrics"]["modes"]
                out["high_quality"][i, j, k] = r["metrics"]["high_quality"]
                out["final"][i, j, k] = r["snapshots"][STEPS[d]][:KEEP]
                out["d_loss"][i, j, k] = r["d_loss"].reshape(100, -1).mean(axis=1)
                print(f"{d:5s} {m:8s} seed {s}: {r['metrics']['modes']:2d} modes, "
                      f"{100 * r['metrics']['high_quality']:5.1f}% high quality, {r['cpu']:6.1f} CPU-s")
    grid_steps = sorted(results[("grid", "plain", 0)]["snapshots"])
    out["grid_steps"] = np.array(grid_steps, dtype=np.int64)
    out["grid_samples"] = np.array([[results[("grid", m, 0)]["snapshots"][t][:KEEP] for t in grid_steps]
                                    for m in METHODS], dtype=np.float32)
    slider = results[("ring", "pacgan2", 0)]
    frames = [t for t in sorted(slider["snapshots"]) if t > 0]
    out["slider_steps"] = np.array(frames, dtype=np.int64)
    out["slider_samples"] = np.array([slider["snapshots"][t][:KEEP] for t in frames], dtype=np.float32)
    out["slider_axis"] = AXIS.astype(np.float32)
    out["slider_decision"] = np.array([slider["probes"][t] for t in frames], dtype=np.float32)
    path = out_dir / "ch12_mixtures.npz"
    np.savez_compressed(path, **out)
    print(path, path.stat().st_size, "bytes, sha256", sha256(path))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent)
