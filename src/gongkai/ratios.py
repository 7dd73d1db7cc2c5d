"""Ratios used to compare agencies, each declared once with its definition shown to the user."""

from __future__ import annotations

from dataclasses import dataclass

from .report import Report

_DENIED = ("secret", "law", "safety", "third_party", "internal", "process", "enforcement", "query")
_UNABLE = ("no_info", "needs_creation", "unclear")


@dataclass(frozen=True, slots=True)
class Ratio:
    id: str
    name: str
    name_en: str
    numerator: tuple[str, ...]
    denominator: tuple[str, ...]
    definition: str

    def value(self, report: Report) -> float | None:
        """None when a cell is blank or the denominator is 0: no ratio is made up."""
        num = [report.value(c) for c in self.numerator]
        den = [report.value(c) for c in self.denominator]
        if any(v is None for v in (*num, *den)):
            return None
        d = sum(den)  # type: ignore[arg-type]
        return sum(num) / d if d else None  # type: ignore[arg-type]


RATIOS: tuple[Ratio, ...] = (
    Ratio(
        "disclosure_rate",
        "公开率",
        "disclosure rate",
        ("t3.granted.total", "t3.partial.total"),
        ("t3.handled.total",),
        "（予以公开 + 部分公开）÷ 办理结果总计（表三（一）+（二）÷（七））",
    ),
    Ratio(
        "denial_rate",
        "不予公开率",
        "denial rate",
        tuple(f"t3.denied.{r}.total" for r in _DENIED),
        ("t3.handled.total",),
        "不予公开 1–8 之和 ÷ 办理结果总计",
    ),
    Ratio(
        "unable_rate",
        "无法提供率",
        "unable-to-provide rate",
        tuple(f"t3.unable.{r}.total" for r in _UNABLE),
        ("t3.handled.total",),
        "无法提供 1–3 之和 ÷ 办理结果总计",
    ),
    Ratio(
        "review_correction_rate",
        "复议纠错率",
        "reconsideration correction rate",
        ("t4.review.corrected",),
        ("t4.review.upheld", "t4.review.corrected", "t4.review.other"),
        "行政复议结果纠正 ÷ 已审结的行政复议（维持 + 纠正 + 其他结果）",
    ),
    Ratio(
        "litigation_correction_rate",
        "诉讼纠错率",
        "lawsuit correction rate",
        ("t4.direct.corrected", "t4.after.corrected"),
        (
            "t4.direct.upheld",
            "t4.direct.corrected",
            "t4.direct.other",
            "t4.after.upheld",
            "t4.after.corrected",
            "t4.after.other",
        ),
        "行政诉讼结果纠正 ÷ 已审结的行政诉讼（直接起诉与复议后起诉）",
    ),
)
BY_ID = {r.id: r for r in RATIOS}

# The cells shown beside the ratios when agencies are compared and followed over the years.
KEY_CELLS = ("t3.new.total", "t3.handled.total", "t3.forward.total", "t4.review.total")


def summary(report: Report) -> dict[str, dict[str, float | int | None]]:
    """The ratios and key cells of a report, kept with each saved version so that comparing
    thousands of agencies reads one column instead of their cells."""
    return {
        "ratios": {r.id: r.value(report) for r in RATIOS},
        "cells": {c: report.value(c) for c in KEY_CELLS},
    }
