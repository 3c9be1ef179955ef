"""Daily digest routes: events queue up and go out as one message a day, at the route's hour (UTC)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from footprint.alerts.models import AlertDelivery, AlertRoute
from footprint.alerts.selectors import deliveries_of_finding
from footprint.alerts.services import alert_route_create, alerts_dispatch, digest_due_at
from footprint.findings.engine import findings_evaluate
from footprint.findings.models import Finding
from footprint.findings.rules import RULES_BY_CODE
from tests.footprint.alerts.helpers import blocks_of, header_of
from tests.footprint.findings.conftest import NOW, spec

pytestmark = pytest.mark.django_db

NO_OWNER = [RULES_BY_CODE["orphans.no_owner"]]
NEXT_MORNING = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)    # NOW is 2026-11-20 12:00 UTC


def test_the_digest_is_due_at_the_next_digest_hour():
    route = AlertRoute(digest_hour=9)
    assert digest_due_at(route=route, since=NOW) == NEXT_MORNING
    assert digest_due_at(route=route, since=datetime(2026, 11, 20, 8, 59, tzinfo=UTC)) == datetime(
        2026, 11, 20, 9, 0, tzinfo=UTC)
    route.last_digest_at = NEXT_MORNING
    assert digest_due_at(route=route, since=NOW) == NEXT_MORNING + timedelta(days=1)


def test_a_digest_route_sends_one_message_a_day_listing_the_events(inventory, slack):
    alert_route_create(name="daily", webhook_url=slack.url, min_severity="low", mode="digest", digest_hour=9)
    inventory([spec("poc", team=None, accelerator="T4", replicas=1),
               spec("lab", team=None, accelerator="T4", replicas=2)])
    findings_evaluate(now=NOW, rules=NO_OWNER)
    inventory([spec("poc", team=None, accelerator="T4", replicas=1),
               spec("lab", team="search", accelerator="T4", replicas=2)], at=NOW + timedelta(hours=2))
    findings_evaluate(now=NOW + timedelta(hours=2), rules=NO_OWNER)     # lab resolves

    during_the_day = alerts_dispatch(now=NOW + timedelta(hours=3))
    assert (during_the_day.queued, during_the_day.sent, slack.received) == (3, 0, [])
    assert set(AlertDelivery.objects.values_list("status", flat=True)) == {"queued"}

    morning = alerts_dispatch(now=NEXT_MORNING)

    assert (morning.digests, morning.sent, len(slack.received)) == (1, 1, 1)
    message = slack.messages[0]
    assert header_of(message) == ":clipboard: Footprint digest · daily · 2026-11-21"
    assert message["text"] == "Footprint digest for daily: 2 opened, 0 raised, 1 resolved"
    sections = [b["text"]["text"] for b in blocks_of(message, "section")]
    assert "impact of the new and raised findings *$1,151.94/month*" in sections[0]   # 383.98 + 767.96
    lines = sections[1:]
    poc, lab = Finding.objects.get(subject="prod-a/llm/poc"), Finding.objects.get(subject="prod-a/llm/lab")
    assert len(lines) == 3
    assert lines[0].startswith(":large_orange_circle: *Opened* · <http://127.0.0.1:8000/findings/")
    assert {f"/findings/{poc.pk}/|" in line for line in lines[:2]} == {True, False}
    assert lines[2].startswith(f":white_check_mark: *Resolved* · <http://127.0.0.1:8000/findings/{lab.pk}/|")
    digest = AlertDelivery.objects.get(kind="digest")
    assert (digest.status, digest.items.count()) == ("sent", 3)
    assert set(digest.items.values_list("status", flat=True)) == {"digested"}
    assert AlertRoute.objects.get().last_digest_at == NEXT_MORNING
    assert list(deliveries_of_finding(finding_id=poc.pk)) == [digest]

    # nothing new: no digest the day after; a new event waits for the following morning
    assert alerts_dispatch(now=NEXT_MORNING + timedelta(days=1)).digests == 0
    inventory([spec("poc", team="search", accelerator="T4", replicas=1),
               spec("lab", team="search", accelerator="T4", replicas=2)], at=NEXT_MORNING + timedelta(hours=1))
    findings_evaluate(now=NEXT_MORNING + timedelta(hours=1), rules=NO_OWNER)
    assert alerts_dispatch(now=NEXT_MORNING + timedelta(hours=2)).sent == 0
    assert alerts_dispatch(now=NEXT_MORNING + timedelta(days=1)).sent == 1
    assert slack.messages[1]["text"] == "Footprint digest for daily: 0 opened, 0 raised, 1 resolved"


def test_the_digest_command_sends_queued_events_now(inventory, slack, capsys):
    alert_route_create(name="daily", webhook_url=slack.url, min_severity="low", mode="digest", digest_hour=9)
    inventory([spec("poc", team=None, accelerator="T4", replicas=1)])
    findings_evaluate(rules=NO_OWNER)

    call_command("alerts-dispatch")
    assert slack.received == []
    call_command("alerts-dispatch", "--digest")

    assert len(slack.received) == 1
    assert "1 digest(s) built; 1 sent" in capsys.readouterr().out
