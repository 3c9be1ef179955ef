"""manage.py actions-execute ID... --as USERNAME: execute approved deploy actions (as that user, with the same
checks and audit trail as the pages and the API), e.g. from a change window's cron job."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from footprint.actions.choices import ActionStatus
from footprint.actions.models import DeployAction
from footprint.actions.services import action_execute


class Command(BaseCommand):
    help = "Execute approved deploy actions against their clusters (exit 1 if any failed)."

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="*", type=int, help="action ids (default: every approved action)")
        parser.add_argument("--as", dest="username", required=True, help="the user executing (audit trail)")

    def handle(self, *args, ids, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        rows = DeployAction.objects.filter(pk__in=ids) if ids else DeployAction.objects.filter(
            status=ActionStatus.APPROVED)
        failed = 0
        for action in rows.order_by("pk"):
            try:
                done = action_execute(action=action, user=user)
            except (PermissionDenied, ValidationError) as refused:
                failed += 1
                message = "; ".join(refused.messages) if isinstance(refused, ValidationError) else str(refused)
                self.stderr.write(f"#{action.pk}: refused: {message}")
                continue
            line = f"#{done.pk} {done.kind} {done.target}: {done.status}"
            if done.status == ActionStatus.FAILED:
                failed += 1
                self.stderr.write(f"{line}: {done.error}")
            else:
                self.stdout.write(line)
        if failed:
            raise CommandError(f"{failed} action(s) not executed")
