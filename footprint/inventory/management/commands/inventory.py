"""``manage.py inventory``: the current (or past, ``--as-of``) inventory as a ModelSpecList or a table."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from collectors.output import FORMATS, dump_specs
from collectors.spec import SpecError, parse_time
from footprint.inventory.models import Source
from footprint.inventory.selectors import deployments_as_of, deployments_current, specs_from_rows

BAD_INPUT = 2


def moment_parse(text: str) -> datetime:
    """``2026-06-10`` (00:00 UTC that day) or an RFC 3339 / ISO date-time (naive = UTC)."""
    try:
        return datetime.combine(date.fromisoformat(text), time.min, tzinfo=UTC)
    except ValueError:
        pass
    try:
        moment = parse_time(text)
    except SpecError:
        moment = None
    if moment is None:
        raise CommandError(
            f"--as-of {text!r} is not a date (2026-06-10) or date-time (2026-06-10T12:00:00Z)", returncode=BAD_INPUT
        )
    return moment


class Command(BaseCommand):
    help = "Print the inventory (current, or as of a past date) as a ModelSpecList (json, yaml) or a table."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--as-of", dest="as_of", help="DATE (00:00 UTC) or DATETIME; default: now")
        parser.add_argument("--format", dest="output_format", choices=FORMATS, default="json")
        parser.add_argument("--source", help="only this source (name)")

    def handle(self, *args: Any, as_of: str | None, output_format: str, source: str | None, **options: Any) -> None:
        at = moment_parse(as_of) if as_of else None
        row = None
        if source is not None:
            row = Source.objects.filter(name=source).first()
            if row is None:
                raise CommandError(f"no source named {source!r}", returncode=BAD_INPUT)
        # What runs, each workload once: a file source's declarations of crawled workloads only with --source.
        shown = row is not None
        rows = (deployments_as_of(at=at, source=row, declared=shown) if at
                else deployments_current(source=row, declared=shown))
        specs = specs_from_rows(rows=rows)
        self.stdout.write(dump_specs(specs, output_format), ending="")
