"""plotly.js comes from the installed ``plotly`` package (there is no CDN here): this staticfiles finder
exposes its ``plotly.min.js`` as the static file ``vendor/plotly.min.js``, so runserver serves it and
``collectstatic`` copies it for WhiteNoise like any other static file."""

from __future__ import annotations

from pathlib import Path

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

PLOTLY_DIR = Path(plotly.__file__).resolve().parent / "package_data"
PREFIX = "vendor"
FILES = ("plotly.min.js",)


class PlotlyFinder(BaseFinder):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.storage = FileSystemStorage(location=str(PLOTLY_DIR))
        self.storage.prefix = PREFIX

    def check(self, **kwargs) -> list:
        return []

    def find(self, path: str, find_all: bool = False, **kwargs):
        name = path.removeprefix(PREFIX + "/")
        if path.startswith(PREFIX + "/") and name in FILES and (PLOTLY_DIR / name).is_file():
            match = str(PLOTLY_DIR / name)
            return [match] if find_all or kwargs.get("all") else match
        return []

    def list(self, ignore_patterns):
        for name in FILES:
            yield name, self.storage
