"""``manage.py cost-report --month 2026-10 --format csv|xlsx|json [--output FILE]``: the monthly cost report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from footprint.costs.exports import cost_report_csv, cost_report_json, cost_report_xlsx
from footprint.costs.report import cost_report_build, month_parse

FORMATS = ("csv", "xlsx", "json")


class Command(BaseCommand):
    help = ("Write the cost report of one calendar month (UTC): accrued cost per deployment from the revision "
            "history, grouped by team/model/cloud/region/environment, idle GPU capacity, waste and unknown "
            "lines. CSV holds one row per cost line; XLSX a workbook with every table; JSON the whole report.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--month", metavar="YYYY-MM", help="default: the current month")
        parser.add_argument("--format", choices=FORMATS, default="csv")
        parser.add_argument("--output", metavar="FILE",
                            help="write here instead of stdout (xlsx default: cost-report-YYYY-MM.xlsx)")

    def handle(self, *args: Any, month: str | None, format: str, output: str | None, **options: Any) -> None:
        try:
            first = month_parse(month) if month is not None else timezone.now().date().replace(day=1)
        except ValueError as exc:
            raise CommandError(str(exc), returncode=2) from None
        report = cost_report_build(month=first)
        if format == "xlsx":
            path = Path(output or f"cost-report-{first:%Y-%m}.xlsx")
            self._write(path, cost_report_xlsx(report))
            self.stderr.write(f"{path}: {first:%Y-%m} total ${report.total} ({len(report.lines)} lines)")
            return
        text = cost_report_csv(report) if format == "csv" else cost_report_json(report) + "\n"
        if output:
            self._write(Path(output), text.encode("utf-8"))
            self.stderr.write(f"{output}: {first:%Y-%m} total ${report.total} ({len(report.lines)} lines)")
        else:
            self.stdout.write(text, ending="")

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        try:
            path.write_bytes(data)
        except OSError as exc:
            raise CommandError(f"cannot write {path}: {exc}", returncode=2) from None
