"""nnbook.lab.detection: IoU, NMS, AP/mAP, digit canvases, grid encoding, the detectors."""

import numpy as np
import pytest

from nnbook import data
from nnbook.engine import optimizers
from nnbook.lab import detection as D

rng = np.random.default_rng(0)


def random_boxes(n, size=40.0):
    xy = rng.uniform(0, size, (n, 2))
    return np.concatenate([xy, xy + rng.uniform(1, 15, (n, 2))], 1)


# --- IoU -------------------------------------------------------------------------------------------


def test_iou_hand_cases():
    a = np.array([0, 0, 2, 2])
    assert D.iou(a, [1, 1, 3, 3]) == pytest.approx(1 / 7)
    assert D.iou(a, [0, 0, 2, 1]) == pytest.approx(0.5)
    assert D.iou(a, a) == 1.0
    assert D.iou(a, [2, 0, 4, 2]) == 0.0  # touching edges share no area
    assert D.iou([0, 0, 0, 0], [0, 0, 0, 0]) == 0.0
    assert D.area([[0, 0, 3, 2], [1, 1, 1, 5]]).tolist() == [6, 0]


def test_iou_properties_and_broadcasting():
    a, b = random_boxes(30), random_boxes(20)
    m = D.iou(a[:, None], b[None])
    assert m.shape == (30, 20)
    assert np.all((m >= 0) & (m <= 1))
    np.testing.assert_allclose(m, D.iou(b[:, None], a[None]).T)  # symmetric
    np.testing.assert_allclose(D.iou(a, a), 1.0)
    far = a + np.array([100, 100, 100, 100])
    assert np.all(D.iou(a, far) == 0)
    for i, j in [(0, 0), (3, 7), (29, 19)]:  # against a direct computation of one pair
        (x0, y0, x1, y1), (u0, v0, u1, v1) = a[i], b[j]
        inter = max(0, min(x1, u1) - max(x0, u0)) * max(0, min(y1, v1) - max(y0, v0))
        assert m[i, j] == pytest.approx(inter / ((x1 - x0) * (y1 - y0) + (u1 - u0) * (v1 - v0) - inter))
    assert np.isfinite(D.iou(a * 1e4, a[::-1] * 1e4)).all()


@pytest.mark.parametrize("boxes, err", [([1, 2, 3], ValueError), ([3, 0, 1, 2], ValueError),
                                        ("box", TypeError), ([0, 0, np.nan, 1], ValueError)])
def test_bad_boxes_raise(boxes, err):
    with pytest.raises(err):
        D.iou(boxes, [0, 0, 1, 1])


# --- NMS -------------------------------------------------------------------------------------------


def test_nms_hand_case():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [0, 0, 10, 9]], float)
    scores = np.array([0.8, 0.9, 0.7, 0.6])
    # box 1 is best; boxes 0 and 3 overlap it by IoU 81/119 = 0.68 and 72/118 = 0.61; box 2 is apart
    assert D.nms(boxes, scores, 0.5).tolist() == [1, 2]
    assert D.nms(boxes, scores, 0.65).tolist() == [1, 2, 3]  # box 3 survives (0.61 <= 0.65)
    assert D.nms(boxes, scores, 1.0).tolist() == [1, 0, 2, 3]


def test_nms_properties():
    boxes, scores = random_boxes(200), rng.random(200)
    for t in (0.0, 0.3, 0.7):
        keep = D.nms(boxes, scores, t)
        assert keep[0] == np.argmax(scores)
        assert np.all(np.diff(scores[keep]) <= 0)
        kept = boxes[keep]
        m = D.iou(kept[:, None], kept[None])
        assert np.all(m[~np.eye(len(kept), dtype=bool)] <= t)  # no two kept boxes above threshold
        dropped = np.setdiff1d(np.arange(200), keep)  # each dropped box is covered by a better kept one
        for d in dropped:
            better = keep[scores[keep] >= scores[d]]
            assert np.any(D.iou(boxes[d], boxes[better]) > t)


def test_nms_bad_arguments():
    with pytest.raises(ValueError, match="scores"):
        D.nms(random_boxes(3), [0.1, 0.2], 0.5)
    with pytest.raises(ValueError, match="iou_threshold"):
        D.nms(random_boxes(3), [0.1, 0.2, 0.3], 1.5)


# --- precision, recall, AP -------------------------------------------------------------------------


def test_average_precision_of_perfect_detections_is_one():
    truths = [(random_boxes(3), np.array([0, 1, 0])), (random_boxes(2), np.array([1, 1]))]
    dets = [(b, np.linspace(0.9, 0.5, len(b)), c) for b, c in truths]
    m, per = D.mean_average_precision(dets, truths)
    assert m == 1.0 and per == {0: 1.0, 1: 1.0}


def test_average_precision_constructed_case():
    # one class, 3 truths; detections in score order: TP, FP, TP, FP (a duplicate), with the third
    # truth never found. precision 1, 1/2, 2/3, 1/2; recall 1/3, 1/3, 2/3, 2/3.
    # VOC all-point: envelope 1, 2/3, 2/3, 1/2 -> AP = 1/3 * 1 + 1/3 * 2/3 = 5/9
    t = np.array([[0, 0, 10, 10], [20, 0, 30, 10], [0, 20, 10, 30]], float)
    d = np.array([[0, 0, 10, 10], [40, 40, 45, 45], [21, 0, 31, 10], [20, 1, 30, 11]], float)
    dets, truths = [(d, [0.9, 0.8, 0.7, 0.6], [0, 0, 0, 0])], [(t, [0, 0, 0])]
    scores, true, n = D.match(dets, truths, 0)
    assert true.tolist() == [True, False, True, False] and n == 3
    p, r = D.precision_recall(true, n)
    np.testing.assert_allclose(p, [1, 1 / 2, 2 / 3, 1 / 2])
    np.testing.assert_allclose(r, [1 / 3, 1 / 3, 2 / 3, 2 / 3])
    assert D.average_precision(p, r) == pytest.approx(5 / 9)
    assert D.mean_average_precision(dets, truths)[0] == pytest.approx(5 / 9)
    # a wrong class finds nothing; an IoU threshold above the overlaps makes the 3rd detection false
    assert D.mean_average_precision([(d, [0.9, 0.8, 0.7, 0.6], [1, 1, 1, 1])], truths)[0] == 0
    assert D.mean_average_precision(dets, truths, iou_threshold=0.95)[0] == pytest.approx(1 / 3)


def test_map_averages_classes_with_truths_and_counts_missed_images():
    t0, t1 = np.array([[0, 0, 10, 10]], float), np.array([[5, 5, 9, 9]], float)
    truths = [(t0, [0]), (t1, [1])]
    dets = [(t0, [0.9], [0]), (np.zeros((0, 4)), [], [])]  # class 1 never detected
    m, per = D.mean_average_precision(dets, truths)
    assert per == {0: 1.0, 1: 0.0} and m == 0.5


def test_map_bad_arguments():
    with pytest.raises(ValueError, match="one entry per image"):
        D.mean_average_precision([], [(np.zeros((1, 4)), [0])])
    with pytest.raises(TypeError):
        D.mean_average_precision("dets", [])
    with pytest.raises(ValueError, match="non-decreasing"):
        D.average_precision([1, 1], [0.5, 0.2])


# --- canvases and the grid --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mnist():
    ds = data.load("mnist5k")
    return D.shrink(ds.x_train), ds.y_train, D.shrink(ds.x_test), ds.y_test


def test_canvases_are_reproducible_and_boxes_hold_the_digits(mnist):
    x, y, _, _ = mnist
    a = D.make_canvases(x, y, 50, seed=3)
    b = D.make_canvases(x, y, 50, seed=3)
    c = D.make_canvases(x, y, 50, seed=4)
    assert np.array_equal(a.images, b.images) and not np.array_equal(a.images, c.images)
    assert all(np.array_equal(p, q) for p, q in zip(a.boxes, b.boxes))
    counts = [len(bx) for bx in a.boxes]
    assert min(counts) == 0 and max(counts) == 3
    for image, boxes, classes in zip(a.images, a.boxes, a.classes):
        assert np.all(boxes >= 0) and np.all(boxes <= 48) and len(classes) == len(boxes)
        inside = np.zeros(image.shape, bool)
        for x0, y0, x1, y1 in boxes.astype(int):
            inside[y0:y1, x0:x1] = True
            assert image[y0:y1, x0:x1].max() > 0.1  # ink in every box
        assert image[~inside].max(initial=0) == 0  # and none outside
        m = D.iou(boxes[:, None], boxes[None])
        assert np.all(m[~np.eye(len(boxes), dtype=bool)] == 0)  # disjoint


def test_canvas_digits_come_from_the_given_split(mnist):
    x, y, xt, yt = mnist

    def crops(images):
        return {images[k][y0:y1, x0:x1].tobytes() for k in range(len(images))
                for x0, y0, x1, y1 in [D.ink_box(images[k])]}

    test_crops, train_crops = crops(xt), crops(x)
    c = D.make_canvases(xt, yt, 20, objects=(1, 2), seed=0)
    for image, boxes in zip(c.images, c.boxes):
        for x0, y0, x1, y1 in boxes.astype(int):
            crop = image[y0:y1, x0:x1].tobytes()
            assert crop in test_crops and crop not in train_crops


def test_encode_decode_round_trip(mnist):
    x, y, _, _ = mnist
    c = D.make_canvases(x, y, 40, seed=5)
    target = D.encode_grid(c.boxes, c.classes)
    assert target.shape == (40, 6, 6, 15)
    assert target[..., 0].sum() == sum(len(b) for b in c.boxes)  # no two centres share a cell here
    assert np.all(target[..., 5:].sum(-1) == target[..., 0])
    decoded = D.decode_grid(target, score_threshold=0.5)
    for (boxes, scores, classes), tb, tc in zip(decoded, c.boxes, c.classes):
        order, torder = np.lexsort(boxes.T[::-1]), np.lexsort(tb.T[::-1])
        np.testing.assert_allclose(boxes[order], tb[torder], atol=1e-9)
        assert np.array_equal(classes[order], tc[torder]) and np.all(scores == 1)
    assert D.mean_average_precision(decoded, c.truths)[0] == 1.0


def test_encode_one_object_per_cell():
    t = D.encode_grid([np.array([[0, 0, 4, 4], [2, 2, 6, 6]], float)], [np.array([3, 4])])
    assert t[0, 0, 0, 0] == 1 and t[..., 0].sum() == 1 and t[0, 0, 0, 5 + 3] == 1


def test_grid_loss_matches_its_keras_twin():
    from keras import ops

    target = D.encode_grid([random_boxes(3, 30), random_boxes(2, 30)], [[1, 2, 3], [4, 5]])
    pred = rng.random(target.shape)
    want = D.grid_loss(target, pred)
    got = ops.convert_to_numpy(D.keras_grid_loss(ops.convert_to_tensor(target), ops.convert_to_tensor(pred)))
    assert got.shape == (2,)
    assert np.mean(got) == pytest.approx(want, rel=1e-12)
    assert D.grid_loss(target, target) == 0.0


def test_sliding_windows_and_scales():
    image = rng.random((20, 30))
    p, b = D.sliding_windows(image, 5, 3)
    assert p.shape == (6 * 9, 5, 5) and b.shape == (54, 4)
    for k in (0, 7, 53):
        x0, y0, x1, y1 = b[k].astype(int)
        assert np.array_equal(p[k], image[y0:y1, x0:x1])
    p, b = D.multiscale_windows(image, 5, [1.0, 0.5], 5)
    assert len(p) == 4 * 6 + 2 * 3
    assert np.allclose(b[-1, 2:] - b[-1, :2], 10)  # a window at scale 1/2 covers 10 pixels
    with pytest.raises(ValueError, match="does not fit"):
        D.sliding_windows(image, 25)


def test_match_boxes():
    a = np.array([[0, 0, 10, 10], [20, 20, 30, 30]], float)
    b = np.array([[21, 20, 31, 30], [50, 50, 60, 60], [0, 1, 10, 11]], float)
    pairs = D.match_boxes(a, b, 0.5)
    assert sorted((i, j) for i, j, _ in pairs) == [(0, 2), (1, 0)]
    assert all(v == pytest.approx(D.iou(a[i], b[j])) for i, j, v in pairs)
    assert D.match_boxes(a, np.zeros((0, 4))) == []


def test_window_labels_mark_each_digit_once_or_a_few_times(mnist):
    x, y, _, _ = mnist
    c = D.make_canvases(x, y, 30, seed=6)
    patches, labels = D.window_labels(c)
    assert patches.shape[1:] == (14, 14) and len(labels) == 30 * 18 * 18
    per_image = labels.reshape(30, -1)
    for lab, classes in zip(per_image, c.classes):
        assert set(lab[lab < 10]) == set(classes.tolist())  # every digit has a window, no ghost class


# --- training: one short real run per model ----------------------------------------------------------


def test_localiser_regresses_one_box(mnist):
    x, y, xt, yt = mnist
    train = D.make_canvases(x, y, 1000, objects=(1, 1), seed=1)
    test = D.make_canvases(xt, yt, 300, objects=(1, 1), seed=2)
    model = D.localiser(seed=0)
    model.compile("mse", optimizers.Adam(1e-3), metrics=())
    model.fit(train.images.reshape(1000, -1).astype("float32"), D.box_targets(train.boxes).astype("float32"),
              epochs=6, batch_size=32, verbose=0)
    pred = model.predict(test.images.reshape(300, -1).astype("float32")) * 48
    mean_iou = D.iou(pred, D.box_targets(test.boxes) * 48).mean()
    centre = D.iou(np.tile([17.0, 17, 31, 31], (300, 1)), np.concatenate(test.boxes)).mean()
    assert mean_iou >= 0.35 and mean_iou > 3 * centre  # far better than always guessing the middle


def test_grid_detector_learns_to_detect(mnist):
    x, y, xt, yt = mnist
    train = D.make_canvases(x, y, 1000, size=32, objects=(0, 2), seed=1)
    test = D.make_canvases(xt, yt, 100, size=32, objects=(0, 2), seed=2)
    model = D.keras_grid_detector(size=32, grid=4, filters=(16, 32, 64), seed=0)
    model.fit(train.images[..., None], D.encode_grid(train.boxes, train.classes, size=32, grid=4),
              epochs=8, batch_size=32, verbose=0)
    dets = D.decode_grid(model.predict(test.images[..., None], verbose=0), size=32, score_threshold=0.1)
    assert D.mean_average_precision(dets, test.truths)[0] >= 0.2  # measured 0.30; untrained: ~0


def test_sliding_window_baseline_detects(mnist):
    x, y, xt, yt = mnist
    train = D.make_canvases(x, y, 300, size=32, objects=(0, 2), seed=1)
    test = D.make_canvases(xt, yt, 50, size=32, objects=(0, 2), seed=2)
    patches, labels = D.window_labels(train, window=14, stride=2)
    keep = (labels < 10) | (np.arange(len(labels)) % 8 == 0)  # one background window in 8
    clf = D.keras_window_classifier(seed=0)
    clf.fit(patches[keep], labels[keep], epochs=4, batch_size=64, verbose=0)
    found = D.sliding_window_detect(test.images, lambda p: clf.predict(p, verbose=0, batch_size=4096),
                                    score_threshold=0.3)
    assert D.mean_average_precision(found, test.truths)[0] >= 0.4


def test_hard_negatives_are_the_highest_scoring_windows():
    images = [rng.random((40, 50)), rng.random((30, 30))]
    hard = D.hard_negatives(images, lambda p: p.mean(axis=(1, 2)), 10, [1.0, 0.5], stride=3, per_image=4)
    assert hard.shape == (8, 10, 10)
    patches, _ = D.multiscale_windows(images[0], 10, [1.0, 0.5], 3)
    np.testing.assert_allclose(np.sort(hard[:4].mean(axis=(1, 2))),
                               np.sort(patches.mean(axis=(1, 2)))[-4:])
    with pytest.raises(TypeError, match="score"):
        D.hard_negatives(images, "not a function", 10, [1.0])


def test_cascade_finds_the_astronaut_face_and_draw_boxes_draws_it():
    import matplotlib

    matplotlib.use("Agg")
    from nnbook import plots

    image = data.photo("astronaut")
    faces = D.skimage_cascade_faces(image, min_size=60, max_size=200)
    assert len(faces) == 1  # her face: about 90 pixels wide, left of the centre, near the top
    x0, y0, x1, y1 = faces[0]
    assert 150 < x0 < 200 and 50 < y0 < 90 and 80 <= x1 - x0 <= 110
    fig, ax = matplotlib.pyplot.subplots()
    plots.draw_boxes(ax, image, faces, labels=["cascade"])
    assert len(ax.patches) == 1 and ax.texts[0].get_text() == "cascade"
    matplotlib.pyplot.close(fig)
