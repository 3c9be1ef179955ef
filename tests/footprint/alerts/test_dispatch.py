"""Slack alerts driven through the real findings engine: one message on open, on a severity raise and on
resolve, nothing for an unchanged finding; routes matched by team, severity and rule; what Slack receives."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection

from footprint.alerts import messages
from footprint.alerts.models import AlertAttempt, AlertDelivery, AlertEventMark, AlertRoute
from footprint.alerts.services import alert_route_create, alert_route_save, alerts_dispatch, alerts_route
from footprint.findings.engine import findings_evaluate
from footprint.findings.models import Finding, FindingEvent, RuleSetting
from footprint.findings.rules import RULES_BY_CODE
from footprint.findings.services import finding_accept_risk, finding_snooze
from footprint.inventory.models import Team
from tests.footprint.alerts.helpers import blocks_of, button_url, fields_of, header_of
from tests.footprint.findings.conftest import NOW, spec

pytestmark = pytest.mark.django_db

LATER = NOW + timedelta(hours=1)
NO_OWNER = [RULES_BY_CODE["orphans.no_owner"]]
RULES = [RULES_BY_CODE["orphans.no_owner"], RULES_BY_CODE["orphans.old_canary"]]


def orphan(inventory, *, at=NOW, replicas=1, team=None):
    inventory([spec("poc", team=team, accelerator="T4", replicas=replicas)], at=at)


def test_an_opened_finding_sends_one_message_with_the_finding(inventory, slack, settings):
    settings.BASE_URL = "https://footprint.example.com/"
    route = alert_route_create(name="all", webhook_url=slack.url, min_severity="low")
    orphan(inventory)
    findings_evaluate(now=NOW, rules=NO_OWNER)

    summary = alerts_dispatch(now=NOW)

    finding = Finding.objects.get()
    assert (summary.routed_events, summary.sent) == (1, 1)
    assert len(slack.received) == 1 and slack.received[0].path == "/services/T0001/B0001/secretsecretsecret"
    message = slack.messages[0]
    assert message["text"].startswith(f"Opened: [medium] {finding.title}")
    assert header_of(message) == f":large_orange_circle: {finding.title}"
    summary_text = blocks_of(message, "section")[0]["text"]["text"]
    assert "*Opened*" in summary_text and "`orphans.no_owner`" in summary_text
    assert "severity *medium*" in summary_text and "$383.98/month" in summary_text
    fields = fields_of(message)
    assert fields["Subject"] == "prod-a/llm/poc"
    assert fields["Model"] == "meta-llama/Llama-3.1-8B-Instruct"
    assert (fields["Cluster"], fields["Team"]) == ("prod-a", "no team")
    assert fields["accelerator"] == "T4" and fields["engine"] == "vllm"   # key evidence
    assert fields["replicas"] == "desired 1, ready 1"
    assert button_url(message) == f"https://footprint.example.com/findings/{finding.pk}/"
    delivery = AlertDelivery.objects.get()
    assert (delivery.route, delivery.finding, delivery.event_kind, delivery.status) == (route, finding, "opened", "sent")
    assert (delivery.attempts, delivery.http_status, delivery.response_body, delivery.sent_at) == (1, 200, "ok", NOW)
    assert delivery.message == message
    assert list(AlertAttempt.objects.values_list("number", "outcome", "http_status")) == [(1, "sent", 200)]


def test_an_unchanged_or_updated_open_finding_sends_nothing_again(inventory, slack):
    alert_route_create(name="all", webhook_url=slack.url, min_severity="low")
    orphan(inventory)
    findings_evaluate(now=NOW, rules=NO_OWNER)
    alerts_dispatch(now=NOW)

    findings_evaluate(now=LATER, rules=NO_OWNER)                     # unchanged
    orphan(inventory, at=LATER + timedelta(hours=1), replicas=2)      # an `updated` event: not news
    findings_evaluate(now=LATER + timedelta(hours=1), rules=NO_OWNER)
    summary = alerts_dispatch(now=LATER + timedelta(hours=1))
    alerts_dispatch(now=LATER + timedelta(hours=2))

    assert FindingEvent.objects.filter(kind="updated").count() == 1
    assert (summary.sent, len(slack.received), AlertDelivery.objects.count()) == (0, 1, 1)


def test_a_severity_raise_sends_one_message_and_a_lowering_none(inventory, slack):
    alert_route_create(name="all", webhook_url=slack.url, min_severity="low")
    orphan(inventory)
    findings_evaluate(now=NOW, rules=NO_OWNER)
    alerts_dispatch(now=NOW)

    RuleSetting.objects.create(code="orphans.no_owner", severity="critical")
    findings_evaluate(now=LATER, rules=NO_OWNER)
    alerts_dispatch(now=LATER)
    RuleSetting.objects.filter(code="orphans.no_owner").update(severity="low")
    findings_evaluate(now=LATER + timedelta(hours=1), rules=NO_OWNER)
    alerts_dispatch(now=LATER + timedelta(hours=1))

    assert len(slack.received) == 2
    raised = slack.messages[1]
    assert header_of(raised).startswith(":rotating_light: ")
    assert "*Severity raised medium → critical*" in blocks_of(raised, "section")[0]["text"]["text"]
    assert raised["text"].startswith("Severity raised medium → critical: [critical]")
    assert list(AlertDelivery.objects.order_by("id").values_list("event_kind", "severity")) == [
        ("opened", "medium"), ("severity_changed", "critical")]


def test_a_resolved_finding_sends_one_message(inventory, slack):
    alert_route_create(name="all", webhook_url=slack.url, min_severity="low")
    orphan(inventory)
    findings_evaluate(now=NOW, rules=NO_OWNER)
    alerts_dispatch(now=NOW)

    orphan(inventory, at=LATER, team="search")
    findings_evaluate(now=LATER, rules=NO_OWNER)
    alerts_dispatch(now=LATER)
    findings_evaluate(now=LATER + timedelta(hours=1), rules=NO_OWNER)
    alerts_dispatch(now=LATER + timedelta(hours=1))

    assert len(slack.received) == 2
    resolved = slack.messages[1]
    assert header_of(resolved).startswith(":white_check_mark: ")
    text = blocks_of(resolved, "section")[0]["text"]["text"]
    assert "*Resolved*" in text and "condition cleared; open for 1h 0m" in text
    assert "style" not in blocks_of(resolved, "actions")[0]["elements"][0]


def test_a_reopened_finding_is_announced_as_reopened(inventory, slack):
    alert_route_create(name="all", webhook_url=slack.url, min_severity="low")
    orphan(inventory)
    findings_evaluate(now=NOW, rules=NO_OWNER)
    orphan(inventory, at=LATER, team="search")
    findings_evaluate(now=LATER, rules=NO_OWNER)
    orphan(inventory, at=LATER + timedelta(hours=1))
    findings_evaluate(now=LATER + timedelta(hours=1), rules=NO_OWNER)

    alerts_dispatch(now=LATER + timedelta(hours=1))

    assert [m["text"].split(":")[0] for m in slack.messages] == ["Opened", "Resolved", "Reopened"]


def test_routes_match_on_team_severity_and_rule_prefix(inventory, slack):
    search = Team.objects.create(slug="search", name="Search")
    ads = Team.objects.create(slug="ads", name="Ads")
    routes = {
        "search-low": alert_route_create(name="search-low", webhook_url=slack.url, team=search, min_severity="low"),
        "ads-low": alert_route_create(name="ads-low", webhook_url=slack.url, team=ads, min_severity="low"),
        "any-medium": alert_route_create(name="any-medium", webhook_url=slack.url, min_severity="medium"),
        "any-high": alert_route_create(name="any-high", webhook_url=slack.url, min_severity="high"),
        "canaries": alert_route_create(name="canaries", webhook_url=slack.url, min_severity="info",
                                       rule_prefix="orphans.old_"),
        "off": alert_route_create(name="off", webhook_url=slack.url, min_severity="info", enabled=False),
    }
    inventory([spec("poc", team=None, accelerator="T4", replicas=1),                              # medium, no team
               spec("chat-canary", team="search", variant="canary", created=NOW - timedelta(days=30))])  # low, search
    findings_evaluate(now=NOW, rules=RULES)

    alerts_dispatch(now=NOW)

    got = {(d.route.name, d.finding.rule) for d in AlertDelivery.objects.select_related("route", "finding")}
    assert got == {("search-low", "orphans.old_canary"), ("any-medium", "orphans.no_owner"),
                   ("canaries", "orphans.old_canary")}
    assert len(slack.received) == 3
    assert not routes["off"].deliveries.exists() and not routes["any-high"].deliveries.exists()


def test_a_new_route_does_not_replay_earlier_events(inventory, slack):
    orphan(inventory)
    findings_evaluate(now=NOW, rules=NO_OWNER)
    alert_route_create(name="late", webhook_url=slack.url, min_severity="low")

    assert alerts_dispatch(now=LATER).sent == 0
    assert slack.received == []
    # nor does its resolve: the route never announced the finding
    orphan(inventory, at=LATER, team="search")
    findings_evaluate(now=LATER, rules=NO_OWNER)
    assert alerts_dispatch(now=LATER).sent == 0


def test_a_resolve_goes_only_to_routes_that_announced_the_finding(inventory, slack):
    alert_route_create(name="high", webhook_url=slack.url, min_severity="high")
    orphan(inventory)
    findings_evaluate(now=NOW, rules=NO_OWNER)                      # medium: below the route
    orphan(inventory, at=LATER, team="search")
    findings_evaluate(now=LATER, rules=NO_OWNER)

    assert alerts_dispatch(now=LATER).sent == 0
    assert slack.received == []


def test_snoozed_or_accepted_findings_are_not_alerted_but_their_resolve_is(inventory, slack):
    alert_route_create(name="all", webhook_url=slack.url, min_severity="low")
    orphan(inventory)
    findings_evaluate(now=NOW, rules=NO_OWNER)
    alerts_dispatch(now=NOW)
    finding = Finding.objects.get()
    finding_snooze(finding=finding, user="ana", until=NOW + timedelta(days=7), now=NOW)

    RuleSetting.objects.create(code="orphans.no_owner", severity="high")
    findings_evaluate(now=LATER, rules=NO_OWNER)
    alerts_dispatch(now=LATER)
    skipped = AlertDelivery.objects.get(event_kind="severity_changed")
    assert (skipped.status, skipped.attempts) == ("skipped", 0)
    assert skipped.error.startswith("snoozed until")

    orphan(inventory, at=LATER + timedelta(hours=1), team="search")
    findings_evaluate(now=LATER + timedelta(hours=1), rules=NO_OWNER)
    alerts_dispatch(now=LATER + timedelta(hours=1))
    assert [m["text"].split(":")[0] for m in slack.messages] == ["Opened", "Resolved"]


def test_a_risk_accepted_finding_is_not_alerted(inventory, slack):
    alert_route_create(name="all", webhook_url=slack.url, min_severity="low")
    orphan(inventory)
    findings_evaluate(now=NOW, rules=NO_OWNER)
    finding_accept_risk(finding=Finding.objects.get(), user="ana", reason="lab box", now=NOW)

    alerts_dispatch(now=NOW)

    assert slack.received == []
    assert AlertDelivery.objects.get().error == "risk accepted by ana: lab box"


def test_the_webhook_url_is_encrypted_at_rest(slack):
    route = alert_route_create(name="all", webhook_url=slack.url)
    with connection.cursor() as cursor:
        cursor.execute("SELECT webhook_url FROM alerts_alertroute WHERE id = %s", [route.pk])
        raw = cursor.fetchone()[0]
    assert raw != slack.url and "secretsecretsecret" not in raw and raw.startswith("gAAAA")
    assert AlertRoute.objects.get().webhook_url == slack.url


def test_an_event_is_routed_once_and_not_lost_when_routing_dies(inventory, slack, monkeypatch):
    alert_route_create(name="all", webhook_url=slack.url, min_severity="low")
    orphan(inventory)
    findings_evaluate(now=NOW, rules=NO_OWNER)

    def crash(**kwargs):
        raise RuntimeError("worker killed")

    with monkeypatch.context() as patched:   # the process dies while routing: nothing half-written
        patched.setattr(messages, "event_message", crash)
        with pytest.raises(RuntimeError):
            alerts_route(now=NOW)
    assert not AlertDelivery.objects.exists() and not AlertEventMark.objects.exists()

    alerts_route(now=NOW)
    alerts_route(now=NOW)
    alerts_dispatch(now=NOW)

    assert AlertDelivery.objects.count() == 1 and len(slack.received) == 1
    assert AlertEventMark.objects.filter(event=FindingEvent.objects.get()).exists()


def test_a_route_switched_back_on_does_not_replay_what_happened_while_it_was_off(inventory, slack):
    route = alert_route_create(name="all", webhook_url=slack.url, min_severity="low", enabled=False)
    orphan(inventory)
    findings_evaluate(now=NOW, rules=NO_OWNER)
    alerts_dispatch(now=NOW)
    route.enabled = True
    alert_route_save(route=route)

    assert alerts_dispatch(now=LATER).sent == 0 and slack.received == []


def test_a_delivery_waiting_when_its_route_is_switched_off_is_not_sent_when_it_comes_back(inventory, slack):
    route = alert_route_create(name="all", webhook_url=slack.url, min_severity="low")
    orphan(inventory)
    findings_evaluate(now=NOW, rules=NO_OWNER)
    slack.answer(503, "service unavailable", times=5)
    alerts_dispatch(now=NOW)                      # tried once, will be retried
    received = len(slack.received)
    route.enabled = False
    alert_route_save(route=route)
    route.enabled = True
    alert_route_save(route=route)
    assert alerts_dispatch(now=LATER).sent == 0 and len(slack.received) == received
    assert route.deliveries.get().status == "skipped"
