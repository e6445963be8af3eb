"""The web EDC: ``create_app(settings)`` (FastAPI, Jinja2 pages, htmx, the JSON API)."""

from oncotrial.web.app import create_app

__all__ = ["create_app"]
