"""``manage.py capacity_prune --older-than DAYS``: drop old GPU capacity snapshots."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from footprint.inventory.capacity import capacity_prune


class Command(BaseCommand):
    help = ("Delete GPU node and pending GPU pod snapshots observed more than DAYS ago. Each cluster's current "
            "capacity is kept whatever its age. GPU node hours before the cut-off can no longer be computed.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--older-than", type=int, required=True, metavar="DAYS")

    def handle(self, *args: Any, older_than: int, **options: Any) -> None:
        if older_than < 1:
            raise CommandError("--older-than must be at least 1 day", returncode=2)
        before = timezone.now() - timedelta(days=older_than)
        nodes, pods = capacity_prune(before=before)
        self.stdout.write(f"deleted {nodes} GPU node and {pods} pending GPU pod snapshots observed before "
                          f"{before:%Y-%m-%d %H:%M} UTC")
