"""API tokens: create (the secret is returned once), revoke, and find the token of a presented secret.

A secret is ``fp_`` + 43 url-safe characters (256 random bits). Only its sha256 is stored and looked up: the
database compares hashes, so neither the secret nor a timing side channel on it reaches the query, and a
high-entropy secret needs no slow (salted) hash.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone

from footprint.accounts.models import ApiToken

SECRET_PREFIX = "fp_"
DISPLAY_CHARS = 10  # "fp_" + 7: enough to tell tokens apart, far too little to guess the rest
LAST_USED_GRANULARITY_SECONDS = 60


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_create(*, user, name: str, expires_at: datetime | None = None,
                 now: datetime | None = None) -> tuple[ApiToken, str]:
    """A new token of ``user``; returns it and its secret (shown to the user once, never stored)."""
    now = now or timezone.now()
    name = name.strip()
    if not name:
        raise ValidationError({"name": "name the token (what it is for)"})
    if expires_at is not None and expires_at <= now:
        raise ValidationError({"expires_at": "the expiry must be in the future"})
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name[:100], prefix=secret[:DISPLAY_CHARS],
                                    key_hash=token_hash(secret), expires_at=expires_at)
    return token, secret


def token_revoke(*, token: ApiToken, now: datetime | None = None) -> ApiToken:
    """Revoke a token (idempotent: the first revocation time is kept)."""
    if token.revoked_at is None:
        token.revoked_at = now or timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def token_find(*, secret: str) -> ApiToken | None:
    """The token (with its user) whose secret this is, whatever its state; None when unknown."""
    return ApiToken.objects.select_related("user").filter(key_hash=token_hash(secret)).first()


def token_touch(*, token: ApiToken, now: datetime | None = None) -> None:
    """Record a use, at most once a minute per token (one UPDATE then, none otherwise)."""
    now = now or timezone.now()
    last = token.last_used_at
    if last is None or (now - last).total_seconds() >= LAST_USED_GRANULARITY_SECONDS:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
