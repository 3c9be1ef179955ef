"""Helpers of the browser tests: Debian's Chromium through Playwright, the demo fleet in the test database,
logging in, and screenshots.

The demo fleet is crawled once per module (``manage.py demo --no-serve``: the fleet simulator and every
source, about 20 s) and dumped; each test loads the dump, because a live-server test runs in a transactional
database that is emptied after every test.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import override_settings

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = ROOT / "var" / "screenshots"
DEMO_LOGIN = ("demo", "demo")
# A browser session of an earlier test is not part of the fleet.
DUMP_EXCLUDE = ["sessions", "admin.logentry"]


def chromium_required() -> None:
    """Skip without Debian's Chromium; under CI (``CI`` set) its absence is a failure, not a skip."""
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing (apt-get install chromium); browser tests never download a browser"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def database_empty() -> None:
    """Every table emptied, content types and permissions too: a dump then loads with its own ids."""
    call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)


def database_seeded() -> None:
    """The database as the migrations left it: emptied, then what they seed put back."""
    seeded = getattr(connection, "_test_serialized_contents", None)
    if not seeded:
        raise RuntimeError("no serialized test database: mark the tests django_db(serialized_rollback=True)")
    database_empty()
    connection.creation.deserialize_db_from_string(seeded)


def demo_fleet_dump(path: Path) -> Path:
    """Crawl the simulated demo fleet into the test database, on top of what the migrations seed (roles,
    price catalog, policies: pytest-django's serialized copy, which ``serialized_rollback`` tests get), and
    dump the whole database to ``path``.

    Call it before Playwright starts: Django's connections are per context, and Playwright's sync API runs
    the test in another one, where the serialized copy is not attached to the connection.
    """
    database_seeded()
    with override_settings(DEBUG=True, DATA_DIR=path.parent):
        call_command("demo", "--no-serve", stdout=io.StringIO())
    call_command("dumpdata", "--all", exclude=DUMP_EXCLUDE, output=str(path), verbosity=0)
    database_empty()
    return path


def demo_fleet_load(path: Path) -> None:
    """The database exactly as the dump has it, whatever the previous test left."""
    database_empty()
    call_command("loaddata", str(path), verbosity=0)


def log_in(page, base_url: str, *, username: str = DEMO_LOGIN[0], password: str = DEMO_LOGIN[1]) -> None:
    """Log in through the dashboard's login page (the admin's where there is none) and land on the overview."""
    response = page.goto(f"{base_url}/accounts/login/?next=/")
    if response is None or response.status != 200 or page.locator("input[name=password]").count() == 0:
        page.goto(f"{base_url}/admin/login/?next=/")
    form = page.locator("form").filter(has=page.locator("input[name=password]"))
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(password)
    form.locator("[type=submit]").click()
    page.wait_for_url(f"{base_url}/")


def screenshot(page, name: str) -> Path:
    """var/screenshots/NAME.png, the whole page (a test artifact), and var/screenshots/first-screen/NAME.png,
    what the window shows first (``scripts/screenshots.py`` copies those to docs/screenshots/ for the README)."""
    (SCREENSHOTS / "first-screen").mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    page.screenshot(path=str(SCREENSHOTS / "first-screen" / f"{name}.png"))
    return path
