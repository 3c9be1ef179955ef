"""`manage.py findings [--format table|json] [--evaluate] [--rule CODE] [--team SLUG]`: the open findings."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from footprint.findings.engine import findings_evaluate
from footprint.findings.selectors import findings_open


class Command(BaseCommand):
    help = "Print the open findings (evaluate the rules first with --evaluate)."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=("table", "json"), default="table")
        parser.add_argument("--evaluate", action="store_true", help="Run every rule over the inventory first.")
        parser.add_argument("--rule", help="Only this rule code.")
        parser.add_argument("--team", help="Only findings of this team (slug).")

    def handle(self, *args, format, evaluate, rule, team, **options):
        if evaluate:
            summary = findings_evaluate()
            self.stderr.write(f"evaluated: {summary}")
        rows = list(findings_open(rule=rule, team=team))
        now = timezone.now()
        if format == "json":
            items = [{
                "id": f.pk, "rule": f.rule, "title": f.title, "severity": f.severity, "status": f.status,
                "subject": f.subject, "fingerprint": f.fingerprint, "deployment": f.deployment_id,
                "cluster": f.cluster.name if f.cluster else None, "team": f.team.slug if f.team else None,
                "impactMonthly": f.impact_monthly, "impactBasis": f.impact_basis, "action": f.action,
                "evidence": f.evidence, "firstSeen": f.first_seen, "openedAt": f.opened_at,
                "lastSeen": f.last_seen, "openSeconds": int(f.open_duration(now=now).total_seconds()),
                "acknowledgedBy": f.acknowledged_by or None, "snoozedUntil": f.snoozed_until,
                "riskAcceptedBy": f.risk_accepted_by or None, "riskAcceptedReason": f.risk_accepted_reason or None,
            } for f in rows]
            self.stdout.write(json.dumps({"kind": "FindingList", "items": items}, cls=DjangoJSONEncoder, indent=2))
            return
        if not rows:
            self.stdout.write("no open findings")
            return
        header = ("SEVERITY", "RULE", "SUBJECT", "$/MONTH", "TITLE")
        table = [header] + [(f.severity, f.rule, f.subject,
                             "?" if f.impact_monthly is None else f"{f.impact_monthly:,.2f}", f.title) for f in rows]
        widths = [min(max(len(r[i]) for r in table), 60) for i in range(4)]
        for row in table:
            self.stdout.write("  ".join(c[:w].ljust(w) for c, w in zip(row[:4], widths, strict=True)) + "  " + row[4])
        self.stdout.write(f"{len(rows)} open")
