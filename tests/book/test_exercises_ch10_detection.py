"""Chapter 10's detection exercises (IoU of two boxes, non-maximum suppression): the references
pass and agree with the lab's `detection.iou` and `detection.nms`; wrong answers fail at the case
that exposes them, with the exercise's hint."""

import numpy as np
import pytest

from nnbook.book.exercises import check, get, ids
from nnbook.lab import detection

EXERCISES = ["ch10.iou", "ch10.nms"]


def test_registered():
    assert set(EXERCISES) <= set(ids())


@pytest.mark.parametrize("exid", EXERCISES)
def test_reference_passes(exid):
    assert check(exid, get(exid).reference, quiet=True).passed


def test_references_agree_with_the_lab():
    for args, kwargs in get("ch10.iou").cases():
        assert get("ch10.iou").reference(*args, **kwargs) == pytest.approx(detection.iou(*args))
    for args, kwargs in get("ch10.nms").cases():
        assert get("ch10.nms").reference(*args, **kwargs).tolist() == detection.nms(*args, **kwargs).tolist()


def test_an_nms_returning_a_list_passes():
    def as_list(boxes, scores, iou_threshold=0.5):
        return [int(k) for k in get("ch10.nms").reference(boxes, scores, iou_threshold)]

    assert check("ch10.nms", as_list, quiet=True).passed


def failing(exid, fn):
    """(first failing case, message with the fuller second-tier hint, which names the pitfall)."""
    result = check(exid, fn, quiet=True, hint=2)
    assert not result.passed
    return result.failures[0].case, str(result)


def test_wrong_ious_fail_at_the_revealing_case():
    def no_clip(a, b):  # negative widths of boxes that do not meet
        w = min(a[2], b[2]) - max(a[0], b[0])
        h = min(a[3], b[3]) - max(a[1], b[1])
        inter = w * h
        return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)

    case, text = failing("ch10.iou", no_clip)
    assert case == 4 and "max(0, right - left)" in text  # far apart: (-3) * (-3) = 9 "overlap"

    def over_sum(a, b):  # intersection over the sum of the areas, not the union
        w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
        h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
        return w * h / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]))

    assert failing("ch10.iou", over_sum)[0] == 1

    def zero_division(a, b):  # no guard for two empty boxes
        w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
        h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
        with np.errstate(invalid="ignore"):  # NumPy floats: 0 / 0 is nan
            return w * h / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h)

    case, text = failing("ch10.iou", zero_division)
    assert case == 8 and "got:      nan" in text and "return 0" in text


def test_wrong_nms_fail_at_the_revealing_case():
    iou = get("ch10.iou").reference

    def input_order(boxes, scores, iou_threshold=0.5):  # forgets to sort by score
        keep, order = [], list(range(len(boxes)))
        while order:
            best = order.pop(0)
            keep.append(best)
            order = [k for k in order if iou(boxes[best], boxes[k]) <= iou_threshold]
        return keep

    case, text = failing("ch10.nms", input_order)
    assert case == 1 and "Sort the indices by score" in text

    def suppressed_still_suppress(boxes, scores, iou_threshold=0.5):  # each box against all better ones
        order = np.argsort(-scores, kind="stable")
        return [int(k) for n, k in enumerate(order)
                if all(iou(boxes[k], boxes[j]) <= iou_threshold for j in order[:n])]

    case, text = failing("ch10.nms", suppressed_still_suppress)
    assert case == 3 and "never suppresses" in text
