"""Exports of a CostReport: CSV (one row per cost line, for finance tools) and XLSX (a workbook with the
summary, each grouping, the lines, GPU capacity, unknown lines and waste). Totals equal the report's:
every figure is the report's own Decimal, written as is, never recomputed from rounded values."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from footprint.costs.report import DIMENSIONS, CostReport

LINE_COLUMNS = ("month", "team", "model", "cloud", "region", "environment", "cluster", "namespace", "workload",
                "accelerator", "hours", "gpu_hours", "cost_usd", "unknown_hours", "basis", "unknown_reason")
MONEY = '"$"#,##0.00'


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell_text(value):
    """A text a spreadsheet must show, never evaluate: names come from crawled manifests, so a model or
    workload named "=HYPERLINK(...)" would otherwise become a live formula in the finance user's Excel."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _line_row(report: CostReport, line) -> list:
    return [report.month.strftime("%Y-%m"), line.team or "", line.model or "", line.cloud, line.region,
            line.environment, line.cluster, line.namespace, line.name + (f"/{line.unit}" if line.unit else ""),
            line.accelerator, line.hours, line.gpu_hours, line.cost, line.unknown_hours, line.basis,
            line.reason or ""]


def cost_report_csv(report: CostReport) -> str:
    """One row per cost line; ``cost_usd`` is empty (not 0) where nothing could be priced. The column
    sums to ``report.total``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(LINE_COLUMNS)
    for line in report.lines:
        writer.writerow(["" if v is None else cell_text(v) for v in _line_row(report, line)])
    return out.getvalue()


def cost_report_json(report: CostReport) -> str:
    return json.dumps(report.as_dict(), indent=2)


def cost_report_xlsx(report: CostReport) -> bytes:
    book = Workbook()
    summary = book.active
    summary.title = "Summary"
    month = report.month.strftime("%Y-%m")
    previous = report.previous_month.strftime("%Y-%m")
    rows = [
        ("Model Footprint cost report", month),
        ("Period (UTC)", f"{report.start:%Y-%m-%d %H:%M} to {report.end:%Y-%m-%d %H:%M}"),
        ("Total (USD)", report.total),
        (f"Previous month {previous}{', same days' if report.previous_partial else ''} (USD)", report.previous_total),
        ("Change (USD)", report.change),
        ("Change %", report.change_pct),
        ("Unowned (USD)", report.unowned),
        ("Idle GPU capacity (USD)", report.idle),
        ("GPU node cost (USD)", report.node_cost),
        ("Waste identified (USD/month)", report.waste),
        ("Waste basis", report.waste_basis),
        ("Lines with unknown price", len(report.unknown)),
        ("Unpriced hours", report.unknown_hours),
    ]
    for row in rows:
        summary.append(row)
    summary["A1"].font = Font(bold=True, size=13)
    for cell in ("B3", "B4", "B5", "B7", "B8", "B9", "B10"):
        summary[cell].number_format = MONEY
    _widths(summary, [34, 60])

    for dimension in DIMENSIONS:
        sheet = book.create_sheet(f"By {dimension}")
        _header(sheet, [dimension, "cost_usd", f"previous_usd ({previous})", "change_usd", "change_pct", "hours",
                        "unknown_lines"])
        groups = report.by(dimension)
        for row in groups:
            sheet.append([row["label"], row["cost"], row["previous"], row["change"], row["change_pct"], row["hours"],
                          row["unknown_lines"]])
        _total(sheet, ["Total", report.total, report.previous_total, report.change, report.change_pct,
                       report.hours, len(report.unknown)], money_columns=(2, 3, 4))
        _money(sheet, (2, 3, 4), len(groups))
        _widths(sheet, [40, 14, 20, 14, 12, 12, 14])

    lines = book.create_sheet("Lines")
    _header(lines, LINE_COLUMNS)
    for line in report.lines:
        lines.append(_line_row(report, line))
    _total(lines, ["Total", *[None] * 11, report.total, report.unknown_hours], money_columns=(13,))
    _money(lines, (13,), len(report.lines))
    _widths(lines, [9, 16, 36, 8, 14, 11, 20, 18, 30, 12, 10, 10, 12, 12, 80, 50])

    capacity = book.create_sheet("GPU capacity")
    _header(capacity, ["cluster", "cloud", "region", "gpu_hours", "idle_gpu_hours", "node_cost_usd", "serving_usd",
                       "other_usd", "idle_usd", "unknown_node_hours", "deployments_usd", "basis", "unknown_reason"])
    for c in report.clusters:
        capacity.append([c.cluster, c.cloud, c.region, c.gpu_hours, c.idle_gpu_hours, c.node_cost, c.serving,
                         c.other, c.idle, c.unknown_node_hours, c.deployments, " | ".join(c.bases), c.reason or ""])
    _total(capacity, ["Total", None, None, sum((c.gpu_hours for c in report.clusters), Decimal(0)),
                      report.idle_gpu_hours, report.node_cost, sum((c.serving for c in report.clusters), Decimal(0)),
                      sum((c.other for c in report.clusters), Decimal(0)), report.idle], money_columns=(6, 7, 8, 9))
    _money(capacity, (6, 7, 8, 9), len(report.clusters))
    _widths(capacity, [22, 8, 14, 11, 13, 14, 12, 12, 12, 16, 15, 60, 40])

    unknown = book.create_sheet("Unknown prices")
    _header(unknown, ["workload", "team", "model", "cloud", "region", "unknown_hours", "reason"])
    for line in report.unknown:
        unknown.append([line.workload, line.team or "", line.model or "", line.cloud, line.region,
                        line.unknown_hours, line.reason])
    _widths(unknown, [40, 16, 36, 8, 14, 13, 80])

    waste = book.create_sheet("Waste")
    _header(waste, ["rule", "severity", "team", "subject", "impact_usd_per_month", "impact_basis"])
    for f in report.waste_findings:
        waste.append([f.rule, f.severity, f.team or "", f.subject, f.impact_monthly, f.impact_basis])
    _total(waste, ["Total", None, None, None, report.waste], money_columns=(5,))
    _money(waste, (5,), len(report.waste_findings))
    _widths(waste, [24, 9, 14, 50, 20, 80])

    out = io.BytesIO()
    for sheet in book.worksheets:   # no formulas are written: any text that looks like one stays text
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.value, cell.data_type = cell_text(cell.value), "s"
    book.save(out)
    return out.getvalue()


def _header(sheet, names) -> None:
    sheet.append(list(names))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"


def _total(sheet, values, *, money_columns=()) -> None:
    sheet.append(values)
    row = sheet.max_row
    for cell in sheet[row]:
        cell.font = Font(bold=True)
    for column in money_columns:
        sheet.cell(row=row, column=column).number_format = MONEY


def _money(sheet, columns, count: int) -> None:
    for column in columns:
        for row in range(2, count + 2):
            sheet.cell(row=row, column=column).number_format = MONEY


def _widths(sheet, widths) -> None:
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
