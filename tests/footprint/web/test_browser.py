"""End to end, in a real browser: Playwright drives Debian's Chromium (/usr/bin/chromium, never a downloaded
browser) against the live dashboard on the crawled demo fleet. Log in, filter the inventory, export it as CSV,
open a model with version drift, acknowledge a finding, and screenshot every main page to var/screenshots/.

Skipped without /usr/bin/chromium, except under CI (``CI`` set), where that fails.
Run: ``.venv/bin/python -m pytest -m browser tests/footprint/web/test_browser.py``.
"""

from __future__ import annotations

import csv
import io

import pytest

from footprint.findings.models import Finding
from footprint.inventory.models import Cluster, Deployment, Model
from footprint.inventory.selectors import declared_copies_exclude, sources_with_health
from tests.footprint.web import browser_support as support

pytestmark = [
    pytest.mark.browser,
    # transactional: the live server's thread reads what the test wrote. serialized_rollback makes
    # pytest-django keep a copy of what the migrations seed (roles, prices), which the demo fleet builds on.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

QWEN = "Qwen/Qwen2.5-7B-Instruct"
QWEN_VERSIONS = ("a09a35458c702b33eeacc393d103063234e8bc28", "bb46c15ee4bb56c5b63245ef50fd7637234d6f75")
WRONG_GPU = ("waste.wrong_gpu", "eks-use1-prod/support-prod/support-assistant")


@pytest.fixture(scope="module")
def async_unsafe_allowed():
    """Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a thread with
    a running loop unless told it is safe (it is: the loop is Playwright's, our code is synchronous)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="module")
def browser(async_unsafe_allowed, demo_dump):
    """Chromium, started once the demo fleet is dumped: from then on the tests run inside Playwright's
    event loop, in another context, where Django's serialized copy of the test database is not reachable."""
    support.chromium_required()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(support.CHROMIUM))
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def demo_dump(async_unsafe_allowed, django_db_setup, django_db_blocker, tmp_path_factory):
    support.chromium_required()   # no browser: do not spend 20 s crawling for nothing
    with django_db_blocker.unblock():
        dump = support.demo_fleet_dump(tmp_path_factory.mktemp("demo") / "demo.json")
    yield dump
    with django_db_blocker.unblock():
        # leave the database as the migrations did, for the transactional tests that come after
        support.database_seeded()


@pytest.fixture
def demo_fleet(demo_dump, transactional_db, live_server):
    support.demo_fleet_load(demo_dump)
    return live_server.url


@pytest.fixture
def page(browser, demo_fleet):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    context.set_default_timeout(20_000)
    tab = context.new_page()
    support.log_in(tab, demo_fleet)
    yield tab
    context.close()


def _gcp_live() -> int:
    # what runs: the GitOps file source's declarations of crawled workloads are not counted twice
    gcp_live = declared_copies_exclude(Deployment.objects.filter(ended_at__isnull=True, cloud="gcp")).count()
    assert 0 < gcp_live < Deployment.objects.filter(ended_at__isnull=True).count()
    return gcp_live


def test_filter_the_inventory_with_the_filter_bar(page, demo_fleet):
    gcp_live = _gcp_live()
    page.goto(f"{demo_fleet}/inventory/")
    page.select_option("form.filters select[name=cloud]", "gcp")
    page.locator("form.filters [type=submit]").first.click()
    page.wait_for_url("**/inventory/?*cloud=gcp*")

    rows = page.locator("table.inventory tbody tr")
    assert rows.count() == gcp_live
    assert all("gcp" in text for text in rows.all_inner_texts())


def test_filtered_inventory_exports_as_csv(page, demo_fleet):
    gcp_live = _gcp_live()
    page.goto(f"{demo_fleet}/inventory/?cloud=gcp")
    rows = page.locator("table.inventory tbody tr")
    assert rows.count() == gcp_live
    assert all("gcp" in text for text in rows.all_inner_texts())
    support.screenshot(page, "inventory-gcp")

    with page.expect_download() as download:
        page.get_by_text("Export CSV").click()
    with open(download.value.path(), encoding="utf-8") as exported:
        table = list(csv.DictReader(io.StringIO(exported.read())))
    assert download.value.suggested_filename.startswith("inventory-")
    assert len(table) == gcp_live and {row["cloud"] for row in table} == {"gcp"}
    assert {"cluster", "namespace", "name", "model", "accelerator", "team", "monthly_usd"} <= set(table[0])
    assert any(row["model"] == "BAAI/bge-large-en-v1.5" and row["cluster"] == "gke-usc1-prod" for row in table)


def test_open_a_model_with_version_drift(page, demo_fleet):
    page.goto(f"{demo_fleet}/findings/?rule=drift.version")
    page.locator("table.findings tbody tr a").first.click()
    page.wait_for_url(f"{demo_fleet}/findings/*/")
    assert page.locator("td.diff").count() >= 1            # the evidence marks the odd version out
    page.get_by_role("link", name=f"Model {QWEN}").click()
    page.wait_for_url(f"{demo_fleet}/models/*/")

    assert page.get_by_role("heading", name=QWEN).count() >= 1
    assert page.locator(".badge.failed", has_text="drift").count() >= 1
    body = page.locator("main").inner_text()
    assert all(version in body for version in QWEN_VERSIONS)
    assert page.locator("td.diff").count() >= 1


def test_acknowledge_a_finding(page, demo_fleet):
    page.goto(f"{demo_fleet}/findings/")
    assert page.locator("table.findings tbody tr").count() == Finding.objects.filter(status="open").count()
    page.select_option("form.filters select[name=rule]", WRONG_GPU[0])
    page.locator("form.filters [type=submit]").click()
    page.wait_for_url("**/findings/?*rule=waste.wrong_gpu*")
    assert page.locator("table.findings tbody tr").count() == 1
    page.locator("table.findings tbody tr a").first.click()
    page.wait_for_url(f"{demo_fleet}/findings/*/")

    assert page.get_by_text("$8,869.79").count() >= 1
    assert page.get_by_role("link", name="Request this action").get_attribute("href").startswith("/actions/new?finding=")
    page.locator("#manage input[name=note]").first.fill("moving it to L4 next sprint")
    page.locator("#acknowledge").click()
    page.wait_for_load_state()

    assert page.locator(".messages li.success", has_text="Acknowledged.").count() == 1
    history = page.locator("ol.history").inner_text()
    assert "Acknowledged by demo" in history and "moving it to L4 next sprint" in history
    finding = Finding.objects.get(rule=WRONG_GPU[0], subject=WRONG_GPU[1])
    assert finding.acknowledged_by == "demo" and finding.events.filter(kind="acknowledged").count() == 1
    support.screenshot(page, "finding-acknowledged")

    page.get_by_role("link", name="Request this action").click()     # the actions pages take it from here
    page.wait_for_url(f"{demo_fleet}/actions/new?finding={finding.pk}")
    assert f"(finding #{finding.pk})" in page.locator("[name=reason]").input_value()

    page.goto(f"{demo_fleet}/findings/?state=acknowledged")
    assert page.locator("table.findings tbody tr").count() == 1
    assert "acknowledged by demo" in page.locator("table.findings").inner_text()


def test_screenshots_of_every_main_page(page, demo_fleet):
    model = Model.objects.get(name=QWEN)
    cluster = Cluster.objects.get(name="cw-ord1")
    finding = Finding.objects.get(rule="drift.version")
    pages = {
        "overview": "/", "inventory": "/inventory/", "model": f"/models/{model.pk}/", "team": "/teams/search/",
        "cluster": f"/clusters/{cluster.pk}/", "findings": "/findings/", "finding": f"/findings/{finding.pk}/",
        "costs": "/costs/", "sources": "/sources/",
    }
    failed = {}
    for name, path in pages.items():
        response = page.goto(f"{demo_fleet}{path}")
        if response is None or response.status != 200:
            failed[name] = response.status if response else None
            continue
        page.wait_for_load_state("networkidle")
        assert page.locator("header.top nav").count() == 1, name    # the dashboard's layout, not an error page
        support.screenshot(page, name)
        assert (support.SCREENSHOTS / f"{name}.png").stat().st_size > 10_000
    assert failed == {}


def test_sources_show_crawl_health(page, demo_fleet):
    page.goto(f"{demo_fleet}/sources/")
    health = {source.name: source.last_status for source in sources_with_health()}
    rows = page.locator("table.sources tbody tr")
    assert rows.count() == len(health)
    for name in ("aws-411725960033", "gcp", "azure", "coreweave", "lambda", "nebius"):   # every cloud crawled
        assert health[name] == "ok"
        assert page.locator(f"table.sources tr[data-source='{name}'] .badge.ok").count() == 1
    page.get_by_role("link", name="gcp", exact=True).click()
    page.wait_for_url(f"{demo_fleet}/sources/*/")
    assert "gke-usc1-prod" in page.locator("main").inner_text()
    assert page.locator("table.runs tbody tr").count() >= 1
    support.screenshot(page, "source")
