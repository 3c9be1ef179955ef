"""Signing in through the dashboard's own page, and plotly.js served from static (no CDN)."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.views import serve
from django.test import RequestFactory

from footprint.web.finders import PLOTLY_DIR

pytestmark = pytest.mark.django_db


def test_login_page_uses_the_dashboard_layout(client):
    page = client.get("/accounts/login/?next=/inventory/").content.decode()

    assert "Sign in to Model Footprint" in page
    assert 'href="/static/web/app.css"' in page
    assert '<input type="hidden" name="next" value="/inventory/">' in page


def test_signing_in_goes_where_the_user_was_going(client, django_user_model):
    django_user_model.objects.create_user("ana", password="s3cret-pass")

    response = client.post("/accounts/login/", {"username": "ana", "password": "s3cret-pass", "next": "/models/"})

    assert response.status_code == 302 and response["Location"] == "/models/"
    assert client.get("/models/").status_code == 200


def test_a_wrong_password_is_explained(client, django_user_model):
    django_user_model.objects.create_user("ana", password="s3cret-pass")

    response = client.post("/accounts/login/", {"username": "ana", "password": "nope", "next": "/"})

    assert response.status_code == 200 and "did not match" in response.content.decode()


def test_logging_out_ends_the_session(admin_client):
    admin_client.post("/accounts/logout/")

    assert admin_client.get("/").status_code == 302


def test_plotly_js_is_found_by_the_staticfiles_finders():
    found = finders.find("vendor/plotly.min.js")

    assert found == str(PLOTLY_DIR / "plotly.min.js")
    assert any(path == "plotly.min.js" for finder in finders.get_finders() for path, _ in finder.list([]))


def test_plotly_js_is_served_from_static():
    request = RequestFactory().get("/static/vendor/plotly.min.js")

    response = serve(request, "vendor/plotly.min.js", insecure=True)

    body = b"".join(response.streaming_content)
    assert response.status_code == 200 and len(body) > 1_000_000
    assert b"plotly" in body[:2000].lower()


def test_a_missing_static_file_is_not_found():
    assert not finders.find("vendor/other.js")
