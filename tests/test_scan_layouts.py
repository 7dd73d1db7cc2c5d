"""Scans as they come from the field (issue 11): the real reports printed and rescanned at test time
with what offices and phones do to pages (``gongkai.corpus.scan``).

Every degradation is in ``CASES``, each on one of the three reports (rotating, so every report meets
several): OCR takes seconds a page, and the module is kept near a minute and a half on one core.

Acceptance on each: ≥ 99.5 % of the cells exact, every wrong cell carried by low confidence or a
"需核对原件" finding, no error the born-digital report does not have, and every identity the printed
report breaks still reported.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import numpy as np
import pytest

from gongkai import api
from gongkai.corpus import scan

from .conftest import SHARED
from .expected_real import EXPECTED

REAL = SHARED / "fixtures" / "real"
H2023, S2024, H2024 = (
    "2023_淮安市洪泽区人民政府.pdf",
    "2024_淮安市人民政府.pdf",
    "2024_淮安市洪泽区人民政府.pdf",
)


def _noise(img: np.ndarray, rng: random.Random, sigma: float = 8.0) -> np.ndarray:
    field = np.random.default_rng(rng.randrange(1 << 30)).normal(0, sigma, img.shape)
    return np.clip(img.astype(np.float64) + field, 0, 255).astype(np.uint8)


def _tilt(img: np.ndarray, rng: random.Random) -> np.ndarray:
    import cv2

    h, w = img.shape[:2]
    angle = rng.uniform(0.3, 1.2) * rng.choice((-1, 1))
    white = 255 if img.ndim == 2 else (255, 255, 255)
    return cv2.warpAffine(img, cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0), (w, h), borderValue=white)


Degrade = Callable[[np.ndarray, random.Random], np.ndarray]
DEGRADATIONS: dict[str, tuple[int, Degrade]] = {
    # name: (dpi, what happens to every page)
    "seal": (200, lambda p, r: scan.jpeg(scan.seal(_tilt(_noise(p, r), r), r), 70)),
    "blur_jpeg": (150, lambda p, r: scan.jpeg(scan.blur(_tilt(_noise(p, r), r), 0.7), 35)),
    "sideways": (150, lambda p, r: scan.turn(scan.jpeg(_noise(p, r), 60), 90)),
    "upside_down": (150, lambda p, r: scan.turn(scan.jpeg(_tilt(_noise(p, r), r), 60), 180)),
    "photographed": (150, lambda p, r: scan.jpeg(scan.photograph(_noise(p, r), r), 70)),
    "100dpi": (100, lambda p, r: scan.jpeg(_tilt(_noise(p, r, 6.0), r), 60)),
}
CASES = [
    ("seal", H2024),
    ("blur_jpeg", S2024),
    ("sideways", H2023),
    ("upside_down", H2024),
    ("photographed", H2023),
    ("100dpi", S2024),
]


def _rescanned(name: str, how: str) -> bytes:
    dpi, degrade = DEGRADATIONS[how]
    rng = random.Random(f"{name}/{how}")
    pages = [degrade(p, rng) for p in scan.render((REAL / name).read_bytes(), dpi)]
    return scan.image_pdf(pages, dpi)


@pytest.fixture(scope="module")
def born_digital() -> dict[str, api.Report]:
    return {n: api.parse(REAL / n) for n in (H2023, S2024, H2024)}


def _accept(report, want: dict, born) -> None:
    got = report.values()
    wrong = {k: (got.get(k), v) for k, v in want["cells"].items() if got.get(k) != v}
    assert len(wrong) <= len(want["cells"]) * 0.005, wrong
    flagged = {
        c
        for f in report.findings
        if f.rule == "ocr.low_confidence" or f.status == "check_original"
        for c in f.cells
    }
    assert set(wrong) <= flagged, wrong
    assert (report.agency.name, report.year, report.template) == (
        want["agency"][0],
        want["year"],
        want["template"],
    )
    # No error the printed report does not have; every error it has still reported (any status).
    printed = {(f.rule, tuple(f.cells)) for f in born.errors()}
    assert {(f.rule, tuple(f.cells)) for f in report.errors()} <= printed
    assert printed <= {(f.rule, tuple(f.cells)) for f in report.findings}


@pytest.mark.parametrize(("how", "name"), CASES, ids=[f"{h}-{n[:9]}" for h, n in CASES])
def test_rescanned_real_report(how, name, born_digital):
    report = api.parse_bytes(_rescanned(name, how), f"{how}.pdf")
    _accept(report, EXPECTED[name], born_digital[name])
    assert report.text_layer == "ocr" and set(report.page_layers or ()) == {"ocr"}
