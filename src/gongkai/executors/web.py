"""The app factory of ``gongkai serve --workers N``: each web worker process is tied to the master.

uvicorn starts the workers as child processes of its master and stops them on a clean shutdown; when
the master is killed outright (kill -9, OOM killer) they would live on, orphaned, still holding the
database. Each worker therefore calls ``die_with_parent`` before building the app.
"""

from __future__ import annotations

from fastapi import FastAPI

from . import die_with_parent


def create_app() -> FastAPI:
    """Bind this worker's life to its master's, then build the app from ``GONGKAI_DB``."""
    die_with_parent()
    from ..web import create_app as build

    return build(warm=True)
