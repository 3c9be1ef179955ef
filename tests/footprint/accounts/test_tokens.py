"""API tokens: created with a secret shown once and stored hashed; they authenticate as their user until
revoked or expired (401 saying which); last use is recorded at most once a minute."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from footprint.accounts.models import ApiToken
from footprint.accounts.tokens import token_create, token_revoke

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _throttle_reset():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user(username="alice")


def get(secret: str, *, keyword: str = "Bearer", url: str = "/api/v1/me/"):
    return APIClient().get(url, HTTP_AUTHORIZATION=f"{keyword} {secret}")


def test_the_hash_is_stored_never_the_secret(alice):
    token, secret = token_create(user=alice, name="ci")
    assert secret.startswith("fp_") and len(secret) >= 40
    row = ApiToken.objects.values().get(pk=token.pk)
    assert row["key_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(row).replace(row["prefix"], "")  # only the display prefix of it is kept
    assert secret.startswith(row["prefix"]) and len(row["prefix"]) <= 10


def test_lifecycle_create_use_revoke(alice):
    token, secret = token_create(user=alice, name="ci")
    for keyword in ("Bearer", "Token", "bearer"):
        response = get(secret, keyword=keyword)
        assert response.status_code == 200 and response.json()["username"] == "alice"
    assert response.json()["token"] == token.prefix
    token_revoke(token=token)
    response = get(secret)
    assert response.status_code == 401
    assert response.json()["error"] == {"code": "authentication_failed",
                                        "message": f"Token {token.prefix}… was revoked; create a new one.",
                                        "details": {}}
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_expired_token_is_401(alice):
    token, secret = token_create(user=alice, name="short", expires_at=timezone.now() + timedelta(hours=1))
    assert get(secret).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = get(secret)
    assert response.status_code == 401 and response.json()["error"]["message"].endswith("has expired; create a new one.")


@pytest.mark.parametrize("header", ["Bearer fp_nope", "Bearer", "Bearer a b", "Token " + "x" * 80])
def test_bad_tokens_are_401(alice, header):
    response = APIClient().get("/api/v1/teams/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401 and response.json()["error"]["code"] == "authentication_failed"


def test_inactive_user_token_is_401(alice):
    _, secret = token_create(user=alice, name="ci")
    alice.is_active = False
    alice.save()
    assert get(secret).json()["error"]["message"] == "User inactive or deleted."


def test_last_used_is_written_at_most_once_a_minute(alice):
    token, secret = token_create(user=alice, name="ci")
    with CaptureQueriesContext(connection) as first:
        get(secret, url="/api/v1/teams/")
    token.refresh_from_db()
    used = token.last_used_at
    assert used is not None
    with CaptureQueriesContext(connection) as second:
        get(secret, url="/api/v1/teams/")
    token.refresh_from_db()
    assert token.last_used_at == used
    assert len(first) == len(second) + 1  # the UPDATE
    assert not any(q["sql"].startswith("UPDATE") for q in second.captured_queries)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=used - timedelta(minutes=2))
    get(secret, url="/api/v1/teams/")
    token.refresh_from_db()
    assert token.last_used_at > used - timedelta(minutes=2)


def test_create_refuses_a_blank_name_or_a_past_expiry(alice):
    with pytest.raises(ValidationError):
        token_create(user=alice, name="  ")
    with pytest.raises(ValidationError):
        token_create(user=alice, name="x", expires_at=timezone.now() - timedelta(days=1))


def test_token_create_command_prints_the_secret_once(alice):
    out, err = StringIO(), StringIO()
    call_command("token-create", "alice", "--name", "export", "--expires-days", "30", stdout=out, stderr=err)
    secret = out.getvalue().strip()
    token = ApiToken.objects.get(user=alice)
    assert token.name == "export" and token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.expires_at > timezone.now() + timedelta(days=29)
    assert secret not in err.getvalue() and token.prefix in err.getvalue()
    assert get(secret).status_code == 200
    with pytest.raises(CommandError, match="no user 'bob'"):
        call_command("token-create", "bob", "--name", "x")


def test_throttling_counts_per_user_whatever_the_token(alice, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, "user": "2/min"})
    _, first = token_create(user=alice, name="one")
    _, second = token_create(user=alice, name="two")
    assert get(first, url="/api/v1/teams/").status_code == 200
    assert get(second, url="/api/v1/teams/").status_code == 200
    response = get(first, url="/api/v1/teams/")
    assert response.status_code == 429 and response.json()["error"]["code"] == "throttled"
    assert "Retry-After" in response
