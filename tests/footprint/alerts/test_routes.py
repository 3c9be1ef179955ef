"""Routes: the beat schedule follows them, `alerts-test` sends a test message, and the admin never shows
the webhook URL back; the delivery log is read-only."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from footprint.alerts.models import AlertDelivery, AlertRoute
from footprint.alerts.services import alert_route_create, alert_route_delete, alert_route_save
from footprint.alerts.tasks import alerts_dispatch

pytestmark = pytest.mark.django_db


def test_the_dispatch_runs_every_minute_while_an_enabled_route_exists(slack):
    assert alerts_dispatch.name == "footprint.alerts.dispatch"
    assert not PeriodicTask.objects.exists()
    route = alert_route_create(name="all", webhook_url=slack.url)
    task = PeriodicTask.objects.get()
    assert (task.task, task.interval.every, task.interval.period, task.enabled) == (
        "footprint.alerts.dispatch", 1, "minutes", True)
    route.enabled = False
    alert_route_save(route=route)
    assert not PeriodicTask.objects.exists()
    route.enabled = True
    alert_route_save(route=route)
    alert_route_delete(route=route)
    assert not PeriodicTask.objects.exists()


def test_the_task_returns_its_summary(slack):
    alert_route_create(name="all", webhook_url=slack.url)
    assert alerts_dispatch.delay().get() == {"routed": 0, "digests": 0, "sent": 0, "retrying": 0, "failed": 0,
                                             "postponed": 0}


def test_a_route_needs_a_webhook_url_and_a_valid_hour(slack):
    with pytest.raises(ValidationError) as error:
        alert_route_create(name="bad", webhook_url="hooks.slack.com/services/x")
    assert "webhook_url" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        alert_route_create(name="bad", webhook_url=slack.url, mode="digest", digest_hour=24)
    assert "digest_hour" in error.value.message_dict


def test_alerts_test_sends_a_test_message(slack, capsys):
    alert_route_create(name="search", webhook_url=slack.url)

    call_command("alerts-test", "search")

    assert "route search: test message sent (HTTP 200: ok)" in capsys.readouterr().out
    assert slack.messages[0]["text"] == "Footprint test message for route search: this channel receives its alerts."
    delivery = AlertDelivery.objects.get()
    assert (delivery.kind, delivery.status, delivery.attempts) == ("test", "sent", 1)


def test_alerts_test_reports_slacks_refusal_and_unknown_routes(slack):
    alert_route_create(name="search", webhook_url=slack.url)
    slack.answer(404, "no_service")
    with pytest.raises(CommandError, match=r"route search: test message failed \(HTTP 404\): .*no_service"):
        call_command("alerts-test", "search")
    with pytest.raises(CommandError, match=r"no alert route 'ads' \(routes: search\)"):
        call_command("alerts-test", "ads")


def test_the_admin_never_shows_the_webhook_url(admin_client, slack):
    route = alert_route_create(name="search", webhook_url=slack.url)
    url = reverse("admin:alerts_alertroute_change", args=[route.pk])

    page = admin_client.get(url).content.decode()
    assert "secretsecretsecret" not in page and 'name="webhook_url"' in page
    listing = admin_client.get(reverse("admin:alerts_alertroute_changelist")).content.decode()
    assert "search" in listing and "secretsecretsecret" not in listing

    # saving with the URL left blank keeps it; the save goes through the service (schedule kept)
    response = admin_client.post(url, {"name": "search", "enabled": "on", "team": "", "min_severity": "high",
                                       "rule_prefix": "waste.", "mode": "immediate", "digest_hour": "9",
                                       "webhook_url": ""})
    assert response.status_code == 302
    route = AlertRoute.objects.get()
    assert (route.min_severity, route.rule_prefix, route.webhook_url) == ("high", "waste.", slack.url)
    assert PeriodicTask.objects.filter(name="alerts dispatch").exists()

    add = admin_client.post(reverse("admin:alerts_alertroute_add"), {
        "name": "nourl", "enabled": "on", "min_severity": "high", "mode": "immediate", "digest_hour": "9",
        "webhook_url": ""})
    assert add.status_code == 200 and "a webhook URL is required" in add.content.decode()


def test_the_delivery_log_is_read_only_in_the_admin(admin_client, slack):
    route = alert_route_create(name="search", webhook_url=slack.url)
    call_command("alerts-test", "search")
    delivery = AlertDelivery.objects.get(route=route)

    page = admin_client.get(reverse("admin:alerts_alertdelivery_change", args=[delivery.pk]))
    listing = admin_client.get(reverse("admin:alerts_alertdelivery_changelist"))

    assert page.status_code == 200 and "secretsecretsecret" not in page.content.decode()
    assert listing.status_code == 200 and "sent" in listing.content.decode()
    assert admin_client.get(reverse("admin:alerts_alertdelivery_add")).status_code == 403
    assert admin_client.post(reverse("admin:alerts_alertdelivery_delete", args=[delivery.pk]),
                             {"post": "yes"}).status_code == 403
    assert AlertDelivery.objects.exists()
