"""Every cell of the three real 2021-format PDFs under shared/fixtures/real, as a careful human reads them.

Written from the printed pages (pdftotext -layout and the rendered page images), not from the parser.
Table 三 rows give the seven columns in order: 自然人, 商业企业, 科研机构, 社会公益组织, 法律服务机构,
其他, 总计. Table 四 gives the fifteen values in order: 行政复议, 未经复议直接起诉, 复议后起诉 ×
(维持, 纠正, 其他, 尚未审结, 总计). Values are as printed, even where the report is inconsistent (the
2023 洪泽区 table 四 prints totals of 0 next to non-zero results).
"""

from __future__ import annotations

T3_COLS = ("np", "biz", "research", "ngo", "legal", "other", "total")
_T3_HEAD = (
    "new",
    "carried",
    "granted",
    "partial",
    "denied.secret",
    "denied.law",
    "denied.safety",
    "denied.third_party",
    "denied.internal",
    "denied.process",
    "denied.enforcement",
    "denied.query",
    "unable.no_info",
    "unable.needs_creation",
    "unable.unclear",
    "rejected.petition",
    "rejected.duplicate",
    "rejected.publication",
    "rejected.excessive",
    "rejected.confirmation",
)
_T3_TAIL = ("handled", "forward")
T3_ROWS_SINGLE_OTHER = (*_T3_HEAD, "other", *_T3_TAIL)  # （六）其他处理 printed as one row
T3_ROWS_SPLIT_OTHER = (*_T3_HEAD, "other.no_correction", "other.no_fee", "other.other", *_T3_TAIL)
T4_IDS = tuple(
    f"t4.{g}.{f}"
    for g in ("review", "direct", "after")
    for f in ("upheld", "corrected", "other", "pending", "total")
)
Z = (0, 0, 0, 0, 0, 0, 0)


def t2_2021(rules, normative, licensing, penalty, coercion, fees) -> dict[str, object]:
    out: dict[str, object] = {}
    for name, vals in (("rules", rules), ("normative", normative)):
        for f, v in zip(("issued", "repealed", "in_force"), vals, strict=True):
            out[f"t2.{name}.{f}"] = v
    out["t2.licensing.decisions"] = licensing
    out["t2.penalty.decisions"] = penalty
    out["t2.coercion.decisions"] = coercion
    out["t2.fees.amount"] = fees
    return out


def cells(t2: dict[str, object], rows: tuple[str, ...], t3: dict[str, tuple], t4: tuple) -> dict[str, object]:
    assert set(t3) <= set(rows), set(t3) - set(rows)
    out = dict(t2)
    for row in rows:
        for col, v in zip(T3_COLS, t3.get(row, Z), strict=True):
            out[f"t3.{row}.{col}"] = v
    out.update(zip(T4_IDS, t4, strict=True))
    return out


def _only_np(n: int) -> tuple:
    """A row where only 自然人 applied: n in 自然人 and 总计, 0 elsewhere."""
    return (n, 0, 0, 0, 0, 0, n)


EXPECTED: dict[str, dict[str, object]] = {
    "2023_淮安市洪泽区人民政府.pdf": dict(
        agency=("淮安市洪泽区人民政府", "government", "320813"),
        year=2023,
        template="2021",
        cells=cells(
            t2_2021((0, 0, 0), (0, 5, 5), 550, 4119, 195, 7730.28),
            T3_ROWS_SINGLE_OTHER,
            {
                "new": _only_np(21),
                "partial": _only_np(4),
                "denied.secret": _only_np(1),
                "denied.process": _only_np(1),
                "denied.enforcement": _only_np(1),
                "unable.no_info": _only_np(10),
                "unable.needs_creation": _only_np(3),
                "rejected.petition": _only_np(1),
                "handled": _only_np(21),
            },
            (10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0),
        ),
    ),
    "2024_淮安市人民政府.pdf": dict(
        agency=("淮安市人民政府", "government", "320800"),
        year=2024,
        template="2021",
        cells=cells(
            t2_2021((1, 0, 11), (8, 26, 66), 447228, 3985758, 88283, 96171.6),
            T3_ROWS_SPLIT_OTHER,
            {
                "new": (3001, 53, 0, 0, 61, 4, 3119),
                "carried": _only_np(34),
                "granted": (1288, 21, 0, 0, 50, 3, 1362),
                "partial": (447, 7, 0, 0, 0, 0, 454),
                "denied.secret": _only_np(2),
                "denied.law": (30, 1, 0, 0, 0, 0, 31),
                "denied.safety": _only_np(5),
                "denied.third_party": _only_np(6),
                "denied.internal": (7, 1, 0, 0, 0, 0, 8),
                "denied.process": _only_np(12),
                "denied.enforcement": _only_np(9),
                "denied.query": _only_np(105),
                "unable.no_info": (746, 12, 0, 0, 10, 1, 769),
                "unable.needs_creation": _only_np(11),
                "unable.unclear": _only_np(1),
                "rejected.petition": (56, 6, 0, 0, 0, 0, 62),
                "rejected.duplicate": _only_np(25),
                "rejected.confirmation": _only_np(1),
                "other.no_correction": (67, 3, 0, 0, 1, 0, 71),
                "other.no_fee": _only_np(6),
                "other.other": (108, 2, 0, 0, 0, 0, 110),
                "handled": (2932, 53, 0, 0, 61, 4, 3050),
                "forward": _only_np(103),
            },
            (72, 64, 178, 37, 351, 13, 4, 8, 1, 26, 12, 1, 1, 6, 20),
        ),
    ),
    "2024_淮安市洪泽区人民政府.pdf": dict(
        agency=("淮安市洪泽区人民政府", "government", "320813"),
        year=2024,
        template="2021",
        cells=cells(
            t2_2021((0, 0, 0), (3, 0, 8), 9487, 2776, 84, 7545),
            T3_ROWS_SINGLE_OTHER,
            {
                "new": _only_np(95),
                "granted": _only_np(50),
                "partial": _only_np(9),
                "denied.safety": _only_np(1),
                "denied.process": _only_np(1),
                "denied.enforcement": _only_np(1),
                "unable.no_info": _only_np(31),
                "unable.needs_creation": _only_np(1),
                "rejected.petition": _only_np(1),
                "handled": _only_np(95),
            },
            (1, 1, 0, 0, 2, 1, 0, 0, 0, 1, 2, 0, 1, 0, 3),
        ),
    ),
}
