"""``manage.py load-prices FILE.csv [--replace-source NAME]``: import a price sheet into the catalog."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from footprint.costs.services import PriceSheetError, prices_load


class Command(BaseCommand):
    help = ("Import a price sheet (CSV; columns in footprint/costs/data/README.md) into the price catalog. "
            "Rows update the catalog entry of the same cloud, region, instance type or accelerator and "
            "pricing. Every bad row is reported with its line number and nothing is imported unless all "
            "rows are good.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", metavar="FILE.csv")
        parser.add_argument("--replace-source", metavar="NAME",
                            help="every row must come from source NAME; catalog rows of NAME the file does "
                                 "not list are deleted")

    def handle(self, *args: Any, file: str, replace_source: str | None, **options: Any) -> None:
        path = Path(file)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {path}: {exc}", returncode=2) from None
        try:
            loaded = prices_load(text=text, replace_source=replace_source)
        except PriceSheetError as exc:
            raise CommandError(f"{path}: nothing imported, {len(exc.errors)} bad row(s):\n" + "\n".join(exc.errors),
                               returncode=1) from None
        self.stdout.write(f"{path}: {loaded}")
