"""`manage.py findings` and the evaluation a crawl triggers."""

from __future__ import annotations

import json
import logging

import pytest
from django.core.management import call_command

from collectors.spec import CrawlResult, Scope
from footprint.findings import engine
from footprint.findings.models import Finding
from footprint.inventory import crawl
from footprint.inventory.crawl import source_crawl
from tests.footprint.findings.conftest import NOW, spec

pytestmark = pytest.mark.django_db


def test_findings_command_evaluates_and_prints_a_table_or_json(inventory, capsys):
    inventory([spec("poc", team=None, accelerator="T4", replicas=1)])
    call_command("findings")
    assert "no open findings" in capsys.readouterr().out
    call_command("findings", "--evaluate")
    out = capsys.readouterr()
    assert "evaluated: 1 opened" in out.err
    assert "orphans.no_owner" in out.out and "prod-a/llm/poc" in out.out and "383.98" in out.out
    call_command("findings", "--format", "json")
    [item] = json.loads(capsys.readouterr().out)["items"]
    assert (item["rule"], item["subject"], item["impactMonthly"], item["team"]) == (
        "orphans.no_owner", "prod-a/llm/poc", "383.98", None)
    assert item["action"]["kind"] == "decommission"


@pytest.fixture
def collected(monkeypatch):
    result = CrawlResult(specs=[spec("poc", team=None, accelerator="T4", replicas=1)], scopes=[Scope()],
                         started_at=NOW, finished_at=NOW)
    monkeypatch.setattr(crawl, "_collect", lambda *, source, progress: result)


def test_a_crawl_evaluates_the_findings(file_source, collected):
    run = source_crawl(source=file_source)
    assert run.status == "ok"
    assert list(Finding.objects.values_list("rule", "subject")) == [("orphans.no_owner", "prod-a/llm/poc")]


def test_a_findings_failure_never_fails_the_crawl(file_source, collected, monkeypatch, caplog):
    def broken(*, run):
        raise RuntimeError("rule bug")

    monkeypatch.setattr(engine, "findings_evaluate_after_crawl", broken)
    with caplog.at_level(logging.ERROR, logger="footprint.inventory"):
        run = source_crawl(source=file_source)
    assert run.status == "ok" and not Finding.objects.exists()
    assert "crawl.findings_failed" in caplog.text and "rule bug" in caplog.text
