"""Slack Block Kit messages: one finding event, a daily digest, a test message.

Plain functions of the rows (no queries of their own: callers join the finding's deployment, model, cluster
and team). Slack's limits are kept: a header is at most 150 characters, a section at most 10 fields of
2,000, a message at most 50 blocks.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings

from footprint.findings.choices import EventKind, Severity
from footprint.findings.models import Finding, FindingEvent

SEVERITY_EMOJI = {
    Severity.CRITICAL: ":rotating_light:", Severity.HIGH: ":red_circle:", Severity.MEDIUM: ":large_orange_circle:",
    Severity.LOW: ":large_yellow_circle:", Severity.INFO: ":large_blue_circle:",
}
RESOLVED_EMOJI = ":white_check_mark:"
EVIDENCE_FIELDS = 6          # with the 4 subject fields: Slack's 10 fields per section
DIGEST_LINES = 40            # one section each; header, summary and footer make the rest of the 50 blocks
_HIDDEN_EVIDENCE = {"deployment", "where", "team", "model"}   # ids, or already shown as the subject
# What every deployment rule repeats (context.describe), most telling first; a rule's own evidence
# (versions, differences, createdAt, ...) comes before these.
_COMMON_EVIDENCE = ("accelerator", "replicas", "environment", "variant", "version", "engine", "engineVersion",
                    "perReplica", "region", "cloud")


def base_url() -> str:
    return str(getattr(settings, "BASE_URL", "http://127.0.0.1:8000")).rstrip("/")


def finding_url(finding_id: int) -> str:
    return f"{base_url()}/findings/{finding_id}/"


def money(amount: Decimal | None) -> str:
    return "not priced" if amount is None else f"${amount:,.2f}/month"


def event_severity(event: FindingEvent) -> str:
    """The severity an event is judged at: the new one for a change, else the finding's."""
    if event.kind == EventKind.SEVERITY_CHANGED:
        return str(event.data.get("to") or event.finding.severity)
    if event.kind == EventKind.OPENED:
        return str(event.data.get("severity") or event.finding.severity)
    return event.finding.severity


def event_headline(event: FindingEvent) -> tuple[str, str]:
    """(emoji, verb) for an event: "Opened", "Reopened", "Severity raised low → high", "Resolved"."""
    severity = event_severity(event)
    if event.kind == EventKind.RESOLVED:
        return RESOLVED_EMOJI, "Resolved"
    emoji = SEVERITY_EMOJI.get(severity, ":white_circle:")
    if event.kind == EventKind.SEVERITY_CHANGED:
        return emoji, f"Severity raised {event.data.get('from', '?')} → {event.data.get('to', severity)}"
    return emoji, "Reopened" if event.note.startswith("reopened") else "Opened"


def _plain(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _escape(text: str) -> str:
    """Slack mrkdwn control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _value(value: Any) -> str:
    """Evidence for people: `desired 2, ready 1` (keys sorted: PostgreSQL's jsonb keeps no key order)."""
    if isinstance(value, dict):
        return ", ".join(f"{key} {_value(item)}" for key, item in sorted(value.items()) if item is not None)
    if isinstance(value, list | tuple):
        return ", ".join(_value(item) for item in value)
    return str(value)


def _field(label: str, value: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": _plain(f"*{label}*\n{_escape(value)}", 2000)}


def subject_fields(finding: Finding) -> list[dict[str, str]]:
    deployment = finding.deployment
    model = (deployment.model.name if deployment is not None and deployment.model is not None
             else finding.evidence.get("model") if isinstance(finding.evidence, dict) else None)
    cluster = finding.cluster.name if finding.cluster is not None else (
        deployment.cluster_name if deployment is not None else "")
    team = finding.team.slug if finding.team is not None else "no team"
    return [_field("Subject", finding.subject or "–"), _field("Model", str(model or "–")),
            _field("Cluster", cluster or "–"), _field("Team", team)]


def evidence_fields(finding: Finding) -> list[dict[str, str]]:
    evidence = finding.evidence if isinstance(finding.evidence, dict) else {}
    rank = {key: i for i, key in enumerate(_COMMON_EVIDENCE)}
    shown = sorted(((key, value) for key, value in evidence.items()
                    if key not in _HIDDEN_EVIDENCE and value not in (None, "", [], {})),
                   key=lambda item: rank.get(item[0], -1))
    return [_field(key, _plain(_value(value), 300)) for key, value in shown[:EVIDENCE_FIELDS]]


def event_message(*, event: FindingEvent, route_name: str) -> dict[str, Any]:
    """The message for one finding event (opened, severity raised, resolved)."""
    finding = event.finding
    emoji, verb = event_headline(event)
    severity = event_severity(event)
    url = finding_url(finding.pk)
    text = f"{verb}: [{severity}] {finding.title} ({finding.rule}, {money(finding.impact_monthly)})"
    summary = (f"*{verb}* · severity *{severity}* · rule `{finding.rule}` · "
               f"impact *{money(finding.impact_monthly)}*")
    if event.kind == EventKind.RESOLVED and event.note:
        summary += f"\n{_escape(event.note)}"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _plain(f"{emoji} {finding.title}", 150),
                                    "emoji": True}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _plain(summary, 3000)}},
        {"type": "section", "fields": subject_fields(finding)},
    ]
    evidence = evidence_fields(finding)
    if evidence:
        blocks.append({"type": "section", "fields": evidence})
    context = [f"Impact: {finding.impact_basis}" if finding.impact_basis else "",
               f"Suggested action: {finding.action.get('kind')}" if isinstance(finding.action, dict)
               and finding.action.get("kind") else "",
               f"Open since {finding.opened_at:%Y-%m-%d %H:%M} UTC · route {route_name}"]
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _plain(_escape(line), 300)}
                                                   for line in context if line]})
    blocks.append({"type": "actions", "elements": [
        {"type": "button", "text": {"type": "plain_text", "text": "Open in Footprint"}, "url": url,
         "action_id": "open_finding", **({} if event.kind == EventKind.RESOLVED else {"style": "primary"})}]})
    return {"text": _plain(_escape(text), 3000), "blocks": blocks}


def digest_message(*, events: Sequence[FindingEvent], route_name: str, at: datetime) -> dict[str, Any]:
    """One message listing ``events`` (oldest first), one line each, with a total of what they cost."""
    counts = {kind: sum(1 for e in events if e.kind == kind) for kind in
              (EventKind.OPENED, EventKind.SEVERITY_CHANGED, EventKind.RESOLVED)}
    open_impact = sum((e.finding.impact_monthly or Decimal(0) for e in events if e.kind != EventKind.RESOLVED),
                      Decimal(0))
    tally = (f"{counts[EventKind.OPENED]} opened, {counts[EventKind.SEVERITY_CHANGED]} raised, "
             f"{counts[EventKind.RESOLVED]} resolved")
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "emoji": True,
                                    "text": _plain(f":clipboard: Footprint digest · {route_name} · {at:%Y-%m-%d}",
                                                   150)}},
        {"type": "section", "text": {"type": "mrkdwn",
                                     "text": f"*{tally}* · impact of the new and raised findings "
                                             f"*{money(open_impact)}*"}},
    ]
    for event in events[:DIGEST_LINES]:
        finding = event.finding
        emoji, verb = event_headline(event)
        line = (f"{emoji} *{verb}* · <{finding_url(finding.pk)}|{_escape(_plain(finding.title, 200))}>\n"
                f"`{finding.rule}` · {event_severity(event)} · {_escape(finding.subject or '–')} · "
                f"{money(finding.impact_monthly)}")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _plain(line, 3000)}})
    if len(events) > DIGEST_LINES:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text":
                       f"…and {len(events) - DIGEST_LINES} more: <{base_url()}/findings/|all findings>"}})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
                   f"Events since the last digest of route {_escape(route_name)}"}]})
    return {"text": f"Footprint digest for {route_name}: {tally}", "blocks": blocks}


def hello_message(*, route_name: str, at: datetime) -> dict[str, Any]:
    text = f"Footprint test message for route {route_name}: this channel receives its alerts."
    return {"text": text, "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": f":wave: {_escape(text)}"}},
        {"type": "context", "elements": [{"type": "mrkdwn",
                                          "text": f"Sent {at:%Y-%m-%d %H:%M} UTC from {base_url()}"}]},
    ]}
