"""/account/tokens/: list, create (the secret shown once, on the result page), revoke; and the admin."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group

from footprint.accounts.models import ApiToken, Membership
from footprint.accounts.roles import Role
from footprint.accounts.tokens import token_create
from footprint.inventory.models import Team

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(django_user_model):
    user = django_user_model.objects.create_user(username="alice")
    user.groups.add(Group.objects.get(name=Role.OPERATOR))
    Membership.objects.create(user=user, team=Team.objects.create(slug="search", name="Search"))
    return user


def test_anonymous_is_sent_to_log_in(client):
    response = client.get("/account/tokens/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_create_shows_the_secret_once(client, alice):
    client.force_login(alice)
    page = client.get("/account/tokens/")
    assert page.status_code == 200 and b"No tokens yet" in page.content
    assert b"operator" in page.content and b"search" in page.content
    created = client.post("/account/tokens/", {"name": "ci-export", "expires_in_days": "30"})
    assert created.status_code == 201
    secret = re.search(r'id="token-secret"[^>]*>(fp_[\w-]+)<', created.content.decode())[1]
    token = ApiToken.objects.get(user=alice)
    assert token.name == "ci-export" and token.expires_at is not None
    listed = client.get("/account/tokens/").content.decode()
    assert "ci-export" in listed and token.prefix in listed and secret not in listed
    assert created["Cache-Control"] and "no-store" in created["Cache-Control"]
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {secret}").json()["username"] == "alice"


def test_create_needs_a_name(client, alice):
    client.force_login(alice)
    response = client.post("/account/tokens/", {"name": ""})
    assert response.status_code == 400 and not ApiToken.objects.exists()


def test_revoke_own_token_only(client, alice, django_user_model):
    token, secret = token_create(user=alice, name="ci")
    bob = django_user_model.objects.create_user(username="bob")
    other, _ = token_create(user=bob, name="bob's")
    client.force_login(alice)
    assert client.post(f"/account/tokens/{other.pk}/revoke/").status_code == 404
    assert client.get(f"/account/tokens/{token.pk}/revoke/").status_code == 405
    response = client.post(f"/account/tokens/{token.pk}/revoke/", follow=True)
    assert response.status_code == 200 and b"revoked" in response.content
    token.refresh_from_db()
    other.refresh_from_db()
    assert token.revoked_at is not None and other.revoked_at is None
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401


def test_admin_lists_tokens_without_the_hash(client, alice, django_user_model):
    token, _ = token_create(user=alice, name="ci")
    boss = django_user_model.objects.create_superuser(username="boss", email="b@example.com", password=None)
    client.force_login(boss)
    listing = client.get("/admin/accounts/apitoken/")
    assert listing.status_code == 200 and b"ci" in listing.content
    change = client.get(f"/admin/accounts/apitoken/{token.pk}/change/")
    assert change.status_code == 200 and token.key_hash.encode() not in change.content
    assert client.get("/admin/accounts/apitoken/add/").status_code == 403
    user_page = client.get(f"/admin/auth/user/{alice.pk}/change/")
    assert user_page.status_code == 200 and b"team membership" in user_page.content.lower()
    assert client.get("/admin/accounts/membership/").status_code == 200
    response = client.post("/admin/accounts/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
