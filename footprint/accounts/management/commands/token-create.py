"""``manage.py token-create USER --name NAME [--expires-days N]``: create an API token and print its secret
(once: only its hash is kept)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from footprint.accounts.tokens import token_create


class Command(BaseCommand):
    help = ("Create an API token for USER and print its secret on stdout, once (Footprint stores only its "
            "hash). Use it as 'Authorization: Bearer <token>'.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("username", metavar="USER")
        parser.add_argument("--name", required=True, help="what the token is for, e.g. ci-export")
        parser.add_argument("--expires-days", type=int, metavar="N", help="expire after N days (default: never)")

    def handle(self, *args: Any, username: str, name: str, expires_days: int | None, **options: Any) -> None:
        user = get_user_model().objects.filter(**{get_user_model().USERNAME_FIELD: username}).first()
        if user is None:
            raise CommandError(f"no user {username!r}", returncode=2)
        if expires_days is not None and expires_days < 1:
            raise CommandError("--expires-days must be at least 1", returncode=2)
        expires_at = timezone.now() + timedelta(days=expires_days) if expires_days else None
        try:
            token, secret = token_create(user=user, name=name, expires_at=expires_at)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages), returncode=2) from None
        self.stderr.write(f"token {token.name} ({token.prefix}…) created for {username}; it is shown once:")
        self.stdout.write(secret)
