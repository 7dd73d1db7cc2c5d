"""What a government site's annual-report column looks like, as data (like the formats).

Every word and pattern the collector uses to recognise a report link, a column, a pager or a
publication date is here, not in the crawler: a province whose CMS says 上一页/下一页 differently, or
labels its dates 发文时间, gets a new ``Profile`` rather than new code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Profile:
    # a link (its text or title) to a report names the report and a year
    report: re.Pattern[str] = re.compile(r"(政府)?信息公开(工作)?(年度)?(报告|年报)|政务公开(工作)?年度报告")
    year: re.Pattern[str] = re.compile(r"(20\d{2})\s*年")
    # links that name the report but are about it, not it
    not_report: tuple[str, ...] = ("通知", "关于做好", "关于报送", "编制", "模板", "格式")
    # a column (list) of reports, and the disclosure page that leads to it
    column: tuple[str, ...] = (
        "政府信息公开年报",
        "信息公开年报",
        "政府信息公开工作年度报告",
        "政府信息公开年度报告",
        "年度报告",
        "年报",
    )
    disclosure: tuple[str, ...] = ("政府信息公开", "信息公开", "政务公开", "法定主动公开内容")
    # pagination: link texts, page-number texts, page addresses, and the TRS CMS's script pager
    next_page: tuple[str, ...] = ("下一页", "下页", "后一页", "next")
    page_number: re.Pattern[str] = re.compile(r"^\s*(第\s*)?(\d{1,3})\s*(页)?\s*$")
    page_href: tuple[re.Pattern[str], ...] = (
        re.compile(r"(?:^|/)index_(\d+)\.s?html?$"),
        re.compile(r"[?&](?:page|pageNo|pageNum|pageIndex|curPage|p)=(\d+)", re.I),
    )
    script_pager: re.Pattern[str] = re.compile(
        r"createPageHTML\(\s*['\"]?(\d+)['\"]?\s*,\s*['\"]?(\d+)['\"]?\s*,\s*['\"](\w+)['\"]\s*,\s*['\"](\w+)['\"]"
    )
    # the date a page shows, most specific label first
    date_labels: tuple[str, ...] = (
        "发布日期",
        "发布时间",
        "成文日期",
        "发文日期",
        "公开日期",
        "时间",
        "日期",
    )
    date: re.Pattern[str] = re.compile(r"(20\d{2})\s*[-/年.]\s*(\d{1,2})\s*[-/月.]\s*(\d{1,2})")
    attachments: tuple[str, ...] = (".pdf", ".doc", ".docx", ".wps", ".ofd")
    # never worth a request
    skip_ext: tuple[str, ...] = (
        ".jpg", ".jpeg", ".png", ".gif", ".bmp", ".svg", ".ico", ".css", ".js", ".mp4", ".mp3",
        ".zip", ".rar", ".7z", ".xls", ".xlsx", ".ppt", ".pptx", ".exe", ".apk",
    )  # fmt: skip
    max_depth: int = 3  # column links followed from the entry page
    max_pages: int = 60  # pages of one column's list
    max_links: int = 5000  # links read from one page
    extra: dict[str, str] = field(default_factory=dict)


DEFAULT = Profile()
