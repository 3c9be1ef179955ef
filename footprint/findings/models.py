"""Findings: what the rules found in the inventory (Finding), what happened to each (FindingEvent), the
thresholds users set per rule (RuleSetting) and the differences teams accept (IgnoreRule).

Findings are written by ``footprint.findings.engine.findings_evaluate`` (open, update, resolve) and by
``footprint.findings.services`` (acknowledge, snooze, accept the risk); every change leaves a FindingEvent.
One row per fingerprint: a condition that clears and comes back reopens the same row (see engine.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from fnmatch import fnmatchcase

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from footprint.findings import choices


class Finding(models.Model):
    rule = models.CharField(max_length=64, help_text="Rule code, e.g. drift.version.")
    title = models.CharField(max_length=500)
    severity = models.CharField(max_length=10, choices=choices.Severity.choices)
    fingerprint = models.CharField(max_length=64, help_text="sha256 of the rule code and the rule's subject key.")
    key = models.CharField(max_length=1000, help_text="What the fingerprint was made of (readable).")
    status = models.CharField(max_length=10, choices=choices.FindingStatus.choices,
                              default=choices.FindingStatus.OPEN)
    subject = models.CharField(max_length=1000, blank=True, default="",
                               help_text="Where: cluster/namespace/workload, a fleet group or a node.")
    deployment = models.ForeignKey("inventory.Deployment", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="findings")
    cluster = models.ForeignKey("inventory.Cluster", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="findings")
    team = models.ForeignKey("inventory.Team", on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="findings")
    evidence = models.JSONField(default=dict, blank=True)
    impact_monthly = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True,
                                         help_text="Estimated USD per month; empty when it cannot be priced.")
    impact_basis = models.TextField(blank=True, default="", help_text="How the impact was priced, or why not.")
    action = models.JSONField(default=dict, blank=True,
                              help_text='Suggested deploy action: {"kind": "scale|decommission|align-version|'
                                        'move-gpu", ...parameters}; empty when none applies.')
    first_seen = models.DateTimeField(help_text="When this fingerprint was first found (any episode).")
    opened_at = models.DateTimeField(help_text="Start of the current (or last) open episode.")
    last_seen = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.CharField(max_length=150, blank=True, default="")
    snoozed_until = models.DateTimeField(null=True, blank=True)
    risk_accepted_at = models.DateTimeField(null=True, blank=True)
    risk_accepted_by = models.CharField(max_length=150, blank=True, default="")
    risk_accepted_reason = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["status", "rule", "subject"]
        constraints = [
            models.UniqueConstraint(fields=["fingerprint"], name="findings_finding_unique_fingerprint"),
        ]
        indexes = [
            models.Index(fields=["status", "rule"], name="findings_status_rule_idx"),
            models.Index(fields=["team", "status"], name="findings_team_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status == choices.FindingStatus.OPEN

    def open_duration(self, *, now: datetime | None = None) -> timedelta:
        """How long the current episode has been (or was) open."""
        end = self.resolved_at if self.resolved_at is not None else (now or timezone.now())
        return end - self.opened_at

    @property
    def open_for(self) -> timedelta:
        return self.open_duration()

    def is_snoozed(self, *, now: datetime | None = None) -> bool:
        return self.snoozed_until is not None and self.snoozed_until > (now or timezone.now())


class FindingEvent(models.Model):
    """Append-only history of a finding: rows are inserted, never changed."""

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=choices.EventKind.choices)
    at = models.DateTimeField()
    actor = models.CharField(max_length=150, blank=True, default="", help_text="Username; empty: Footprint.")
    note = models.TextField(blank=True, default="")
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["finding_id", "at", "id"]
        indexes = [models.Index(fields=["finding", "at"], name="findings_event_finding_at_idx")]

    def __str__(self) -> str:
        return f"{self.finding_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("finding events are append-only")
        super().save(*args, **kwargs)


class RuleSetting(models.Model):
    """A user's settings for one rule: on/off, its severity and its thresholds (merged over the defaults
    documented in README)."""

    code = models.CharField(max_length=64, unique=True)
    enabled = models.BooleanField(default=True)
    severity = models.CharField(max_length=10, choices=choices.Severity.choices, blank=True, default="",
                                help_text="Empty: the rule's default severity.")
    params = models.JSONField(default=dict, blank=True,
                              help_text="Overrides of the rule's parameters; unknown keys are refused.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        from footprint.findings.rules import RULES_BY_CODE

        rule = RULES_BY_CODE.get(self.code)
        if rule is None:
            raise ValidationError({"code": f"unknown rule {self.code!r}; known: {', '.join(sorted(RULES_BY_CODE))}"})
        if not isinstance(self.params, dict):
            raise ValidationError({"params": "a JSON object of parameter → value"})
        unknown = sorted(set(self.params) - set(rule.params))
        if unknown:
            raise ValidationError({"params": f"unknown parameter(s) {', '.join(unknown)} for {self.code}; "
                                             f"known: {', '.join(sorted(rule.params)) or 'none'}"})
        errors = rule.params_errors(self.params)
        if errors:
            raise ValidationError({"params": "; ".join(errors)})


class IgnoreRule(models.Model):
    """A difference a team accepts, like Argo CD's ignoreDifferences: what it matches produces no finding.

    ``rule`` is a rule code (``drift.accelerator``), a prefix (``drift`` or ``drift.*``: every drift rule) or
    ``*``. The optional patterns narrow it to deployments: ``model``, ``cluster`` and ``namespace`` are shell
    globs, ``team`` a team slug, ``environment`` exact; an empty pattern matches anything, a set pattern never
    matches a finding that has no such value (a GPU node has no model). ``fields`` (drift rules only) ignores
    only those differences: the deployment is left out of the comparison of those fields and still compared
    on the others. Empty ``fields``: the whole finding is ignored. Past ``expires_at`` the rule stops
    applying and the finding comes back at the next evaluation (reopening the same row).
    """

    rule = models.CharField(max_length=64, help_text="Rule code, a prefix (drift or drift.*) or *.")
    model = models.CharField(max_length=512, blank=True, default="", help_text="Glob on the model name.")
    team = models.CharField(max_length=100, blank=True, default="", help_text="Team slug.")
    cluster = models.CharField(max_length=253, blank=True, default="", help_text="Glob on the cluster name.")
    namespace = models.CharField(max_length=253, blank=True, default="", help_text="Glob on the namespace.")
    environment = models.CharField(max_length=16, blank=True, default="", help_text="prod, staging, dev or test.")
    fields = models.JSONField(default=list, blank=True,
                              help_text='Drift rules only: the differences to ignore, e.g. ["maxModelLen"]; '
                                        "empty: the whole finding.")
    reason = models.TextField(help_text="Why this difference is accepted.")
    created_by = models.CharField(max_length=150, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: never.")

    class Meta:
        ordering = ["rule", "id"]

    def __str__(self) -> str:
        narrowed = " ".join(f"{name}={getattr(self, name)}" for name in self.PATTERNS if getattr(self, name))
        fields = f" fields={','.join(self.fields)}" if self.fields else ""
        return f"ignore {self.rule}{' ' + narrowed if narrowed else ''}{fields}"

    PATTERNS = ("model", "team", "cluster", "namespace", "environment")
    _GLOBS = ("model", "cluster", "namespace")

    def is_active(self, *, now: datetime) -> bool:
        return self.expires_at is None or self.expires_at > now

    def covers_rule(self, code: str) -> bool:
        pattern = self.rule.strip()
        if pattern in ("", "*") or fnmatchcase(code, pattern):
            return True
        prefix = pattern.rstrip("*").rstrip(".")
        return code == prefix or code.startswith(prefix + ".")

    def matches(self, *, code: str, facts: dict[str, str | None], field: str | None = None) -> bool:
        """Does this rule ignore ``code``'s finding about ``facts`` (model, team, cluster, namespace,
        environment) — or, with ``field``, that one difference?"""
        if not self.covers_rule(code):
            return False
        if field is None and self.fields:
            return False   # it ignores some differences only, not the whole finding
        if field is not None and self.fields and field not in self.fields:
            return False
        for name in self.PATTERNS:
            pattern = getattr(self, name)
            if not pattern:
                continue
            value = facts.get(name)
            if not value:
                return False
            if not (fnmatchcase(value, pattern) if name in self._GLOBS else value == pattern):
                return False
        return True

    def clean(self) -> None:
        from footprint.findings.rules import RULES_BY_CODE

        covered = [rule for code, rule in RULES_BY_CODE.items() if self.covers_rule(code)]
        if not covered:
            raise ValidationError({"rule": f"{self.rule!r} matches no rule; known: {', '.join(sorted(RULES_BY_CODE))}"})
        if not isinstance(self.fields, list) or not all(isinstance(f, str) for f in self.fields):
            raise ValidationError({"fields": 'a JSON list of field names, e.g. ["maxModelLen"]'})
        known = {f for rule in covered for f in rule.ignorable_fields}
        unknown = sorted(set(self.fields) - known)
        if unknown:
            raise ValidationError({"fields": f"unknown field(s) {', '.join(unknown)} for {self.rule}; "
                                             f"known: {', '.join(sorted(known)) or 'none (not a drift rule)'}"})
        if not self.reason.strip():
            raise ValidationError({"reason": "say why this difference is accepted"})
