"""Dashboard pages: thin views over ``footprint.web.selectors``. Every page costs a constant number of SQL
queries whatever the fleet size (tests/footprint/web/test_query_counts.py)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, datetime, time
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

from footprint.costs.exports import cell_text
from footprint.inventory import choices
from footprint.inventory.models import Model, Team
from footprint.web import selectors
from footprint.web.charts import AXIS, CLOUD_COLORS, colors_for, plot
from footprint.web.charts import bar as bar_chart
from footprint.web.charts import donut as donut_chart

PAGE_SIZES = (50, 100, 200)
PAGE_SIZE = 50


# ---------------------------------------------------------------------------------------------- overview

@login_required
def overview(request: HttpRequest) -> HttpResponse:
    summary = selectors.overview_summary()
    by_cloud = [(cloud, float(cost.monthly)) for cloud, cost in summary["by_cloud"] if cost.monthly]
    top_teams = [(name or slug or "(no owner)", float(cost.monthly)) for (slug, name), cost in summary["by_team"]
                 if cost.monthly][:10]
    gpus = [(row["accelerator_type"], float(row["gpus"] or 0)) for row in summary["gpus_by_type"]]
    findings_by_rule: dict[str, dict] = {}
    findings_by_severity: dict[str, int] = {}
    for row in summary["findings"]:
        rule = findings_by_rule.setdefault(row["rule"], {"rule": row["rule"], "count": 0, "impact": Decimal(0),
                                                         "severities": {}})
        rule["count"] += row["count"]
        rule["impact"] += row["impact"] or 0
        rule["severities"][row["severity"]] = row["count"]
        findings_by_severity[row["severity"]] = findings_by_severity.get(row["severity"], 0) + row["count"]
    severities = [(s, findings_by_severity[s]) for s in ("critical", "high", "medium", "low", "info")
                  if s in findings_by_severity]
    charts = {
        "cost_by_cloud": donut_chart([c for c, _ in by_cloud], [v for _, v in by_cloud],
                                     colors=colors_for([c for c, _ in by_cloud], CLOUD_COLORS)) if by_cloud else None,
        "top_teams": bar_chart([t for t, _ in top_teams], [v for _, v in top_teams], horizontal=True,
                               colors=colors_for([t for t, _ in top_teams])) if top_teams else None,
        "gpus_by_type": bar_chart([g for g, _ in gpus], [v for _, v in gpus], money=False,
                                  colors=colors_for([g for g, _ in gpus])) if gpus else None,
    }
    return render(request, "web/overview.html", {
        **summary, "charts": charts, "severities": severities,
        "findings_by_rule": sorted(findings_by_rule.values(), key=lambda r: (-r["impact"], -r["count"], r["rule"])),
        "findings_total": sum(findings_by_severity.values()),
        "findings_impact": sum((r["impact"] for r in findings_by_rule.values()), Decimal(0)),
        "top_gpus": gpus[:3],
    })


# ---------------------------------------------------------------------------------------------- inventory

def as_of_parse(value: str | None) -> tuple[datetime | None, str | None]:
    """(instant, error) from ``?as_of=``: a date (00:00 UTC that day, as the API) or an ISO date-time."""
    value = (value or "").strip()
    if not value:
        return None, None
    try:
        moment = parse_datetime(value)
        if moment is None:
            day = parse_date(value)
            moment = datetime.combine(day, time.min, tzinfo=UTC) if day else None
    except ValueError:
        moment = None
    if moment is None:
        return None, f"{value!r} is not a date (2026-06-10) or a date-time (2026-06-10T12:00:00Z)"
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC), None


def _query_without(request: HttpRequest, *names: str) -> str:
    """The current query string without ``names`` (for sort and page links that keep the filters)."""
    pairs = [(k, v) for k in request.GET for v in request.GET.getlist(k) if k not in names and v != ""]
    return urlencode(pairs)


def _inventory(request: HttpRequest, *, accel: bool = False):
    as_of, as_of_error = as_of_parse(request.GET.get("as_of"))
    filterset, rows = selectors.inventory_queryset(params=request.GET, as_of=as_of, accel=accel)
    rows, sort = selectors.inventory_sort(rows, request.GET.get("sort", ""))
    return as_of, as_of_error, filterset, rows, sort


@login_required
def inventory_list(request: HttpRequest) -> HttpResponse:
    """Every deployment (or, with ``as_of``, what ran then) with the API's filters, sort and pagination."""
    as_of, as_of_error, filterset, rows, sort = _inventory(request)
    try:
        per_page = int(request.GET.get("per_page", PAGE_SIZE))
    except ValueError:
        per_page = PAGE_SIZE
    per_page = per_page if per_page in PAGE_SIZES else PAGE_SIZE
    page = Paginator(rows, per_page).get_page(request.GET.get("page"))
    deployments = list(page.object_list)
    selectors.accel_sources_set(deployments)
    book = selectors.PriceBook(cluster_ids=sorted({d.cluster_id for d in deployments if d.cluster_id}))
    deployment_ids = [d.deployment_id if as_of else d.pk for d in deployments]
    findings = selectors.open_findings_by_deployment(deployment_ids=deployment_ids)
    table = [{"row": d, "price": book.row_price(d), "findings": findings.get(i, [])}
             for d, i in zip(deployments, deployment_ids, strict=True)]
    page_cost = sum((r["price"].monthly for r in table if not r["price"].is_unknown), Decimal(0))
    return render(request, "web/inventory.html", {
        "filterset": filterset, "form": filterset.form, "page": page, "table": table, "sort": sort,
        "as_of": as_of, "as_of_value": request.GET.get("as_of", ""), "as_of_error": as_of_error,
        "page_cost": page_cost, "query": _query_without(request, "page"),
        "sort_query": _query_without(request, "page", "sort"), "page_query": _query_without(request, "page"),
        "query_no_as_of": _query_without(request, "page", "as_of"),
        "columns": INVENTORY_COLUMNS, "per_page": per_page, "page_sizes": PAGE_SIZES,
        "filters": _inventory_filters(request, as_of=as_of),
    })


def _inventory_filters(request: HttpRequest, *, as_of: datetime | None) -> list[dict]:
    """The filter bar: vocabularies as selects, natural keys as text with suggestions (three queries)."""
    suggestions = selectors.inventory_suggestions()
    fields = [
        ("q", "Search", "text", None), ("cloud", "Cloud", "select", choices.CLOUD_CHOICES),
        ("region", "Region", "text", suggestions["region"]), ("cluster", "Cluster", "text", suggestions["cluster"]),
        ("team", "Team", "text", suggestions["team"]), ("model", "Model", "text", suggestions["model"]),
        ("engine", "Engine", "select", choices.ENGINE_CHOICES),
        ("accelerator", "Accelerator", "select", choices.ACCELERATOR_CHOICES),
        ("environment", "Environment", "select", choices.ENVIRONMENT_CHOICES),
        ("variant", "Variant", "select", choices.VARIANT_CHOICES),
        ("finding", "Open finding", "select", selectors.finding_rule_choices()),
    ]
    if as_of is None:
        fields.append(("status", "Status", "select", [("ended", "ended"), ("all", "all")]))
    out = []
    for name, label, kind, options in fields:
        values = request.GET.getlist(name)
        value = values[0] if values else ""
        # Options are joined here, not looped over in the template: hundreds of models and clusters would
        # cost tens of milliseconds of template rendering.
        if kind == "select":
            html = format_html_join("", '<option value="{}"{}>{}</option>',
                                    ((v, mark_safe(" selected") if v == value else "", lbl) for v, lbl in options))
        else:
            html = format_html_join("", '<option value="{}">', ((o,) for o in options or []))
        out.append({"name": name, "label": label, "kind": kind, "options_html": html, "has_options": bool(options),
                    "value": value, "extra": values[1:]})
    return out


# (label, sort key or None)
INVENTORY_COLUMNS = [("Model", "model"), ("Engine", "engine"), ("Where", "where"), ("Workload", "workload"),
                     ("Accelerator", "accelerator"), ("Replicas", "replicas"), ("Team", "team"),
                     ("Env", "environment"), ("$/month", None), ("Findings", None), ("Status", None)]

CSV_HEADER = ["cloud", "region", "cluster", "namespace", "kind", "name", "unit", "model", "model_version", "engine",
              "engine_version", "platform", "image", "accelerator", "accelerator_per_replica", "accelerator_total",
              "replicas_desired", "replicas_ready", "team", "environment", "variant", "source", "status",
              "monthly_usd", "price_basis", "open_findings", "valid_from", "valid_to"]


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
def inventory_export(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered, sorted inventory as CSV (every row, not one page), streamed. Constant queries."""
    as_of, _, _, rows, _ = _inventory(request, accel=True)
    book = selectors.PriceBook()
    findings = selectors.open_findings_by_deployment(deployment_ids=None)
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow(CSV_HEADER)
        for row in rows.iterator(chunk_size=2000):
            price = book.row_price(row)
            deployment_id = row.deployment_id if as_of else row.pk
            if as_of:
                status = "ran"
            else:
                status = "ended" if row.ended_at else ("stale" if row.stale else "live")
            yield writer.writerow([cell_text(value) for value in [
                row.cloud, row.region, row.cluster_name, row.namespace, row.kind, row.name, row.unit,
                row.model.name if row.model else "", row.model_version, row.engine, row.engine_version, row.platform,
                row.image, row.accelerator_type, _num(row.accelerator_per_replica), _num(row.accelerator_total),
                _num(row.replicas_desired), "" if as_of else _num(row.replicas_ready),
                row.team.slug if row.team else "", row.environment, row.variant, row.source.name, status,
                "" if price.is_unknown else f"{price.monthly:.2f}", price.basis,
                " ".join(f["rule"] for f in findings.get(deployment_id, [])),
                row.valid_from.isoformat() if as_of else "",
                row.valid_to.isoformat() if as_of and row.valid_to else "",
            ]])

    stamp = (as_of or timezone.now()).strftime("%Y-%m-%d")
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="inventory-{stamp}.csv"'
    return response


def _num(value) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


# ---------------------------------------------------------------------------------------------- models

MODEL_SORTS = {
    "name": lambda r: r["name"].lower(), "deployments": lambda r: -r["deployments_live"],
    "cost": lambda r: -r["cost"].monthly, "gpus": lambda r: -(r["gpus"] or 0), "versions": lambda r: -r["versions"],
}


@login_required
def model_list(request: HttpRequest) -> HttpResponse:
    rows = selectors.models_with_stats()
    q = request.GET.get("q", "").strip().lower()
    if q:
        rows = [r for r in rows if q in r["name"].lower()]
    sort = request.GET.get("sort", "cost")
    sort = sort if sort in MODEL_SORTS else "cost"
    rows.sort(key=lambda r: (MODEL_SORTS[sort](r), r["name"]))
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    return render(request, "web/models.html", {
        "page": page, "models": page.object_list, "q": request.GET.get("q", ""), "sort": sort,
        "sorts": [("cost", "Cost"), ("deployments", "Deployments"), ("gpus", "GPUs"), ("versions", "Versions"),
                  ("name", "Name")],
        "total": sum((r["cost"].monthly for r in rows), Decimal(0)), "count": len(rows),
        "drifting": sum(1 for r in rows if r["versions"] > 1),
    })


@login_required
def model_detail(request: HttpRequest, pk: int) -> HttpResponse:
    model = get_object_or_404(Model, pk=pk)
    grid = selectors.model_grid(model=model)
    history = selectors.model_history(model=model)
    timeline = _timeline(history["timeline"]) if history["timeline"] else None
    return render(request, "web/model_detail.html", {
        "model": model, "grid": grid, "history": history, "timeline": timeline,
        "findings": selectors.model_findings(model=model), "sizing": _sizing_view(selectors.model_sizing_for(model=model, catalog=grid["catalog"])),
    })


def _timeline(deployments: list) -> SafeString:
    """One row per deployment, one bar per revision coloured by model version."""
    now = timezone.now()
    traces: dict[str, dict] = {}
    for _, revisions in deployments:
        first = revisions[0]
        label = "/".join(p for p in (first["cluster_name"], first["namespace"], first["name"], first["unit"]) if p)
        for rev in revisions:
            version = rev["model_version"] or "unpinned"
            trace = traces.setdefault(version, {"type": "bar", "orientation": "h", "name": version, "y": [], "x": [],
                                                "base": [], "customdata": [],
                                                "hovertemplate": "%{y}<br>%{customdata}<extra>" + version + "</extra>"})
            end = rev["valid_to"] or now
            trace["y"].append(label)
            trace["base"].append(rev["valid_from"].isoformat())
            trace["x"].append((end - rev["valid_from"]).total_seconds() * 1000)
            trace["customdata"].append(
                f"{rev['valid_from']:%Y-%m-%d} → {'now' if rev['valid_to'] is None else f'{end:%Y-%m-%d}'} · "
                f"{rev['engine']} {rev['engine_version']} · {rev['accelerator_type'] or 'no GPU'} · "
                f"{_num(rev['replicas_desired']) or '?'} replicas")
    colors = colors_for(sorted(traces))
    data = []
    for color, version in zip(colors, sorted(traces), strict=True):
        traces[version]["marker"] = {"color": color}
        data.append(traces[version])
    height = min(120 + 26 * len(deployments), 1200)
    return plot(data, {"barmode": "overlay", "xaxis": {**AXIS, "type": "date"},
                       "yaxis": {**AXIS, "autorange": "reversed"}, "legend": {"orientation": "h", "y": 1.02,
                                                                              "yanchor": "bottom"},
                       "margin": {"l": 10, "r": 10, "t": 30, "b": 10}}, height=height)


GIB = 1024 ** 3


def _sizing_view(sizing: dict | None) -> dict | None:
    """The sizing estimate (footprint.sizing.selectors.model_sizing) as facts and a GPU table for the page."""
    if not sizing:
        return None
    arch = sizing.get("architecture") or {}
    weights = sizing.get("weights") or {}
    params = arch.get("params")
    active = arch.get("activeParams")
    facts = [
        ("Architecture", f"{arch.get('name') or '?'} ({sizing.get('source', '')})"),
        ("Parameters", f"{params / 1e9:,.1f} B" + (f", {active / 1e9:,.1f} B active" if active and active != params
                                                   else "") if params else "?"),
        ("Attention", f"{arch.get('attention', '?')}, {arch.get('layers', '?')} layers, "
                      f"{arch.get('kvHeads', '?')} KV heads of {arch.get('heads', '?')}"),
        ("Weights", f"{(weights.get('bytes') or 0) / GIB:,.1f} GiB in {weights.get('format', '?')}"),
        ("KV cache", f"{(sizing.get('kvBytesPerToken') or 0) / 1024:,.0f} KiB per token, "
                     f"{(sizing.get('kvBytesPerSequence') or 0) / GIB:,.2f} GiB per {sizing.get('contextLen')}-token "
                     f"sequence"),
        ("Sized for", f"{sizing.get('contextLen')} tokens of context, {sizing.get('concurrency')} concurrent "
                      f"sequence{'s' if sizing.get('concurrency') != 1 else ''}"),
    ]
    cheapest = sizing.get("cheapest") or {}
    per_token = sizing.get("cheapestPerToken") or {}
    gpus = []
    for row in sizing.get("gpus") or []:
        gpus.append({**row, "cheapest": row.get("gpu") == cheapest.get("gpu"),
                     "cheapest_per_token": row.get("gpu") == per_token.get("gpu"),
                     "weights_gib": (row.get("weightsPerGpuBytes") or 0) / GIB})
    gpus.sort(key=lambda r: (not r["fits"], r.get("hourlyCost") is None, r.get("hourlyCost") or 0, r["gpu"]))
    return {"facts": facts, "gpus": gpus, "cheapest": cheapest or None, "per_token": per_token or None,
            "reason": sizing.get("cheapestReason"), "assumptions": sizing.get("assumptions") or []}


# ---------------------------------------------------------------------------------------------- teams

@login_required
def team_list(request: HttpRequest) -> HttpResponse:
    teams = selectors.teams_with_stats()
    teams.sort(key=lambda t: (-t["cost"].monthly, t["slug"]))
    chart_rows = [t for t in teams if t["cost"].monthly][:15]
    chart = bar_chart([t["name"] or t["slug"] for t in chart_rows], [float(t["cost"].monthly) for t in chart_rows],
                      horizontal=True, colors=colors_for([t["slug"] for t in chart_rows]),
                      height=max(200, 40 + 28 * len(chart_rows))) if chart_rows else None
    return render(request, "web/teams.html", {
        "teams": teams, "chart": chart, "total": sum((t["cost"].monthly for t in teams), Decimal(0)),
    })


@login_required
def team_detail(request: HttpRequest, slug: str) -> HttpResponse:
    team = get_object_or_404(Team, slug=slug)
    detail = selectors.team_detail(team=team)
    by_cloud = [(c, float(cost.monthly)) for c, cost in detail["by_cloud"] if cost.monthly]
    chart = donut_chart([c for c, _ in by_cloud], [v for _, v in by_cloud],
                        colors=colors_for([c for c, _ in by_cloud], CLOUD_COLORS), height=260) if by_cloud else None
    return render(request, "web/team_detail.html", {"team": team, **detail, "chart": chart})


# ---------------------------------------------------------------------------------------------- clusters

@login_required
def cluster_list(request: HttpRequest) -> HttpResponse:
    clusters = selectors.clusters_with_stats()
    totals = {k: sum(getattr(c, k) for c in clusters)
              for k in ("gpu_nodes", "idle_nodes", "gpus_allocatable", "gpus_requested", "gpus_idle",
                        "deployments_live")}
    return render(request, "web/clusters.html", {
        "clusters": clusters, "totals": totals, "total": sum((c.cost.monthly for c in clusters), Decimal(0)),
    })


@login_required
def cluster_detail(request: HttpRequest, pk: int) -> HttpResponse:
    cluster = get_object_or_404(selectors.clusters_queryset(), pk=pk)
    detail = selectors.cluster_detail(cluster=cluster)
    chart = None
    if detail["by_type"]:
        kinds = [k for k, _ in detail["by_type"]]
        series = [("Serving models", "serving", "#2563eb"), ("Other GPU pods", "other", "#9333ea"),
                  ("Idle", "idle", "#d1d5db")]
        chart = plot([{"type": "bar", "name": name, "x": kinds, "y": [v[key] for _, v in detail["by_type"]],
                       "marker": {"color": color}, "hovertemplate": "%{x}: %{y:,.1f} GPUs<extra>" + name + "</extra>"}
                      for name, key, color in series],
                     {"barmode": "stack", "legend": {"orientation": "h", "y": -0.2}}, height=260)
    return render(request, "web/cluster_detail.html", {"cluster": cluster, **detail, "chart": chart})
