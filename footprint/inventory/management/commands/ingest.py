"""``manage.py ingest FILE --source NAME``: a ModelSpecList file as one complete crawl of a file source."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_slug
from django.db import transaction
from django.utils import timezone

from collectors.spec import CrawlResult, Scope, SpecError, specs_from_list
from footprint.inventory.choices import SourceKind
from footprint.inventory.ingest import deployments_reconcile
from footprint.inventory.models import Source

BAD_INPUT = 2


def bad_input(message: str) -> CommandError:
    return CommandError(message, returncode=BAD_INPUT)


def document_read(path: str) -> Any:
    """Read a YAML or JSON document from ``path`` (``-`` = stdin); errors are one-line CommandErrors."""
    label = "stdin" if path == "-" else path
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise bad_input(f"cannot read {label}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise bad_input(f"{label} is not UTF-8 text: {exc.reason} at byte {exc.start}") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        if path.endswith(".json"):
            raise bad_input(f"{label}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise bad_input(f"{label}: invalid YAML{where}: {problem}") from exc


class Command(BaseCommand):
    help = (
        "Ingest a ModelSpecList (YAML or JSON; '-' reads stdin) as a complete crawl of a file source: "
        "deployments of that source missing from the file are ended. Exit code 2 on bad input."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="ModelSpecList file, or - for stdin")
        parser.add_argument("--source", required=True, help="file source name (a slug); created if missing")

    def handle(self, *args: Any, file: str, source: str, **options: Any) -> None:
        try:
            validate_slug(source)
        except ValidationError as exc:
            raise bad_input(f"--source {source!r} must be a slug (letters, digits, - and _)") from exc
        data = document_read(file)
        label = "stdin" if file == "-" else file
        try:
            specs = specs_from_list(data)
        except SpecError as exc:
            raise bad_input(f"{label}: {exc}") from exc
        seen: dict[tuple[str, ...], int] = {}
        for index, spec in enumerate(specs):
            key = spec.workload.key
            if key in seen:
                raise bad_input(
                    f"{label}: items[{index}] repeats the workload of items[{seen[key]}] ({'/'.join(p for p in key if p)})"
                )
            seen[key] = index

        now = timezone.now()
        with transaction.atomic():
            row, created = Source.objects.get_or_create(
                name=source, defaults={"kind": SourceKind.FILE, "settings": {"path": label}}
            )
            if row.kind != SourceKind.FILE:
                raise bad_input(f"source {source!r} is a {row.kind} source; ingest only feeds file sources")
            result = CrawlResult(specs=specs, scopes=[Scope()], objects_seen=len(specs), pages=1,
                                 started_at=now, finished_at=now)
            run = deployments_reconcile(source=row, result=result, now=now)
        created_note = " (new source)" if created else ""
        self.stdout.write(f"{source}{created_note}: {run.summary()}")
