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


def unexpected(source: str, err: BaseException) -> UnreadableFile:
    """A reader's defect or a library's own exception, as one line naming the file.

    Some libraries put a whole traceback in their message (rapidocr's ONNXRuntimeError); the user gets its
    last line, the log keeps the rest."""
    lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
    what = f"{type(err).__name__}: {lines[-1][:200]}" if lines else type(err).__name__
    return UnreadableFile(source, f"读取失败：{what}", f"failed: {what}")


class RequestError(GongkaiError):
    """What a request asked for cannot be done; ``status`` is the HTTP answer the web gives it
    (one exception handler in web/errors.py turns every one into an HTML page or JSON)."""

    status = 400


class NotFound(RequestError):
    """No such report, agency, account or finding."""

    status = 404


class Forbidden(RequestError):
    """The account may not read or change this."""

    status = 403


class Conflict(RequestError):
    """The change collides with the state it meets (a concurrent write, a duplicate)."""

    status = 409


class Invalid(RequestError):
    """The values sent break a rule (a reason missing, an unknown status …)."""

    status = 422
