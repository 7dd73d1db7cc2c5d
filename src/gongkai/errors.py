"""Errors a user sees: each names the file and says what was wrong with it."""

from __future__ import annotations


class GongkaiError(Exception):
    """Base class. ``str(err)`` is one line a user can act on."""

    def __init__(self, source: str, problem: str, problem_en: str = "") -> None:
        super().__init__(f"{source}: {problem}")
        self.source = source
        self.problem = problem
        self.problem_en = problem_en or problem

    def __reduce__(self):  # survive the trip back from a worker process
        return (type(self), (self.source, self.problem, self.problem_en))

    def line(self, lang: str = "zh") -> str:
        return f"{self.source}: {self.problem_en if lang == 'en' else self.problem}"


class UnreadableFile(GongkaiError):
    """The bytes cannot be read as any supported format (empty, binary, damaged, encrypted …)."""


class NotAReport(GongkaiError):
    """The file reads fine but is not a 政府信息公开工作年度报告."""
