"""Every cell of the five seed reports, as a careful human reads them (written by reading the seeds).

Table 三 rows give the seven columns in order: 自然人, 商业企业, 科研机构, 社会公益组织, 法律服务机构, 其他, 总计.
Table 四 gives the fifteen values in order: 行政复议, 未经复议直接起诉, 复议后起诉 × (维持, 纠正, 其他, 尚未审结, 总计).
``N`` is a blank cell (null).
"""

from __future__ import annotations

N = None
T3_COLS = ("np", "biz", "research", "ngo", "legal", "other", "total")
T3_ROWS = (
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
    "other",
    "handled",
    "forward",
)
T4_IDS = tuple(
    f"t4.{g}.{f}"
    for g in ("review", "direct", "after")
    for f in ("upheld", "corrected", "other", "pending", "total")
)
Z = (0, 0, 0, 0, 0, 0, 0)


def cells(t2: dict[str, object], t3: dict[str, tuple], t4: tuple) -> dict[str, object]:
    out: dict[str, object] = {f"t2.{k}": v for k, v in t2.items()}
    for row in T3_ROWS:
        for col, v in zip(T3_COLS, t3.get(row, Z), strict=True):
            out[f"t3.{row}.{col}"] = v
    out.update(zip(T4_IDS, t4, strict=True))
    return out


def t2_2019(rules, normative, licensing, other_services, penalty, coercion, fees, procurement):
    d = {}
    for name, v, fields in (
        ("rules", rules, ("made", "published", "total")),
        ("normative", normative, ("made", "published", "total")),
        ("licensing", licensing, ("prev", "change", "decisions")),
        ("other_services", other_services, ("prev", "change", "decisions")),
        ("penalty", penalty, ("prev", "change", "decisions")),
        ("coercion", coercion, ("prev", "change", "decisions")),
        ("fees", fees, ("prev", "change")),
        ("procurement", procurement, ("items", "amount")),
    ):
        d.update({f"{name}.{f}": x for f, x in zip(fields, v, strict=True)})
    return d


EXPECTED = {
    "000": dict(
        agency=("深圳市南山区人民政府", "government", "440305"),
        signature="2021-01-19",
        cells=cells(
            t2_2019(
                (0, 0, 0),
                (8, 8, 8),
                (220, -19, 8759),
                (430, -124, 199956),
                (2078, 2668, 1767),
                (96, 89, 159),
                (14, 0),
                (2502, 170815.4),
            ),
            {
                "new": (236, 22, 0, 0, 0, 4, 262),
                "carried": (5, 0, 0, 0, 0, 1, 6),
                "granted": (93, 6, 0, 0, 0, 1, 100),
                "partial": (42, 3, 0, 0, 0, 4, 49),
                "denied.process": (4, 0, 0, 0, 0, 0, 4),
                "unable.no_info": (44, 7, 0, 0, 0, 0, 51),
                "unable.needs_creation": (1, 0, 0, 0, 0, 0, 1),
                "rejected.petition": (1, 0, 0, 0, 0, 0, 1),
                "rejected.duplicate": (2, 2, 0, 0, 0, 0, 4),
                "other": (24, 1, 0, 0, 0, 0, 25),
                "handled": (211, 19, 0, 0, 0, 5, 235),
                "forward": (30, 3, 0, 0, 0, 0, 33),
            },
            (5, 0, 0, 0, 5, 1, 0, 0, 1, 2, 2, 0, 0, 0, 2),
        ),
    ),
    "001": dict(
        agency=("广州市南沙区人民政府", "government", "440115"),
        signature=None,
        cells=cells(
            t2_2019(
                (0, 0, 0),
                (45, 45, 221),
                (630, -369, 162045),
                (839, -214, 514944),
                (4552, 44, 242872),
                (263, -22, 81308),
                (19, 18),
                (1679, 212250.0),
            ),
            {
                "new": (1696, 74, 0, 0, 0, 7, 1777),
                "carried": (6, 17, 0, 0, 0, 10, 33),
                "granted": (735, 58, 0, 0, 0, 6, 799),
                "partial": (78, 6, 0, 0, 0, 0, 84),
                "denied.secret": (2, 1, 0, 0, 0, 0, 3),
                "denied.safety": (1, 0, 0, 0, 0, 0, 1),
                "denied.third_party": (24, 0, 0, 0, 0, 0, 24),
                "denied.internal": (25, 0, 0, 0, 0, 0, 25),
                "denied.process": (26, 0, 0, 0, 0, 0, 26),
                "denied.enforcement": (6, 0, 0, 0, 0, 0, 6),
                "denied.query": (35, 0, 0, 0, 0, 0, 35),
                "unable.no_info": (522, 21, 0, 0, 0, 6, 549),
                "unable.needs_creation": (103, 3, 0, 0, 0, 4, 110),
                "unable.unclear": (34, 1, 0, 0, 0, 0, 35),
                "rejected.petition": (4, 0, 0, 0, 0, 0, 4),
                "rejected.duplicate": (48, 0, 0, 0, 0, 0, 48),
                "handled": (1643, 90, 0, 0, 0, 16, 1749),
                "forward": (59, 1, 0, 0, 0, 1, 61),
            },
            (19, 9, 2, 5, 35, 18, 2, 0, 2, 22, 3, 1, 1, 3, 8),
        ),
    ),
    "002": dict(
        agency=("深圳市盐田区人民政府", "government", "440308"),
        signature=None,
        cells=cells(
            t2_2019(
                (0, 0, 0),
                (25, 22, 22),
                (228, 284, 1142),
                (337, -57, 716),
                (1432, 658, 528),
                (30, -17, 1),
                (11, 1),
                (295, 39582.407),
            ),
            {
                "new": (6, 10, 7, 0, 12, 0, 35),
                "granted": (0, 5, 2, 0, 0, 0, 7),
                "partial": (2, 0, 1, 0, 0, 0, 3),
                "denied.internal": (0, 0, 1, 0, 2, 0, 3),
                "denied.enforcement": (0, 0, 0, 0, 2, 0, 2),
                "unable.no_info": (2, 1, 1, 0, 2, 0, 6),
                "unable.unclear": (1, 1, 0, 0, 0, 0, 2),
                "other": (1, 3, 2, 0, 6, 0, 12),
                "handled": (6, 10, 7, 0, 12, 0, 35),
            },
            (0, 0, 0, 4, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
        ),
        stated={"licensing": 512, "other_services": 280, "penalty": 2090, "coercion": 13, "fees": 12},
    ),
    "003": dict(
        agency=("深圳市龙岗区政务服务数据管理局", "department", "440307"),
        signature="2021-01-14",
        cells=cells(
            t2_2019((0, 0, 0), (0, 0, 0), (0, 0, 0), (0, 0, 0), (0, 0, 0), (0, 0, 0), (0, 0), (19, 1316.73)),
            {
                **{r: (N,) * 7 for r in T3_ROWS},
                "new": (1, N, N, N, N, N, 1),
                "carried": (0, N, N, N, N, N, 0),
                "unable.no_info": (1, N, N, N, N, N, N),
                "handled": (N, N, N, N, N, N, 1),
                "forward": (N, N, N, N, N, N, 1),
            },
            (0,) * 15,
        ),
    ),
    "004": dict(
        agency=("鹤岗市南山区人民政府", "government", "230404"),
        signature="2021-01-25",
        cells=cells(
            t2_2019((0, 0, 0), (0, 0, 0), (26, 36, 170), (0, 0, 0), (5, 4, 14), (0, 0, 0), (0, 0), (N, N)),
            {},
            (0,) * 15,
        ),
    ),
}
