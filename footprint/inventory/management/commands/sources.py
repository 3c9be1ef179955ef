"""``manage.py sources add|update|remove|list``: configure sources without the admin."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from collectors.errors import CollectorError
from collectors.registry import provider
from footprint.inventory.choices import SourceKind
from footprint.inventory.models import Source
from footprint.inventory.selectors import source_next_crawl_at, sources_with_health
from footprint.inventory.sources import source_create, source_delete, source_update

BAD_INPUT = 2


class Command(BaseCommand):
    help = "Add, change, remove and list sources (what `collect` and the scheduled crawls read)."

    def add_arguments(self, parser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="add|update|remove|list")
        add = actions.add_parser("add", help="add a source (and its beat schedule)")
        add.add_argument("name")
        add.add_argument("--kind", required=True, choices=[k for k in SourceKind.values if k != SourceKind.FILE])
        self._config_arguments(add)
        update = actions.add_parser("update", help="change a source; what is not given is kept")
        update.add_argument("name")
        self._config_arguments(update)
        update.add_argument("--clear-credentials", action="store_true", help="remove the stored credentials")
        update.add_argument("--enable", action="store_true", help="crawl it on schedule again")
        remove = actions.add_parser("remove", help="delete a source with its inventory and history")
        remove.add_argument("name")
        actions.add_parser("list", help="sources with their health and next scheduled crawl")

    @staticmethod
    def _config_arguments(parser) -> None:
        # Not --settings: Django's own option of every command (the settings module) takes that name.
        parser.add_argument("--config", metavar="JSON", help="the provider's settings as a JSON object, e.g. "
                                                             '\'{"kubeconfigPath": "/etc/footprint/kubeconfig"}\'')
        parser.add_argument("--credentials-file", metavar="FILE",
                            help="a JSON/YAML object of the provider's secret fields; for kubeconfig kinds a "
                                 "kubeconfig file itself is accepted (stored encrypted as credentials.kubeconfig)")
        parser.add_argument("--interval", type=int, metavar="MINUTES", help="crawl every MINUTES (default 60)")
        parser.add_argument("--disable", action="store_true", help="keep it, but do not crawl it on schedule")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            getattr(self, f"_{action}")(**options)
        except ValidationError as error:
            details = "; ".join(f"{message}" for messages in error.message_dict.values() for message in messages) \
                if hasattr(error, "error_dict") else "; ".join(error.messages)
            raise CommandError(details, returncode=BAD_INPUT) from None

    def _add(self, *, name: str, kind: str, **options: Any) -> None:
        source = source_create(
            name=name, kind=kind, settings=_settings(options.get("config")) or {},
            credentials=_credentials(options.get("credentials_file"), kind=kind) or {},
            interval_minutes=options.get("interval") or 60, enabled=not options.get("disable"),
        )
        self.stdout.write(f"{source.name}: added ({source.kind}, every {source.interval_minutes} min"
                          f"{', disabled' if not source.enabled else ''}); crawl it now with: "
                          f"manage.py collect --source {source.name}")

    def _update(self, *, name: str, **options: Any) -> None:
        source = _source(name)
        changes: dict[str, Any] = {}
        if options.get("config") is not None:
            changes["settings"] = _settings(options["config"])
        if options.get("clear_credentials"):
            changes["credentials"] = {}
        elif options.get("credentials_file"):
            changes["credentials"] = _credentials(options["credentials_file"], kind=source.kind)
        if options.get("interval") is not None:
            changes["interval_minutes"] = options["interval"]
        if options.get("enable") and options.get("disable"):
            raise CommandError("--enable or --disable, not both", returncode=BAD_INPUT)
        if options.get("enable") or options.get("disable"):
            changes["enabled"] = bool(options.get("enable"))
        source = source_update(source=source, **changes)
        self.stdout.write(f"{source.name}: updated ({', '.join(changes) or 'nothing changed'})")

    def _remove(self, *, name: str, **options: Any) -> None:
        source = _source(name)
        count = source.deployments.count()
        source_delete(source=source)
        self.stdout.write(f"{name}: removed, with {count} deployments and their history")

    def _list(self, **options: Any) -> None:
        rows = [("NAME", "KIND", "ENABLED", "EVERY", "LAST CRAWL", "STATUS", "LAST SUCCESS", "FAILURES", "NEXT CRAWL")]
        now = timezone.now()
        for source in sources_with_health():
            next_at = source_next_crawl_at(source=source)
            rows.append((
                source.name, source.kind, "yes" if source.enabled else "no",
                "-" if source.kind == SourceKind.FILE else f"{source.interval_minutes}m",
                _when(source.last_crawl_at), source.last_status or "never", _when(source.last_success_at),
                str(source.consecutive_failures),
                "ingest" if source.kind == SourceKind.FILE else
                ("-" if next_at is None else ("due" if next_at <= now else _when(next_at))),
            ))
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            self.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def _source(name: str) -> Source:
    source = Source.objects.filter(name=name).first()
    if source is None:
        raise CommandError(f"no source named {name}", returncode=BAD_INPUT)
    return source


def _settings(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise CommandError(f"--config is not JSON: {exc}", returncode=BAD_INPUT) from None
    if not isinstance(value, dict):
        raise CommandError("--config must be a JSON object", returncode=BAD_INPUT)
    return value


def _credentials(path: str | None, *, kind: str) -> dict[str, Any] | None:
    if not path:
        return None
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read {path}: {exc}", returncode=BAD_INPUT) from None
    try:
        value = yaml.safe_load(text)  # JSON is YAML
    except yaml.YAMLError:
        raise CommandError(f"{path} is neither JSON nor YAML", returncode=BAD_INPUT) from None
    try:
        secret_fields = provider(kind).secret_fields
    except CollectorError:
        secret_fields = ()
    if isinstance(value, dict) and value.get("kind") == "Config" and "kubeconfig" in secret_fields:
        return {"kubeconfig": text}
    if not isinstance(value, dict):
        raise CommandError(f"{path} must hold an object of secret fields ({', '.join(secret_fields) or 'none'})",
                           returncode=BAD_INPUT)
    return value


def _when(value) -> str:
    return "-" if value is None else timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
