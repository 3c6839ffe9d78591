"""Make the weights chapter 10 ships instead of training on the page (its 60-second budget):

* `ch10_grid_detector.npz`: the YOLO-style grid detector (`detection.keras_grid_detector(size=48,
  grid=6, filters=(16, 32, 64), seed=0)`) trained on 3,000 canvases of 0-3 training digits
  (`make_canvases(shrink(mnist5k train), ..., 3000, objects=(0, 3), seed=1)`), 12 epochs, batch 32;
* `ch10_mnist1d_cnn.npz`: the 1-D CNN of the chapter (`convnets.keras_cnn1d(seed=0)`) trained on
  the first 3,600 MNIST-1D training sequences (the last 400 validate), 40 epochs, batch 64;
* `ch10_keras_cnn.npz`: the chapter's MNIST CNN trained in Keras with the NumPy engine's recipe
  (`convnets.fit_keras_cnn`, 12 epochs, batch 32, seed 0) on the first 3,500 mnist5k training
  digits (the last 500 validate). The RandomTranslation in front has no weights: the file holds the
  CNN's 8 arrays, which load into `convnets.mnist_cnn()` as well as into its Keras twin.

Each file holds the model's `get_weights()` (Keras order) as float32 arrays `w00`, `w01`, ..., the
format `nnbook.data.weights` reads. Training runs on one CPU thread with TensorFlow's op
determinism and without oneDNN's kernels, so the same environment reproduces the files byte for
byte (tests/test_data_scripts.py). Run from anywhere: `python data/make_ch10_weights.py [out_dir]`
(default: next to this script), then update `CHECKSUMS` in lib/nnbook/book/data.py and the table
in data/README.md with the sha256 it prints. About 85 CPU-seconds.
"""

import sys
from pathlib import Path

import deterministic_tf  # noqa: F401  (first: one thread, op determinism, no oneDNN; lib/ on the path)
import numpy as np  # noqa: E402

from nnbook.book.data import load, sha256  # noqa: E402
from nnbook.lab import convnets, detection  # noqa: E402


def save(model, path):
    arrays = {f"w{i:02d}": w.astype(np.float32) for i, w in enumerate(model.get_weights())}
    np.savez_compressed(path, **arrays)
    print(path, path.stat().st_size, "bytes, sha256", sha256(path))


def main(out_dir):
    mnist = load("mnist5k")
    train = detection.make_canvases(detection.shrink(mnist.x_train), mnist.y_train, 3000,
                                    objects=(0, 3), seed=1)
    grid = detection.keras_grid_detector(size=48, grid=6, filters=(16, 32, 64), seed=0)
    grid.fit(train.images[..., None], detection.encode_grid(train.boxes, train.classes, size=48, grid=6),
             epochs=12, batch_size=32, shuffle=True, verbose=0)
    save(grid, out_dir / "ch10_grid_detector.npz")

    m1d = load("mnist1d")
    cnn = convnets.keras_cnn1d(seed=0)
    cnn.fit(m1d.x_train[:3600, :, None], m1d.y_train[:3600], epochs=40, batch_size=64, verbose=0,
            validation_data=(m1d.x_train[3600:, :, None], m1d.y_train[3600:]))
    save(cnn, out_dir / "ch10_mnist1d_cnn.npz")

    digits = mnist.x_train.reshape(-1, 28, 28, 1)
    save(convnets.fit_keras_cnn(digits[:3500], mnist.y_train[:3500], epochs=12, batch_size=32, seed=0),
         out_dir / "ch10_keras_cnn.npz")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent)
