"""``manage.py inventory``: the current (or past, ``--as-of``) inventory as a ModelSpecList or a table."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from typing import Any

import yaml
from django.core.management.base import BaseCommand, CommandError

from collectors.spec import ModelSpec, SpecError, parse_time, spec_list
from footprint.inventory.models import Source
from footprint.inventory.selectors import deployments_as_of, deployments_current, specs_from_rows

BAD_INPUT = 2
COLUMNS = ("CLUSTER", "NAMESPACE", "NAME", "MODEL", "VERSION", "ENGINE", "ACCELERATOR", "REPLICAS", "TEAM", "ENV")


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


def _count(value: float | None) -> str:
    if value is None:
        return "?"
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def table_rows(specs: list[ModelSpec], *, past: bool) -> list[tuple[str, ...]]:
    rows = []
    for spec in specs:
        workload, accelerator, replicas = spec.workload, spec.accelerator, spec.replicas
        if accelerator.type is None and accelerator.total is None:
            gpus = "-"
        else:
            gpus = f"{accelerator.type or '?'}×{_count(accelerator.total)}"
        if past:  # a revision's ready count is the one at its start: show what was asked for
            scale = _count(replicas.desired)
        else:
            scale = f"{_count(replicas.ready)}/{_count(replicas.desired)}"
        engine = spec.runtime.engine + (f" {spec.runtime.engine_version}" if spec.runtime.engine_version else "")
        rows.append((
            workload.cluster or "-", workload.namespace or "-",
            workload.name + (f"/{workload.unit}" if workload.unit else ""),
            spec.model.name or "-", spec.model.version or "-", engine, gpus, scale,
            spec.owner.team or "-", (spec.environment or "-") + (f"/{spec.variant}" if spec.variant else ""),
        ))
    return rows


def table_format(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in [COLUMNS, *rows]) for i in range(len(COLUMNS))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [COLUMNS, *rows]
    )


class Command(BaseCommand):
    help = "Print the inventory (current, or as of a past date) as a ModelSpecList (json, yaml) or a table."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--as-of", dest="as_of", help="DATE (00:00 UTC) or DATETIME; default: now")
        parser.add_argument("--format", dest="output_format", choices=("json", "yaml", "table"), default="json")
        parser.add_argument("--source", help="only this source (name)")

    def handle(self, *args: Any, as_of: str | None, output_format: str, source: str | None, **options: Any) -> None:
        at = moment_parse(as_of) if as_of else None
        row = None
        if source is not None:
            row = Source.objects.filter(name=source).first()
            if row is None:
                raise CommandError(f"no source named {source!r}", returncode=BAD_INPUT)
        rows = deployments_as_of(at=at, source=row) if at else deployments_current(source=row)
        specs = specs_from_rows(rows=rows)
        if output_format == "json":
            self.stdout.write(json.dumps(spec_list(specs), indent=2, ensure_ascii=False))
        elif output_format == "yaml":
            self.stdout.write(yaml.safe_dump(spec_list(specs), sort_keys=False, allow_unicode=True), ending="")
        else:
            self.stdout.write(table_format(table_rows(specs, past=at is not None)))
