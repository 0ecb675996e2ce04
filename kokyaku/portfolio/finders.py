"""Serve the plotly.js bundle that ships inside the plotly wheel as a local static file.

``{% static "plotly/plotly.min.js" %}`` then works offline: in development through the staticfiles
finders, in production through WhiteNoise (``WHITENOISE_USE_FINDERS``) or ``collectstatic``, which
copies it like any app's static file. No CDN, and the JS always matches the installed plotly.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import CheckMessage, Error
from django.core.files.storage import FileSystemStorage

PLOTLY_DIR = Path(plotly.__file__).resolve().parent / "package_data"
PLOTLY_FILE = "plotly.min.js"
PREFIX = "plotly"


class PlotlyFinder(BaseFinder):
    """Find ``plotly/plotly.min.js`` in the installed plotly package."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.storage = FileSystemStorage(location=str(PLOTLY_DIR))
        self.storage.prefix = PREFIX  # type: ignore[attr-defined]  # how collectstatic learns the target folder

    def check(self, **kwargs: Any) -> list[CheckMessage]:
        if not (PLOTLY_DIR / PLOTLY_FILE).is_file():
            return [Error(f"{PLOTLY_DIR / PLOTLY_FILE} is missing: reinstall plotly", id="portfolio.E001")]
        return []

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> Any:
        find_all = find_all or bool(kwargs.get("all", False))
        match = str(PLOTLY_DIR / PLOTLY_FILE) if path == f"{PREFIX}/{PLOTLY_FILE}" else None
        if find_all:
            return [match] if match else []
        return match

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        yield PLOTLY_FILE, self.storage
