"""The monthly cost report (CFO page, exports, API): accrued cost per deployment, grouped by team, model,
cloud, region, environment or cluster, with month-over-month change, the unowned bucket, idle GPU
capacity, the waste findings identified and the lines that could not be priced.

Public API (stable; the REST API and the dashboard call it):
- ``cost_report_build(*, month, now=None) -> CostReport``
- ``cost_summary(*, month, group_by, now=None) -> list[dict]`` (JSON-able rows)

A report costs a constant number of queries whatever the fleet size (see accrual.py for the rules).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db.models import F, Q
from django.utils import timezone

from footprint.costs.accrual import (
    CENTS,
    Capacity,
    ClusterCost,
    CostLine,
    capacity_accrue,
    deployments_accrue,
    month_bounds,
    month_previous,
    month_start,
)
from footprint.costs.catalog import PriceCatalog

DIMENSIONS = ("team", "model", "cloud", "region", "environment", "cluster")
NOT_KNOWN = {"team": "(unowned)", "model": "(model unknown)", "cloud": "(cloud unknown)",
             "region": "(region unknown)", "environment": "(environment unknown)", "cluster": "(no cluster)"}
WASTE_BASIS = ("monthly run-rate (impact_monthly) of the findings open at the end of the month (now, for the "
               "running month); not prorated")


@dataclass(frozen=True)
class WasteFinding:
    id: int
    rule: str
    title: str
    subject: str
    severity: str
    team: str | None
    impact_monthly: Decimal | None
    impact_basis: str

    def as_dict(self) -> dict:
        return {"id": self.id, "rule": self.rule, "title": self.title, "subject": self.subject,
                "severity": self.severity, "team": self.team,
                "impactMonthly": None if self.impact_monthly is None else str(self.impact_monthly),
                "impactBasis": self.impact_basis}


@dataclass
class CostReport:
    month: date
    start: datetime
    end: datetime                      # exclusive; ``now`` while the month is running
    lines: list[CostLine]
    previous_lines: list[CostLine]
    clusters: list[ClusterCost]
    waste_findings: list[WasteFinding] = field(default_factory=list)
    generated_at: datetime | None = None
    previous_partial: bool = False     # the running month is compared with the same days of the previous one

    # --- totals
    @property
    def previous_month(self) -> date:
        return month_previous(self.month)

    @property
    def total(self) -> Decimal:
        """Priced cost of every deployment line (unknown parts excluded, listed in ``unknown``)."""
        return _sum(line.cost for line in self.lines)

    @property
    def previous_total(self) -> Decimal:
        return _sum(line.cost for line in self.previous_lines)

    @property
    def change(self) -> Decimal:
        return self.total - self.previous_total

    @property
    def change_pct(self) -> float | None:
        return _pct(self.total, self.previous_total)

    @property
    def hours(self) -> Decimal:
        return sum((line.hours for line in self.lines), Decimal(0))

    # --- buckets
    @property
    def unowned_lines(self) -> list[CostLine]:
        return [line for line in self.lines if not line.team]

    @property
    def unowned(self) -> Decimal:
        return _sum(line.cost for line in self.unowned_lines)

    @property
    def unknown(self) -> list[CostLine]:
        """Lines with hours that could not be priced, each with its reason."""
        return [line for line in self.lines if line.is_unknown]

    @property
    def unknown_hours(self) -> Decimal:
        return sum((line.unknown_hours for line in self.unknown), Decimal(0))

    @property
    def idle(self) -> Decimal:
        """Cost of GPU capacity no pod requested (per cluster in ``clusters``)."""
        return _sum(c.idle for c in self.clusters)

    @property
    def idle_gpu_hours(self) -> Decimal:
        return sum((c.idle_gpu_hours for c in self.clusters), Decimal(0))

    @property
    def node_cost(self) -> Decimal:
        return _sum(c.node_cost for c in self.clusters)

    @property
    def waste(self) -> Decimal:
        """Monthly savings identified by open findings (see WASTE_BASIS)."""
        return _sum(f.impact_monthly for f in self.waste_findings)

    @property
    def waste_basis(self) -> str:
        return WASTE_BASIS

    def by(self, dimension: str) -> list[dict]:
        """Rows {key, label, cost, previous, change, change_pct, hours, unknown_lines}, costliest first.

        ``key`` is None for lines where the dimension is not known (team: the unowned bucket). Keys seen only
        in the previous month are kept with a cost of 0."""
        if dimension not in DIMENSIONS:
            raise ValueError(f"unknown dimension {dimension!r}: one of {', '.join(DIMENSIONS)}")
        now: dict[str | None, list[CostLine]] = {}
        for line in self.lines:
            now.setdefault(line.value(dimension), []).append(line)
        before: dict[str | None, Decimal] = {}
        for line in self.previous_lines:
            key = line.value(dimension)
            before[key] = before.get(key, Decimal(0)) + (line.cost or 0)
        rows = []
        for key in [*now, *(k for k in before if k not in now)]:
            lines = now.get(key, [])
            cost, previous = _sum(line.cost for line in lines), before.get(key, Decimal(0)).quantize(CENTS)
            rows.append({"key": key, "label": key if key is not None else NOT_KNOWN[dimension],
                         "cost": cost, "previous": previous, "change": cost - previous,
                         "change_pct": _pct(cost, previous),
                         "hours": sum((line.hours for line in lines), Decimal(0)),
                         "unknown_lines": sum(1 for line in lines if line.is_unknown)})
        rows.sort(key=lambda r: (-r["cost"], -r["previous"], r["key"] is None, r["label"]))
        return rows

    def as_dict(self) -> dict:
        """The whole report as JSON-able data (money as strings, exact to the cent)."""
        return {
            "month": self.month.strftime("%Y-%m"), "from": self.start.isoformat(), "to": self.end.isoformat(),
            "currency": "USD", "total": str(self.total), "previousTotal": str(self.previous_total),
            "change": str(self.change), "changePct": self.change_pct, "unowned": str(self.unowned),
            "idle": str(self.idle), "idleGpuHours": str(self.idle_gpu_hours), "gpuNodeCost": str(self.node_cost),
            "waste": str(self.waste), "wasteBasis": WASTE_BASIS,
            "by": {d: [_json_row(r) for r in self.by(d)] for d in DIMENSIONS},
            "lines": [line.as_dict() for line in self.lines],
            "unknown": [line.as_dict() for line in self.unknown],
            "clusters": [c.as_dict() for c in self.clusters],
            "wasteFindings": [f.as_dict() for f in self.waste_findings],
        }


def cost_report_build(*, month: date, now: datetime | None = None) -> CostReport:
    """The report of the calendar month containing ``month`` (UTC). ``now`` (default: the current time)
    only bounds the running month. Queries: constant in the fleet's size (about a dozen)."""
    now = now or timezone.now()
    month = month_start(month)
    catalog = PriceCatalog.load()
    start, end = month_bounds(month, now=now)
    capacity = Capacity.load(start=start, end=end)
    lines = deployments_accrue(start=start, end=end, catalog=catalog, hints=capacity.node_hints())
    clusters = capacity_accrue(capacity=capacity, catalog=catalog)
    by_cluster: dict[int, Decimal] = {}
    for line in lines:
        if line.cluster_id is not None and line.cost is not None:
            by_cluster[line.cluster_id] = by_cluster.get(line.cluster_id, Decimal(0)) + line.cost
    for cluster in clusters:
        cluster.deployments = by_cluster.get(cluster.cluster_id, Decimal(0))
    previous_start, previous_end = month_bounds(month_previous(month), now=now)
    running = end < month_bounds(month)[1]
    if running:   # a month in progress against the same span of the previous month, not all of it
        previous_end = min(previous_end, previous_start + (end - start))
    previous_capacity = Capacity.load(start=previous_start, end=previous_end)
    previous_lines = deployments_accrue(start=previous_start, end=previous_end, catalog=catalog,
                                        hints=previous_capacity.node_hints())
    return CostReport(month=month, start=start, end=end, lines=lines, previous_lines=previous_lines,
                      clusters=clusters, waste_findings=_waste_findings(at=end), generated_at=now,
                      previous_partial=running)


def month_parse(text: str) -> date:
    """``2026-10`` → date(2026, 10, 1); ValueError with a readable message otherwise."""
    try:
        year, month = text.strip().split("-")
        if len(year) != 4 or len(month) != 2:
            raise ValueError
        parsed = date(int(year), int(month), 1)
    except ValueError:
        raise ValueError(f"month {text!r} is not a month written YYYY-MM (e.g. 2026-10)") from None
    if not 1970 <= parsed.year <= 9998:   # the report also reads the previous and the next month
        raise ValueError(f"month {text!r} is out of range: years 1970 to 9998")
    return parsed


def cost_summary(*, month: date, group_by: str, now: datetime | None = None) -> list[dict]:
    """JSON-able rows of one grouping: {key, label, cost, previous, change, changePct, hours, unknownLines}
    (money as strings). ``group_by`` is one of DIMENSIONS; anything else raises ValueError."""
    if group_by not in DIMENSIONS:
        raise ValueError(f"unknown group_by {group_by!r}: one of {', '.join(DIMENSIONS)}")
    return [_json_row(row) for row in cost_report_build(month=month, now=now).by(group_by)]


def _waste_findings(*, at: datetime) -> list[WasteFinding]:
    from footprint.findings.choices import FindingStatus
    from footprint.findings.models import Finding

    rows = (Finding.objects.filter(opened_at__lt=at)
            .filter(Q(status=FindingStatus.OPEN) | Q(resolved_at__gte=at))
            .select_related("team").order_by(F("impact_monthly").desc(nulls_last=True), "rule", "subject"))
    return [WasteFinding(id=f.id, rule=f.rule, title=f.title, subject=f.subject, severity=f.severity,
                         team=f.team.slug if f.team else None, impact_monthly=f.impact_monthly,
                         impact_basis=f.impact_basis) for f in rows]


def _json_row(row: dict) -> dict:
    return {"key": row["key"], "label": row["label"], "cost": str(row["cost"]), "previous": str(row["previous"]),
            "change": str(row["change"]), "changePct": row["change_pct"], "hours": str(row["hours"]),
            "unknownLines": row["unknown_lines"]}


def _sum(values) -> Decimal:
    return sum((v for v in values if v is not None), Decimal(0)).quantize(CENTS)


def _pct(now: Decimal, before: Decimal) -> float | None:
    if not before:
        return None
    return round(float((now - before) / before * 100), 1)
