"""``manage.py alerts-test ROUTE``: send a test message through one alert route."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from footprint.alerts.choices import DeliveryStatus
from footprint.alerts.models import AlertRoute
from footprint.alerts.services import alert_route_test


class Command(BaseCommand):
    help = "Send a test message to the Slack channel of alert route ROUTE (its name or id) and show Slack's answer."

    def add_arguments(self, parser) -> None:
        parser.add_argument("route", metavar="ROUTE")

    def handle(self, *args: Any, route: str, **options: Any) -> None:
        found = AlertRoute.objects.filter(name=route).first()
        if found is None and route.isdigit():
            found = AlertRoute.objects.filter(pk=int(route)).first()
        if found is None:
            known = ", ".join(AlertRoute.objects.values_list("name", flat=True)) or "none"
            raise CommandError(f"no alert route {route!r} (routes: {known})", returncode=2)
        delivery = alert_route_test(route=found)
        answer = f"HTTP {delivery.http_status}" if delivery.http_status else "no answer"
        if delivery.status == DeliveryStatus.SENT:
            self.stdout.write(f"route {found.name}: test message sent ({answer}: {delivery.response_body})")
            return
        if delivery.status == DeliveryStatus.RETRYING:
            raise CommandError(f"route {found.name}: not sent yet ({answer}): {delivery.error}; "
                               f"retried at {delivery.next_attempt_at:%Y-%m-%d %H:%M:%S} UTC by the dispatcher",
                               returncode=1)
        raise CommandError(f"route {found.name}: test message failed ({answer}): {delivery.error}", returncode=1)
