"""The CFO cost report page and its exports: thin views over ``footprint.costs.report``.

Every signed-in user may read the page; the CSV/XLSX exports need the finance role (admins have it).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from footprint.accounts.roles import Role, has_role
from footprint.costs.accrual import month_next, month_previous
from footprint.costs.exports import cost_report_csv, cost_report_xlsx
from footprint.costs.report import DIMENSIONS, cost_report_build, month_parse
from footprint.web.charts import CLOUD_COLORS, bar, colors_for, donut

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHART_ROWS = 12


def _month(request: HttpRequest) -> tuple[date, str | None]:
    """The ``?month=YYYY-MM`` asked for (default: the current month), or the current month and an error."""
    current = timezone.now().date().replace(day=1)
    text = request.GET.get("month", "").strip()
    if not text:
        return current, None
    try:
        return month_parse(text), None
    except ValueError as exc:
        return current, str(exc)


def can_export(user) -> bool:
    return has_role(user, Role.FINANCE)


@login_required
def cost_report(request: HttpRequest) -> HttpResponse:
    month, error = _month(request)
    report = cost_report_build(month=month)
    groups = {d: report.by(d) for d in DIMENSIONS}
    charts = {}
    for dimension in ("team", "model"):
        rows = [r for r in groups[dimension] if r["cost"] > 0][:CHART_ROWS]
        labels = [r["label"] for r in rows]
        charts[dimension] = bar(labels, [float(r["cost"]) for r in rows], colors=colors_for(labels),
                                horizontal=True, height=max(180, 34 * len(rows) + 60)) if rows else None
    clouds = [r for r in groups["cloud"] if r["cost"] > 0]
    charts["cloud"] = donut([r["label"] for r in clouds], [float(r["cost"]) for r in clouds],
                            colors=colors_for([r["key"] or "unknown" for r in clouds], CLOUD_COLORS)) if clouds else None
    context = {
        "report": report, "month": month, "month_text": f"{month:%Y-%m}", "error": error,
        "previous_month": f"{month_previous(month):%Y-%m}", "next_month": f"{month_next(month):%Y-%m}",
        "tables": [(d, groups[d]) for d in DIMENSIONS if d != "cluster"],
        "charts": charts, "can_export": can_export(request.user),
        "running": report.end < datetime.combine(month_next(month), time.min, tzinfo=UTC),
    }
    return render(request, "costs/report.html", context, status=400 if error else 200)


def _export(request: HttpRequest):
    if not can_export(request.user):
        raise PermissionDenied("cost exports need the finance role")
    month, error = _month(request)
    if error:
        return None, HttpResponse(error, status=400, content_type="text/plain; charset=utf-8")
    return cost_report_build(month=month), None


@login_required
def export_csv(request: HttpRequest) -> HttpResponse:
    report, bad = _export(request)
    if bad:
        return bad
    response = HttpResponse(cost_report_csv(report), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="cost-report-{report.month:%Y-%m}.csv"'
    return response


@login_required
def export_xlsx(request: HttpRequest) -> HttpResponse:
    report, bad = _export(request)
    if bad:
        return bad
    response = HttpResponse(cost_report_xlsx(report), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="cost-report-{report.month:%Y-%m}.xlsx"'
    return response
