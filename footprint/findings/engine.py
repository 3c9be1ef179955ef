"""findings_evaluate: run every enabled rule over the current inventory and bring the findings in step.

- One evaluation loads the inventory once (context.py) and the findings once, then writes in bulk: a
  constant number of queries whatever the number of deployments or findings.
- A finding is identified by its fingerprint, sha256(rule code + the observation's key). It opens once,
  is updated while the condition holds (an ``updated`` event only when its title, evidence, impact or
  action changed; ``severity_changed`` when the severity did), and resolves when the condition clears
  (a ``resolved`` event with how long it was open). Snoozed or accepted findings resolve the same way.
- Reopening: the fingerprint is unique, so a condition that comes back reopens the same row: status open,
  ``opened_at`` now (``first_seen`` keeps the first time ever), and a new ``opened`` event noting the
  reopening. The acknowledgement, snooze and risk acceptance of the earlier episode are cleared: a
  recurrence is news. The history of both episodes stays in the events.
- Ignore rules (IgnoreRule): an observation an active ignore rule covers is dropped, so its open finding
  resolves (noting the ignore rule and its reason); rules that compare fields apply field-level ignores
  themselves (context.ignored).
- A rule that raises is logged and skipped: its findings are left as they were (neither updated nor
  resolved). A disabled rule's open findings resolve ("rule disabled").
- Two evaluations racing (crawls of two sources finishing together) can collide on a new fingerprint;
  the loser retries once on the state the winner wrote.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone

from footprint.findings.choices import EventKind, FindingStatus
from footprint.findings.context import RuleConfig, context_build
from footprint.findings.models import Finding, FindingEvent, RuleSetting
from footprint.findings.rules import RULES, Observation, Rule
from footprint.inventory.choices import CrawlStatus

logger = logging.getLogger("footprint.findings")

BATCH = 500
_COMPARED = ("title", "subject", "evidence", "impact_monthly", "impact_basis", "action", "deployment_id",
             "cluster_id", "team_id")


@dataclass
class EvaluationSummary:
    at: datetime
    rules_run: list[str] = field(default_factory=list)
    rules_failed: list[str] = field(default_factory=list)
    rules_disabled: list[str] = field(default_factory=list)
    opened: int = 0
    reopened: int = 0
    updated: int = 0
    unchanged: int = 0
    resolved: int = 0
    ignored: int = 0
    open_total: int = 0

    def __str__(self) -> str:
        failed = f", rules failed: {', '.join(self.rules_failed)}" if self.rules_failed else ""
        ignored = f", {self.ignored} ignored by ignore rules" if self.ignored else ""
        return (f"{self.opened} opened ({self.reopened} reopened), {self.updated} updated, {self.unchanged} "
                f"unchanged, {self.resolved} resolved; {self.open_total} open{ignored}{failed}")


def fingerprint_of(*, rule: str, key: str) -> str:
    return hashlib.sha256(f"{rule}\n{key}".encode()).hexdigest()


def findings_evaluate(*, now: datetime | None = None, rules: list[Rule] | None = None) -> EvaluationSummary:
    """Evaluate ``rules`` (default: every registered rule) and upsert their findings; return the summary."""
    now = now or timezone.now()
    try:
        return _evaluate(now=now, rules=rules if rules is not None else RULES)
    except IntegrityError:
        logger.info("findings.evaluate_retry reason=concurrent_evaluation")
        return _evaluate(now=now, rules=rules if rules is not None else RULES)


def findings_evaluate_after_crawl(*, run) -> EvaluationSummary | None:
    """Called at the end of a crawl: evaluate unless the reconcile failed (nothing new to judge)."""
    if run.status == CrawlStatus.FAILED:
        return None
    summary = findings_evaluate()
    logger.info("findings.evaluated after_run=%s %s", run.pk, summary)
    return summary


def _evaluate(*, now: datetime, rules: list[Rule]) -> EvaluationSummary:
    summary = EvaluationSummary(at=now)
    configs = {s.code: RuleConfig(enabled=s.enabled, severity=s.severity, params=s.params or {})
               for s in RuleSetting.objects.all()}
    active = [r for r in rules if configs.get(r.code, RuleConfig()).enabled]
    summary.rules_disabled = [r.code for r in rules if r not in active]
    context = context_build(now=now, settings=configs)
    observed: dict[str, tuple[Rule, Observation, str]] = {}
    ignored: dict[str, Any] = {}
    by_pk = {d.row.pk: d for d in [*context.deployments, *(x.declared for x in context.declarations)]}
    for rule in active:
        try:
            observations = rule.evaluate(context)
        except Exception:  # noqa: BLE001 - one broken rule must not stop the others
            logger.exception("findings.rule_failed rule=%s", rule.code)
            summary.rules_failed.append(rule.code)
            continue
        summary.rules_run.append(rule.code)
        severity_default = configs.get(rule.code, RuleConfig()).severity or rule.severity
        for observation in observations:
            fp = fingerprint_of(rule=rule.code, key=observation.key)
            deployed = by_pk.get(observation.deployment_id) if observation.facts is None else None
            ignore = context.ignored(rule.code, deployed=deployed, facts=observation.facts)
            if ignore is not None:
                ignored[fp] = ignore
                summary.ignored += 1
                continue
            observed[fp] = (rule, observation, observation.severity or severity_default)

    judged = set(summary.rules_run) | set(summary.rules_disabled)
    with transaction.atomic():
        existing = {f.fingerprint: f for f in Finding.objects.filter(rule__in=[r.code for r in rules])}
        created: list[Finding] = []
        changed: list[Finding] = []
        events: list[FindingEvent] = []
        for fp, (rule, observation, severity) in observed.items():
            values = _values(observation)
            finding = existing.get(fp)
            if finding is None:
                finding = Finding(rule=rule.code, fingerprint=fp, key=observation.key[:1000], severity=severity,
                                  status=FindingStatus.OPEN, first_seen=now, opened_at=now, last_seen=now, **values)
                created.append(finding)
                events.append(FindingEvent(finding=finding, kind=EventKind.OPENED, at=now,
                                           data={"severity": severity, "impactMonthly": _plain(values["impact_monthly"])}))
                summary.opened += 1
                continue
            finding.last_seen = now
            changed.append(finding)
            if finding.status == FindingStatus.RESOLVED:
                previous = finding.resolved_at
                _assign(finding, values)
                finding.severity = severity
                finding.status, finding.opened_at, finding.resolved_at = FindingStatus.OPEN, now, None
                finding.acknowledged_at, finding.acknowledged_by, finding.snoozed_until = None, "", None
                finding.risk_accepted_at, finding.risk_accepted_by, finding.risk_accepted_reason = None, "", ""
                events.append(FindingEvent(finding=finding, kind=EventKind.OPENED, at=now,
                                           note=f"reopened (resolved {previous:%Y-%m-%d %H:%M} UTC)",
                                           data={"severity": severity, "impactMonthly": _plain(values["impact_monthly"])}))
                summary.opened += 1
                summary.reopened += 1
                continue
            differences = {name: [_plain(getattr(finding, name)), _plain(values[name])] for name in _COMPARED
                           if _plain(getattr(finding, name)) != _plain(values[name])}
            if severity != finding.severity:
                events.append(FindingEvent(finding=finding, kind=EventKind.SEVERITY_CHANGED, at=now,
                                           note=f"{finding.severity} → {severity}",
                                           data={"from": finding.severity, "to": severity}))
                finding.severity = severity
            if differences:
                _assign(finding, values)
                events.append(FindingEvent(finding=finding, kind=EventKind.UPDATED, at=now,
                                           note="changed: " + ", ".join(sorted(differences)),
                                           data={k: v for k, v in differences.items() if k != "evidence"}))
                summary.updated += 1
            else:
                summary.unchanged += 1
        for fp, finding in existing.items():
            if fp in observed or finding.status != FindingStatus.OPEN or finding.rule not in judged:
                continue
            finding.status, finding.resolved_at = FindingStatus.RESOLVED, now
            duration = finding.open_duration()
            note = "rule disabled" if finding.rule in summary.rules_disabled else "condition cleared"
            if fp in ignored:
                note = f"ignored by ignore rule #{ignored[fp].pk} ({ignored[fp].reason})"
            events.append(FindingEvent(finding=finding, kind=EventKind.RESOLVED, at=now,
                                       note=f"{note}; open for {_human(duration)}",
                                       data={"openSeconds": int(duration.total_seconds()),
                                             **({"ignoreRule": ignored[fp].pk} if fp in ignored else {})}))
            changed.append(finding)
            summary.resolved += 1
        Finding.objects.bulk_create(created, batch_size=BATCH)
        Finding.objects.bulk_update(changed, [*_COMPARED, "severity", "status", "opened_at", "last_seen",
                                              "resolved_at", "acknowledged_at", "acknowledged_by", "snoozed_until",
                                              "risk_accepted_at", "risk_accepted_by", "risk_accepted_reason"],
                                    batch_size=BATCH)
        for event in events:
            event.finding_id = event.finding.pk
        FindingEvent.objects.bulk_create(events, batch_size=BATCH)
    summary.open_total = sum(1 for f in [*existing.values(), *created] if f.status == FindingStatus.OPEN)
    logger.info("findings.evaluated rules=%d failed=%d opened=%d reopened=%d updated=%d resolved=%d open=%d",
                len(summary.rules_run), len(summary.rules_failed), summary.opened, summary.reopened,
                summary.updated, summary.resolved, summary.open_total)
    return summary


def _values(observation: Observation) -> dict[str, Any]:
    impact = observation.impact_monthly
    return {
        "title": observation.title[:500], "subject": observation.subject[:1000],
        "evidence": _plain(observation.evidence), "impact_basis": observation.impact_basis,
        "impact_monthly": None if impact is None else Decimal(impact).quantize(Decimal("0.01")),
        "action": _plain(observation.action), "deployment_id": observation.deployment_id,
        "cluster_id": observation.cluster_id, "team_id": observation.team_id,
    }


def _assign(finding: Finding, values: dict[str, Any]) -> None:
    for name, value in values.items():
        setattr(finding, name, value)


def _plain(value: Any) -> Any:
    """JSON-ready (as stored and read back), so stored and fresh values compare equal."""
    import json

    if isinstance(value, Decimal):
        return str(value.quantize(Decimal("0.01")))
    if isinstance(value, dict | list):
        return json.loads(json.dumps(value, cls=DjangoJSONEncoder))
    return value


def _human(duration) -> str:
    seconds = int(duration.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    return f"{days}d {hours}h {minutes}m" if days else f"{hours}h {minutes}m"
