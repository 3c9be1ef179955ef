"""What happens when Slack does not say "ok": 429 honoured with Retry-After, 5xx and refused connections
retried with backoff up to the limit, other 4xx failed with Slack's error; every attempt logged."""

from __future__ import annotations

from datetime import timedelta

import pytest

from footprint.alerts.models import AlertAttempt, AlertDelivery
from footprint.alerts.services import MAX_ATTEMPTS, alert_route_create, alerts_dispatch
from footprint.findings.engine import findings_evaluate
from footprint.findings.rules import RULES_BY_CODE
from tests.footprint.findings.conftest import NOW, spec

pytestmark = pytest.mark.django_db

NO_OWNER = [RULES_BY_CODE["orphans.no_owner"]]


def attempts(delivery):
    return list(delivery.attempt_log.values_list("number", "outcome", "http_status", "response_body"))


def test_a_429_is_retried_after_retry_after_then_sent(slack, inventory):
    alert_route_create(name="all", webhook_url=slack.url)
    inventory([spec("poc", team=None, accelerator="T4", replicas=1),
               spec("lab", team=None, accelerator="T4", replicas=1)])
    findings_evaluate(now=NOW, rules=NO_OWNER)
    slack.answer(429, "rate_limited", {"Retry-After": "120"})

    first = alerts_dispatch(now=NOW)

    # the channel is not hammered: its other message waits as long as the throttled one
    assert (first.retrying, first.sent, first.postponed) == (1, 0, 1)
    throttled, waiting = AlertDelivery.objects.get(status="retrying"), AlertDelivery.objects.get(status="pending")
    assert throttled.next_attempt_at == waiting.next_attempt_at == NOW + timedelta(seconds=120)
    assert (throttled.http_status, throttled.error, waiting.attempts) == (429, "rate limited by Slack", 0)
    assert AlertAttempt.objects.get().retry_at == NOW + timedelta(seconds=120)

    early = alerts_dispatch(now=NOW + timedelta(seconds=60))
    assert (early.sent, len(slack.received)) == (0, 1)
    later = alerts_dispatch(now=NOW + timedelta(seconds=121))
    throttled.refresh_from_db()
    assert later.sent == 2 and len(slack.received) == 3
    assert (throttled.status, throttled.attempts, throttled.http_status, throttled.error) == ("sent", 2, 200, "")
    assert throttled.sent_at == NOW + timedelta(seconds=121)
    assert attempts(throttled) == [(1, "rate_limited", 429, "rate_limited"), (2, "sent", 200, "ok")]
    assert slack.messages[0] in slack.messages[1:]   # the same message, resent


def test_a_404_fails_with_slacks_error_and_is_not_retried(slack, inventory):
    alert_route_create(name="gone", webhook_url=slack.url)
    inventory([spec("poc", team=None, accelerator="T4", replicas=1)])
    findings_evaluate(now=NOW, rules=NO_OWNER)
    slack.answer(404, "no_service")

    summary = alerts_dispatch(now=NOW)
    alerts_dispatch(now=NOW + timedelta(hours=2))

    delivery = AlertDelivery.objects.get()
    assert summary.failed == 1 and len(slack.received) == 1
    assert (delivery.status, delivery.http_status, delivery.response_body) == ("failed", 404, "no_service")
    assert delivery.error == "Slack refused the message (404): no_service"
    assert delivery.next_attempt_at is None
    assert attempts(delivery) == [(1, "rejected", 404, "no_service")]


def test_a_400_invalid_payload_fails(slack, inventory):
    alert_route_create(name="all", webhook_url=slack.url)
    inventory([spec("poc", team=None, accelerator="T4", replicas=1)])
    findings_evaluate(now=NOW, rules=NO_OWNER)
    slack.answer(400, "invalid_payload")

    alerts_dispatch(now=NOW)

    assert AlertDelivery.objects.get().error == "Slack refused the message (400): invalid_payload"


def test_a_5xx_is_retried_with_backoff(slack, inventory):
    alert_route_create(name="all", webhook_url=slack.url)
    inventory([spec("poc", team=None, accelerator="T4", replicas=1)])
    findings_evaluate(now=NOW, rules=NO_OWNER)
    slack.answer(503, "service unavailable", times=2)

    alerts_dispatch(now=NOW)
    delivery = AlertDelivery.objects.get()
    assert (delivery.status, delivery.next_attempt_at) == ("retrying", NOW + timedelta(minutes=1))
    alerts_dispatch(now=NOW + timedelta(minutes=1))
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == NOW + timedelta(minutes=3)              # 2 minutes after the second
    alerts_dispatch(now=NOW + timedelta(minutes=3))
    delivery.refresh_from_db()

    assert (delivery.status, delivery.attempts) == ("sent", 3)
    assert [a[1] for a in attempts(delivery)] == ["server_error", "server_error", "sent"]


def test_a_refused_connection_is_retried_then_given_up(dead_slack_url, inventory):
    alert_route_create(name="dead", webhook_url=dead_slack_url)
    inventory([spec("poc", team=None, accelerator="T4", replicas=1)])
    findings_evaluate(now=NOW, rules=NO_OWNER)

    at = NOW
    alerts_dispatch(now=at)
    delivery = AlertDelivery.objects.get()
    assert delivery.status == "retrying" and delivery.http_status is None
    assert "Connection refused" in delivery.error or "refused" in delivery.error.lower()
    for _ in range(MAX_ATTEMPTS + 2):
        at += timedelta(hours=2)
        alerts_dispatch(now=at)
    delivery.refresh_from_db()

    assert (delivery.status, delivery.attempts) == ("failed", MAX_ATTEMPTS)
    assert delivery.error.startswith(f"gave up after {MAX_ATTEMPTS} attempts: ")
    assert AlertAttempt.objects.filter(delivery=delivery, outcome="unreachable").count() == MAX_ATTEMPTS


def test_a_delivery_claimed_by_another_worker_is_not_sent_twice(slack, inventory):
    alert_route_create(name="all", webhook_url=slack.url)
    inventory([spec("poc", team=None, accelerator="T4", replicas=1)])
    findings_evaluate(now=NOW, rules=NO_OWNER)
    from footprint.alerts.services import LEASE, alerts_route

    alerts_route(now=NOW)
    AlertDelivery.objects.update(next_attempt_at=NOW + LEASE)   # what a worker's claim does

    assert alerts_dispatch(now=NOW + timedelta(minutes=1)).sent == 0
    # that worker died mid-send: once its lease is over the delivery is sent
    assert alerts_dispatch(now=NOW + LEASE).sent == 1
    assert len(slack.received) == 1


def test_a_pass_stops_at_its_time_budget_and_the_rest_waits(slack, inventory):
    alert_route_create(name="all", webhook_url=slack.url)
    inventory([spec("poc", team=None, accelerator="T4", replicas=1)])
    findings_evaluate(now=NOW, rules=NO_OWNER)

    spent = alerts_dispatch(now=NOW, time_budget=-1)    # e.g. after a crawl that already used its budget
    assert (spent.routed_events, spent.sent, spent.postponed, slack.received) == (1, 0, 1, [])
    assert alerts_dispatch(now=NOW).sent == 1


def test_an_unreachable_channel_is_tried_once_a_pass(dead_slack_url, inventory):
    alert_route_create(name="dead", webhook_url=dead_slack_url)
    inventory([spec("poc", team=None, accelerator="T4", replicas=1),
               spec("lab", team=None, accelerator="T4", replicas=1)])
    findings_evaluate(now=NOW, rules=NO_OWNER)

    summary = alerts_dispatch(now=NOW)

    assert (summary.retrying, summary.postponed) == (1, 1)
    assert sorted(AlertDelivery.objects.values_list("status", "attempts")) == [("pending", 0), ("retrying", 1)]
