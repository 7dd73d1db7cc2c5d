"""The docs keep up with the code: every command of `gongkai` (and of `gongkai desk …`) has help and is
shown in the README; the CHANGELOG exists."""

from __future__ import annotations

import re

import pytest
import typer

from gongkai.cli import app

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands() -> list[tuple[str, object]]:
    out = []

    def walk(prefix: str, group: object) -> None:
        for name, cmd in getattr(group, "commands", {}).items():
            path = f"{prefix} {name}".strip()
            if getattr(cmd, "commands", None):
                walk(path, cmd)
            else:
                out.append((path, cmd))

    walk("", typer.main.get_command(app))
    return out


@pytest.mark.parametrize(("path", "cmd"), _commands(), ids=[p for p, _ in _commands()])
def test_every_command_is_documented_and_has_help(path: str, cmd) -> None:
    assert (cmd.help or "").strip(), f"gongkai {path} has no help"
    assert re.search(rf"gongkai {re.escape(path)}\b", README), f"README does not show `gongkai {path}`"


def test_changelog() -> None:
    assert "## Unreleased" in (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
