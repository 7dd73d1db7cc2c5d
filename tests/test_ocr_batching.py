"""Recognition batching and input widths (readers.ocr): pure logic, no model run."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from gongkai.readers import ocr


def _cost(groups: list[list[int]], widths: list[int]) -> float:
    return sum(ocr.REC_CALL_COLS + len(g) * max(widths[i] for i in g) for g in groups)


def _best_cost(widths: list[int]) -> float:
    """Least cost over every cut of the width-sorted lines into runs (brute force)."""
    w = sorted(widths)
    n = len(w)
    best = float("inf")
    for mask in itertools.product((0, 1), repeat=n - 1):
        cuts = [0] + [i + 1 for i, m in enumerate(mask) if m] + [n]
        runs = [w[a:b] for a, b in itertools.pairwise(cuts)]
        if any(len(r) > 1 and len(r) * r[-1] > ocr.REC_BATCH_PX for r in runs):
            continue
        if any(len(r) > ocr.REC_BATCH for r in runs):
            continue
        best = min(best, sum(ocr.REC_CALL_COLS + len(r) * r[-1] for r in runs))
    return best


def _check_partition(groups: list[list[int]], n: int) -> None:
    assert sorted(i for g in groups for i in g) == list(range(n))


def test_batches_are_the_least_padding_cut():
    rng = random.Random(11)
    for _ in range(40):
        n = rng.randint(1, 11)
        widths = [
            rng.choice([120, 120, 130, 160, 400, 700, 1100, 1500]) + rng.randint(0, 40) for _ in range(n)
        ]
        groups = ocr.batches(widths)
        _check_partition(groups, n)
        assert _cost(groups, widths) == pytest.approx(_best_cost(widths))


def test_batches_keep_narrow_lines_apart_from_wide_ones():
    # A table page: many lone numbers and a few long labels. Padding the numbers to a label's width
    # (a fixed count per batch) wastes most of the call; they are recognised apart.
    widths = [120] * 20 + [1400, 1450]
    groups = ocr.batches(widths)
    _check_partition(groups, len(widths))
    for g in groups:
        ws = {widths[i] for i in g}
        assert ws <= {120} or ws <= {1400, 1450}
    assert sum(len(g) * max(widths[i] for i in g) for g in groups) <= 20 * 120 + 2 * 1450


def test_batches_respect_the_memory_cap_and_line_count():
    widths = [2000] * 10 + [120] * 100
    groups = ocr.batches(widths)
    _check_partition(groups, len(widths))
    for g in groups:
        assert len(g) <= ocr.REC_BATCH
        assert len(g) == 1 or len(g) * max(widths[i] for i in g) <= ocr.REC_BATCH_PX
    assert ocr.batches([]) == []
    assert ocr.batches([50_000]) == [[0]]  # wider than the cap alone: still recognised


def _line(h: int, w: int) -> np.ndarray:
    return np.zeros((h, w, 3), np.uint8)


def test_rec_width():
    hgt = ocr.REC_HEIGHT
    assert ocr.rec_width(_line(40, 30)) == int(np.ceil(hgt * ocr.REC_MIN_RATIO))  # a lone digit: padded
    assert ocr.rec_width(_line(40, 200)) == 240  # ratio 5: as it is
    # A long prose line (ratio 20) is narrowed by REC_LONG_SCALE …
    assert ocr.rec_width(_line(50, 1000)) == int(np.ceil(hgt * 20 * ocr.REC_LONG_SCALE))
    # … but never below the width where narrowing starts (continuous in the line's width).
    just_long = ocr.rec_width(_line(48, int(48 * ocr.REC_LONG_RATIO) + 10))
    assert just_long == int(np.ceil(hgt * ocr.REC_LONG_RATIO))
    assert ocr.rec_width(_line(48, int(48 * ocr.REC_LONG_RATIO))) <= just_long


def test_cjk_spaces_dropped_latin_spaces_kept():
    assert ocr.cjk_spaces("为 100%。") == "为100%。"
    assert ocr.cjk_spaces("1. 属于国家秘密") == "1.属于国家秘密"
    assert ocr.cjk_spaces("(一) 予以公开") == "(一)予以公开"
    assert ocr.cjk_spaces("（三） 不予公开") == "（三）不予公开"
    assert ocr.cjk_spaces("结果 其他") == "结果其他"
    assert ocr.cjk_spaces("- 2 -") == "- 2 -"
    assert ocr.cjk_spaces("PDF 2.0 file") == "PDF 2.0 file"


def test_det_scale():
    a4_200 = (2339, 1653)
    # Body text (40 px) would go to DET_TEXT_PX at 0.3; the detector's 736-px shorter side stops it
    # (rapidocr would enlarge anything smaller back to it).
    s = ocr.det_scale(a4_200, 40.0, 736)
    assert round(1653 * s) == 736
    # Small type (20 px) is shrunk to DET_TEXT_PX, not to the floor and not kept at full size.
    assert ocr.det_scale(a4_200, 20.0, 736) == pytest.approx(ocr.DET_TEXT_PX / 20.0)
    # A 100-dpi page is already near the detector's minimum; tiny text is never enlarged.
    assert ocr.det_scale((1169, 827), 20.0, 736) == pytest.approx(736.5 / 827)
    assert ocr.det_scale((1169, 827), 8.0, 736) == 1.0
    # No measurable text: the page brought to ~DET_UNKNOWN_PIXELS.
    s = ocr.det_scale(a4_200, 0.0, 736)
    assert 2339 * 1653 * s * s == pytest.approx(ocr.DET_UNKNOWN_PIXELS)
    # A 600-dpi page: DET_MIN_SCALE bounds the shrink.
    assert ocr.det_scale((7016, 4960), 120.0, 736) == ocr.DET_MIN_SCALE
