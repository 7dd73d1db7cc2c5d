"""gongkai 公开 — read, check and compare China's government information disclosure annual reports."""

from __future__ import annotations

__version__ = "0.1.0"
