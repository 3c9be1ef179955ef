"""Operations pages: findings (list, detail, acknowledge / snooze / accept the risk) and sources (crawl
health, errors per scope, "crawl now").

Views stay thin: reads are one joined query per table shown (constant in the number of rows), writes call
the findings services and the crawl-now service. Who may act follows ``footprint.accounts.roles``: managing
a finding needs ``can_operate`` on its team, "crawl now" the operator role; a refused POST is a 403.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST

from footprint.accounts.roles import Role, can_operate, has_role
from footprint.findings import services as finding_services
from footprint.findings.choices import SEVERITY_RANK, ActionKind, EventKind, FindingStatus, Severity
from footprint.findings.filters import FindingFilterSet
from footprint.findings.models import Finding
from footprint.findings.rules import RULES_BY_CODE
from footprint.inventory.choices import CrawlStatus
from footprint.inventory.crawl import source_crawl_enqueue, source_crawl_refusal
from footprint.inventory.models import Cluster, Deployment, Model, Source, Team
from footprint.inventory.selectors import crawl_runs_recent, source_next_crawl_at, sources_with_health

FINDINGS_PAGE_SIZE = 100
CRAWL_RUNS_SHOWN = 20


# --------------------------------------------------------------------------------------------- findings

def _severity_rank() -> Case:
    return Case(*[When(severity=value, then=Value(rank)) for value, rank in SEVERITY_RANK.items()],
                default=Value(-1), output_field=IntegerField())


@login_required
def findings_list(request: HttpRequest) -> HttpResponse:
    """Findings, biggest monthly $ impact first, with counts and impact by severity for the same filters."""
    params = _without_blanks(request.GET)
    params.setdefault("status", FindingStatus.OPEN)
    rows = Finding.objects.select_related("deployment__model", "cluster", "team")
    filterset = FindingFilterSet(params, queryset=rows)
    found = filterset.qs if filterset.is_valid() else rows.none()
    found = found.annotate(severity_rank=_severity_rank()).order_by(
        F("impact_monthly").desc(nulls_last=True), "-severity_rank", "-opened_at", "id")

    totals = {row["severity"]: row for row in found.order_by().values("severity").annotate(
        count=Count("id"), impact=Sum("impact_monthly"))}
    others = params.copy()
    for name in ("severity", "page"):
        others.pop(name, None)
    by_severity = [{"severity": value, "label": label, "count": totals.get(value, {}).get("count", 0),
                    "impact": totals.get(value, {}).get("impact"),
                    "url": f"?{others.urlencode()}&severity={value}"}
                   for value, label in reversed(Severity.choices)]
    page = Paginator(found, FINDINGS_PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    for finding in page.object_list:
        finding.states = _finding_states(finding, now=now)
        finding.rule_title = getattr(RULES_BY_CODE.get(finding.rule), "title", finding.rule)
        finding.open_days = finding.open_duration(now=now).days
    query = params.copy()
    query.pop("page", None)
    return render(request, "web/findings_list.html", {
        "filterset": filterset, "form": filterset.form, "page": page, "findings": page.object_list,
        "by_severity": by_severity, "total": sum(row["count"] for row in by_severity),
        "total_impact": sum((row["impact"] or Decimal(0) for row in by_severity), Decimal(0)),
        "teams": Team.objects.order_by("slug").values_list("slug", "name"),
        "clusters": Cluster.objects.order_by("name").values_list("name", flat=True).distinct(),
        "rules": sorted(RULES_BY_CODE.items()), "severities": Severity.choices,
        "selected": {"severity": params.getlist("severity"), "rule": params.getlist("rule")},
        "query": query.urlencode(),
    })


def _without_blanks(query: QueryDict) -> QueryDict:
    """The query without the empty values a submitted filter form sends (``severity=&team=``): "any"."""
    kept = QueryDict(mutable=True)
    for key in query:
        values = [value for value in query.getlist(key) if value.strip()]
        if values:
            kept.setlist(key, values)
    return kept


def _finding_states(finding: Finding, *, now: datetime) -> list[tuple[str, str]]:
    """Badges (css class, text) for what users did to the finding."""
    states = []
    if finding.status == FindingStatus.RESOLVED:
        states.append(("ok", f"resolved {finding.resolved_at:%Y-%m-%d}" if finding.resolved_at else "resolved"))
    if finding.acknowledged_at:
        states.append(("", f"acknowledged by {finding.acknowledged_by or 'Footprint'}"))
    if finding.is_snoozed(now=now):
        states.append(("partial", f"snoozed until {finding.snoozed_until:%Y-%m-%d}"))
    if finding.risk_accepted_at:
        states.append(("stale", f"risk accepted by {finding.risk_accepted_by or 'Footprint'}"))
    return states


class SnoozeForm(forms.Form):
    until = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}),
                            help_text="Hidden from the new findings until this day (00:00 UTC).")
    note = forms.CharField(required=False, max_length=2000)

    def clean_until(self) -> datetime:
        day: date = self.cleaned_data["until"]
        until = datetime.combine(day, time.min, tzinfo=UTC)
        if until <= timezone.now():
            raise ValidationError("snooze until a day in the future")
        return until


class AcknowledgeForm(forms.Form):
    note = forms.CharField(required=False, max_length=2000)


class AcceptRiskForm(forms.Form):
    reason = forms.CharField(max_length=4000, widget=forms.Textarea(attrs={"rows": 2}),
                             help_text="Why the risk is accepted; kept in the finding's history.")


@login_required
def finding_detail(request: HttpRequest, pk: int) -> HttpResponse:
    finding = get_object_or_404(Finding.objects.select_related("deployment__model", "cluster", "team"), pk=pk)
    events = list(finding.events.order_by("-at", "-id"))
    ids = _deployment_ids(finding.evidence) | _deployment_ids(finding.action)
    places = {row["pk"]: row for row in Deployment.objects.filter(pk__in=ids).values(
        "pk", "cluster_name", "namespace", "name", "unit", "ended_at")} if ids else {}
    rule = RULES_BY_CODE.get(finding.rule)
    may_operate = can_operate(request.user, finding.team_id)
    return render(request, "web/finding_detail.html", {
        "finding": finding, "rule": rule, "events": [_event_row(event) for event in events],
        "evidence": evidence_sections(finding.evidence),
        "action": _action_view(finding.action, places),
        "states": _finding_states(finding, now=timezone.now()),
        "may_operate": may_operate, "is_open": finding.status == FindingStatus.OPEN,
        "snooze_form": SnoozeForm(), "ack_form": AcknowledgeForm(), "accept_form": AcceptRiskForm(),
        "request_action_url": f"/actions/new?finding={finding.pk}",
        "links": _finding_links(finding),
    })


def _finding_links(finding: Finding) -> list[tuple[str, str]]:
    """Links to the pages of what the finding is about (where those pages exist)."""
    links = []
    model = finding.deployment.model if finding.deployment is not None else None
    if model is None and finding.key.startswith("group:model|"):
        # a fleet-group finding (version drift) is about one model, named in its key
        model = Model.objects.filter(name=finding.key.split("|")[1]).only("pk", "name").first()
    if model is not None:
        url = _url("web:model", model.pk)
        if url:
            links.append((f"Model {model.name}", url))
    if finding.cluster is not None:
        url = _url("web:cluster", finding.cluster_id)
        if url:
            links.append((f"Cluster {finding.cluster.name}", url))
    if finding.team is not None:
        url = _url("web:team", finding.team.slug) or _url("web:team", finding.team_id)
        if url:
            links.append((f"Team {finding.team.name}", url))
    return links


def _url(name: str, *args: Any) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _finding_for_operator(request: HttpRequest, pk: int) -> Finding:
    finding = get_object_or_404(Finding, pk=pk)
    if not can_operate(request.user, finding.team_id):
        raise PermissionDenied("only an operator of the finding's team (or an admin) may manage it")
    return finding


def _form_errors(form: forms.Form) -> str:
    return "; ".join(f"{field}: {' '.join(errors)}" if field != "__all__" else " ".join(errors)
                     for field, errors in form.errors.items())


def _finding_change(request: HttpRequest, pk: int, form_class: type[forms.Form], change, done: str) -> HttpResponse:
    """The shared path of the three finding commands: permission, validation, the service, a message."""
    finding = _finding_for_operator(request, pk)
    form = form_class(request.POST)
    if finding.status != FindingStatus.OPEN:
        messages.error(request, "This finding is resolved; there is nothing to manage.")
    elif not form.is_valid():
        messages.error(request, f"Not saved: {_form_errors(form)}")
    else:
        try:
            change(finding, form.cleaned_data)
        except ValidationError as error:
            messages.error(request, f"Not saved: {' '.join(error.messages)}")
        else:
            messages.success(request, done)
    return redirect("web:finding-detail", pk=finding.pk)


@login_required
@require_POST
def finding_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    return _finding_change(request, pk, AcknowledgeForm, lambda finding, data: finding_services.finding_acknowledge(
        finding=finding, user=request.user, note=data["note"]), "Acknowledged.")


@login_required
@require_POST
def finding_snooze(request: HttpRequest, pk: int) -> HttpResponse:
    return _finding_change(request, pk, SnoozeForm, lambda finding, data: finding_services.finding_snooze(
        finding=finding, user=request.user, until=data["until"], note=data["note"]), "Snoozed.")


@login_required
@require_POST
def finding_accept(request: HttpRequest, pk: int) -> HttpResponse:
    return _finding_change(request, pk, AcceptRiskForm, lambda finding, data: finding_services.finding_accept_risk(
        finding=finding, user=request.user, reason=data["reason"]), "Risk accepted.")


# ---------------------------------------------------------------------------- evidence, action, history

LABELS = {
    "where": "Where", "createdAt": "Created", "maxAgeDays": "Max age (days)", "contextLen": "Context length",
    "cheaperGpu": "Cheaper GPU", "currentMonthly": "Now $/month", "currentBasis": "Priced as",
    "cheaperMonthly": "Cheaper $/month", "cheaperBasis": "Cheaper priced as", "weightsPerGpuGiB": "Weights per GPU (GiB)",
    "sequences": "Concurrent sequences", "instanceType": "Instance type", "perReplica": "GPUs per replica",
    "engineVersion": "Engine version", "ownerSource": "Owner from", "gpu": "GPU", "monthly": "$/month",
    "requested": "GPUs requested", "allocatable": "GPUs", "pods": "GPU pods", "environment": "Env",
    "impactMonthly": "Impact $/month", "openSeconds": "Open for",
}
# Compared across the deployments of one table: a cell that differs from the most common value is marked.
COMPARED = {"version", "engine", "engineVersion", "accelerator", "perReplica"}
MONEY_KEYS = {"monthly", "currentMonthly", "cheaperMonthly", "impactMonthly"}
HIDDEN_COLUMNS = {"deployment"}   # internal ids: the "where" column names the deployment
ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def label_of(key: str) -> str:
    """``engineVersion`` → ``Engine version`` (with a few hand-made labels)."""
    if key in LABELS:
        return LABELS[key]
    words = re.sub(r"(?<=[a-z0-9])([A-Z])", r" \1", str(key)).replace("_", " ").strip()
    return words[:1].upper() + words[1:].lower() if words else str(key)


def value_text(value: Any, key: str = "") -> str:
    """One evidence value as a person reads it: no braces, no quotes, no ``null``."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key in MONEY_KEYS:
        try:
            return f"${Decimal(str(value)):,.2f}"
        except ArithmeticError:
            return str(value)
    if key == "openSeconds" and isinstance(value, int | float):
        return _duration_text(value)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str) and ISO_TIME.match(value):
        moment = parse_datetime(value)
        if moment is not None:
            return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    if isinstance(value, dict):
        if key == "replicas" or {"desired", "ready"} <= set(value):
            return _replicas_text(value)
        return "; ".join(f"{k}: {value_text(v, k)}" for k, v in value.items()) or "—"
    if isinstance(value, list | tuple):
        return ", ".join(value_text(item, key) for item in value) or "—"
    return str(value)


def _replicas_text(replicas: dict) -> str:
    text = f"{value_text(replicas.get('ready'))}/{value_text(replicas.get('desired'))} ready"
    if replicas.get("min") is not None or replicas.get("max") is not None:
        text += f" (autoscaled {value_text(replicas.get('min'))}–{value_text(replicas.get('max'))})"
    return text


def _duration_text(seconds: float) -> str:
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        return f"{days} d {hours} h"
    return f"{hours} h {rest // 60} min" if hours else f"{rest // 60} min"


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _is_flat(value: Any) -> bool:
    """A value that reads well on one line: a scalar, a list of scalars, a small dict of scalars."""
    if _is_scalar(value):
        return True
    if isinstance(value, list | tuple):
        return all(_is_scalar(item) for item in value)
    return isinstance(value, dict) and all(_is_scalar(item) for item in value.values())


def evidence_sections(evidence: Any, *, title: str = "") -> list[dict[str, Any]]:
    """Evidence JSON as sections a template renders without knowing the rule: ``facts`` (label → text)
    and ``table`` (columns, rows of cells with a ``diff`` mark where deployments disagree)."""
    if not isinstance(evidence, dict):
        return [{"kind": "facts", "title": title, "facts": [("Value", value_text(evidence))]}] if evidence else []
    facts, nested = [], []
    for key, value in evidence.items():
        if key in HIDDEN_COLUMNS and _is_scalar(value):
            continue
        if _is_flat(value):
            facts.append((label_of(key), value_text(value, key)))
        else:
            nested.append((key, value))
    sections = [{"kind": "facts", "title": title, "facts": facts}] if facts else []
    for key, value in nested:
        sections.extend(_nested_section(key, value))
    return sections


def _nested_section(key: str, value: Any) -> list[dict[str, Any]]:
    title = label_of(key)
    if isinstance(value, list) and all(isinstance(item, dict) for item in value):
        return [_table(title, value)]
    if isinstance(value, dict) and value and all(isinstance(item, dict) for item in value.values()):
        # e.g. differences: {"accelerator": {"backup": "A10", "prod": ["L4"]}}
        return [_table(title, [{"": k, **v} for k, v in value.items()], first_label=label_of)]
    if isinstance(value, dict) and value and all(isinstance(item, list) for item in value.values()):
        # e.g. versions: {"abc123": ["cluster/ns/name", ...]}
        return [{"kind": "table", "title": title, "columns": ["", "Deployments"],
                 "rows": [[{"text": value_text(k)}, {"text": value_text(v)}] for k, v in value.items()]}]
    if isinstance(value, dict):
        return evidence_sections(value, title=title)
    return [{"kind": "facts", "title": "", "facts": [(title, value_text(value, key))]}]


def _table(title: str, rows: list[dict], first_label=None) -> dict[str, Any]:
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns and k not in HIDDEN_COLUMNS)
    # A column nobody filled in (every variant empty, say) says nothing.
    columns = [c for c in columns if any(row.get(c) not in (None, "", [], {}) for row in rows)]
    common = {}
    for column in columns:
        if column in COMPARED:
            values = Counter(_cell_key(row.get(column)) for row in rows)
            if len(values) > 1:
                common[column] = values.most_common(1)[0][0]
    out_rows = []
    for row in rows:
        cells = []
        for column in columns:
            value = row.get(column)
            text = first_label(value) if first_label is not None and column == "" else value_text(value, column)
            cells.append({"text": text, "diff": column in common and _cell_key(value) != common[column]})
        out_rows.append(cells)
    return {"kind": "table", "title": title, "columns": [label_of(c) if c else "" for c in columns],
            "rows": out_rows}


def _cell_key(value: Any) -> str:
    return repr(value)


def _deployment_ids(document: Any) -> set[int]:
    """Every deployment id a rule put in its evidence or action (keys ``deployment``/``deployments``/``keep``)."""
    found: set[int] = set()
    if isinstance(document, dict):
        for key, value in document.items():
            if key in {"deployment", "keep"} and isinstance(value, int) and not isinstance(value, bool):
                found.add(value)
            elif key == "deployments" and isinstance(value, list):
                found.update(v for v in value if isinstance(v, int) and not isinstance(v, bool))
                found |= _deployment_ids(value)
            else:
                found |= _deployment_ids(value)
    elif isinstance(document, list):
        for item in document:
            found |= _deployment_ids(item)
    return found


ACTION_TEXT = {
    ActionKind.SCALE: "Scale the deployment",
    ActionKind.DECOMMISSION: "Decommission",
    ActionKind.ALIGN_VERSION: "Align the model version",
    ActionKind.MOVE_GPU: "Move to another GPU type",
}


def _action_view(action: dict, places: dict[int, dict]) -> dict[str, Any] | None:
    """The suggested deploy action as a title and facts, deployment ids turned into their place."""
    if not isinstance(action, dict) or not action.get("kind"):
        return None

    def place(pk: Any) -> str:
        row = places.get(pk)
        if row is None:
            return f"deployment #{pk}"
        where = "/".join(p for p in (row["cluster_name"], row["namespace"], row["name"], row["unit"]) if p)
        return f"{where} (ended)" if row["ended_at"] else where

    facts = []
    for key, value in action.items():
        if key == "kind":
            continue
        if key in {"deployment", "keep"} and isinstance(value, int):
            text = place(value)
        elif key == "deployments" and isinstance(value, list):
            text = ", ".join(place(v) for v in value) or "—"
        else:
            text = value_text(value, key)
        facts.append(({"keep": "Keep", "replicas": "Replicas", "target": "Target"}.get(key, label_of(key)), text))
    kind = action["kind"]
    return {"kind": kind, "title": ACTION_TEXT.get(kind, label_of(kind)), "facts": facts}


def _event_row(event) -> dict[str, Any]:
    data = event.data if isinstance(event.data, dict) else {}
    if event.kind == EventKind.SNOOZED and data.get("until"):
        detail = f"until {value_text(data['until'])}"
    elif event.kind == EventKind.SEVERITY_CHANGED:
        detail = f"{data.get('from', '?')} → {data.get('to', '?')}"
    else:
        detail = "; ".join(f"{label_of(k)}: {value_text(v, k)}" for k, v in data.items())
    return {"kind": event.kind, "label": EventKind(event.kind).label if event.kind in EventKind.values else event.kind,
            "at": event.at, "actor": event.actor or "Footprint", "note": event.note, "detail": detail}


# ---------------------------------------------------------------------------------------------- sources

def _may_crawl(user) -> bool:
    return has_role(user, Role.OPERATOR)


def _source_rows(sources) -> list[Source]:
    now = timezone.now()
    for source in sources:
        source.next_crawl_at = source_next_crawl_at(source=source)
        source.next_crawl_due = source.next_crawl_at is not None and source.next_crawl_at <= now
    return sources


@login_required
def sources_list(request: HttpRequest) -> HttpResponse:
    """Every source with its crawl health: a constant number of queries for any number of sources."""
    clusters = Cluster.objects.filter(source=OuterRef("pk")).order_by().values("source").annotate(n=Count("id"))
    sources = _source_rows(list(sources_with_health().annotate(
        cluster_count=Coalesce(Subquery(clusters.values("n")[:1]), 0))))
    counts = Counter(source.last_status or "never" for source in sources)
    return render(request, "web/sources_list.html", {
        "sources": sources, "may_crawl": _may_crawl(request.user),
        "counts": [(status, counts.get(status, 0)) for status in ("ok", "partial", "failed", "running", "never")],
        "failing": sum(1 for source in sources if source.consecutive_failures),
    })


@login_required
def source_detail(request: HttpRequest, pk: int) -> HttpResponse:
    source = _source_rows([get_object_or_404(sources_with_health(), pk=pk)])[0]
    runs = list(crawl_runs_recent(source=source, limit=CRAWL_RUNS_SHOWN))
    for run in runs:
        run.error_rows = _crawl_errors(run.errors)
        run.error_scopes = Counter(error["scope"] for error in run.error_rows)
    clusters = source.clusters.annotate(
        live=Count("deployments", filter=Q(deployments__ended_at__isnull=True))).order_by("name")
    return render(request, "web/source_detail.html", {
        "source": source, "runs": runs, "clusters": clusters, "may_crawl": _may_crawl(request.user),
        "settings_facts": [(label_of(k), value_text(v, k)) for k, v in sorted((source.settings or {}).items())],
        "running": any(run.status == CrawlStatus.RUNNING for run in runs),
    })


def _crawl_errors(errors: Any) -> list[dict[str, str]]:
    """CrawlRun.errors as rows: scope split into cluster and namespace (``*`` is the whole source)."""
    rows = []
    for error in errors or []:
        if not isinstance(error, dict):
            error = {"message": str(error)}
        scope = str(error.get("scope") or "*")
        cluster, _, namespace = scope.partition("/")
        rows.append({"scope": scope, "cluster": "" if cluster == "*" else cluster, "namespace": namespace,
                     "kind": str(error.get("kind") or "unknown"), "message": str(error.get("message") or "")})
    return rows


@login_required
@require_POST
def source_crawl(request: HttpRequest, pk: int) -> HttpResponse:
    """"Crawl now": enqueue a crawl (a worker runs it; in embedded mode it runs here, before the redirect)."""
    if not _may_crawl(request.user):
        raise PermissionDenied("only operators and admins may start a crawl")
    source = get_object_or_404(Source, pk=pk)
    refusal = source_crawl_refusal(source=source)
    if refusal:
        messages.error(request, refusal[0].upper() + refusal[1:] + ".")
    else:
        source_crawl_enqueue(source=source)
        messages.success(request, f"Crawl of {source.name} enqueued. Its run appears below when it starts.")
    return redirect("web:source-detail", pk=source.pk)
