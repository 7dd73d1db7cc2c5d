"""The reviewer's workbench in the browser and the REST API (FastAPI + Jinja2 + HTMX, no CDN)."""

from .app import create_app

__all__ = ["create_app"]
