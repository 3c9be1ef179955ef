"""``manage.py alerts-dispatch [--digest]``: route new finding events to Slack and send what is due."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from footprint.alerts.services import alerts_dispatch


class Command(BaseCommand):
    help = ("Route the finding events not yet routed to the matching alert routes, build the daily digests "
            "whose hour has come, and send every due Slack delivery (retries included). Beat runs the same "
            "every minute; this is for cron-less setups and for trying it out.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--digest", action="store_true",
                            help="send every digest route's queued events now, whatever its hour")

    def handle(self, *args: Any, digest: bool, **options: Any) -> None:
        summary = alerts_dispatch(force_digest=digest)
        self.stdout.write(str(summary))
